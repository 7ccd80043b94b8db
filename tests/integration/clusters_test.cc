// Rumour clusters end to end against the real binary: assignment and the event's cluster id,
// spread signals (recorded, counted), the listing's filters and cursor pagination, verdicts
// (audited, visible, every bad input), and kill -9 in the middle of clustering -> restart ->
// the same clusters as a run without the crash.

#include <signal.h>

#include <boost/json.hpp>
#include <map>
#include <set>

#include "core/crypto.h"
#include "core/time.h"
#include "integration/harness.h"
#include "storage/audit.h"
#include "storage/store.h"

namespace sakchy::testing::clusters_test {
namespace {

namespace json = boost::json;

constexpr const char* kRiot =
    "Говорят, в Оше начались беспорядки, толпа идёт к зданию акимиата на улице Ленина";
constexpr const char* kBridge =
    "Нарында көпүрө кулап, жолдо машиналар тыгылып турат, баары токтоп калды";
constexpr const char* kPower =
    "В Бишкеке отключат свет на три дня во всех районах города с понедельника";

std::string MonitorToken(int i) { return "cluster-monitor-token-" + std::to_string(i) + "xx"; }

// Five monitor tokens (five distinct sources) and spread thresholds a test can reach.
HarnessOptions ClusterOptions() {
  HarnessOptions o;
  std::string yaml = "tokens:\n";
  for (int i = 1; i <= 5; ++i) {
    yaml += "  - {name: monitor-" + std::to_string(i) +
            ", role: monitor, sha256: " + Sha256Hex(MonitorToken(i)) + "}\n";
  }
  yaml +=
      "clusters:\n  spread:\n    min_sources: 3\n    sources_window_ms: 600000\n"
      "    new_area: false\n";
  o.extra_yaml = yaml;
  return o;
}

std::string Post(Harness& h, int monitor, const std::string& text, const std::string& ref,
                 const std::string& area = "") {
  json::object body{{"text", text}, {"source_ref", ref}};
  if (!area.empty()) body["area"] = area;
  auto r = h.Call("POST", "/v1/reports", MonitorToken(monitor), json::serialize(body));
  EXPECT_EQ(r.status, 202) << r.body;
  return std::string(json::parse(r.body).at("id").as_string());
}

std::string ClusterOf(Harness& h, const std::string& event_id) {
  auto e = h.WaitScored(event_id);
  EXPECT_TRUE(e.is_object()) << "never scored: " << event_id;
  if (!e.is_object() || !e.at("cluster_id").is_string()) return "";
  return std::string(e.at("cluster_id").as_string());
}

void ExpectProblem(Harness& h, const std::string& method, const std::string& target, int status,
                   const std::string& field, const std::string& body = "",
                   std::map<std::string, std::string> headers = {}) {
  auto r = h.Call(method, target, kAnalystToken, body, headers);
  EXPECT_EQ(r.status, status) << method << " " << target << "\n" << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/problem+json") << target;
  if (!field.empty() && r.status == status) {
    auto p = json::parse(r.body);
    EXPECT_EQ(p.at("field"), field.c_str()) << target << "\n" << r.body;
  }
}

TEST(ClustersApiTest, ReportsClusterSpreadAndShowInTheApi) {
  Harness h(ClusterOptions());
  ASSERT_TRUE(h.Start());
  std::vector<std::string> riot;
  riot.push_back(Post(h, 1, kRiot, "r1", "KG-O"));
  riot.push_back(Post(h, 2, std::string("СРОЧНО!!! ") + kRiot, "r2", "KG-O"));
  riot.push_back(Post(h, 3, std::string(kRiot) + ", передайте всем", "r3", "KG-GO"));
  std::string bridge1 = Post(h, 1, kBridge, "b1", "KG-N");
  std::string bridge2 = Post(h, 2, kBridge, "b2", "KG-N");
  std::string shout = Post(h, 4, "срочно!!!", "s1");

  const std::string riot_cluster = ClusterOf(h, riot[0]);
  ASSERT_FALSE(riot_cluster.empty());
  EXPECT_EQ(ClusterOf(h, riot[1]), riot_cluster);
  EXPECT_EQ(ClusterOf(h, riot[2]), riot_cluster);
  const std::string bridge_cluster = ClusterOf(h, bridge1);
  EXPECT_EQ(ClusterOf(h, bridge2), bridge_cluster);
  EXPECT_NE(bridge_cluster, riot_cluster);
  EXPECT_NE(ClusterOf(h, shout), riot_cluster);

  // The listing: the two multi-member clusters, newest first, with their figures.
  auto list = h.GetJson("/v1/clusters");
  ASSERT_TRUE(list.is_object());
  auto clusters = list.at("clusters").as_array();
  ASSERT_EQ(clusters.size(), 2u) << list;
  EXPECT_EQ(clusters[0].at("id"), bridge_cluster.c_str());
  const json::value& c = clusters[1];
  EXPECT_EQ(c.at("id"), riot_cluster.c_str());
  EXPECT_EQ(c.at("members").to_number<int>(), 3);
  EXPECT_EQ(c.at("sources").to_number<int>(), 3);
  EXPECT_EQ(c.at("representative").at("event_id"), riot[0].c_str());
  EXPECT_EQ(c.at("representative").at("text"), kRiot);
  EXPECT_EQ(c.at("areas").as_array().size(), 2u);
  EXPECT_EQ(c.at("velocity").at("last_hour").to_number<int>(), 3);
  EXPECT_EQ(c.at("verification").at("status"), "unverified");
  EXPECT_TRUE(c.at("first_seen").as_string().ends_with("Z"));
  EXPECT_TRUE(ParseRfc3339(c.at("last_seen").as_string()).has_value());
  EXPECT_EQ(c.at("signal_count").to_number<int>(), 1) << "3 sources within 10 minutes";

  // The detail: members, timeline, areas and the recorded signal.
  auto detail = h.GetJson("/v1/clusters/" + riot_cluster);
  ASSERT_TRUE(detail.is_object());
  EXPECT_EQ(detail.at("member_events").as_array().size(), 3u);
  EXPECT_EQ(detail.at("member_events").as_array()[0].at("event_id"), riot[2].c_str());
  auto buckets = detail.at("timeline").at("buckets").as_array();
  int in_timeline = 0;
  for (const auto& b : buckets) in_timeline += b.at("members").to_number<int>();
  EXPECT_EQ(in_timeline, 3);
  ASSERT_EQ(detail.at("signals").as_array().size(), 1u);
  const auto& signal = detail.at("signals").as_array()[0];
  EXPECT_EQ(signal.at("reason"), "3 distinct sources within 10 min (3 people)");
  EXPECT_EQ(signal.at("max_severity"), "high") << "three monitors are three independent people";
  EXPECT_EQ(signal.at("events").to_number<int>(), 3);
  EXPECT_EQ(h.Metric("sakchy_cluster_signals_total"), 1);
  EXPECT_EQ(h.Metric("sakchy_cluster_assignments_total"), 6);
  auto page = h.GetJson("/v1/clusters/" + riot_cluster + "?members_limit=2");
  ASSERT_EQ(page.at("member_events").as_array().size(), 2u);
  std::string next(page.at("member_events_next_cursor").as_string());
  auto rest = h.GetJson("/v1/clusters/" + riot_cluster + "?members_limit=2&members_cursor=" + next);
  ASSERT_EQ(rest.at("member_events").as_array().size(), 1u);
  EXPECT_EQ(rest.at("member_events").as_array()[0].at("event_id"), riot[0].c_str());

  // Filters.
  EXPECT_EQ(h.GetJson("/v1/clusters?area=KG-N").at("clusters").as_array().size(), 1u);
  EXPECT_EQ(h.GetJson("/v1/clusters?area=KG-O").at("clusters").as_array().size(), 1u);
  EXPECT_EQ(h.GetJson("/v1/clusters?area=KG-B").at("clusters").as_array().size(), 0u);
  EXPECT_EQ(h.GetJson("/v1/clusters?min_members=3").at("clusters").as_array().size(), 1u);
  EXPECT_EQ(h.GetJson("/v1/clusters?sort=size").at("clusters").as_array()[0].at("id"),
            riot_cluster.c_str());
  EXPECT_EQ(h.GetJson("/v1/clusters?sort=rising").at("clusters").as_array().size(), 2u);
  EXPECT_EQ(
      h.GetJson("/v1/clusters?since=2099-01-01T00:00:00%2B06:00").at("clusters").as_array().size(),
      0u);
  EXPECT_EQ(h.GetJson("/v1/clusters?status=unverified").at("clusters").as_array().size(), 2u);

  // Cursor pagination: one per page, every cluster once, in every order.
  for (const char* sort : {"recent", "size", "rising"}) {
    std::set<std::string> seen;
    std::string target = std::string("/v1/clusters?limit=1&sort=") + sort;
    std::string cursor;
    for (int pages = 0; pages < 5; ++pages) {
      auto p = h.GetJson(target + (cursor.empty() ? "" : "&cursor=" + cursor));
      ASSERT_TRUE(p.is_object()) << target << " " << cursor;
      for (const auto& x : p.at("clusters").as_array()) {
        EXPECT_TRUE(seen.insert(std::string(x.at("id").as_string())).second) << sort;
      }
      if (p.at("next_cursor").is_null()) break;
      cursor = std::string(p.at("next_cursor").as_string());
    }
    EXPECT_EQ(seen.size(), 2u) << sort;
  }
}

TEST(ClustersApiTest, BadQueriesNameTheParameter) {
  Harness h(ClusterOptions());
  ASSERT_TRUE(h.Start());
  ExpectProblem(h, "GET", "/v1/clusters?status=fake", 400, "status");
  ExpectProblem(h, "GET", "/v1/clusters?area=KG-XX", 400, "area");
  ExpectProblem(h, "GET", "/v1/clusters?since=yesterday", 400, "since");
  ExpectProblem(h, "GET", "/v1/clusters?since=2026-01-01T00:00:00", 400, "since");
  ExpectProblem(h, "GET", "/v1/clusters?sort=hot", 400, "sort");
  ExpectProblem(h, "GET", "/v1/clusters?limit=0", 400, "limit");
  ExpectProblem(h, "GET", "/v1/clusters?limit=201", 400, "limit");
  ExpectProblem(h, "GET", "/v1/clusters?limit=ten", 400, "limit");
  ExpectProblem(h, "GET", "/v1/clusters?min_members=1", 400, "min_members");
  ExpectProblem(h, "GET", "/v1/clusters?cursor=garbage", 400, "cursor");
  ExpectProblem(h, "GET", "/v1/clusters?sort=size&cursor=r.1.0.0.1", 400, "cursor");
  ExpectProblem(h, "GET", "/v1/clusters?colour=red", 400, "colour");
  ExpectProblem(h, "GET", "/v1/clusters?sort=size&sort=recent", 400, "sort");
  ExpectProblem(h, "GET", "/v1/clusters/abc", 400, "id");
  ExpectProblem(h, "GET", "/v1/clusters/007", 400, "id");
  ExpectProblem(h, "GET", "/v1/clusters/12345", 404, "");
  ExpectProblem(h, "GET", "/v1/clusters/1?members_limit=0", 400, "members_limit");
  ExpectProblem(h, "GET", "/v1/clusters/1?members_cursor=x", 400, "members_cursor");
  ExpectProblem(h, "DELETE", "/v1/clusters/1", 405, "");
  ExpectProblem(h, "GET", "/v1/clusters/1/verdict", 405, "");
  // Roles: a monitor may not read clusters; no token is 401.
  EXPECT_EQ(h.Call("GET", "/v1/clusters", kMonitorToken).status, 403);
  EXPECT_EQ(h.Call("GET", "/v1/clusters", "").status, 401);
  EXPECT_EQ(h.Call("GET", "/v1/clusters", kAdminToken).status, 200);
}

TEST(ClustersApiTest, VerdictIsAuditedStoredAndVisible) {
  Harness h(ClusterOptions());
  ASSERT_TRUE(h.Start());
  std::string a = Post(h, 1, kPower, "p1");
  std::string b = Post(h, 2, kPower, "p2");
  const std::string cluster = ClusterOf(h, a);
  ASSERT_EQ(ClusterOf(h, b), cluster);
  const std::string target = "/v1/clusters/" + cluster + "/verdict";
  const std::string good =
      R"({"status":"false","statement":"Мэрия: плановых отключений на три дня нет."})";

  // Every bad input: a precise problem, nothing stored.
  EXPECT_EQ(h.Call("POST", target, "", good).status, 401);
  EXPECT_EQ(h.Call("POST", target, kMonitorToken, good).status, 403);
  ExpectProblem(h, "POST", target, 415, "", good, {{"Content-Type", "text/plain"}});
  ExpectProblem(h, "POST", target, 400, "body", "{not json");
  ExpectProblem(h, "POST", target, 400, "body", "[1]");
  ExpectProblem(h, "POST", target, 400, "status", R"({"status":"fake","statement":"x"})");
  ExpectProblem(h, "POST", target, 400, "status", R"({"status":1,"statement":"x"})");
  ExpectProblem(h, "POST", target, 400, "status", R"({"statement":"x"})");
  ExpectProblem(h, "POST", target, 400, "statement", R"({"status":"false"})");
  ExpectProblem(h, "POST", target, 400, "statement", R"({"status":"false","statement":"  "})");
  ExpectProblem(h, "POST", target, 400, "statement", R"({"status":"false","statement":7})");
  ExpectProblem(h, "POST", target, 400, "statement",
                R"({"status":"false","statement":")" + std::string(4001, 'x') + "\"}");
  ExpectProblem(h, "POST", target, 400, "who", R"({"status":"false","statement":"x","who":"me"})");
  ExpectProblem(h, "POST", target, 400, "status",
                R"({"status":"false","status":"confirmed","statement":"x"})");
  ExpectProblem(h, "POST", "/v1/clusters/99999/verdict", 404, "", good);
  ExpectProblem(h, "POST", "/v1/clusters/x/verdict", 400, "id", good);
  EXPECT_EQ(h.GetJson("/v1/clusters/" + cluster).at("verification").at("status"), "unverified");

  auto r = h.Call("POST", target, kAnalystToken, good);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("status"), "false");
  EXPECT_EQ(v.at("decided_by"), "env-analyst-1");
  EXPECT_EQ(v.at("events").to_number<int>(), 2);
  auto detail = h.GetJson("/v1/clusters/" + cluster);
  EXPECT_EQ(detail.at("verification").at("status"), "false");
  EXPECT_EQ(detail.at("verification").at("statement"),
            "Мэрия: плановых отключений на три дня нет.");
  EXPECT_EQ(detail.at("verification").at("decided_by"), "env-analyst-1");
  EXPECT_EQ(h.GetJson("/v1/clusters?status=false").at("clusters").as_array().size(), 1u);
  EXPECT_EQ(h.GetJson("/v1/clusters?status=unverified").at("clusters").as_array().size(), 0u);
  EXPECT_EQ(h.Metric("sakchy_cluster_verdicts_total{status=\"false\"}"), 1);
  // An admin changes it; the cluster shows the latest.
  r = h.Call("POST", target, kAdminToken, R"({"status":"misleading","statement":"Частично."})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(h.GetJson("/v1/clusters/" + cluster).at("verification").at("status"), "misleading");
  EXPECT_EQ(h.Stop(SIGTERM), 0);
  EXPECT_NE(h.process().Stderr().find("verdict false by env-analyst-1: "),
            std::string::npos)
      << h.process().Stderr();

  // Both verdicts are in the audit log, with who and what.
  auto store = storage::Store::Open({h.data_dir(), true});
  ASSERT_OK(store);
  auto audit = storage::ListAudit(**store, {.action_prefix = "cluster.verdict"}, 10, "");
  ASSERT_OK(audit);
  ASSERT_EQ(audit->entries.size(), 2u);
  EXPECT_EQ(audit->entries[0].actor, "env-admin-1");
  EXPECT_EQ(audit->entries[0].subject, cluster);
  EXPECT_NE(audit->entries[0].details.find("\"previous\":\"false\""), std::string::npos);
  EXPECT_EQ(audit->entries[1].actor, "env-analyst-1");
  EXPECT_NE(audit->entries[1].details.find("\"status\":\"false\""), std::string::npos);
}

// One NDJSON batch of `n` reports: 8 rumour families (variants of one text, from 5 monitors'
// refs) and unique short noise; returns the ids in line order.
std::vector<std::string> PostStream(Harness& h, int n) {
  const char* families[] = {kRiot,
                            kBridge,
                            kPower,
                            "На границе в Баткене стреляют, жителей села Кок-Таш эвакуируют",
                            "Жалал-Абад шаарында суу ичүүгө жараксыз деп айтып жатышат",
                            "говорят что на рынке Дордой закрывают все контейнеры из за проверки",
                            "Эртең Токмоктогу базарда нан кымбаттайт деп айтышууда, ун жетишпейт",
                            "В Караколе закрыли школы из-за вспышки неизвестной болезни у детей"};
  const char* areas[] = {"KG-O", "KG-N", "KG-GB", "KG-B", "KG-J", "KG-GB", "KG-C", "KG-Y"};
  std::string body;
  for (int i = 0; i < n; ++i) {
    json::object line;
    if (i % 9 == 8) {
      line["text"] = "срочно " + std::to_string(i);
    } else {
      int f = (i * 7) % 8;
      std::string text = families[f];
      if (i % 3 == 1) text = "РЕПОСТ!!! " + text;
      if (i % 3 == 2) text += "!!! передайте";
      line["text"] = text;
      line["area"] = areas[(f + i) % 8];
    }
    line["source_ref"] = "stream-" + std::to_string(i);
    body += json::serialize(line) + "\n";
  }
  auto r = h.Call("POST", "/v1/reports:batch", kMonitorToken, body,
                  {{"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<std::string> ids;
  const json::value parsed = json::parse(r.body);
  for (const auto& x : parsed.at("results").as_array()) {
    EXPECT_EQ(x.at("status"), "accepted");
    ids.push_back(std::string(x.at("id").as_string()));
  }
  return ids;
}

// Cluster of every event (waiting until scored) and the members each cluster reports.
struct Clustering {
  std::vector<std::string> cluster_of;  // by line
  std::map<std::string, int> members;   // cluster id -> members as the cluster says
};

Clustering Collect(Harness& h, const std::vector<std::string>& ids) {
  Clustering out;
  for (const auto& id : ids) out.cluster_of.push_back(ClusterOf(h, id));
  std::set<std::string> distinct(out.cluster_of.begin(), out.cluster_of.end());
  for (const auto& c : distinct) {
    auto d = h.GetJson("/v1/clusters/" + c + "?members_limit=1");
    EXPECT_TRUE(d.is_object()) << c;
    if (d.is_object()) out.members[c] = d.at("members").to_number<int>();
  }
  return out;
}

// The whole loop through the real binary: a rumour spreads (3 sources in 10 minutes) -> the
// cluster's spread alert reaches the Osh duty contact's webhook and inhibits the per-report
// alerts still queued; an analyst's verdict -> the follow-up with the statement reaches the same
// receiver.
TEST(ClustersApiTest, SpreadAlertsTheAreaAndTheVerdictFollowsUp) {
  Harness h(ClusterOptions());
  ASSERT_TRUE(h.Start());
  std::vector<std::string> riot;
  riot.push_back(Post(h, 1, kRiot, "e1", "KG-O"));
  riot.push_back(Post(h, 2, std::string("СРОЧНО!!! ") + kRiot, "e2", "KG-O"));
  riot.push_back(Post(h, 3, std::string(kRiot) + ", передайте всем", "e3", "KG-O"));
  const std::string cluster = ClusterOf(h, riot[0]);
  ASSERT_FALSE(cluster.empty());
  for (const auto& id : riot) ASSERT_EQ(ClusterOf(h, id), cluster);

  auto sink_types = [&h](const std::string& type, const std::string& kind) {
    int n = 0;
    for (const auto& r : h.sink().requests()) {
      boost::system::error_code ec;
      auto v = json::parse(r.body, ec);
      if (ec || !v.is_object()) continue;
      const auto& o = v.as_object();
      if (o.contains("type") && o.at("type") == type.c_str() &&
          (kind.empty() || (o.contains("kind") && o.at("kind") == kind.c_str()))) {
        ++n;
      }
    }
    return n;
  };
  // The spread alert: kind signal, about the cluster, delivered to the Osh webhook.
  ASSERT_TRUE(WaitFor([&] {
    auto a = h.GetJson("/v1/alerts?kind=signal");
    if (!a.is_object()) return false;
    for (const auto& x : a.at("alerts").as_array()) {
      if (x.at("state") == "delivered" && x.as_object().contains("subject_id") &&
          x.at("subject_id") == cluster.c_str()) {
        return true;
      }
    }
    return false;
  })) << json::serialize(h.GetJson("/v1/alerts?limit=50"));
  EXPECT_GE(sink_types("sakchy.alert", "signal"), 1);

  // The verdict: everyone who was told gets the follow-up with the official statement.
  const std::string statement = "Акимиат: в Оше спокойно, беспорядков нет.";
  auto r = h.Call("POST", "/v1/clusters/" + cluster + "/verdict", kAnalystToken,
                  json::serialize(json::object{{"status", "false"}, {"statement", statement}}));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(WaitFor([&] { return sink_types("sakchy.follow_up", "") >= 1; }))
      << h.process().Stderr();
  bool statement_seen = false;
  for (const auto& req : h.sink().requests()) {
    statement_seen = statement_seen || req.body.find(statement) != std::string::npos;
  }
  EXPECT_TRUE(statement_seen);
  auto follow_ups = h.GetJson("/v1/alerts?kind=follow_up");
  ASSERT_TRUE(follow_ups.is_object());
  EXPECT_FALSE(follow_ups.at("alerts").as_array().empty());
}

TEST(ClustersApiTest, KillNineDuringClusteringRestartsToTheSameClusters) {
  constexpr int kReports = 1500;
  // The reference: the same stream without a crash.
  Clustering reference;
  {
    Harness h(ClusterOptions());
    ASSERT_TRUE(h.Start());
    reference = Collect(h, PostStream(h, kReports));
  }
  Harness h(ClusterOptions());
  ASSERT_TRUE(h.Start());
  auto ids = PostStream(h, kReports);         // every report durable (202) ...
  EXPECT_EQ(h.Stop(SIGKILL), 128 + SIGKILL);  // ... and scoring/clustering still under way
  const std::string first_run = h.process().Stderr();
  ASSERT_TRUE(h.Start());
  Clustering after = Collect(h, ids);
  EXPECT_EQ(after.cluster_of, reference.cluster_of) << "the same events in the same clusters";
  EXPECT_EQ(after.members, reference.members) << "no member counted twice or lost";
  // Every member count agrees with the events that name the cluster.
  std::map<std::string, int> counted;
  for (const auto& c : after.cluster_of) ++counted[c];
  EXPECT_EQ(counted, after.members);
  EXPECT_LE(after.members.size(), 8u + kReports / 9) << "families stay together";
  std::printf("kill -9 test: %s\n",
              h.process().Stderr().find("re-queued") != std::string::npos
                  ? "the restart re-scored reports that were pending at the kill"
                  : "every report was scored before the kill (the crash hit after clustering)");
}

}  // namespace
}  // namespace sakchy::testing::clusters_test
