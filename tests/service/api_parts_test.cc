// Service building blocks: report body parsing, tokens, URL decoding, problem documents.

#include <boost/json.hpp>

#include "core/crypto.h"
#include "core/json_text.h"
#include "service/api.h"
#include "service/auth.h"
#include "service/http.h"
#include "service/report_json.h"
#include "testutil/testutil.h"

namespace sakchy::service::api_parts_test {
namespace {

TEST(ParseReportJsonTest, AcceptsAllFields) {
  auto r = ParseReportJson(
      R"({"text":"Говорят","area":"KG-O","source_ref":"m-1","observed_at":"2024-06-01T18:00:00+06:00"})");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->text, "Говорят");
  EXPECT_EQ(r->area, "KG-O");
  EXPECT_EQ(r->source_ref, "m-1");
  EXPECT_EQ(r->observed_at, 1717243200000);
}

TEST(ParseReportJsonTest, NullsAndEscapes) {
  auto r = ParseReportJson(R"({"text":"a\u0431\n","area":null,"source_ref":null})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, "a\xD0\xB1\n");
  EXPECT_FALSE(r->area.has_value());
}

TEST(ParseReportJsonTest, ErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* field;
  };
  for (auto c : {Case{"", "body"}, Case{"{", "body"}, Case{"null", "body"}, Case{"\"text\"", "body"},
                 Case{R"({"area":"KG"})", "text"}, Case{R"({"text":1})", "text"},
                 Case{R"({"text":"a","text":"b"})", "text"}, Case{R"({"text":"a","area":5})", "area"},
                 Case{R"({"text":"a","observed_at":"2024-13-01T00:00:00Z"})", "observed_at"},
                 Case{R"({"text":"a","extra":true})", "extra"},
                 Case{"{\"text\":\"\xED\xA0\x80\"}", "body"}}) {
    auto r = ParseReportJson(c.body);
    ASSERT_FALSE(r.has_value()) << c.body;
    EXPECT_EQ(r.error().field, c.field) << c.body << " -> " << r.error().detail;
  }
}

TEST(AuthenticatorTest, RolesAndTokens) {
  std::vector<config::TokenConfig> tokens = {
      {"mon", config::Role::kMonitor, Sha256Hex("monitor-secret-token")},
      {"adm", config::Role::kAdmin, Sha256Hex("admin-secret-token-x")}};
  Authenticator auth(tokens);
  auto p = auth.Authenticate("Bearer monitor-secret-token");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "mon");
  EXPECT_TRUE(auth.Authenticate("bearer  admin-secret-token-x ").has_value());
  EXPECT_FALSE(auth.Authenticate("").has_value());
  EXPECT_FALSE(auth.Authenticate("Bearer ").has_value());
  EXPECT_FALSE(auth.Authenticate("Basic bW9uOng=").has_value());
  EXPECT_FALSE(auth.Authenticate("Bearer monitor-secret-tokeN").has_value());
  EXPECT_TRUE(RoleAllows(config::Role::kAdmin, config::Role::kMonitor));
  EXPECT_TRUE(RoleAllows(config::Role::kAnalyst, config::Role::kAnalyst));
  EXPECT_FALSE(RoleAllows(config::Role::kMonitor, config::Role::kAnalyst));
  EXPECT_FALSE(RoleAllows(config::Role::kAnalyst, config::Role::kAdmin));
}

TEST(PercentDecodeTest, DecodesAndRejectsMalformed) {
  EXPECT_EQ(PercentDecode("2024-01-01T00%3A00%3A00%2B06%3A00", true), "2024-01-01T00:00:00+06:00");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_FALSE(PercentDecode("%4", true).has_value());
  EXPECT_FALSE(PercentDecode("%zz", true).has_value());
}

TEST(ProblemTest, IsRfc7807) {
  auto r = Problem(400, "Invalid report", "text must not be empty", "text");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto v = boost::json::parse(r.body).as_object();
  EXPECT_EQ(v.at("status").as_int64(), 400);
  EXPECT_EQ(v.at("title"), "Invalid report");
  EXPECT_EQ(v.at("detail"), "text must not be empty");
  EXPECT_EQ(v.at("field"), "text");
  EXPECT_EQ(v.at("type"), "/problems/invalid-request");
}

TEST(EventToJsonTest, ScoredEventHasMatchesWithExcerpts) {
  Event e;
  e.report.id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  e.report.text = "Говорят, беспорядки";
  e.report.observed_at = 0;
  e.scored = true;
  e.severity = Severity::kHigh;
  e.matches.push_back({"r1", "rumour_marker", "говорят", 0, 14});
  auto v = EventToJson(e).as_object();
  EXPECT_EQ(v.at("severity"), "high");
  EXPECT_EQ(v.at("status"), "scored");
  EXPECT_EQ(v.at("matches").as_array()[0].at("excerpt"), "Говорят");
  EXPECT_TRUE(v.at("area").is_null());
}

}  // namespace
}  // namespace sakchy::service::api_parts_test

namespace sakchy::service::api_parts_test {
namespace {

TEST(JsonTextTest, ShortestNumbersAndEscapes) {
  boost::json::object o{{"score", 4.5}, {"whole", 7.0}, {"n", -3}, {"s", "a\"b\\c\n\x01 Ош"},
                        {"list", boost::json::array{true, nullptr, 0.1}}};
  std::string text = ToJsonText(boost::json::value(o));
  EXPECT_EQ(text,
            "{\"score\":4.5,\"whole\":7,\"n\":-3,\"s\":\"a\\\"b\\\\c\\n\\u0001 Ош\","
            "\"list\":[true,null,0.1]}");
  EXPECT_EQ(boost::json::parse(text).at("s"), o.at("s"));
}

}  // namespace
}  // namespace sakchy::service::api_parts_test
