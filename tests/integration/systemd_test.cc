// systemd integration of the real binary without systemd: a fake NOTIFY_SOCKET (a unix datagram
// socket this test reads) receives READY=1 only once the listener accepts, WATCHDOG=1 at half of
// WATCHDOG_USEC, STATUS= lines and STOPPING=1 on SIGTERM; logs written to a stderr that
// $JOURNAL_STREAM names carry syslog priority prefixes instead of timestamps.

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "integration/harness.h"

namespace sakchy::testing::systemd_test {
namespace {

// A bound unix datagram socket standing in for systemd's notification socket.
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    EXPECT_LT(path.size(), sizeof(addr.sun_path)) << path;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  }
  ~FakeNotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next datagram, or "" when none arrives before `timeout`.
  std::string Receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  // Datagrams until one contains `field` (returned), or "" at the deadline; all are kept in
  // `seen`.
  std::string WaitFor(const std::string& field, std::vector<std::string>& seen,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::string m = Receive(std::max(left, std::chrono::milliseconds(1)));
      if (m.empty()) continue;
      seen.push_back(m);
      if (("\n" + m + "\n").find("\n" + field + "\n") != std::string::npos) return m;
    }
    return "";
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

std::map<std::string, std::string> ServiceEnv(const std::string& notify_socket) {
  return {{"NOTIFY_SOCKET", notify_socket},
          {"SAKCHY_WEBHOOK_TEST_SECRET", kWebhookSecret},
          {"SAKCHY_TOKENS", std::string("analyst:") + kAnalystToken}};
}

TEST(SystemdTest, ReadyOnlyWhenListeningThenWatchdogAndStopping) {
  TempDir dir;
  Harness config;  // writes a config; the binary is started here, not by the harness
  FakeNotifySocket notify(dir.str() + "/notify");
  auto env = ServiceEnv(notify.path());
  env["WATCHDOG_USEC"] = "200000";  // pings every 100 ms
  SakchyProcess p({"serve", "--config", config.config_path(), "--listen", "127.0.0.1:0"},
                  dir.str(), env);
  std::vector<std::string> seen;
  const std::string ready = notify.WaitFor("READY=1", seen);
  ASSERT_FALSE(ready.empty()) << p.Stderr();
  // The status line names the address; the listener must accept right now, without retrying.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(ready, m, std::regex("STATUS=Serving on http://127\\.0\\.0\\.1:([0-9]+)")))
      << ready;
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  const auto health = HttpCall(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  // Start-up progress came first, as STATUS= lines.
  ASSERT_GE(seen.size(), 2u);
  EXPECT_NE(seen.front().find("STATUS=Starting"), std::string::npos) << seen.front();
  bool recovering = false;
  for (const auto& s : seen) recovering = recovering || s.find("STATUS=Recovering") == 0;
  EXPECT_TRUE(recovering);
  // Keep-alives keep coming.
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(notify.WaitFor("WATCHDOG=1", seen, std::chrono::seconds(10)).empty()) << i;
  }
  // SIGHUP: a status line about the reload, then the serving line again (the rules loaded).
  const std::string serving = ready.substr(ready.find("STATUS=") + 7);
  ::kill(p.pid(), SIGHUP);
  EXPECT_FALSE(notify.WaitFor("STATUS=Reloading the rules (SIGHUP); " + serving, seen).empty());
  EXPECT_FALSE(notify.WaitFor("STATUS=" + serving, seen).empty());
  ::kill(p.pid(), SIGTERM);
  const std::string stopping = notify.WaitFor("STOPPING=1", seen);
  EXPECT_FALSE(stopping.empty());
  EXPECT_NE(stopping.find("STATUS=Stopping"), std::string::npos) << stopping;
  EXPECT_EQ(p.Wait(), 0) << p.Stderr();
}

TEST(SystemdTest, NoWatchdogPingsUnlessAsked) {
  TempDir dir;
  Harness config;
  FakeNotifySocket notify(dir.str() + "/notify");
  auto env = ServiceEnv(notify.path());
  env["WATCHDOG_USEC"] = "200000";
  env["WATCHDOG_PID"] = "1";  // watching another process: not us
  SakchyProcess p({"serve", "--config", config.config_path(), "--listen", "127.0.0.1:0"},
                  dir.str(), env);
  std::vector<std::string> seen;
  ASSERT_FALSE(notify.WaitFor("READY=1", seen).empty()) << p.Stderr();
  ::kill(p.pid(), SIGTERM);
  ASSERT_FALSE(notify.WaitFor("STOPPING=1", seen).empty());
  EXPECT_EQ(p.Wait(), 0);
  for (const auto& s : seen) EXPECT_EQ(s.find("WATCHDOG=1"), std::string::npos) << s;
}

TEST(SystemdTest, JournalStreamGetsPriorityPrefixesNotTimestamps) {
  TempDir dir;
  Harness config;
  // SakchyProcess writes stderr to <dir>/stderr.txt (truncated, same inode): name it as systemd
  // names the journal stream it connects to stderr.
  const std::string err = dir.str() + "/stderr.txt";
  std::ofstream(err).close();
  struct stat st {};
  ASSERT_EQ(::stat(err.c_str(), &st), 0);
  auto env = ServiceEnv("");
  env.erase("NOTIFY_SOCKET");
  env["JOURNAL_STREAM"] = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  SakchyProcess p({"serve", "--config", config.config_path(), "--listen", "127.0.0.1:0"},
                  dir.str(), env);
  ASSERT_NE(p.WaitListening(), 0) << p.Stderr();
  EXPECT_EQ(p.Stop(SIGTERM), 0);
  const std::string log = p.Stderr();
  EXPECT_NE(log.find("<6>sakchy 0.1.0 ready"), std::string::npos) << log;
  EXPECT_NE(log.find("<6>stopped cleanly"), std::string::npos) << log;
  const std::regex timestamp("^\\d{4}-\\d\\d-\\d\\dT",
                             std::regex::ECMAScript | std::regex::multiline);
  EXPECT_FALSE(std::regex_search(log, timestamp)) << log;
}

}  // namespace
}  // namespace sakchy::testing::systemd_test
