// The systemd unit sets MemoryDenyWriteExecute=yes (packaging/sakchy.service.in). Without
// systemd, this test installs the same seccomp rules systemd does for it (mmap with PROT_WRITE and
// PROT_EXEC, mprotect/pkey_mprotect adding PROT_EXEC, shmat with SHM_EXEC: EPERM) and runs the
// real binary under them: start-up, scoring through Hyperscan, the jemalloc statistics, a clean
// stop. A library that needs writable code (a JIT, an executable stack) fails here.

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "integration/harness.h"

namespace sakchy::testing::hardening_test {
namespace {

#if defined(__x86_64__)

constexpr std::uint32_t kArgLow(int i) {
  return static_cast<std::uint32_t>(offsetof(seccomp_data, args) + 8 * i);  // little endian
}

// systemd's MemoryDenyWriteExecute= rules as a classic BPF program (x86-64 only).
void InstallMemoryDenyWriteExecute() {
  constexpr std::uint32_t kDeny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
  const std::uint32_t wx = PROT_WRITE | PROT_EXEC;
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 5),  // (jumps count from the next)
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgLow(2)),  // prot
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, wx),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, wx, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, kDeny),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pkey_mprotect, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgLow(2)),  // prot
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, kDeny),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_shmat, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgLow(2)),  // shmflg
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SHM_EXEC, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, kDeny),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(120);
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) _exit(121);
}

// The filter itself: writable+executable memory is refused, ordinary memory is not.
TEST(HardeningTest, TheFilterRefusesWritableCode) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    InstallMemoryDenyWriteExecute();
    void* wx = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (wx != MAP_FAILED || errno != EPERM) _exit(1);
    void* rw = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rw == MAP_FAILED) _exit(2);
    if (::mprotect(rw, 4096, PROT_READ | PROT_EXEC) == 0 || errno != EPERM) _exit(3);
    if (::mprotect(rw, 4096, PROT_READ) != 0) _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(HardeningTest, ServiceRunsUnderMemoryDenyWriteExecute) {
  Harness h(WithoutClusters());
  TempDir dir;
  const std::string out = dir.str() + "/stdout.txt", err = dir.str() + "/stderr.txt";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fo, 1);
    ::dup2(fe, 2);
    ::setenv("SAKCHY_WEBHOOK_TEST_SECRET", kWebhookSecret, 1);
    ::setenv("SAKCHY_TOKENS",
             (std::string("monitor:") + kMonitorToken + ",analyst:" + kAnalystToken).c_str(), 1);
    InstallMemoryDenyWriteExecute();  // kept across execve, as systemd applies it
    std::string bin = SAKCHY_BINARY, serve = "serve", config = "--config",
                path = h.config_path(), listen = "--listen", addr = "127.0.0.1:0";
    char* argv[] = {bin.data(), serve.data(), config.data(), path.data(), listen.data(),
                    addr.data(), nullptr};
    ::execv(bin.c_str(), argv);
    _exit(127);
  }
  std::uint16_t port = 0;
  int status = 0;
  bool exited = false;
  WaitFor(
      [&] {
        std::smatch m;
        const std::string text = ReadAll(out);
        static const std::regex kListening("listening on http://[^:]+:([0-9]+)");
        if (std::regex_search(text, m, kListening)) port = static_cast<std::uint16_t>(std::stoi(m[1]));
        exited = ::waitpid(pid, &status, WNOHANG) == pid;
        return port != 0 || exited;
      },
      std::chrono::seconds(60));
  ASSERT_NE(port, 0) << "did not start under the filter:\n" << ReadAll(err);
  // Scoring (Hyperscan), storage (RocksDB) and the allocator's statistics (jemalloc).
  auto posted = HttpCall(port, "POST", "/v1/reports",
                         R"({"text":"Говорят, в Оше начались беспорядки, передайте всем!"})",
                         {{"Authorization", std::string("Bearer ") + kMonitorToken},
                          {"Content-Type", "application/json"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id = posted.body.substr(posted.body.find("\"id\":\"") + 6, 26);
  EXPECT_TRUE(WaitFor([&] {
    auto r = HttpCall(port, "GET", "/v1/events/" + id, "",
                      {{"Authorization", std::string("Bearer ") + kAnalystToken}});
    return r.body.find("\"status\":\"scored\"") != std::string::npos;
  })) << ReadAll(err);
  auto metrics = HttpCall(port, "GET", "/metrics", "",
                          {{"Authorization", std::string("Bearer ") + kAnalystToken}});
  EXPECT_EQ(metrics.status, 200);
  if (SAKCHY_WITH_JEMALLOC) {
    EXPECT_NE(metrics.body.find("sakchy_allocator_bytes"), std::string::npos);
  }
  ::kill(pid, SIGTERM);
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n" << ReadAll(err);
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadAll(err);
}

#else

TEST(HardeningTest, ServiceRunsUnderMemoryDenyWriteExecute) {
  GTEST_SKIP() << "the seccomp emulation of MemoryDenyWriteExecute is written for x86-64";
}

#endif

}  // namespace
}  // namespace sakchy::testing::hardening_test
