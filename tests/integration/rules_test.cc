// Rules through the real binary: hot reload (API, SIGHUP, directory change) keeps the old ruleset
// on errors and loses or doubles no report under concurrent scoring; `rules check` and `classify`
// on the command line.

#include <signal.h>

#include <boost/json.hpp>

#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"

namespace sakchy::testing::rules_test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExtraRule = R"(version: 1
rules:
  - id: test-extra-sheep
    description: a rule added while running
    category: violence
    weight: 2
    any: [овцекрад*]
    examples:
      match: ["овцекрады вернулись"]
      no_match: ["овцы пасутся"]
)";

constexpr const char* kBrokenRule = R"(version: 1
rules:
  - id: broken
    category: violence
    any: ["@no_such_list"]
)";

std::string CopyRules(const TempDir& dir) {
  auto to = dir.path() / "rules";
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(SourcePath("config/defaults/rules"))) {
    fs::copy_file(e.path(), to / e.path().filename());
  }
  return to.string();
}

std::string Version(Harness& h) {
  auto v = h.GetJson("/v1/admin/rules", kAdminToken);
  return v.is_object() ? std::string(v.at("version").as_string()) : "";
}

TEST(RulesReloadTest, ApiReloadSwapsOrKeepsTheOldRulesetWithErrors) {
  TempDir rules_home;
  HarnessOptions opts;
  opts.rules_dir = CopyRules(rules_home);
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  const std::string v1 = Version(h);
  ASSERT_FALSE(v1.empty());
  // The ruleset in use, its hash and load time: in GET /v1/admin/rules and in /metrics.
  auto info = h.GetJson("/v1/admin/rules", kAdminToken);
  ASSERT_TRUE(info.is_object());
  EXPECT_FALSE(info.at("loaded_at").as_string().empty());
  EXPECT_GT(info.at("rules").to_number<int>(), 0);
  EXPECT_EQ(h.Metric("sakchy_ruleset_info{version=\"" + v1.substr(0, 16) + "\"}"), 1);
  EXPECT_GT(h.Metric("sakchy_ruleset_loaded_timestamp_seconds"), 1.0e9);
  EXPECT_EQ(h.Call("POST", "/v1/admin/rules/reload", kAnalystToken).status, 403);

  std::ofstream(opts.rules_dir + "/50-extra.yaml") << kExtraRule;
  auto ok = h.Call("POST", "/v1/admin/rules/reload", kAdminToken);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string v2 = Version(h);
  EXPECT_NE(v2, v1);
  EXPECT_EQ(h.Metric("sakchy_ruleset_info{version=\"" + v2.substr(0, 16) + "\"}"), 1);
  EXPECT_EQ(h.Metric("sakchy_ruleset_info{version=\"" + v1.substr(0, 16) + "\"}"), 0);
  auto posted = h.PostReport({{"text", "овцекрады снова в селе"}});
  auto event = h.WaitScored(std::string(boost::json::parse(posted.body).at("id").as_string()));
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event.at("ruleset_version"), v2.c_str());
  EXPECT_EQ(event.at("matches").as_array().at(0).at("rule_id"), "test-extra-sheep");

  std::ofstream(opts.rules_dir + "/60-broken.yaml") << kBrokenRule;
  auto bad = h.Call("POST", "/v1/admin/rules/reload", kAdminToken);
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.Header("content-type"), "application/problem+json");
  auto problem = boost::json::parse(bad.body);
  std::string errors = boost::json::serialize(problem.at("errors"));
  EXPECT_NE(errors.find("60-broken.yaml:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("no_such_list"), std::string::npos) << errors;
  EXPECT_EQ(Version(h), v2) << "the previous ruleset must keep serving";
  EXPECT_GE(h.Metric("sakchy_ruleset_reloads_total{result=\"failed\"}"), 1);
}

// Hot reload under concurrent scoring: reports posted while the ruleset is swapped back and forth
// are each scored exactly once (the scored counter ends at exactly their number) and by one whole
// ruleset (the added rule's match is there exactly when the event names the version that has it).
TEST(RulesReloadTest, ReloadUnderConcurrentScoringLosesAndDoublesNothing) {
  TempDir rules_home;
  HarnessOptions opts;
  opts.rules_dir = CopyRules(rules_home);
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  const std::string without_extra = Version(h);
  const std::string extra_file = opts.rules_dir + "/50-extra.yaml";
  std::atomic<bool> posting{true};
  std::string with_extra;  // written by the reloader thread, read after join
  int reloads = 0;
  std::thread reloader([&] {
    bool add = true;
    for (int attempts = 0; (posting.load() || reloads < 4) && attempts < 1000; ++attempts) {
      if (add) {
        std::ofstream(extra_file) << kExtraRule;
      } else {
        fs::remove(extra_file);
      }
      auto r = h.Call("POST", "/v1/admin/rules/reload", kAdminToken);
      if (r.status != 200) continue;
      ++reloads;
      if (add) with_extra = std::string(boost::json::parse(r.body).at("version").as_string());
      add = !add;
    }
  });
  constexpr int kReports = 300;
  std::vector<std::string> ids;
  for (int i = 0; i < kReports; ++i) {
    auto r = h.PostReport({{"text", "овцекрады снова в селе, случай " + std::to_string(i)},
                           {"source_ref", "reload-" + std::to_string(i)}});
    if (r.status != 202) {
      ADD_FAILURE() << "report " << i << ": " << r.status << " " << r.body;
      break;
    }
    ids.push_back(std::string(boost::json::parse(r.body).at("id").as_string()));
  }
  posting = false;
  reloader.join();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kReports));
  ASSERT_GE(reloads, 4);
  ASSERT_FALSE(with_extra.empty());
  ASSERT_NE(with_extra, without_extra);

  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_events_scored_total") >= kReports; },
                      std::chrono::seconds(60)));
  int by_with = 0;
  int by_without = 0;
  for (const std::string& id : ids) {
    auto event = h.WaitScored(id);
    ASSERT_TRUE(event.is_object()) << id;
    const std::string version(event.at("ruleset_version").as_string());
    bool extra_matched = false;
    for (const auto& m : event.at("matches").as_array()) {
      if (m.at("rule_id") == "test-extra-sheep") extra_matched = true;
    }
    if (version == with_extra) {
      ++by_with;
      EXPECT_TRUE(extra_matched) << id;
    } else {
      ++by_without;
      EXPECT_EQ(version, without_extra) << id;
      EXPECT_FALSE(extra_matched) << id;
    }
  }
  EXPECT_EQ(by_with + by_without, kReports);
  EXPECT_EQ(h.Metric("sakchy_events_scored_total"), kReports) << "a report was scored twice";
}

TEST(RulesReloadTest, SighupAndDirectoryChangesReload) {
  TempDir rules_home;
  HarnessOptions opts;
  opts.rules_dir = CopyRules(rules_home);
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  const std::string v1 = Version(h);
  // A change in the directory is picked up by the watcher (polls every 2 s).
  std::ofstream(opts.rules_dir + "/50-extra.yaml") << kExtraRule;
  ASSERT_TRUE(WaitFor([&] { return Version(h) != v1; }, std::chrono::seconds(15)));
  const std::string v2 = Version(h);
  // SIGHUP reloads too (same files: same version, one more successful reload).
  double before = h.Metric("sakchy_ruleset_reloads_total{result=\"ok\"}");
  ::kill(h.process().pid(), SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_ruleset_reloads_total{result=\"ok\"}") > before; }));
  EXPECT_EQ(Version(h), v2);
  EXPECT_EQ(h.Stop(SIGTERM), 0);
}

TEST(RulesCliTest, CheckExitCodes) {
  TempDir dir;
  auto [ok_code, ok_out] = RunSakchy({"rules", "check", SourcePath("config/defaults/rules")}, dir.str());
  EXPECT_EQ(ok_code, 0) << ok_out;
  EXPECT_NE(ok_out.find("OK"), std::string::npos);
  auto rules = CopyRules(dir);
  std::ofstream(rules + "/60-broken.yaml") << kBrokenRule;
  auto [bad_code, bad_out] = RunSakchy({"rules", "check", rules}, dir.str());
  EXPECT_EQ(bad_code, 1);
  EXPECT_NE(bad_out.find("60-broken.yaml:"), std::string::npos) << bad_out;
  auto [usage_code, usage_out] = RunSakchy({"rules", "check"}, dir.str());
  EXPECT_EQ(usage_code, 2);
  auto [missing_code, missing_out] = RunSakchy({"rules", "check", dir.str() + "/none"}, dir.str());
  EXPECT_EQ(missing_code, 1) << missing_out;
}

TEST(RulesCliTest, ClassifyScoresNdjsonOffline) {
  TempDir dir;
  std::string in = dir.str() + "/in.ndjson";
  std::ofstream(in) << "{\"text\":\"Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!\",\"ref\":1}\n"
                    << "garbage\n"
                    << "{\"text\":\"В Бишкеке прошло заседание кенеша\"}\n";
  // RunSakchy has no stdin; use a shell redirect through /bin/sh.
  std::string out = dir.str() + "/out.ndjson";
  std::string cmd = std::string(SAKCHY_BINARY) + " classify --rules " +
                    SourcePath("config/defaults/rules") + " < " + in + " > " + out;
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 1) << "a bad line makes the exit code 1";
  std::ifstream f(out);
  std::string l1, l2, l3;
  std::getline(f, l1);
  std::getline(f, l2);
  std::getline(f, l3);
  auto first = boost::json::parse(l1);
  std::string sev(first.at("severity").as_string());
  EXPECT_TRUE(sev == "high" || sev == "critical") << l1;
  EXPECT_EQ(first.at("language").as_string(), "ru") << "the quality harness reads it";
  EXPECT_EQ(first.at("input").at("ref").to_number<int>(), 1);
  EXPECT_TRUE(boost::json::parse(l2).as_object().contains("error"));
  EXPECT_EQ(boost::json::parse(l3).at("line").to_number<int>(), 3);
}

}  // namespace
}  // namespace sakchy::testing::rules_test
