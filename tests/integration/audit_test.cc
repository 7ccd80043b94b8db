// GET /v1/admin/audit against the real binary: rules reloads (by the API and by SIGHUP) and
// backups are recorded; filters by action (exact or prefix), subject and actor; cursor pages.

#include <signal.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "integration/harness.h"

namespace sakchy::testing::audit_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

json::array Entries(Harness& h, const std::string& query) {
  auto v = h.GetJson("/v1/admin/audit" + query, kAdminToken);
  return v.is_object() ? v.at("entries").as_array() : json::array();
}

TEST(AuditTest, RuleReloadsAndBackupsAreRecordedAndQueryable) {
  TempDir home;
  HarnessOptions opts;
  opts.rules_dir = (home.path() / "rules").string();
  fs::create_directories(opts.rules_dir);
  for (const auto& e : fs::directory_iterator(SourcePath("config/defaults/rules"))) {
    fs::copy_file(e.path(), fs::path(opts.rules_dir) / e.path().filename());
  }
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  EXPECT_TRUE(Entries(h, "").empty());

  ASSERT_EQ(h.Call("POST", "/v1/admin/rules/reload", kAdminToken).status, 200);
  std::ofstream(opts.rules_dir + "/60-broken.yaml")
      << "version: 1\nrules:\n  - id: broken\n    category: violence\n    any: [\"@no_such_list\"]\n";
  ASSERT_EQ(h.Call("POST", "/v1/admin/rules/reload", kAdminToken).status, 422);
  fs::remove(opts.rules_dir + "/60-broken.yaml");
  ::kill(h.process().pid(), SIGHUP);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& e : Entries(h, "?actor=system")) {
      if (e.at("details").at("trigger") == "SIGHUP") return true;
    }
    return false;
  }));
  auto backup = h.Call("POST", "/v1/admin/backup", kAdminToken,
                       R"({"dir":")" + home.str() + R"(/backups"})");
  ASSERT_EQ(backup.status, 200);
  ASSERT_NE(backup.body.find("\"status\":\"done\""), std::string::npos) << backup.body;

  // The directory watcher may add reloads of its own (actor "system"): count by actor.
  auto all = Entries(h, "?actor=env-admin-1");
  ASSERT_EQ(all.size(), 3u);
  // Newest first.
  EXPECT_EQ(all[0].at("action"), "backup.create");
  EXPECT_EQ(all[0].at("subject"), (home.str() + "/backups").c_str());
  EXPECT_EQ(all[0].at("details").at("backup_id").to_number<int>(), 1);
  EXPECT_EQ(all[1].at("action"), "rules.reload_failed");
  const std::string errors = json::serialize(all[1].at("details").at("errors"));
  EXPECT_NE(errors.find("60-broken.yaml"), std::string::npos) << errors;
  EXPECT_EQ(all[2].at("action"), "rules.reload");
  EXPECT_EQ(all[2].at("details").at("trigger"), "api");
  EXPECT_NE(std::string(all[2].at("at").as_string()).find("+06:00"), std::string::npos);
  EXPECT_EQ(Entries(h, "").at(0).at("action"), "backup.create");
  bool sighup = false;
  for (const auto& e : Entries(h, "?actor=system")) {
    EXPECT_EQ(std::string(e.at("action").as_string()).rfind("rules.", 0), 0u);
    sighup = sighup || e.at("details").at("trigger") == "SIGHUP";
  }
  EXPECT_TRUE(sighup);

  EXPECT_EQ(Entries(h, "?actor=env-admin-1&action=rules.").size(), 2u);        // a prefix
  EXPECT_EQ(Entries(h, "?actor=env-admin-1&action=rules.reload").size(), 1u);  // exact
  EXPECT_EQ(Entries(h, "?action=backup.create").size(), 1u);
  const std::string version(all[2].at("subject").as_string());
  EXPECT_GE(Entries(h, "?subject=" + version).size(), 1u);

  // Pages of one, newest to oldest, then the end.
  std::vector<std::string> ids;
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    auto page = h.GetJson("/v1/admin/audit?actor=env-admin-1&limit=1" +
                              (cursor.empty() ? "" : "&before=" + cursor),
                          kAdminToken);
    ASSERT_TRUE(page.is_object());
    for (const auto& e : page.at("entries").as_array()) ids.emplace_back(e.at("id").as_string());
    if (page.at("next_cursor").is_null()) break;
    cursor = std::string(page.at("next_cursor").as_string());
  }
  ASSERT_EQ(ids.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(ids[i], all[i].at("id").as_string());

  // Admins only; bad parameters are named.
  EXPECT_EQ(h.Call("GET", "/v1/admin/audit", kAnalystToken).status, 403);
  for (const std::string q : {"?limit=0", "?before=nope", "?action=Rules!", "?colour=red",
                              "?actor=a&actor=b"}) {
    auto r = h.Call("GET", "/v1/admin/audit" + q, kAdminToken);
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json") << q;
  }
}

}  // namespace
}  // namespace sakchy::testing::audit_test
