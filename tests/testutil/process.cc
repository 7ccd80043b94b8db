#include "testutil/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace sakchy::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

SakchyProcess::SakchyProcess(std::vector<std::string> args, std::string workdir,
                             std::map<std::string, std::string> env, ProcessLimits limits)
    : workdir_(std::move(workdir)) {
  std::string out = workdir_ + "/stdout.txt", err = workdir_ + "/stderr.txt";
  // Truncate before forking so a reader never sees the previous run's output.
  ::close(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
  ::close(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
  pid_ = ::fork();
  if (pid_ == 0) {
    if (::chdir(workdir_.c_str()) != 0) _exit(126);
    int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fo, 1);
    ::dup2(fe, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    if (limits.max_open_files > 0) {
      struct rlimit rl {};
      rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(limits.max_open_files);
      if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(125);
    }
    std::vector<char*> argv;
    std::string bin = SAKCHY_BINARY;
    argv.push_back(bin.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    _exit(127);
  }
}

SakchyProcess::~SakchyProcess() {
  if (pid_ > 0 && exit_code_ < 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
}

std::uint16_t SakchyProcess::WaitListening(std::chrono::milliseconds timeout) {
  static const std::regex kListening("listening on https?://[^:]+:([0-9]+)");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string out = Stdout();
    if (std::regex_search(out, m, kListening)) return static_cast<std::uint16_t>(std::stoi(m[1]));
    int status;
    if (exit_code_ < 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = DecodeStatus(status);
    }
    if (exit_code_ >= 0) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

int SakchyProcess::Stop(int sig, std::chrono::milliseconds timeout) {
  if (exit_code_ >= 0) return exit_code_;
  ::kill(pid_, sig);
  return Wait(timeout);
}

int SakchyProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_ >= 0) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = DecodeStatus(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  exit_code_ = DecodeStatus(status);
  return -1;  // timed out
}

std::string SakchyProcess::Stdout() const { return ReadFile(workdir_ + "/stdout.txt"); }
std::string SakchyProcess::Stderr() const { return ReadFile(workdir_ + "/stderr.txt"); }

std::pair<int, std::string> RunSakchy(const std::vector<std::string>& args,
                                      const std::string& workdir,
                                      std::map<std::string, std::string> env) {
  SakchyProcess p(args, workdir, std::move(env));
  int code = p.Wait();
  return {code, p.Stdout() + p.Stderr()};
}

}  // namespace sakchy::testing
