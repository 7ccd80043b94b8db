// core/thread.h: the scheduling hints reach the kernel, for the calling thread only.

#include "core/thread.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace sakchy::thread_test {
namespace {

// The calling thread's time slice in ns as the scheduler reports it (/proc/thread-self/sched,
// "se.slice"); -1 where the kernel does not show it.
long long SliceNs() {
  std::ifstream in("/proc/thread-self/sched");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("se.slice", 0) == 0) return std::stoll(line.substr(line.find(':') + 1));
  }
  return -1;
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
    EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
    EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), 2);
    if (KernelHasCustomSlices() && SliceNs() >= 0) {
      EXPECT_EQ(SliceNs(), 100'000);
    }
  }).join();
}

}  // namespace
}  // namespace sakchy::thread_test
