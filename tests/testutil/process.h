#pragma once
// Starts the real `sakchy` binary for integration tests and stops it (SIGTERM or SIGKILL).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sakchy::testing {

// Resource limits of the started process (0: inherited).
struct ProcessLimits {
  std::uint64_t max_open_files = 0;  // RLIMIT_NOFILE, soft and hard
};

class SakchyProcess {
 public:
  // Runs SAKCHY_BINARY with `args` in `workdir`; stdout/stderr go to files in `workdir`.
  SakchyProcess(std::vector<std::string> args, std::string workdir,
                std::map<std::string, std::string> env = {}, ProcessLimits limits = {});
  ~SakchyProcess();  // SIGKILL if still running
  SakchyProcess(const SakchyProcess&) = delete;
  SakchyProcess& operator=(const SakchyProcess&) = delete;

  // Waits until it prints "listening on http://HOST:PORT"; returns the port, 0 if it exited or
  // the timeout passed.
  std::uint16_t WaitListening(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Sends `sig` and waits for exit; returns the exit code (128+signal when killed by one).
  int Stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for exit without signalling (for commands that end by themselves).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string Stdout() const;
  std::string Stderr() const;
  pid_t pid() const { return pid_; }

 private:
  std::string workdir_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Runs the binary to completion; returns {exit code, stdout + stderr}.
std::pair<int, std::string> RunSakchy(const std::vector<std::string>& args,
                                      const std::string& workdir,
                                      std::map<std::string, std::string> env = {});

}  // namespace sakchy::testing
