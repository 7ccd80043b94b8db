#pragma once
// Integration harness: a temp dir with a config pointing at the bundled rules and areas, a webhook
// sink as the alert receiver, and the real sakchy binary started on port 0.

#include <unistd.h>

#include <boost/json.hpp>

#include <cstdio>

#include <fstream>
#include <memory>
#include <string>

#include "fakes/http_sink.h"
#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/kannel_fixture.h"
#include "testutil/testutil.h"

namespace sakchy::testing {

inline constexpr const char* kMonitorToken = "monitor-token-0123456789";
inline constexpr const char* kAnalystToken = "analyst-token-0123456789";
inline constexpr const char* kAdminToken = "admin-token-0123456789ab";
inline constexpr const char* kWebhookSecret = "webhook-secret-for-tests";

struct HarnessOptions {
  std::size_t queue_capacity = 10000;
  std::string min_severity = "high";
  std::string extra_yaml;  // appended to the config
  std::string server_yaml;    // more lines of the server: section (indented by 2)
  std::string alerts_yaml;    // more lines of the alerts: section (indented by 2)
  std::string contacts_yaml;  // more contacts (list items indented by 2)
  std::map<std::string, std::string> env;  // extra environment of the binary
  std::string rules_dir;                    // default: the bundled rules in the source tree
  ProcessLimits limits;                     // of the binary (e.g. fewer descriptors)
};

// The same text posted many times forms a rumour cluster whose spread alert inhibits the
// per-report alerts it contains (suppressed). Tests that count one delivered alert per report
// turn clustering off.
inline HarnessOptions WithoutClusters() {
  HarnessOptions o;
  o.extra_yaml = "clusters:\n  enabled: false\n";
  return o;
}

class Harness {
 public:
  explicit Harness(HarnessOptions opts = {}) : opts_(std::move(opts)) { WriteConfig(); }

  std::string config_path() const { return dir_.str() + "/sakchy.yaml"; }
  std::string data_dir() const { return dir_.str() + "/data"; }
  HttpSink& sink() { return sink_; }
  std::uint16_t port() const { return port_; }

  // Starts the binary; returns false (with output in the failure message) if it did not listen.
  ::testing::AssertionResult Start(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"serve", "--config", config_path(), "--listen", "127.0.0.1:0"};
    for (auto& a : extra_args) args.push_back(a);
    std::map<std::string, std::string> env = opts_.env;
    env["SAKCHY_TOKENS"] = std::string("monitor:") + kMonitorToken + ",analyst:" + kAnalystToken +
                           ",admin:" + kAdminToken;
    env["SAKCHY_TEST_WEBHOOK_SECRET"] = kWebhookSecret;
    proc_ = std::make_unique<SakchyProcess>(args, dir_.str(), env, opts_.limits);
    port_ = proc_->WaitListening();
    if (!port_ && proc_->Stderr().empty()) {
      // Once in CI (ASan, loaded machine) the binary stayed silent for 30 s before its first log
      // line. Keep the evidence (its threads' stacks) and try once more.
      const std::string stacks = Backtraces(proc_->pid());
      proc_.reset();  // SIGKILL
      std::fprintf(stderr, "harness: sakchy printed nothing in 30 s; its threads were:\n%s\n"
                           "harness: starting it again\n", stacks.c_str());
      proc_ = std::make_unique<SakchyProcess>(args, dir_.str(), env, opts_.limits);
      port_ = proc_->WaitListening();
    }
    if (!port_) {
      return ::testing::AssertionFailure() << "sakchy did not start\nstdout:\n"
                                           << proc_->Stdout() << "\nstderr:\n" << proc_->Stderr()
                                           << "\nthreads:\n" << Backtraces(proc_->pid());
    }
    return ::testing::AssertionSuccess();
  }
  int Stop(int sig) { return proc_->Stop(sig); }
  SakchyProcess& process() { return *proc_; }

  HttpResult Call(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) {
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    return HttpCall(port_, method, target, body, headers);
  }
  HttpResult PostReport(const boost::json::object& body,
                        std::map<std::string, std::string> headers = {}) {
    return Call("POST", "/v1/reports", kMonitorToken, boost::json::serialize(body), headers);
  }
  boost::json::value GetJson(const std::string& target, const std::string& token = kAnalystToken) {
    auto r = Call("GET", target, token);
    if (r.status != 200) return nullptr;
    return boost::json::parse(r.body);
  }
  // Waits until the event is scored; returns it (null on timeout).
  boost::json::value WaitScored(const std::string& id) {
    boost::json::value out;
    WaitFor([&] {
      out = GetJson("/v1/events/" + id);
      return out.is_object() && out.at("status") == "scored";
    });
    return out;
  }
  // Value of a metric line "name{labels} value" in /metrics (0 when absent).
  double Metric(const std::string& series) {
    auto r = Call("GET", "/metrics", kAnalystToken);
    auto pos = r.body.find("\n" + series + " ");
    if (pos == std::string::npos) return 0;
    return std::stod(r.body.substr(pos + series.size() + 2));
  }

 private:
  void WriteConfig() {
    std::ofstream out(config_path());
    out << "server:\n  listen: 127.0.0.1:0\n  max_body_bytes: 1048576\n" << opts_.server_yaml
        << "storage:\n  data_dir: " << data_dir() << "\n  sync_writes: true\n"
        << "pipeline:\n  queue_capacity: " << opts_.queue_capacity << "\n  max_text_bytes: 16384\n"
        << "classifier:\n  rules: "
        << (opts_.rules_dir.empty() ? SourcePath("config/defaults/rules") : opts_.rules_dir) << "\n"
        << "  areas: " << SourcePath("config/defaults/areas.yaml") << "\n"
        << "alerts:\n  min_severity: " << opts_.min_severity
        << "\n  timeout_ms: 2000\n  backoff_initial_ms: 100\n  backoff_max_ms: 500\n"
        << opts_.alerts_yaml << "contacts:\n"
        << "  - id: osh-duty\n    name: Osh duty officer\n    role: analyst_on_duty\n"
        << "    areas: [KG-O, KG-GO]\n    min_severity: info\n    channels:\n"
        << "      - type: webhook\n        url: " << sink_.url("/osh") << "\n"
        << "        secret_env: SAKCHY_TEST_WEBHOOK_SECRET\n"
        << "  - id: naryn-duty\n    name: Naryn duty officer\n    role: analyst_on_duty\n"
        << "    areas: [KG-N]\n    channels:\n"
        << "      - type: webhook\n        url: " << sink_.url("/naryn") << "\n"
        << "        secret_env: SAKCHY_TEST_WEBHOOK_SECRET\n"
        << opts_.contacts_yaml << opts_.extra_yaml;
  }

  // The stacks of a running process's threads (gdb, when installed), for failure messages.
  static std::string Backtraces(pid_t pid) {
    if (pid <= 0 || ::access("/usr/bin/gdb", X_OK) != 0) return "(gdb not available)";
    const std::string cmd = "/usr/bin/gdb -p " + std::to_string(pid) +
                            " -batch -ex 'thread apply all bt 20' 2>&1 | grep -E '^(Thread|#)'";
    const std::string out = RunShell(cmd).second;
    return out.empty() ? "(no stacks)" : out;
  }

  HarnessOptions opts_;
  TempDir dir_;
  HttpSink sink_;
  std::unique_ptr<SakchyProcess> proc_;
  std::uint16_t port_ = 0;
};

}  // namespace sakchy::testing
