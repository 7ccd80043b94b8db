// Crash safety of the scoring pipeline under bulk load: the real binary killed with SIGKILL at
// points drawn from a seeded generator (the seed is printed), restarted on the same data.

#include <signal.h>

#include <boost/json.hpp>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "integration/harness.h"

namespace sakchy::testing::crash_test {
namespace {

namespace json = boost::json;

constexpr int kLines = 2400;
constexpr int kChunk = 400;  // lines per bulk request
constexpr int kRounds = 4;   // killed rounds; each posts kLines / kRounds lines

// Line i: mostly ordinary texts, every fifth one of a few rumours worded alike (so the cluster
// stage's state has to survive the kills too).
std::string Line(int i) {
  std::string text;
  if (i % 5 == 0) {
    text = "Говорят, в Оше закрывают банк номер " + std::to_string(i % 3) +
           ", снимайте деньги, передайте всем";
  } else {
    text = "Обычное сообщение номер " + std::to_string(i) + " о ценах на рынке";
  }
  return "{\"text\":\"" + text + "\",\"source_ref\":\"crash-" + std::to_string(i) + "\"}\n";
}

std::string Body(int from, int to) {
  std::string body;
  for (int i = from; i < to; ++i) body += Line(i);
  return body;
}

HttpResult PostBulk(Harness& h, const std::string& body) {
  return h.Call("POST", "/v1/reports:batch", kMonitorToken, body,
                {{"Content-Type", "application/x-ndjson"}});
}

TEST(ScoringCrashTest, KillNineAtRandomPointsOfABulkRunScoresAndCountsEveryReportOnce) {
  const unsigned seed = 20261207;
  std::printf("crash test seed %u\n", seed);
  std::mt19937 gen(seed);
  HarnessOptions opts;
  opts.queue_capacity = 20000;
  Harness h(opts);
  const int per_round = kLines / kRounds;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE(h.Start()) << "round " << round;
    // The lines of this round, posted from another thread while this one picks the moment.
    std::atomic<bool> posting{true};
    std::thread poster([&h, &posting, round, per_round] {
      for (int from = round * per_round; from < (round + 1) * per_round; from += kChunk) {
        PostBulk(h, Body(from, std::min(from + kChunk, (round + 1) * per_round)));
      }
      posting = false;
    });
    // Kill once this process has accepted (even rounds: mid-intake) or scored (odd rounds,
    // recovered reports included) a random number of reports.
    const int threshold = std::uniform_int_distribution<int>(0, per_round)(gen);
    const char* metric =
        round % 2 == 0 ? "sakchy_reports_accepted_total" : "sakchy_events_scored_total";
    WaitFor([&] { return h.Metric(metric) >= threshold; }, std::chrono::seconds(30));
    EXPECT_EQ(h.Stop(SIGKILL), 128 + SIGKILL);
    const bool killed_while_posting = posting;
    poster.join();
    std::printf("round %d: killed at %s >= %d (%s)\n", round, metric, threshold,
                killed_while_posting ? "while posting" : "after posting");
  }

  // Restart and post every line again, as a client that never saw its answers would: each line
  // is now either accepted (it was lost before its 202) or a duplicate of the stored report.
  ASSERT_TRUE(h.Start());
  std::set<std::string> ids;
  int fresh = 0;
  for (int from = 0; from < kLines; from += kChunk) {
    auto r = PostBulk(h, Body(from, from + kChunk));
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    auto v = json::parse(r.body);
    EXPECT_EQ(v.at("rejected").to_number<int>(), 0);
    fresh += v.at("accepted").to_number<int>();
    for (const auto& line : v.at("results").as_array()) {
      ids.insert(std::string(line.at("id").as_string()));
    }
  }
  std::printf("%d lines were not stored before their kill\n", fresh);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kLines)) << "one stored report per line";
  // Every report scored, each counted exactly once.
  const std::string trends =
      "/v1/trends?area=KG&from=2020-01-01T00:00:00Z&to=2040-01-01T00:00:00Z&bucket=day";
  auto total = [&] {
    auto t = h.GetJson(trends);
    if (!t.is_object() || t.at("series").as_array().empty()) return 0;
    return t.at("series").at(0).at("total").to_number<int>();
  };
  ASSERT_TRUE(WaitFor([&] { return total() >= kLines; }, std::chrono::seconds(60))) << total();
  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_queue_depth") == 0; }));
  EXPECT_EQ(total(), kLines);
  for (const auto& id : ids) {
    auto e = h.GetJson("/v1/events/" + id);
    ASSERT_TRUE(e.is_object()) << id;
    EXPECT_EQ(e.at("status"), "scored") << id;
  }
  EXPECT_EQ(h.Stop(SIGTERM), 0) << h.process().Stderr();
}

}  // namespace
}  // namespace sakchy::testing::crash_test
