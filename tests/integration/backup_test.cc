// Backup of a running service through `sakchy backup --url`, restore with `sakchy restore` into a
// fresh data directory, and the restored service answers every query exactly as before.

#include <signal.h>

#include <boost/json.hpp>

#include <thread>

#include <filesystem>

#include "core/time.h"
#include "integration/harness.h"

namespace sakchy::testing::backup_test {
namespace {

namespace json = boost::json;

HarnessOptions Quiet() {
  HarnessOptions o;
  o.extra_yaml = "analytics:\n  spikes: {check_interval_ms: 0}\n";
  return o;
}

std::vector<std::string> Queries(const std::string& event_id) {
  const std::string range = "from=2026-03-01T00:00:00%2B06:00&to=2026-03-03T00:00:00%2B06:00";
  return {"/v1/trends?area=KG&bucket=hour&" + range,
          "/v1/trends?area=KG&level=children&bucket=day&severity=high,critical&" + range,
          "/v1/areas/KG-O/tension?bucket=hour&" + range,
          "/v1/export/events.csv",
          "/v1/export/events.csv?area=KG-O&" + range,
          "/v1/alerts?limit=1000",
          "/v1/events/" + event_id};
}

TEST(BackupTest, BackupOfARunningServiceRestoresToIdenticalAnswers) {
  Harness h(Quiet());
  ASSERT_TRUE(h.Start());
  const TimeMs t0 = *ParseRfc3339("2026-03-01T00:00:00+06:00");
  std::string ndjson;
  const std::vector<std::string> areas = {"KG-O-ARAVAN", "KG-N", "KG-C", "KG-GO"};
  for (int i = 0; i < 300; ++i) {
    json::object r{{"text", i % 3 ? "Говорят, начались беспорядки, передайте всем, выходите!"
                                  : "Обычные новости района"},
                   {"area", areas[static_cast<std::size_t>(i) % areas.size()]},
                   {"source_ref", "b-" + std::to_string(i)},
                   {"observed_at", FormatRfc3339(t0 + i * 9 * 60'000LL)}};
    ndjson += json::serialize(r) + "\n";
  }
  auto posted = h.Call("POST", "/v1/reports:batch", kMonitorToken, ndjson,
                       {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(posted.status, 200) << posted.body;
  const std::string event_id(json::parse(posted.body).at("results").at(7).at("id").as_string());
  // Everything scored and every alert delivered: nothing changes any more.
  ASSERT_TRUE(WaitFor([&] {
    auto t = h.GetJson("/v1/trends?area=KG&bucket=day&from=2026-03-01T00:00:00%2B06:00&to=2026-03-04T00:00:00%2B06:00");
    return t.is_object() && t.at("series").at(0).at("total").to_number<int>() == 300;
  }, std::chrono::seconds(30)));
  // Routing is asynchronous (tickets become notifications on the alerts thread): wait until no
  // notification is queued and the list has not changed for a second.
  std::string last_alerts;
  int stable = 0;
  ASSERT_TRUE(WaitFor([&] {
    auto pending = h.GetJson("/v1/alerts?state=pending");
    auto all = h.Call("GET", "/v1/alerts?limit=1000", kAnalystToken);
    const bool quiet = pending.is_object() && pending.at("alerts").as_array().empty() &&
                       all.status == 200 && all.body == last_alerts;
    stable = quiet ? stable + 1 : 0;
    last_alerts = all.body;
    if (stable < 5) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return stable >= 5;
  }, std::chrono::seconds(60)));
  std::vector<std::string> before;
  for (const auto& q : Queries(event_id)) {
    auto r = h.Call("GET", q, kAnalystToken);
    ASSERT_EQ(r.status, 200) << q << " " << r.body;
    before.push_back(r.body);
  }

  TempDir work;
  const std::string backup_dir = work.str() + "/backups";
  const std::string url = "http://127.0.0.1:" + std::to_string(h.port());
  auto [code, out] = RunSakchy({"backup", backup_dir, "--url", url}, work.str(),
                               {{"SAKCHY_ADMIN_TOKEN", kAdminToken}});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("backup: 100%"), std::string::npos) << out;
  EXPECT_NE(out.find("\"status\":\"done\""), std::string::npos) << out;
  // Wrong token, relative path, a running service's locked data directory.
  auto [bad_code, bad_out] = RunSakchy({"backup", backup_dir, "--url", url}, work.str(),
                                       {{"SAKCHY_ADMIN_TOKEN", kAnalystToken}});
  EXPECT_EQ(bad_code, 1);
  EXPECT_NE(bad_out.find("403"), std::string::npos) << bad_out;
  auto relative = h.Call("POST", "/v1/admin/backup", kAdminToken, R"({"dir":"backups"})");
  EXPECT_EQ(relative.status, 400);
  EXPECT_EQ(json::parse(relative.body).at("field"), "dir");
  auto [locked_code, locked_out] =
      RunSakchy({"backup", work.str() + "/other", "--data-dir", h.data_dir()}, work.str());
  EXPECT_EQ(locked_code, 1);
  EXPECT_NE(locked_out.find("--url"), std::string::npos) << locked_out;

  // Written after the backup: must not come back.
  auto late = h.PostReport({{"text", "после резервной копии"}, {"source_ref", "late"}});
  ASSERT_EQ(late.status, 202);
  const std::string late_id(json::parse(late.body).at("id").as_string());
  ASSERT_TRUE(h.WaitScored(late_id).is_object());
  EXPECT_EQ(h.Stop(SIGTERM), 0);

  Harness restored(Quiet());
  auto [rcode, rout] = RunSakchy({"restore", backup_dir, "--data-dir", restored.data_dir()},
                                 work.str());
  ASSERT_EQ(rcode, 0) << rout;
  EXPECT_NE(rout.find("restore: 100%"), std::string::npos) << rout;
  auto [again_code, again_out] =
      RunSakchy({"restore", backup_dir, "--data-dir", restored.data_dir()}, work.str());
  EXPECT_EQ(again_code, 1) << "an existing database is not replaced without --force";
  EXPECT_NE(again_out.find("--force"), std::string::npos) << again_out;

  ASSERT_TRUE(restored.Start());
  const auto queries = Queries(event_id);
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto r = restored.Call("GET", queries[i], kAnalystToken);
    ASSERT_EQ(r.status, 200) << queries[i];
    EXPECT_EQ(r.body, before[i]) << queries[i];
  }
  EXPECT_EQ(restored.Call("GET", "/v1/events/" + late_id, kAnalystToken).status, 404);
  EXPECT_EQ(restored.Stop(SIGTERM), 0);

  // A stopped service is backed up by opening its data directory.
  auto [offline_code, offline_out] = RunSakchy(
      {"backup", work.str() + "/offline", "--data-dir", restored.data_dir()}, work.str());
  EXPECT_EQ(offline_code, 0) << offline_out;
  EXPECT_TRUE(std::filesystem::exists(work.str() + "/offline/meta"));
}

}  // namespace
}  // namespace sakchy::testing::backup_test
