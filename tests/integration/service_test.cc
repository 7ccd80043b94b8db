// End-to-end tests of the real `sakchy` binary over HTTP on loopback.

#include <signal.h>

#include <boost/json.hpp>

#include "core/crypto.h"
#include "core/time.h"

#include <sstream>
#include "integration/harness.h"

namespace sakchy::testing::service_test {
namespace {

namespace json = boost::json;

constexpr const char* kRumour =
    "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!";
constexpr const char* kNews = "В Бишкеке прошло заседание городского кенеша по бюджету.";

std::string Id(const HttpResult& r) {
  return std::string(json::parse(r.body).at("id").as_string());
}

TEST(ServiceTest, ReportIsScoredStoredAlertedAndCounted) {
  Harness h;
  ASSERT_TRUE(h.Start());

  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "monitor-42/1"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  auto body = json::parse(posted.body);
  EXPECT_EQ(body.at("status"), "accepted");
  const std::string id = Id(posted);
  EXPECT_EQ(posted.Header("location"), "/v1/events/" + id);

  // Idempotent: the same source_ref returns the same id and stores nothing new.
  auto again = h.PostReport({{"text", kRumour}, {"source_ref", "monitor-42/1"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Id(again), id);
  EXPECT_EQ(json::parse(again.body).at("status"), "duplicate");

  auto event = h.WaitScored(id);
  ASSERT_TRUE(event.is_object()) << "event never scored";
  EXPECT_EQ(event.at("text"), kRumour);
  EXPECT_EQ(event.at("area_source"), "text");
  std::string area(event.at("area").as_string());
  EXPECT_TRUE(area == "KG-GO" || area == "KG-O") << area;
  std::string severity(event.at("severity").as_string());
  EXPECT_TRUE(severity == "high" || severity == "critical") << severity;
  EXPECT_GT(event.at("score").to_number<double>(), 0);
  ASSERT_FALSE(event.at("matches").as_array().empty());
  for (const auto& m : event.at("matches").as_array()) {
    auto begin = m.at("begin").to_number<std::size_t>();
    auto end = m.at("end").to_number<std::size_t>();
    EXPECT_EQ(std::string(kRumour).substr(begin, end - begin), m.at("excerpt").as_string());
  }

  // The Osh contact gets one signed webhook; the Naryn contact gets nothing.
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() >= 1; })) << "no webhook arrived";
  auto req = h.sink().requests().front();
  EXPECT_EQ(req.target, "/osh");
  const std::string ts = req.headers["x-sakchy-timestamp"];
  EXPECT_EQ(req.headers["x-sakchy-signature"], "v1=" + HmacSha256Hex(kWebhookSecret, ts + "." + req.body));
  EXPECT_FALSE(req.headers["idempotency-key"].empty());
  auto alert_body = json::parse(req.body);
  EXPECT_EQ(alert_body.at("event_id"), id.c_str());

  ASSERT_TRUE(WaitFor([&] {
    auto alerts = h.GetJson("/v1/alerts?event_id=" + id);
    return alerts.is_object() && alerts.at("alerts").as_array().size() == 1 &&
           alerts.at("alerts").as_array()[0].at("state") == "delivered";
  }));

  // Trends come from counters: the event counts for its area and every ancestor.
  auto trends = h.GetJson("/v1/trends?area=KG&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&bucket=day");
  ASSERT_FALSE(trends.is_object()) << "a 100-year range at day buckets is over the bucket limit";
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  const TimeMs hour_start = now_ms / 3600000 * 3600000;
  std::string from = FormatRfc3339(hour_start - 86400000LL);
  std::string to = FormatRfc3339(hour_start + 86400000LL);
  trends = h.GetJson("/v1/trends?area=KG&from=" + from + "&to=" + to + "&bucket=hour");
  ASSERT_TRUE(trends.is_object());
  EXPECT_EQ(trends.at("series").at(0).at("total").to_number<int>(), 1);
  EXPECT_EQ(trends.at("series").at(0).at("buckets").as_array().size(), 48u);
  std::int64_t high = 0;
  double tension = 0;
  for (const auto& b : trends.at("series").at(0).at("buckets").as_array()) {
    high += b.at("severity").at(severity).to_number<std::int64_t>();
    tension += b.at("tension").to_number<double>();
  }
  EXPECT_EQ(high, 1);
  EXPECT_GT(tension, 0);
  auto naryn = h.GetJson("/v1/trends?area=KG-N&from=" + from + "&to=" + to + "&bucket=day");
  ASSERT_TRUE(naryn.is_object());
  EXPECT_EQ(naryn.at("series").at(0).at("total").to_number<int>(), 0);
}

TEST(ServiceTest, OrdinaryNewsRaisesNoAlert) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto posted = h.PostReport({{"text", kNews}, {"area", "KG-O"}});
  ASSERT_EQ(posted.status, 202);
  auto event = h.WaitScored(Id(posted));
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event.at("area"), "KG-O");
  EXPECT_EQ(event.at("area_source"), "request");
  std::string severity(event.at("severity").as_string());
  EXPECT_TRUE(severity == "info" || severity == "low") << severity;
  auto alerts = h.GetJson("/v1/alerts");
  EXPECT_TRUE(alerts.at("alerts").as_array().empty());
}

TEST(ServiceTest, BadInputGetsProblemJsonAndStoresNothing) {
  Harness h;
  ASSERT_TRUE(h.Start());
  struct Case {
    std::string name, body, content_type;
    int status;
    std::string field;
  };
  std::string big_text(16 * 1024 + 1, 'a');
  std::string huge_body = "{\"text\":\"" + std::string(1024 * 1024 + 10, 'a') + "\"}";
  std::vector<Case> cases = {
      {"malformed json", "{\"text\": \"abc\"", "application/json", 400, "body"},
      {"not an object", "[1,2]", "application/json", 400, "body"},
      {"invalid utf-8", std::string("{\"text\":\"\xff\xfe bad\"}"), "application/json", 400, "body"},
      {"empty text", "{\"text\":\"   \"}", "application/json", 400, "text"},
      {"missing text", "{\"area\":\"KG-O\"}", "application/json", 400, "text"},
      {"text too long", "{\"text\":\"" + big_text + "\"}", "application/json", 400, "text"},
      {"unknown area", "{\"text\":\"hello\",\"area\":\"KG-XX\"}", "application/json", 400, "area"},
      {"unknown field", "{\"text\":\"hello\",\"colour\":\"red\"}", "application/json", 400, "colour"},
      {"wrong type", "{\"text\":42}", "application/json", 400, "text"},
      {"bad observed_at", "{\"text\":\"hi\",\"observed_at\":\"yesterday\"}", "application/json", 400,
       "observed_at"},
      {"wrong content type", "{\"text\":\"hello\"}", "text/plain", 415, ""},
      {"body too large", huge_body, "application/json", 413, ""},
  };
  for (const auto& c : cases) {
    auto r = h.Call("POST", "/v1/reports", kMonitorToken, c.body, {{"Content-Type", c.content_type}});
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json") << c.name;
    auto p = json::parse(r.body);
    EXPECT_EQ(p.at("status").to_number<int>(), c.status) << c.name;
    EXPECT_FALSE(p.at("detail").as_string().empty()) << c.name;
    if (!c.field.empty()) {
      EXPECT_EQ(p.at("field"), c.field.c_str()) << c.name << ": " << r.body;
    }
  }
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 0);
  EXPECT_GE(h.Metric("sakchy_reports_rejected_total{reason=\"invalid\"}"), 9);
  EXPECT_GE(h.Metric("sakchy_reports_rejected_total{reason=\"media_type\"}"), 1);
  EXPECT_GE(h.Metric("sakchy_reports_rejected_total{reason=\"too_large\"}"), 2);
  auto trends = h.GetJson("/v1/trends?from=2020-01-01T00:00:00Z&to=2040-01-01T00:00:00Z&bucket=day");
  ASSERT_TRUE(trends.is_object());
  EXPECT_EQ(trends.at("series").at(0).at("total").to_number<int>(), 0);
}

// observed_at is bounded (default 30 days back, 5 minutes ahead): a report cannot be planted in
// any trend bucket, one by one or in a batch.
TEST(ServiceTest, ObservedAtOutsideTheWindowIsRefused) {
  HarnessOptions opts;
  opts.observed_at_max_past_ms = 30LL * 24 * 3600 * 1000;
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  const TimeMs now = SystemClock::Instance().NowMs();
  for (const std::string& t : {std::string("0000-01-01T00:00:00Z"), std::string("9999-12-31T23:59:59Z"),
                               FormatRfc3339(now - 31LL * 24 * 3600 * 1000),
                               FormatRfc3339(now + 3600 * 1000)}) {
    auto r = h.PostReport({{"text", "Говорят, в Оше беспорядки"}, {"observed_at", t}});
    EXPECT_EQ(r.status, 400) << t << ": " << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json");
    auto p = json::parse(r.body);
    EXPECT_EQ(p.at("field"), "observed_at") << r.body;
  }
  auto ok = h.PostReport({{"text", "Говорят, в Оше беспорядки"},
                          {"observed_at", FormatRfc3339(now - 2LL * 24 * 3600 * 1000)}});
  EXPECT_EQ(ok.status, 202) << ok.body;
  const std::string batch =
      "{\"text\":\"раз\",\"observed_at\":\"9999-01-01T00:00:00Z\"}\n{\"text\":\"два\"}\n";
  auto b = h.Call("POST", "/v1/reports:batch", kMonitorToken, batch,
                  {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_NE(b.body.find("observed_at"), std::string::npos) << b.body;
  EXPECT_NE(b.body.find("accepted"), std::string::npos) << b.body;
}

TEST(ServiceTest, TokensAndRoles) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto none = h.Call("GET", "/v1/alerts", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("content-type"), "application/problem+json");
  EXPECT_EQ(h.Call("GET", "/v1/alerts", "wrong-token-wrong-token").status, 401);
  EXPECT_EQ(h.Call("GET", "/v1/alerts", kMonitorToken).status, 403);
  EXPECT_EQ(h.Call("GET", "/v1/trends?from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z", kMonitorToken).status, 403);
  EXPECT_EQ(h.Call("POST", "/v1/reports", kAnalystToken, "{\"text\":\"x\"}").status, 403);
  EXPECT_EQ(h.Call("GET", "/v1/alerts", kAnalystToken).status, 200);
  EXPECT_EQ(h.Call("GET", "/v1/alerts", kAdminToken).status, 200);
  EXPECT_EQ(h.Call("POST", "/v1/reports", kAdminToken, "{\"text\":\"admin report\"}").status, 202);
  EXPECT_EQ(h.Call("GET", "/metrics", "").status, 401);
  EXPECT_EQ(h.Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(h.Call("GET", "/readyz", "").status, 200);
  EXPECT_EQ(h.Call("GET", "/v1/nothing", kAdminToken).status, 404);
  EXPECT_EQ(h.Call("DELETE", "/v1/reports", kAdminToken).status, 405);
  EXPECT_EQ(h.Call("GET", "/v1/events/not-an-id", kAnalystToken).status, 400);
  EXPECT_EQ(h.Call("GET", "/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV", kAnalystToken).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/trends?area=KG&from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", kAnalystToken).status, 400);
  EXPECT_EQ(h.Call("GET", "/v1/trends?area=KG&from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&bucket=week", kAnalystToken).status, 400);
  EXPECT_EQ(h.Call("GET", "/v1/trends?area=KG&from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&colour=red", kAnalystToken).status, 400);
  auto metrics = h.Call("GET", "/metrics", kAnalystToken);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("sakchy_http_requests_total{route=\"/v1/alerts\",code=\"403\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("sakchy_queue_depth"), std::string::npos);
  EXPECT_NE(metrics.body.find("sakchy_http_request_seconds_bucket"), std::string::npos);
  EXPECT_GT(h.Metric("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(h.Metric("sakchy_storage_memory_bytes{kind=\"memtables\"}"), 0);
  // Counters are counters: every TYPE counter ends in _total, nothing else does; the standard
  // process metrics and the build info are there.
  for (std::size_t at = metrics.body.find("# TYPE "); at != std::string::npos;
       at = metrics.body.find("# TYPE ", at + 1)) {
    const std::string line = metrics.body.substr(at + 7, metrics.body.find('\n', at) - at - 7);
    const std::string name = line.substr(0, line.find(' '));
    const std::string type = line.substr(line.find(' ') + 1);
    EXPECT_EQ(name.ends_with("_total"), type == "counter") << line;
  }
  EXPECT_GT(h.Metric("process_open_fds"), 3);
  EXPECT_GT(h.Metric("process_start_time_seconds"), 1.7e9);
  EXPECT_GE(h.Metric("process_cpu_seconds_total"), 0);
  EXPECT_GT(h.Metric("process_max_fds"), 0);
  EXPECT_NE(metrics.body.find("sakchy_build_info{version=\"0.1.0\""), std::string::npos);
#if SAKCHY_WITH_JEMALLOC  // the binary links jemalloc (CMake SAKCHY_JEMALLOC): its figures too
  EXPECT_GT(h.Metric("sakchy_allocator_bytes{kind=\"allocated\"}"), 1 << 20);
  EXPECT_GT(h.Metric("sakchy_allocator_bytes{kind=\"resident\"}"), 1 << 20);
#else
  EXPECT_EQ(metrics.body.find("sakchy_allocator_bytes"), std::string::npos);
#endif
}

TEST(ServiceTest, WebhookReceiverDownNeverBlocksIntake) {
  Harness h(WithoutClusters());
  h.sink().SetStatus(503);
  ASSERT_TRUE(h.Start());
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = h.PostReport({{"text", kRumour}, {"source_ref", "down-" + std::to_string(i)}});
    ASSERT_EQ(r.status, 202) << r.body;
    ids.push_back(Id(r));
  }
  for (const auto& id : ids) ASSERT_TRUE(h.WaitScored(id).is_object());
  // Deliveries are retried while the receiver fails (after the first round, the oldest alone: an
  // outage drains in order)...
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() >= 10; }));
  auto pending = h.GetJson("/v1/alerts?state=pending&limit=1000");
  EXPECT_EQ(pending.at("alerts").as_array().size(), 20u);
  // ...and all arrive once it recovers.
  h.sink().SetStatus(200);
  ASSERT_TRUE(WaitFor([&] {
    auto delivered = h.GetJson("/v1/alerts?kind=event&state=delivered&limit=1000");
    return delivered.is_object() && delivered.at("alerts").as_array().size() == 20;
  }, std::chrono::seconds(20)));
}

TEST(ServiceTest, EverythingSurvivesACleanRestart) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "restart-1"}});
  ASSERT_EQ(posted.status, 202);
  std::string id = Id(posted);
  ASSERT_TRUE(h.WaitScored(id).is_object());
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() >= 1; }));
  ASSERT_TRUE(WaitFor([&] {
    auto a = h.GetJson("/v1/alerts?state=delivered");
    return a.is_object() && a.at("alerts").as_array().size() == 1;
  }));
  EXPECT_EQ(h.Stop(SIGTERM), 0) << h.process().Stderr();

  ASSERT_TRUE(h.Start());
  auto event = h.GetJson("/v1/events/" + id);
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event.at("status"), "scored");
  auto dup = h.PostReport({{"text", kRumour}, {"source_ref", "restart-1"}});
  EXPECT_EQ(dup.status, 200);
  EXPECT_EQ(Id(dup), id);
  auto alerts = h.GetJson("/v1/alerts?state=delivered");
  EXPECT_EQ(alerts.at("alerts").as_array().size(), 1u);
  auto trends = h.GetJson("/v1/trends?area=KG&from=2020-01-01T00:00:00Z&to=2040-01-01T00:00:00Z&bucket=day");
  EXPECT_EQ(trends.at("series").at(0).at("total").to_number<int>(), 1);
  EXPECT_EQ(h.sink().count(), 1u) << "a delivered alert must not be sent again after restart";
}

TEST(ServiceTest, KillNineRightAfterAcceptLosesNothing) {
  Harness h(WithoutClusters());
  ASSERT_TRUE(h.Start());
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto r = h.PostReport({{"text", kRumour}, {"source_ref", "k9-" + std::to_string(i)}});
    ASSERT_EQ(r.status, 202);
    ids.push_back(Id(r));
  }
  EXPECT_EQ(h.Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(h.Start());
  for (const auto& id : ids) {
    auto e = h.WaitScored(id);
    ASSERT_TRUE(e.is_object()) << "lost report " << id;
  }
  // Each report counted exactly once, each alert exists once.
  auto trends = h.GetJson("/v1/trends?area=KG&from=2020-01-01T00:00:00Z&to=2040-01-01T00:00:00Z&bucket=day");
  EXPECT_EQ(trends.at("series").at(0).at("total").to_number<int>(), 50);
  ASSERT_TRUE(WaitFor([&] {
    auto a = h.GetJson("/v1/alerts?kind=event&state=delivered&limit=1000");
    return a.is_object() && a.at("alerts").as_array().size() == 50;
  }, std::chrono::seconds(20))) << json::serialize(h.GetJson("/v1/alerts?limit=1000"));
}

TEST(ServiceTest, GracefulShutdownExitsZero) {
  Harness h;
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.Stop(SIGINT), 0);
  EXPECT_NE(h.process().Stderr().find("stopped cleanly"), std::string::npos);
}

TEST(ServiceTest, JsonLogFormat) {
  Harness h;
  ASSERT_TRUE(h.Start({"--log-format", "json"}));
  // Every answer names its request; a client's own id is kept.
  auto r = h.Call("GET", "/v1/alerts", kAnalystToken, "", {{"X-Request-Id", "req-42.a"}});
  EXPECT_EQ(r.Header("x-request-id"), "req-42.a");
  r = h.Call("GET", "/v1/alerts", kAnalystToken, "", {{"X-Request-Id", "bad id\"{}"}});
  EXPECT_EQ(r.Header("x-request-id").size(), 16u);
  // An alert is delivered: its records carry the alert and contact as fields.
  ASSERT_EQ(h.PostReport({{"text", kRumour}, {"source_ref", "json-log"}}).status, 202);
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() >= 1; }));
  const std::string alert_id(
      json::parse(h.sink().requests().front().body).at("alert_id").as_string());
  ASSERT_TRUE(WaitFor([&] {
    return h.GetJson("/v1/alerts/" + alert_id).at("alert").at("state") == "delivered";
  }));
  EXPECT_EQ(h.Stop(SIGTERM), 0);
  auto err = h.process().Stderr();
  std::istringstream lines(err);
  std::string line;
  int n = 0;
  bool alert_record = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto v = json::parse(line);
    const auto& o = v.as_object();
    EXPECT_TRUE(o.contains("msg")) << line;
    if (o.contains("alert_id") && o.at("alert_id") == alert_id.c_str() &&
        o.contains("component") && o.at("component") == "alerts" && o.contains("contact_id")) {
      alert_record = true;
    }
    ++n;
  }
  EXPECT_GT(n, 0);
  EXPECT_TRUE(alert_record) << err;
}

TEST(BatchTest, AFullQueueRefusesTheRestOfTheBatchWithRetryAfter) {
  HarnessOptions opts;
  opts.queue_capacity = 2500;  // room for two chunks of 1,000 lines
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  std::string body;
  for (int i = 0; i < 6000; ++i) {
    body += "{\"text\":\"report number " + std::to_string(i) + "\",\"source_ref\":\"full-" +
            std::to_string(i) + "\"}\n";
  }
  auto r = h.Call("POST", "/v1/reports:batch", kMonitorToken, body,
                  {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  EXPECT_EQ(r.Header("retry-after"), "1");
  auto v = boost::json::parse(r.body);
  const int accepted = v.at("accepted").to_number<int>();
  EXPECT_GE(accepted, 2000);
  EXPECT_LT(accepted, 6000);
  EXPECT_EQ(accepted + v.at("rejected").to_number<int>(), 6000);
  const auto& results = v.at("results").as_array();
  ASSERT_EQ(results.size(), 6000u);
  EXPECT_EQ(results[0].at("status"), "accepted");
  const auto& last = results[5999];
  EXPECT_EQ(last.at("status"), "rejected");
  EXPECT_EQ(last.at("detail"), "not stored: the scoring queue is full; retry this line later");
  // The refused lines were not stored: sent again, they are accepted, not duplicates.
  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_queue_depth") == 0; }));
  std::string rest;
  for (int i = accepted; i < accepted + 1000; ++i) {
    rest += "{\"text\":\"report number " + std::to_string(i) + "\",\"source_ref\":\"full-" +
            std::to_string(i) + "\"}\n";
  }
  auto again = h.Call("POST", "/v1/reports:batch", kMonitorToken, rest,
                      {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(boost::json::parse(again.body).at("accepted").to_number<int>(), 1000);
}

}  // namespace
}  // namespace sakchy::testing::service_test

namespace sakchy::testing::service_test {
namespace {

TEST(BatchTest, NdjsonLinesAreAcceptedDuplicateOrRejectedEach) {
  Harness h;
  ASSERT_TRUE(h.Start());
  std::string body =
      "{\"text\":\"Говорят, в Оше беспорядки\",\"source_ref\":\"b-1\"}\n"
      "{\"text\":\"second\",\"source_ref\":\"b-2\"}\r\n"
      "\n"
      "{\"text\": broken json\n"
      "{\"text\":\"\",\"source_ref\":\"b-4\"}\n"
      "{\"text\":\"dup of first\",\"source_ref\":\"b-1\"}\n"
      "{\"text\":\"unknown area\",\"area\":\"KG-XX\"}";
  auto r = h.Call("POST", "/v1/reports:batch", kMonitorToken, body,
                  {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("accepted").to_number<int>(), 2);
  EXPECT_EQ(v.at("duplicate").to_number<int>(), 1);
  EXPECT_EQ(v.at("rejected").to_number<int>(), 3);
  const auto& results = v.at("results").as_array();
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results[0].at("status"), "accepted");
  EXPECT_EQ(results[2].at("line").to_number<int>(), 4);  // line numbers count blank lines
  EXPECT_EQ(results[2].at("status"), "rejected");
  EXPECT_EQ(results[2].at("field"), "body");
  EXPECT_EQ(results[3].at("field"), "text");
  EXPECT_EQ(results[4].at("status"), "duplicate");
  EXPECT_EQ(results[4].at("id"), results[0].at("id"));
  EXPECT_EQ(results[5].at("field"), "area");
  std::string id(results[1].at("id").as_string());
  EXPECT_TRUE(h.WaitScored(id).is_object());

  EXPECT_EQ(h.Call("POST", "/v1/reports:batch", kMonitorToken, body).status, 415);
  EXPECT_EQ(h.Call("POST", "/v1/reports:batch", kAnalystToken, body,
                   {{"Content-Type", "application/x-ndjson"}}).status, 403);
}

TEST(BatchTest, TenThousandLinesInOneRequest) {
  Harness h;
  ASSERT_TRUE(h.Start());
  std::string body;
  for (int i = 0; i < 10000; ++i) {
    body += "{\"text\":\"report number " + std::to_string(i) + "\",\"source_ref\":\"bulk-" +
            std::to_string(i) + "\"}\n";
  }
  auto r = h.Call("POST", "/v1/reports:batch", kMonitorToken, body,
                  {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("accepted").to_number<int>(), 10000);
  body += "{\"text\":\"one too many\"}\n";
  auto over = h.Call("POST", "/v1/reports:batch", kMonitorToken, body,
                     {{"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(over.status, 413);
  auto sources = h.GetJson("/v1/sources");
  ASSERT_TRUE(sources.is_object());
  EXPECT_TRUE(sources.at("sources").as_array().empty());
}

}  // namespace
}  // namespace sakchy::testing::service_test
