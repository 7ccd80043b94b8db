// core/thread.h: the scheduling hints reach the kernel, for the calling thread only.

#include "core/thread.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

namespace sakchy {
namespace {

struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
};

SchedAttr GetAttr() {
  SchedAttr attr{};
  EXPECT_EQ(syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0u), 0);
  return attr;
}

// Custom time slices for SCHED_NORMAL came with EEVDF in Linux 6.12.
bool KernelHasCustomSlices() {
  utsname u{};
  int major = 0, minor = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 12);
}

TEST(ThreadTest, BatchSetsPolicyAndNiceOfTheCallingThreadOnly) {
  const int policy = sched_getscheduler(0);
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  std::thread([] {
    ASSERT_TRUE(MarkThreadBatch(7).has_value());
    EXPECT_EQ(sched_getscheduler(0), SCHED_BATCH);
    EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), 7);
  }).join();
  EXPECT_EQ(sched_getscheduler(0), policy);
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), nice);
}

TEST(ThreadTest, LatencySensitiveAsksForAShortSliceAndKeepsNice) {
  std::thread([] {
    ASSERT_EQ(setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 2), 0);
    ASSERT_TRUE(MarkThreadLatencySensitive().has_value());
    SchedAttr attr = GetAttr();
    EXPECT_EQ(attr.sched_policy, static_cast<std::uint32_t>(SCHED_OTHER));
    EXPECT_EQ(attr.sched_nice, 2);
    if (KernelHasCustomSlices()) {
      EXPECT_EQ(attr.sched_runtime, 100'000u);
    }
  }).join();
}

}  // namespace
}  // namespace sakchy
