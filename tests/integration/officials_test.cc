// Officials see only their areas: events, alerts, trends, areas (and, as they are added, tension
// and exports) of area A are visible to an official of A; area B is 403 or filtered out.

#include <boost/json.hpp>

#include <set>

#include "core/crypto.h"
#include "integration/harness.h"

namespace sakchy::testing::officials_test {
namespace {

namespace json = boost::json;

constexpr const char* kOshOfficial = "osh-official-token-0123456789";
constexpr const char* kRumour =
    "Говорят, начались беспорядки, передайте всем, выходите на улицу!";

HarnessOptions OfficialOptions() {
  HarnessOptions o;
  o.extra_yaml = "tokens:\n  - {name: osh-official, role: official, sha256: " +
                 Sha256Hex(kOshOfficial) + ", areas: [KG-O]}\n";
  return o;
}

class OfficialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Start());
    osh_id_ = Post("KG-O-ARAVAN", "r-osh");
    naryn_id_ = Post("KG-N", "r-naryn");
    ASSERT_TRUE(h_.WaitScored(osh_id_).is_object());
    ASSERT_TRUE(h_.WaitScored(naryn_id_).is_object());
  }
  std::string Post(const std::string& area, const std::string& ref) {
    auto r = h_.PostReport({{"text", kRumour}, {"area", area}, {"source_ref", ref}});
    EXPECT_EQ(r.status, 202) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
  }
  HttpResult Get(const std::string& target) { return h_.Call("GET", target, kOshOfficial); }

  Harness h_{OfficialOptions()};
  std::string osh_id_, naryn_id_;
};

TEST_F(OfficialsTest, EventsOfOtherAreasAreForbidden) {
  EXPECT_EQ(Get("/v1/events/" + osh_id_).status, 200);
  auto other = Get("/v1/events/" + naryn_id_);
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(other.Header("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(other.body).at("field"), "id");
  // Analysts see both.
  EXPECT_EQ(h_.Call("GET", "/v1/events/" + naryn_id_, kAnalystToken).status, 200);
}

TEST_F(OfficialsTest, AlertsAreFilteredToTheirAreas) {
  // Both reports alert someone (Osh and Naryn duty contacts).
  ASSERT_TRUE(WaitFor([&] {
    auto all = h_.GetJson("/v1/alerts");
    return all.is_object() && all.at("alerts").as_array().size() >= 2;
  }));
  auto r = Get("/v1/alerts");
  ASSERT_EQ(r.status, 200) << r.body;
  auto alerts = json::parse(r.body).at("alerts").as_array();
  ASSERT_FALSE(alerts.empty());
  for (const auto& a : alerts) EXPECT_EQ(a.at("area"), "KG-O-ARAVAN");
  // Paging with limit=1 walks the same filtered list.
  auto first = json::parse(Get("/v1/alerts?limit=1").body);
  ASSERT_EQ(first.at("alerts").as_array().size(), 1u);
  EXPECT_EQ(first.at("alerts").as_array()[0].at("area"), "KG-O-ARAVAN");
}

TEST_F(OfficialsTest, TrendsOfOtherAreasAreForbidden) {
  const std::string range = "&from=2020-01-01T00:00:00Z&to=2040-01-01T00:00:00Z&bucket=day";
  auto other = Get("/v1/trends?area=KG-N" + range);
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(json::parse(other.body).at("field"), "area");
  // The parent's totals include other raions: forbidden too.
  EXPECT_EQ(Get("/v1/trends?area=KG" + range).status, 403);
  auto own = Get("/v1/trends?area=KG-O" + range);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(json::parse(own.body).at("series").at(0).at("total").to_number<int>(), 1);
  // Without `area`: the official's own areas.
  auto mine = json::parse(Get("/v1/trends?" + range.substr(1)).body);
  ASSERT_EQ(mine.at("series").as_array().size(), 1u);
  EXPECT_EQ(mine.at("series").at(0).at("area"), "KG-O");
  // Children of an own area are its own too.
  auto children = Get("/v1/trends?area=KG-O&level=children" + range);
  ASSERT_EQ(children.status, 200) << children.body;
  EXPECT_EQ(Get("/v1/trends?area=KG-O-ARAVAN" + range).status, 200);
}

TEST_F(OfficialsTest, AreasListsOnlyTheirSubtree) {
  auto r = Get("/v1/areas");
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> codes;
  const auto body = json::parse(r.body);
  for (const auto& a : body.at("areas").as_array()) {
    codes.insert(std::string(a.at("code").as_string()));
  }
  EXPECT_TRUE(codes.count("KG-O"));
  EXPECT_TRUE(codes.count("KG-O-ARAVAN"));
  EXPECT_FALSE(codes.count("KG"));
  EXPECT_FALSE(codes.count("KG-N"));
  EXPECT_FALSE(codes.count("KG-GO"));
  for (const auto& c : codes) EXPECT_EQ(c.rfind("KG-O", 0), 0u) << c;
}

TEST_F(OfficialsTest, TensionOfOtherAreasIsForbidden) {
  EXPECT_EQ(Get("/v1/areas/KG-O-ARAVAN/tension").status, 200);
  auto other = Get("/v1/areas/KG-N/tension");
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(json::parse(other.body).at("field"), "code");
  EXPECT_EQ(Get("/v1/areas/KG/tension").status, 403);
}

TEST_F(OfficialsTest, ClustersOfOtherAreasAreHidden) {
  // A rumour only reported in Naryn: a cluster of two Naryn events.
  const std::string bridge = "Нарында көпүрө кулап, жолдо машиналар тыгылып турат, баары токтоп калды";
  auto b1 = h_.PostReport({{"text", bridge}, {"area", "KG-N"}, {"source_ref", "b1"}});
  auto b2 = h_.PostReport({{"text", std::string("СРОЧНО ") + bridge}, {"area", "KG-N"},
                           {"source_ref", "b2"}});
  ASSERT_EQ(b2.status, 202) << b2.body;
  const std::string b1_id(json::parse(b1.body).at("id").as_string());
  const std::string b2_id(json::parse(b2.body).at("id").as_string());
  ASSERT_TRUE(h_.WaitScored(b1_id).is_object());
  auto scored = h_.WaitScored(b2_id);
  ASSERT_TRUE(scored.is_object());
  ASSERT_TRUE(scored.at("cluster_id").is_string()) << json::serialize(scored);
  const std::string naryn_cluster(scored.at("cluster_id").as_string());
  // A second Aravan report of the shared rumour: two members in the official's areas, so the
  // official lists it (a cluster counts what its reader may see, min_members 2).
  const std::string osh2_id = Post("KG-O-ARAVAN", "r-osh-2");
  ASSERT_TRUE(h_.WaitScored(osh2_id).is_object());

  // The analyst sees it; the Osh official neither lists nor opens it.
  auto all_r = h_.Call("GET", "/v1/clusters?sort=recent", kAnalystToken);
  ASSERT_EQ(all_r.status, 200) << all_r.body;
  auto all = json::parse(all_r.body);
  std::set<std::string> analyst_ids;
  for (const auto& c : all.at("clusters").as_array()) {
    analyst_ids.insert(std::string(c.at("id").as_string()));
  }
  EXPECT_TRUE(analyst_ids.count(naryn_cluster)) << json::serialize(all);
  auto mine = Get("/v1/clusters?sort=recent");
  ASSERT_EQ(mine.status, 200) << mine.body;
  const auto mine_body = json::parse(mine.body);
  ASSERT_FALSE(mine_body.at("clusters").as_array().empty()) << mine.body;  // the Osh rumour
  for (const auto& c : mine_body.at("clusters").as_array()) {
    EXPECT_NE(c.at("id"), naryn_cluster.c_str());
    bool in_osh = false;
    for (const auto& a : c.at("areas").as_array()) {
      in_osh = in_osh || std::string(a.at("code").as_string()).rfind("KG-O", 0) == 0;
    }
    EXPECT_TRUE(in_osh) << json::serialize(c);
  }
  EXPECT_EQ(Get("/v1/clusters/" + naryn_cluster).status, 404);
  // The shared rumour (posted in Aravan and in Naryn): the official lists only the Aravan member.
  auto shared = h_.WaitScored(osh_id_);
  ASSERT_TRUE(shared.at("cluster_id").is_string());
  auto detail = Get("/v1/clusters/" + std::string(shared.at("cluster_id").as_string()));
  ASSERT_EQ(detail.status, 200) << detail.body;
  const auto d = json::parse(detail.body);
  std::set<std::string> listed;
  for (const auto& m : d.at("member_events").as_array()) {
    listed.insert(std::string(m.at("event_id").as_string()));
  }
  EXPECT_TRUE(listed.count(osh_id_)) << detail.body;
  EXPECT_FALSE(listed.count(naryn_id_)) << detail.body;
  // The summary is built from the Aravan member alone: nothing of the Naryn report shows.
  EXPECT_FALSE(d.as_object().contains("member_events_outside_your_areas")) << detail.body;
  EXPECT_EQ(d.at("members").to_number<int>(), 2) << detail.body;
  EXPECT_EQ(d.at("sources").to_number<int>(), 1) << detail.body;
  EXPECT_EQ(d.at("representative").at("event_id"), osh_id_.c_str()) << detail.body;
  ASSERT_EQ(d.at("areas").as_array().size(), 1u) << detail.body;
  EXPECT_EQ(d.at("areas").as_array()[0].at("code"), "KG-O-ARAVAN") << detail.body;
  EXPECT_EQ(detail.body.find(naryn_id_), std::string::npos) << detail.body;
  EXPECT_EQ(detail.body.find("KG-N"), std::string::npos) << detail.body;
  for (const auto& c : mine_body.at("clusters").as_array()) {
    EXPECT_EQ(json::serialize(c).find(naryn_id_), std::string::npos) << json::serialize(c);
    EXPECT_EQ(json::serialize(c).find("KG-N"), std::string::npos) << json::serialize(c);
  }
  // The analyst sees the whole cluster.
  auto whole = h_.Call("GET", "/v1/clusters/" + std::string(shared.at("cluster_id").as_string()),
                       kAnalystToken);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(json::parse(whole.body).at("members").to_number<int>(), 3) << whole.body;
  EXPECT_EQ(h_.Call("GET", "/v1/clusters/" + naryn_cluster, kAnalystToken).status, 200);
  auto other = Get("/v1/clusters?area=KG-N");
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(json::parse(other.body).at("field"), "area");
  // A cluster the official cannot see cannot be judged by them either: 404, as for reading it.
  auto verdict = h_.Call("POST", "/v1/clusters/" + naryn_cluster + "/verdict", kOshOfficial,
                         R"({"status":"false","statement":"x"})",
                         {{"Content-Type", "application/json"}});
  EXPECT_EQ(verdict.status, 404) << verdict.body;
}

TEST_F(OfficialsTest, OfficialsPublishVerdictsOnRumoursOfTheirAreasOnly) {
  auto verdict = [&](const std::string& cluster) {
    return h_.Call("POST", "/v1/clusters/" + cluster + "/verdict", kOshOfficial,
                   R"({"status":"false","statement":"Мэрия: беспорядков нет"})",
                   {{"Content-Type", "application/json"}});
  };
  // The shared rumour also reached Naryn: the official sees it but an analyst decides on it.
  auto shared = h_.WaitScored(osh_id_);
  ASSERT_TRUE(shared.at("cluster_id").is_string()) << json::serialize(shared);
  const std::string shared_cluster(shared.at("cluster_id").as_string());
  auto refused = verdict(shared_cluster);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("KG-N"), std::string::npos) << refused.body;
  // A rumour reported in Osh oblast only: the official publishes its verdict.
  const std::string water = "Ошто суу ууланган деп айтышат, балдарга суу бербегиле, кабарлагыла баарына";
  auto w1 = h_.PostReport({{"text", water}, {"area", "KG-O-ARAVAN"}, {"source_ref", "w1"}});
  auto w2 = h_.PostReport({{"text", std::string("ШАШЫЛЫШ: ") + water}, {"area", "KG-O"},
                           {"source_ref", "w2"}});
  ASSERT_EQ(w2.status, 202) << w2.body;
  ASSERT_TRUE(h_.WaitScored(std::string(json::parse(w1.body).at("id").as_string())).is_object());
  auto scored = h_.WaitScored(std::string(json::parse(w2.body).at("id").as_string()));
  ASSERT_TRUE(scored.is_object());
  ASSERT_TRUE(scored.at("cluster_id").is_string()) << json::serialize(scored);
  const std::string osh_cluster(scored.at("cluster_id").as_string());
  ASSERT_NE(osh_cluster, shared_cluster);
  auto ok = verdict(osh_cluster);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body).at("decided_by"), "osh-official");
  EXPECT_EQ(json::parse(ok.body).at("events").to_number<int>(), 2) << ok.body;
  // The analyst decides on the shared one.
  auto analyst = h_.Call("POST", "/v1/clusters/" + shared_cluster + "/verdict", kAnalystToken,
                         R"({"status":"false","statement":"x"})",
                         {{"Content-Type", "application/json"}});
  EXPECT_EQ(analyst.status, 200) << analyst.body;
}

// Monitors may report on local officials: an official sees a pseudonym of the submitter and of
// its source_ref, in events and in CSV exports; analysts keep the names.
TEST_F(OfficialsTest, SubmittersArePseudonymsForOfficials) {
  auto mine = Get("/v1/events/" + osh_id_);
  ASSERT_EQ(mine.status, 200) << mine.body;
  const auto e = json::parse(mine.body);
  const std::string by(e.at("submitted_by").as_string());
  const std::string ref(e.at("source_ref").as_string());
  EXPECT_EQ(by.rfind("p-", 0), 0u) << mine.body;
  EXPECT_EQ(ref.rfind("p-", 0), 0u) << mine.body;
  EXPECT_EQ(mine.body.find("env-monitor"), std::string::npos) << mine.body;
  EXPECT_EQ(mine.body.find("r-osh"), std::string::npos) << mine.body;
  // Stable: a second reading gives the same pseudonyms.
  EXPECT_EQ(json::parse(Get("/v1/events/" + osh_id_).body).at("submitted_by"), by.c_str());
  auto analyst = h_.GetJson("/v1/events/" + osh_id_);
  EXPECT_EQ(analyst.at("submitted_by"), "env-monitor-1");
  EXPECT_EQ(analyst.at("source_ref"), "r-osh");

  auto csv = Get("/v1/export/events.csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.body.find(osh_id_), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(by), std::string::npos) << csv.body;
  EXPECT_EQ(csv.body.find("env-monitor"), std::string::npos) << csv.body;
  EXPECT_EQ(csv.body.find("r-osh"), std::string::npos) << csv.body;
  auto analyst_csv = h_.Call("GET", "/v1/export/events.csv", kAnalystToken);
  ASSERT_EQ(analyst_csv.status, 200);
  EXPECT_NE(analyst_csv.body.find("env-monitor-1"), std::string::npos) << analyst_csv.body;
  EXPECT_NE(analyst_csv.body.find("r-osh"), std::string::npos) << analyst_csv.body;
}

TEST_F(OfficialsTest, NonScopedEndpointsAreForbidden) {
  EXPECT_EQ(Get("/v1/sources").status, 403);
  EXPECT_EQ(Get("/metrics").status, 403);
  EXPECT_EQ(Get("/v1/admin/rules").status, 403);
  auto post = h_.Call("POST", "/v1/reports", kOshOfficial, R"({"text":"x"})");
  EXPECT_EQ(post.status, 403) << post.body;
}

}  // namespace
}  // namespace sakchy::testing::officials_test
