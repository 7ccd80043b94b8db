// CAP 1.2 for partner systems, end to end: GET /v1/alerts/{id}.cap and GET /v1/alerts.atom on the
// real binary conform to the CAP 1.2 structure, are area-scoped for officials, and refuse bad ids.

#include <boost/json.hpp>

#include "core/crypto.h"
#include "integration/harness.h"
#include "testutil/cap_schema.h"

namespace sakchy::testing::cap_test {
namespace {

namespace json = boost::json;

constexpr const char* kOshOfficial = "osh-official-token-0123456789";
constexpr const char* kRumour =
    "Говорят, начались беспорядки, передайте всем, выходите на улицу!";

HarnessOptions CapOptions() {
  HarnessOptions o = WithoutClusters();
  o.extra_yaml += "tokens:\n  - {name: osh-official, role: official, sha256: " +
                  Sha256Hex(kOshOfficial) + ", areas: [KG-O]}\n";
  return o;
}

class CapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Start());
    for (const auto& [area, ref] : {std::pair{"KG-O-ARAVAN", "c-osh"}, {"KG-N", "c-naryn"}}) {
      auto r = h_.PostReport({{"text", kRumour}, {"area", area}, {"source_ref", ref}});
      ASSERT_EQ(r.status, 202) << r.body;
    }
    // Both reports alert someone (Osh and Naryn duty contacts).
    ASSERT_TRUE(WaitFor([&] {
      auto all = h_.GetJson("/v1/alerts?kind=event");
      if (!all.is_object()) return false;
      for (const auto& a : all.at("alerts").as_array()) {
        (a.at("area") == "KG-N" ? naryn_ : osh_) = std::string(a.at("id").as_string());
      }
      return !naryn_.empty() && !osh_.empty();
    })) << "no alerts";
  }
  Harness h_{CapOptions()};
  std::string osh_, naryn_;
};

TEST_F(CapTest, AlertAsCap) {
  auto r = h_.Call("GET", "/v1/alerts/" + osh_ + ".cap", kAnalystToken,
                   "", {{"Host", "alerts.example.kg"}, {"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/cap+xml");
  EXPECT_TRUE(CapProblems(r.body).empty()) << ::testing::PrintToString(CapProblems(r.body))
                                           << r.body;
  EXPECT_NE(r.body.find("<identifier>" + osh_ + "</identifier>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<sender>sakchy@alerts.example.kg</sender>"), std::string::npos);
  EXPECT_NE(r.body.find("<web>https://alerts.example.kg/v1/alerts/" + osh_ + "</web>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<value>KG-O-ARAVAN</value>"), std::string::npos);
  EXPECT_NE(r.body.find("<polygon>"), std::string::npos);
  EXPECT_EQ(r.body.find("беспорядки"), std::string::npos) << "a report text leaked";
  // The plain JSON route is still there, and bad ids are refused.
  EXPECT_EQ(h_.Call("GET", "/v1/alerts/" + osh_, kAnalystToken).status, 200);
  EXPECT_EQ(h_.Call("GET", "/v1/alerts/nope.cap", kAnalystToken).status, 400);
  EXPECT_EQ(h_.Call("GET", "/v1/alerts/01JBZ8AAAAAAAAAAAAAAAAAAAB.cap", kAnalystToken).status,
            404);
  EXPECT_EQ(h_.Call("GET", "/v1/alerts/" + osh_ + ".cap", "").status, 401);
  EXPECT_EQ(h_.Call("GET", "/v1/alerts/" + osh_ + ".cap", kMonitorToken).status, 403);
}

TEST_F(CapTest, OfficialsSeeTheirAreasOnly) {
  EXPECT_EQ(h_.Call("GET", "/v1/alerts/" + osh_ + ".cap", kOshOfficial).status, 200);
  auto other = h_.Call("GET", "/v1/alerts/" + naryn_ + ".cap", kOshOfficial);
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(json::parse(other.body).at("field"), "id");
  auto feed = h_.Call("GET", "/v1/alerts.atom", kOshOfficial);
  ASSERT_EQ(feed.status, 200) << feed.body;
  std::size_t entries = 0;
  EXPECT_TRUE(AtomCapFeedProblems(feed.body, &entries).empty()) << feed.body;
  EXPECT_EQ(entries, 1u) << feed.body;
  EXPECT_NE(feed.body.find(osh_ + ".cap"), std::string::npos);
  EXPECT_EQ(feed.body.find(naryn_), std::string::npos) << "another area's alert in the feed";
}

TEST_F(CapTest, AtomFeedOfIncidents) {
  auto feed = h_.Call("GET", "/v1/alerts.atom", kAnalystToken);
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_EQ(feed.Header("content-type"), "application/atom+xml");
  std::size_t entries = 0;
  EXPECT_TRUE(AtomCapFeedProblems(feed.body, &entries).empty())
      << ::testing::PrintToString(AtomCapFeedProblems(feed.body)) << feed.body;
  EXPECT_EQ(entries, 2u) << feed.body;  // one per incident
  // Paging: one entry, then the next page has the other.
  auto first = h_.Call("GET", "/v1/alerts.atom?limit=1", kAnalystToken);
  ASSERT_EQ(first.status, 200);
  EXPECT_TRUE(AtomCapFeedProblems(first.body, &entries).empty());
  EXPECT_EQ(entries, 1u);
  const auto at = first.body.find("before=");
  ASSERT_NE(at, std::string::npos) << first.body;
  const std::string cursor = first.body.substr(at + 7, 26);
  auto second = h_.Call("GET", "/v1/alerts.atom?limit=1&before=" + cursor, kAnalystToken);
  ASSERT_EQ(second.status, 200);
  EXPECT_TRUE(AtomCapFeedProblems(second.body, &entries).empty());
  EXPECT_EQ(entries, 1u) << second.body;
  EXPECT_EQ(h_.Call("GET", "/v1/alerts.atom?limit=0", kAnalystToken).status, 400);
  EXPECT_EQ(h_.Call("GET", "/v1/alerts.atom?kind=event", kAnalystToken).status, 400);
}

}  // namespace
}  // namespace sakchy::testing::cap_test
