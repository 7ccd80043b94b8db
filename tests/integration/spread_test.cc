// Spread is itself a warning, end to end against the real binary: a rumour that five monitors
// report independently reaches the area's contact (who hears only high and above) within a
// minute of the fifth report, although no rule rates its words high; one monitor reporting it five
// times, or public feeds alone, do not reach that contact. And a report that joins a rumour an
// analyst judged false carries known_false and the statement, in the event and in its alert.

#include <boost/json.hpp>

#include <chrono>
#include <set>

#include "core/crypto.h"
#include "core/types.h"
#include "fakes/feed_fake.h"
#include "integration/harness.h"

namespace sakchy::testing::spread_test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// The bank-run rumour of Osh, in five wordings: the bank-run narrative rule rates each medium,
// none high (an urgency marker such as "СРОЧНО!" would add enough to make one high).
const std::vector<std::string> kBankRun = {
    "Завтра закроют все банки, люди снимают деньги с карточек, передайте родным",
    "Внимание! Завтра закроют все банки, люди снимают деньги с карточек",
    "завтра закроют все банки!!! люди уже снимают деньги с карточек, передайте родным",
    "Завтра закроют все банки, люди снимают деньги с карточек. Передайте родным и друзьям",
    "Завтра закроют ВСЕ банки, люди снимают деньги с карточек...",
};

constexpr const char* kRiot =
    "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!";
constexpr const char* kStatement = "Мэрия Оша: беспорядков нет, в городе спокойно.";

std::string MonitorToken(int i) { return "spread-monitor-token-" + std::to_string(i) + "xxx"; }

// Six monitor tokens and, besides the harness's Osh duty officer (who hears everything), the
// Osh city official, who hears only high and above: the one the rumour must reach.
HarnessOptions SpreadOptions(const HttpSink& official, std::string extra = "") {
  HarnessOptions o;
  o.contacts_yaml = "  - id: osh-official\n    name: Osh city official\n    language: ru\n"
                    "    areas: [KG-GO]\n    min_severity: high\n    channels:\n"
                    "      - type: webhook\n        url: " + official.url("/official") + "\n"
                    "        secret_env: SAKCHY_WEBHOOK_TEST_SECRET\n";
  std::string yaml = "tokens:\n";
  for (int i = 1; i <= 6; ++i) {
    yaml += "  - {name: monitor-" + std::to_string(i) +
            ", role: monitor, sha256: " + Sha256Hex(MonitorToken(i)) + "}\n";
  }
  o.extra_yaml = yaml + extra;
  return o;
}

std::string Post(Harness& h, int monitor, const std::string& text, const std::string& ref) {
  json::object body{{"text", text}, {"source_ref", ref}, {"area", "KG-GO"}};
  auto r = h.Call("POST", "/v1/reports", MonitorToken(monitor), json::serialize(body));
  EXPECT_EQ(r.status, 202) << r.body;
  return r.status == 202 ? std::string(json::parse(r.body).at("id").as_string()) : "";
}

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

// The webhook bodies of `sink` of one kind ("signal", "event").
std::vector<json::object> Bodies(const HttpSink& sink, const std::string& kind) {
  std::vector<json::object> out;
  for (const auto& r : sink.requests()) {
    auto v = json::parse(r.body);
    if (v.is_object() && v.as_object().contains("kind") && v.at("kind") == kind.c_str()) {
      out.push_back(v.as_object());
    }
  }
  return out;
}

// Every event scored, in one cluster, and each below high on its own words.
std::string CommonCluster(Harness& h, const std::vector<std::string>& ids) {
  std::set<std::string> clusters;
  for (const auto& id : ids) {
    auto e = h.WaitScored(id);
    EXPECT_TRUE(e.is_object()) << "never scored: " << id;
    if (!e.is_object()) return "";
    auto severity = ParseSeverity(Str(e.at("severity")));
    EXPECT_TRUE(severity && *severity < Severity::kHigh)
        << "the rumour must reach the official by its spread alone; a rule now rates this "
           "wording " << e.at("severity") << ": choose wordings no rule rates high\n" << e;
    clusters.insert(Str(e.at("cluster_id")));
  }
  EXPECT_EQ(clusters.size(), 1u) << "the wordings did not form one cluster";
  return clusters.size() == 1 ? *clusters.begin() : "";
}

// Whether any signal notification of the outbox went to `contact`. Call it once the routing step
// in question has notified someone else: its notifications are written together.
bool SignalNotified(Harness& h, const std::string& contact) {
  auto listed = h.GetJson("/v1/alerts?kind=signal&limit=100");
  EXPECT_TRUE(listed.is_object());
  if (!listed.is_object()) return false;
  for (const auto& a : listed.at("alerts").as_array()) {
    if (a.at("contact_id") == contact.c_str()) return true;
  }
  return false;
}

TEST(SpreadAlertTest, FiveIndependentMonitorsReachTheAreaContactWithinAMinute) {
  HttpSink official;
  Harness h(SpreadOptions(official));
  ASSERT_TRUE(h.Start());
  std::vector<std::string> ids;
  Clock::time_point fifth_accepted;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Post(h, i + 1, kBankRun[static_cast<std::size_t>(i)], "bank-" + std::to_string(i)));
    if (i == 4) fifth_accepted = Clock::now();
  }
  const bool reached = WaitFor([&] { return official.count() >= 1; }, std::chrono::seconds(60));
  const auto elapsed = Clock::now() - fifth_accepted;
  ASSERT_TRUE(reached) << "the official heard nothing within 60 s\n" << h.process().Stderr();
  EXPECT_LT(elapsed, std::chrono::seconds(60));
  std::printf("[ spread ] fifth report's 202 -> the official's webhook: %.1f ms\n",
              std::chrono::duration<double, std::milli>(elapsed).count());

  const std::string cluster = CommonCluster(h, ids);
  auto signals = Bodies(official, "signal");
  ASSERT_EQ(signals.size(), 1u) << official.requests()[0].body;
  const json::object& body = signals[0];
  EXPECT_EQ(body.at("severity"), "high");
  EXPECT_EQ(body.at("area"), "KG-GO");
  EXPECT_EQ(body.at("subject_id"), cluster.c_str());
  EXPECT_EQ(body.at("contact_id"), "osh-official");
  const auto& signal = body.at("signal").as_object();
  EXPECT_EQ(signal.at("people").as_int64(), 5);
  EXPECT_EQ(signal.at("public_sources").as_int64(), 0);
  EXPECT_EQ(signal.at("trend"), "accelerating");
  // Why, in the official's language: the people, the time they took, the trend.
  const std::string why = Str(signal.at("why"));
  EXPECT_TRUE(why.starts_with("5 независимых сообщений за ")) << why;
  EXPECT_TRUE(why.ends_with(", ускоряется")) << why;
  EXPECT_NE(Str(signal.at("reason")).find("(5 people)"), std::string::npos) << signal;
  EXPECT_EQ(body.at("event_ids").as_array().size(), 5u);
}

TEST(SpreadAlertTest, OneMonitorReportingFiveTimesDoesNotReachTheOfficial) {
  HttpSink official;
  Harness h(SpreadOptions(official));
  ASSERT_TRUE(h.Start());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Post(h, 1, kBankRun[static_cast<std::size_t>(i)], "same-" + std::to_string(i)));
  }
  CommonCluster(h, ids);
  // Five reports in a minute still accelerate: the duty officer, who hears everything, is told
  // (at the reports' own severity, below high); the official is not.
  ASSERT_TRUE(WaitFor([&] { return !Bodies(h.sink(), "signal").empty(); }))
      << h.process().Stderr();
  const auto duty = Bodies(h.sink(), "signal");
  const auto severity = ParseSeverity(Str(duty[0].at("severity")));
  EXPECT_TRUE(severity && *severity < Severity::kHigh) << "no floor for one person: " << duty[0];
  EXPECT_EQ(duty[0].at("signal").at("people").as_int64(), 1);
  EXPECT_FALSE(SignalNotified(h, "osh-official"));
  EXPECT_EQ(official.count(), 0u);
}

TEST(SpreadAlertTest, PublicFeedPostsAloneAreRaisedAtMedium) {
  HttpSink official;
  FeedFake feed;
  std::string items;
  for (int i = 0; i < 5; ++i) {
    items += "<item><guid>bank-" + std::to_string(i) + "</guid><author>author" +
             std::to_string(i) + "@news.kg</author><title>" + kBankRun[static_cast<std::size_t>(i)] +
             "</title><pubDate>Sat, 01 Jun 2024 12:0" + std::to_string(i) +
             ":00 +0600</pubDate></item>\n";
  }
  feed.SetDocument(R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Новости Оша</title>
)" + items + "</channel></rss>",
                   "\"v1\"");
  Harness h(SpreadOptions(official, "sources:\n  - id: osh-news\n    type: rss\n    url: " +
                                        feed.url() + "\n    interval_ms: 50\n    area: KG-GO\n"
                                        "    allow_private_targets: [127.0.0.1/32]\n"));
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitFor([&] { return !Bodies(h.sink(), "signal").empty(); }))
      << h.process().Stderr();
  const auto duty = Bodies(h.sink(), "signal");
  EXPECT_EQ(duty[0].at("severity"), "medium");
  EXPECT_EQ(duty[0].at("signal").at("people").as_int64(), 0);
  EXPECT_EQ(duty[0].at("signal").at("public_sources").as_int64(), 5);
  EXPECT_TRUE(Str(duty[0].at("signal").at("why")).starts_with("5 публичных постов за "))
      << duty[0];
  EXPECT_FALSE(SignalNotified(h, "osh-official"));
  EXPECT_EQ(official.count(), 0u);
}

TEST(SpreadAlertTest, ANewReportOfARumourJudgedFalseCarriesTheVerdict) {
  HttpSink official;
  Harness h(SpreadOptions(official));
  ASSERT_TRUE(h.Start());
  const std::string first = Post(h, 1, kRiot, "riot-1");
  const std::string second = Post(h, 2, std::string("СРОЧНО!!! ") + kRiot, "riot-2");
  const std::string cluster = Str(h.WaitScored(first).at("cluster_id"));
  ASSERT_FALSE(cluster.empty());
  ASSERT_EQ(Str(h.WaitScored(second).at("cluster_id")), cluster);
  auto verdict = h.Call("POST", "/v1/clusters/" + cluster + "/verdict", kAnalystToken,
                        json::serialize(json::object{{"status", "false"}, {"statement", kStatement}}));
  ASSERT_EQ(verdict.status, 200) << verdict.body;

  const std::string third = Post(h, 3, std::string(kRiot) + " Передайте!", "riot-3");
  auto event = h.WaitScored(third);
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(Str(event.at("cluster_id")), cluster);
  std::set<std::string> categories;
  for (const auto& c : event.at("categories").as_array()) categories.insert(Str(c));
  EXPECT_TRUE(categories.contains("known_false")) << event;
  EXPECT_EQ(event.at("verdict").at("status"), "false");
  EXPECT_EQ(event.at("verdict").at("statement"), kStatement);
  EXPECT_EQ(event.at("verdict").at("decided_by"), "env-analyst-1");
  // The first report, from before the verdict, keeps its categories but shows the verdict.
  auto before = h.GetJson("/v1/events/" + first);
  for (const auto& c : before.at("categories").as_array()) EXPECT_NE(Str(c), "known_false");
  EXPECT_EQ(before.at("verdict").at("status"), "false");

  // The official (high and above) is alerted about the new report and reads the verdict at once.
  json::object alert;
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& b : Bodies(official, "event")) {
      if (b.at("event_id") == third.c_str()) alert = b;
    }
    return !alert.empty();
  })) << h.process().Stderr();
  EXPECT_EQ(alert.at("verdict").at("status"), "false");
  EXPECT_EQ(alert.at("verdict").at("statement"), kStatement);
  EXPECT_EQ(Str(alert.at("verdict").at("text")),
            std::string("Уже проверено: ЛОЖЬ — «") + kStatement + "»");
  bool known = false;
  for (const auto& c : alert.at("categories").as_array()) known = known || c == "known_false";
  EXPECT_TRUE(known) << alert;
}

}  // namespace
}  // namespace sakchy::testing::spread_test
