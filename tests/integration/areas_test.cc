// GET /v1/areas (hierarchy with current tension) and GET /v1/areas/{code}/tension against the
// real binary; a spike of reports raises an area spike (log line and metric).

#include <boost/json.hpp>

#include "integration/harness.h"

namespace sakchy::testing::areas_test {
namespace {

namespace json = boost::json;

constexpr const char* kRumour =
    "Говорят, начались беспорядки, передайте всем, выходите на улицу!";

HarnessOptions FastSpikes() {
  HarnessOptions o;
  o.extra_yaml =
      "analytics:\n"
      "  tension:\n"
      "    category_weights: {violence: 1}\n"
      "  spikes: {z_threshold: 4, min_tension: 20, check_interval_ms: 100}\n";
  return o;
}

TEST(AreasTest, AreasCarryCurrentTensionAndSpikesAreRaised) {
  Harness h(FastSpikes());
  ASSERT_TRUE(h.Start());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = h.PostReport({{"text", kRumour}, {"area", "KG-O-ARAVAN"},
                           {"source_ref", "spike-" + std::to_string(i)}});
    ASSERT_EQ(r.status, 202) << r.body;
    ids.push_back(std::string(json::parse(r.body).at("id").as_string()));
  }
  for (const auto& id : ids) ASSERT_TRUE(h.WaitScored(id).is_object());

  auto areas = h.GetJson("/v1/areas");
  ASSERT_TRUE(areas.is_object());
  EXPECT_EQ(areas.at("timezone"), "Asia/Bishkek");
  const json::object* aravan = nullptr;
  const json::object* naryn = nullptr;
  for (const auto& a : areas.at("areas").as_array()) {
    if (a.at("code") == "KG-O-ARAVAN") aravan = &a.as_object();
    if (a.at("code") == "KG-N") naryn = &a.as_object();
  }
  ASSERT_TRUE(aravan && naryn);
  EXPECT_EQ(aravan->at("parent"), "KG-O");
  const auto& t = aravan->at("tension").as_object();
  EXPECT_GT(t.at("value").to_number<double>(), 20.0);
  EXPECT_EQ(t.at("baseline").to_number<double>(), 0.0);
  EXPECT_TRUE(t.at("spike").as_bool());
  EXPECT_NE(std::string(t.at("bucket").as_string()).find("+06:00"), std::string::npos);
  EXPECT_EQ(naryn->at("tension").at("value").to_number<double>(), 0.0);

  // The checker raises the spike for the raion and every area above it.
  // (Each spike is raised as a durable alert before the next area is checked: wait for each.)
  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_area_spikes_total{level=\"raion\"}") >= 1; }));
  EXPECT_TRUE(WaitFor([&] { return h.Metric("sakchy_area_spikes_total{level=\"oblast\"}") >= 1; }));
  EXPECT_TRUE(WaitFor([&] { return h.Metric("sakchy_area_spikes_total{level=\"country\"}") >= 1; }));

  auto series = h.GetJson("/v1/areas/KG-O-ARAVAN/tension");
  ASSERT_TRUE(series.is_object());
  EXPECT_EQ(series.at("bucket"), "hour");
  const auto& points = series.at("series").as_array();
  ASSERT_EQ(points.size(), 7u * 24u + 1u);  // the last 7 days and the current hour
  EXPECT_GT(points.back().at("tension").to_number<double>(), 20.0);
  EXPECT_TRUE(points.back().at("spike").as_bool());
  ASSERT_TRUE(WaitFor([&] {
    auto s = h.GetJson("/v1/areas/KG-O-ARAVAN/tension");
    return s.is_object() && s.at("spikes").as_array().size() == 1;
  }));
  auto day = h.GetJson("/v1/areas/KG-O/tension?bucket=day&from=2020-01-01T00:00:00%2B06:00&to=2020-01-03T00:00:00%2B06:00");
  ASSERT_TRUE(day.is_object());
  ASSERT_EQ(day.at("series").as_array().size(), 2u);
  EXPECT_EQ(day.at("series").as_array()[0].at("start"), "2020-01-01T00:00:00+06:00");
  EXPECT_TRUE(h.process().Stderr().find("area spike: KG-O-ARAVAN") != std::string::npos);
  // The spike is an area-level alert: routed through the alerts module to the Osh duty contact.
  ASSERT_TRUE(WaitFor([&] {
    auto a = h.GetJson("/v1/alerts?kind=signal");
    if (!a.is_object()) return false;
    for (const auto& x : a.at("alerts").as_array()) {
      if (x.as_object().contains("subject_id") && x.at("subject_id") == "KG-O-ARAVAN" &&
          x.at("contact_id") == "osh-duty") {
        return true;
      }
    }
    return false;
  })) << json::serialize(h.GetJson("/v1/alerts?limit=50"));
}

TEST(AreasTest, TensionQueryErrorsNameTheParameter) {
  Harness h;
  ASSERT_TRUE(h.Start());
  struct Case {
    std::string target;
    int status;
    std::string field;
  };
  for (const auto& c : std::vector<Case>{
           {"/v1/areas/KG-O/tension?bucket=minute", 400, "bucket"},
           {"/v1/areas/KG-O/tension?from=yesterday", 400, "from"},
           {"/v1/areas/KG-O/tension?to=2026-13-01T00:00:00Z", 400, "to"},
           {"/v1/areas/KG-O/tension?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "to"},
           {"/v1/areas/KG-O/tension?from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "from"},
           {"/v1/areas/KG-O/tension?colour=red", 400, "colour"},
           {"/v1/areas?x=1", 400, "x"},
           {"/v1/areas/KG-XX/tension", 404, ""}}) {
    auto r = h.Call("GET", c.target, kAnalystToken);
    EXPECT_EQ(r.status, c.status) << c.target << " " << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json") << c.target;
    if (!c.field.empty()) {
      EXPECT_EQ(std::string(json::parse(r.body).at("field").as_string()), c.field) << c.target;
    }
  }
  EXPECT_EQ(h.Call("GET", "/v1/areas/KG-O/tension", kMonitorToken).status, 403);
  EXPECT_EQ(h.Call("GET", "/v1/areas/KG-O/tension", "").status, 401);
  EXPECT_EQ(h.Call("POST", "/v1/areas/KG-O/tension", kAnalystToken).status, 405);
}

}  // namespace
}  // namespace sakchy::testing::areas_test

namespace sakchy::testing::areas_test {
namespace {

TEST(OpenApiServedTest, DocumentIsServedWithoutToken) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto r = h.Call("GET", "/openapi.json", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  auto doc = boost::json::parse(r.body);
  EXPECT_TRUE(doc.at("paths").as_object().contains("/v1/trends"));
  EXPECT_EQ(h.Call("POST", "/openapi.json", "").status, 405);
}

// RFC 9457: the type URI of a problem document resolves, without a token, to a page about it.
TEST(OpenApiServedTest, ProblemTypesResolveToPages) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto problem = h.Call("GET", "/v1/trends?bucket=minute", kAnalystToken);
  ASSERT_EQ(problem.status, 400);
  const std::string type(boost::json::parse(problem.body).at("type").as_string());
  EXPECT_EQ(type, "/problems/invalid-request");
  auto page = h.Call("GET", type, "");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<h1>Invalid request</h1>"), std::string::npos) << page.body;
  EXPECT_EQ(h.Call("GET", "/problems/unknown-thing", "").status, 404);
  EXPECT_EQ(h.Call("GET", "/problems/unauthenticated", "").status, 200);
}

}  // namespace
}  // namespace sakchy::testing::areas_test
