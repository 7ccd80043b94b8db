#include "core/thread.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace sakchy {
namespace {

// struct sched_attr of sched_setattr(2); glibc 2.36 declares neither.
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

Status SetAttr(pid_t tid, std::uint32_t policy, int nice, std::uint64_t runtime_ns) {
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = policy;
  attr.sched_nice = nice;
  attr.sched_runtime = runtime_ns;
  if (syscall(SYS_sched_setattr, tid, &attr, 0u) != 0) {
    return MakeError(ErrorCode::kInternal,
                     std::string("sched_setattr: ") + std::strerror(errno));
  }
  return OkStatus();
}

int CurrentNice(pid_t tid) {
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  return errno == 0 ? nice : 0;
}

}  // namespace

Status MarkThreadLatencySensitive() {
  const pid_t tid = gettid();
  return SetAttr(tid, SCHED_OTHER, CurrentNice(tid), 100'000);
}

Status MarkThreadBatch(int nice) { return SetAttr(gettid(), SCHED_BATCH, nice, 0); }

}  // namespace sakchy
