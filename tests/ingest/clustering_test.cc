// The rumour-cluster stage: assignment across channels and scripts, short texts, persistence and
// restart (also after a crash between analysis and commit), the bounded cache, spread signals
// with an injected clock, the queries and verdicts of the API, and the pipeline hook.

#include "ingest/clustering.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>
#include <thread>

#include "../../ingest/src/cluster_records.h"
#include "ingest/pipeline.h"
#include "ingest/reporters.h"
#include "storage/audit.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::clustering_test {
namespace {

using sakchy::testing::TempDir;
using sakchy::testing::WaitFor;
using ::testing::HasSubstr;

constexpr TimeMs kMin = 60 * 1000;
constexpr TimeMs kT0 = 1'780'000'000'000;  // 2026-05-28

constexpr const char* kAreasYaml = R"(
areas:
  - {code: KG, level: country, name_en: Kyrgyzstan, name_ru: Кыргызстан, name_ky: Кыргызстан}
  - {code: KG-O, parent: KG, level: oblast, name_en: Osh, name_ru: Ошская, name_ky: Ош}
  - {code: KG-O-ARAVAN, parent: KG-O, level: raion, name_en: Aravan, name_ru: Араванский, name_ky: Араван}
  - {code: KG-N, parent: KG, level: oblast, name_en: Naryn, name_ru: Нарынская, name_ky: Нарын}
  - {code: KG-B, parent: KG, level: oblast, name_en: Batken, name_ru: Баткенская, name_ky: Баткен}
)";

constexpr const char* kRiot =
    "Говорят, в Оше начались беспорядки, толпа идёт к зданию акимиата на улице Ленина";
constexpr const char* kRiotLatin =
    "govoryat v Oshe nachalis besporyadki tolpa idyot k zdaniyu akimiata na ulitse Lenina";
constexpr const char* kBridge =
    "Нарында көпүрө кулап, жолдо машиналар тыгылып турат, баары токтоп калды";
constexpr const char* kPower =
    "В Бишкеке отключат свет на три дня во всех районах города с понедельника";

// A made-up Cyrillic word per number (digits inside words would be folded as homoglyphs).
std::string Word(int n) {
  static const char* kSyllables[] = {"ка", "ло", "ми", "ну", "ру", "се", "ты", "жа", "бе", "до"};
  std::string w = "то";
  do {
    w += kSyllables[n % 10];
    n /= 10;
  } while (n > 0);
  return w;
}

// A rumour of four content words that no other Rumour(m) shares.
std::string Rumour(int n) {
  return "слух про " + Word(4 * n) + " и " + Word(4 * n + 1) + " возле " + Word(4 * n + 2) + " у " +
         Word(4 * n + 3);
}

class ClusteringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto areas = config::AreaTree::Parse(kAreasYaml, "areas.yaml");
    ASSERT_OK(areas);
    areas_ = std::move(*areas);
    OpenStore();
    cfg_.spread.min_sources = 3;
    cfg_.spread.sources_window_ms = 10 * kMin;
    cfg_.spread.new_area = false;
    cfg_.spread.accel_min_recent = 1000;
  }
  void OpenStore() {
    auto s = storage::Store::Open({dir_.str() + "/db", false});
    ASSERT_OK(s);
    store_ = std::move(*s);
  }
  void OpenStage() {
    stage_.reset();
    metrics_ = std::make_unique<MetricsRegistry>();
    auto stage = ClusterStage::Open(*store_, cfg_, clock_, *metrics_);
    ASSERT_OK(stage);
    stage_ = std::move(*stage);
  }

  // An event as scoring leaves it; ids are time-ordered like the pipeline's.
  Event E(std::string text, TimeMs t, std::string area = "", std::string who = "monitor-1",
          std::string channel = "api", Severity severity = Severity::kMedium,
          std::vector<std::string> categories = {"rumour"}) {
    Event e;
    ManualClock at(t);
    IdGenerator ids(at);
    e.report.id = ids.Next();
    e.report.text = std::move(text);
    e.report.channel = std::move(channel);
    e.report.submitted_by = std::move(who);
    e.report.observed_at = t;
    e.report.received_at = t;
    e.scored = true;
    e.area = std::move(area);
    e.severity = severity;
    e.categories = std::move(categories);
    e.scored_at = t;
    return e;
  }
  // Analyses one batch and commits it, as the pipeline does; returns the signals.
  std::vector<Signal> Feed(std::vector<Event> events, bool commit = true) {
    std::vector<storage::ScoredBatchItem> items;
    for (auto& e : events) {
      storage::ScoredBatchItem item;
      item.event = std::move(e);
      items.push_back(std::move(item));
    }
    std::vector<Signal> signals = stage_->Annotate(items);
    if (commit) {
      auto s = store_->CommitScored(items);
      EXPECT_TRUE(s.has_value()) << s.error().ToString();
    }
    return signals;
  }
  std::vector<Signal> Feed1(Event e) {
    std::vector<Event> v;
    v.push_back(std::move(e));
    return Feed(std::move(v));
  }
  ClusterId Of(const Event& e) {
    auto c = ClusterOfEvent(*store_, e.report.id);
    EXPECT_TRUE(c.has_value() && c->has_value()) << e.report.id;
    return c && *c ? **c : 0;
  }
  std::optional<ClusterDetail> Detail(ClusterId id, ClusterDetailQuery q = {}) {
    auto d = GetCluster(*store_, areas_, id, q, clock_.NowMs());
    EXPECT_TRUE(d.has_value()) << d.error().ToString();
    return d ? *d : std::nullopt;
  }

  TempDir dir_;
  config::AreaTree areas_;
  std::unique_ptr<storage::Store> store_;
  config::ClustersConfig cfg_;
  ManualClock clock_{kT0};
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<ClusterStage> stage_;
};

TEST_F(ClusteringTest, NearDuplicatesJoinAcrossChannelsAndScripts) {
  OpenStage();
  Event a = E(kRiot, kT0, "KG-O", "monitor-1", "api");
  Event b = E(std::string("СРОЧНО!!! ") + kRiot + " передайте всем", kT0 + kMin, "KG-O", "sms:ab12",
              "sms");
  Event c = E(kRiotLatin, kT0 + 2 * kMin, "KG-O", "tg:77", "telegram");
  Event d = E(kBridge, kT0 + 3 * kMin, "KG-N");
  Event e = E(kPower, kT0 + 4 * kMin);
  std::vector<Event> batch = {a, b, c, d, e};
  Feed(batch);
  EXPECT_EQ(Of(a), Of(b));
  EXPECT_EQ(Of(a), Of(c)) << "a Latin-script copy joins the Cyrillic one";
  EXPECT_NE(Of(a), Of(d));
  EXPECT_NE(Of(a), Of(e));
  EXPECT_NE(Of(d), Of(e));

  auto detail = Detail(Of(a));
  ASSERT_TRUE(detail.has_value());
  const auto& info = detail->summary.info;
  EXPECT_EQ(info.members, 3u);
  EXPECT_EQ(info.distinct_sources, 3u);
  EXPECT_EQ(info.representative_id, a.report.id);
  EXPECT_EQ(info.representative_text, kRiot) << "the original text represents the cluster";
  EXPECT_EQ(info.first_seen, kT0);
  EXPECT_EQ(info.last_seen, kT0 + 2 * kMin);
  ASSERT_EQ(detail->members.size(), 3u);
  EXPECT_EQ(detail->members[0].event_id, c.report.id);  // newest first
  EXPECT_EQ(detail->members[0].channel, "telegram");
  EXPECT_EQ(detail->members[2].area, "KG-O");
  ASSERT_EQ(detail->timeline.size(), 1u);
  EXPECT_EQ(detail->timeline[0].second, 3u);
  EXPECT_EQ(metrics_->GetCounter("sakchy_cluster_assignments_total", "").Value(), 5u);
}

TEST_F(ClusteringTest, ShortGenericTextsStaySingletons) {
  OpenStage();
  std::vector<Event> batch;
  for (int i = 0; i < 30; ++i) {
    batch.push_back(E(i % 2 ? "срочно!!!" : "СРОЧНО, репост всем!!", kT0 + i * 1000, "KG-O",
                      "u" + std::to_string(i)));
  }
  Feed(batch);
  std::set<ClusterId> ids;
  for (const auto& e : batch) ids.insert(Of(e));
  EXPECT_EQ(ids.size(), 30u);
  auto detail = Detail(*ids.begin());
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->summary.info.members, 1u);
  EXPECT_TRUE(detail->summary.info.singleton_only);
  ClusterQuery q;
  auto page = ListClusters(*store_, areas_, q, clock_.NowMs());
  ASSERT_OK(page);
  EXPECT_TRUE(page->clusters.empty()) << "single-member clusters are not listed";
  EXPECT_EQ(stage_->Memory().clusters, 0u);
  EXPECT_EQ(metrics_->GetCounter("sakchy_cluster_short_texts_total", "").Value(), 30u);
}

TEST_F(ClusteringTest, IndexSurvivesRestart) {
  OpenStage();
  Event a = E(kRiot, kT0, "KG-O", "m1");
  Event b = E(kBridge, kT0 + kMin, "KG-N", "m1");
  Feed({a, b});
  const ClusterId riot = Of(a);
  const ClusterId bridge = Of(b);

  OpenStage();  // a fresh process: the index comes back from the store
  EXPECT_GE(stage_->Memory().indexed_reports, 2u);
  Event c = E(kRiot, kT0 + 5 * kMin, "KG-O-ARAVAN", "m2");
  Event d = E(kPower, kT0 + 6 * kMin, "", "m2");
  Feed({c, d});
  EXPECT_EQ(Of(c), riot);
  EXPECT_GT(Of(d), bridge) << "new ids continue after the stored ones";
  auto detail = Detail(riot);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->summary.info.members, 2u);
  EXPECT_EQ(detail->summary.info.areas.size(), 2u);
}

TEST_F(ClusteringTest, ColdClustersAreNotJoinedAfterRestart) {
  cfg_.window_ms = 60 * kMin;
  OpenStage();
  Event a = E(kRiot, kT0);
  Feed1(a);
  OpenStage();
  Event b = E(kRiot, kT0 + 61 * kMin);
  Feed1(b);
  EXPECT_NE(Of(a), Of(b));
}

// Run the same stream once straight and once with restarts and "crashes" (analysed but never
// committed, then the same reports again after a restart, as the pipeline re-queues them): the
// clusters must come out identical.
TEST_F(ClusteringTest, CrashBetweenAnalysisAndCommitGivesTheSameClusters) {
  std::vector<Event> stream;
  const char* texts[] = {kRiot, kBridge, kPower, kRiotLatin};
  for (int i = 0; i < 120; ++i) {
    std::string text = texts[i % 4];
    if (i % 3 == 0) text += " срочно";
    if (i % 5 == 0) text = "короткий текст " + std::to_string(i);
    stream.push_back(
        E(text, kT0 + i * 20 * 1000, i % 2 ? "KG-O" : "KG-N", "source-" + std::to_string(i % 7)));
  }
  auto run = [&](bool crashes) {
    std::map<std::string, ClusterId> of;
    std::map<ClusterId, std::string> states;
    OpenStage();
    for (std::size_t i = 0; i < stream.size(); i += 10) {
      std::vector<Event> batch(stream.begin() + static_cast<long>(i),
                               stream.begin() + static_cast<long>(i + 10));
      if (crashes && i % 30 == 10) {
        Feed(batch, /*commit=*/false);  // the process dies before the commit
        OpenStage();
      }
      Feed(batch);
      if (crashes && i % 40 == 0) OpenStage();  // a clean restart
    }
    for (const auto& e : stream) of[e.report.id] = Of(e);
    auto all = store_->ScanRecords("cluster", {.limit = 100000});
    EXPECT_TRUE(all.has_value());
    for (const auto& r : *all) {
      auto info = classifier::DecodeClusterState(r.value);
      EXPECT_TRUE(info.has_value());
      states[info->id] = r.value;
    }
    return std::make_pair(of, states);
  };
  auto straight = run(false);
  stage_.reset();
  store_.reset();
  std::filesystem::remove_all(dir_.str() + "/db");
  OpenStore();
  auto interrupted = run(true);
  EXPECT_EQ(straight.first, interrupted.first);
  EXPECT_EQ(straight.second.size(), interrupted.second.size());
  EXPECT_TRUE(straight.second == interrupted.second) << "cluster states differ";
  std::set<ClusterId> distinct;
  for (const auto& [id, c] : straight.first) distinct.insert(c);
  EXPECT_LT(distinct.size(), 40u) << "the stream has four rumours and 24 short texts";
}

// The stateless part prepared on other threads (PipelineHooks::prepare, as the scoring threads
// do) and handed to Annotate gives byte for byte the records (assignments, signatures, states,
// recency index, signals) and signals of the old path, which normalises and fingerprints on the
// commit thread; with a small cache, so clusters are also read back from the store.
TEST_F(ClusteringTest, PreparedAnalysisGivesTheSameClustersAsTheOldPath) {
  cfg_.cache_clusters = 8;
  std::vector<Event> stream;
  const char* texts[] = {kRiot, kBridge, kPower, kRiotLatin};
  for (int i = 0; i < 300; ++i) {
    std::string text = i % 3 == 0 ? Rumour(i % 23) : std::string(texts[i % 4]);
    if (i % 4 == 1) text += " https://t.co/x" + std::to_string(i);
    if (i % 7 == 0) text = "срочно!!! " + std::to_string(i);
    if (i == 5) text.clear();
    stream.push_back(E(text, kT0 + i * 10 * 1000, i % 2 ? "KG-O" : "KG-N",
                       "source-" + std::to_string(i % 5), i % 3 ? "api" : "sms"));
  }
  struct Out {
    std::vector<std::string> records;  // table, key, value of every record, in item order
    std::vector<std::string> signals;
    std::vector<std::vector<std::string>> categories;
  };
  auto run = [&](bool prepare, Out& out) {
    OpenStage();
    IdGenerator audit_ids(clock_);
    std::size_t i = 0;
    for (std::size_t size : {1u, 7u, 50u, 3u, 120u, 19u, 100u}) {
      if (i == 8) {  // a verdict: later members of the bridge rumour are known_false
        const ClusterId bridge = Of(stream[1]);
        ASSERT_OK(RecordClusterVerdict(*store_, bridge, VerdictStatus::kFalse, "неправда", "x",
                                       kT0, audit_ids));
        stage_->VerdictRecorded(bridge, VerdictStatus::kFalse);
      }
      std::vector<storage::ScoredBatchItem> items;
      for (std::size_t k = 0; k < size && i < stream.size(); ++k, ++i) {
        storage::ScoredBatchItem item;
        item.event = stream[i];
        item.first_scoring = true;
        items.push_back(std::move(item));
      }
      std::vector<Signal> signals;
      if (prepare) {
        std::vector<PreparedAnalysis> prepared(items.size());
        auto worker = [&](std::size_t from) {
          for (std::size_t k = from; k < items.size(); k += 2) stage_->Prepare(items[k], prepared[k]);
        };
        std::thread t1(worker, 0);
        std::thread t2(worker, 1);
        t1.join();
        t2.join();
        for (const auto& p : prepared) EXPECT_TRUE(p.ready);
        signals = stage_->Annotate(items, prepared);
      } else {
        signals = stage_->Annotate(items);
      }
      ASSERT_OK(store_->CommitScored(items));
      for (const auto& item : items) {
        out.categories.push_back(item.event.categories);
        for (const auto& r : item.records) {
          out.records.push_back(r.table + "|" + r.key + "|" + r.value.value_or("<delete>"));
        }
      }
      for (const auto& sig : signals) {
        std::string ids;
        for (const auto& id : sig.event_ids) ids += id + ",";
        out.signals.push_back(sig.subject_id + "|" + sig.reason + "|" + ids);
      }
    }
  };
  Out old_path;
  ASSERT_NO_FATAL_FAILURE(run(false, old_path));
  stage_.reset();
  store_.reset();
  std::filesystem::remove_all(dir_.str() + "/db");
  OpenStore();
  Out prepared_path;
  ASSERT_NO_FATAL_FAILURE(run(true, prepared_path));
  EXPECT_EQ(old_path.records.size(), prepared_path.records.size());
  EXPECT_TRUE(old_path.records == prepared_path.records) << "cluster records differ";
  EXPECT_EQ(old_path.signals, prepared_path.signals);
  EXPECT_EQ(old_path.categories, prepared_path.categories);
  // The stream exercised what it is meant to: clusters formed, signals, loads, a known rumour.
  EXPECT_FALSE(old_path.signals.empty());
  EXPECT_GE(stage_->Memory().loads, 1u);
  EXPECT_TRUE(std::any_of(old_path.categories.begin(), old_path.categories.end(),
                          [](const auto& c) {
                            return std::find(c.begin(), c.end(), "known_false") != c.end();
                          }));
}

TEST_F(ClusteringTest, BoundedCacheReadsClustersBack) {
  cfg_.cache_clusters = 100;
  OpenStage();
  std::vector<Event> firsts;
  for (int i = 0; i < 400; ++i) {
    firsts.push_back(E(Rumour(i), kT0 + i * 1000, "KG-O", "m" + std::to_string(i)));
  }
  for (std::size_t i = 0; i < firsts.size(); i += 50) {
    Feed(std::vector<Event>(firsts.begin() + static_cast<long>(i),
                            firsts.begin() + static_cast<long>(i + 50)));
  }
  Feed1(E(kPower, kT0 + 500 * 1000));  // trims the cache
  EXPECT_LE(stage_->Memory().clusters, 100u);
  // The first rumours again: their clusters were dropped from memory and come back from disk.
  Event again = E(firsts[3].report.text, kT0 + 600 * 1000, "KG-N", "late");
  Feed1(again);
  EXPECT_EQ(Of(again), Of(firsts[3]));
  EXPECT_GE(stage_->Memory().loads, 1u);
  EXPECT_EQ(stage_->Memory().load_failures, 0u);
  auto detail = Detail(Of(again));
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->summary.info.members, 2u);
  EXPECT_EQ(detail->summary.info.areas.size(), 2u);
}

// ---- spread signals (injected clock: report times and the service clock are set by hand) ----

TEST_F(ClusteringTest, SignalWhenNSourcesWithinT) {
  OpenStage();
  clock_.Set(kT0 + 7 * kMin);
  EXPECT_TRUE(Feed1(E(kRiot, kT0, "KG-O", "a")).empty());
  EXPECT_TRUE(Feed1(E(kRiot, kT0 + 2 * kMin, "KG-O", "b")).empty());
  EXPECT_TRUE(Feed1(E(kRiot, kT0 + 3 * kMin, "KG-O", "b")).empty()) << "b twice is one source";
  Event third = E(kRiot, kT0 + 6 * kMin, "KG-O", "c", "sms");
  auto signals = Feed1(third);
  ASSERT_EQ(signals.size(), 1u);
  const Signal& s = signals[0];
  EXPECT_EQ(s.kind, Signal::Kind::kClusterSpread);
  EXPECT_EQ(s.subject_id, ClusterIdText(Of(third)));
  EXPECT_EQ(s.reason, "3 distinct sources within 10 min (3 people)");
  EXPECT_EQ(s.severity, Severity::kHigh) << "three monitors and an SMS sender are people";
  ASSERT_TRUE(s.spread.has_value());
  EXPECT_EQ(s.spread->people, 3);
  EXPECT_EQ(s.spread->span_ms, 6 * kMin);
  EXPECT_EQ(s.event_ids.size(), 4u);
  EXPECT_EQ(s.event_ids.back(), third.report.id);
  EXPECT_EQ(s.area, "KG-O");
  EXPECT_EQ(s.sources, 3);
  EXPECT_EQ(s.first_seen, kT0);
  EXPECT_EQ(s.at, kT0 + 7 * kMin) << "raised at the service clock's time";
  EXPECT_EQ(s.summary, kRiot);
  EXPECT_EQ(s.categories, (std::vector<std::string>{"rumour"}));
  // Recorded on the cluster, and counted.
  auto detail = Detail(Of(third));
  ASSERT_TRUE(detail.has_value());
  ASSERT_EQ(detail->signals.size(), 1u);
  EXPECT_EQ(detail->signals[0].reason, s.reason);
  EXPECT_EQ(detail->signals[0].events, 4u);
  EXPECT_EQ(detail->signals[0].members, 4u);
  EXPECT_EQ(detail->summary.info.spread.alerts, 1u);
  EXPECT_EQ(metrics_->GetCounter("sakchy_cluster_signals_total", "").Value(), 1u);
  // A fourth source does not signal again (only when the count doubles), also after a restart.
  OpenStage();
  EXPECT_TRUE(Feed1(E(kRiot, kT0 + 8 * kMin, "KG-O", "d")).empty());
}

TEST_F(ClusteringTest, NoSignalWhenSourcesAreSpreadBeyondT) {
  OpenStage();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(Feed1(E(kRiot, kT0 + i * 11 * kMin, "KG-O", "s" + std::to_string(i))).empty()) << i;
  }
}

TEST_F(ClusteringTest, SignalWhenTheRumourReachesANewArea) {
  cfg_.spread.new_area = true;
  cfg_.spread.min_sources = 100;
  OpenStage();
  EXPECT_TRUE(Feed1(E(kRiot, kT0, "KG-O", "a")).empty());
  EXPECT_TRUE(Feed1(E(kRiot, kT0 + kMin, "KG-O", "b")).empty());
  auto signals = Feed1(E(kRiot, kT0 + 2 * kMin, "KG-N", "c"));
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_EQ(signals[0].reason, "new areas KG-O, KG-N");
  EXPECT_EQ(signals[0].areas, (std::vector<AreaCode>{"KG-O", "KG-N"}));
  EXPECT_TRUE(Feed1(E(kRiot, kT0 + 3 * kMin, "KG-N", "d")).empty());
  signals = Feed1(E(kRiot, kT0 + 4 * kMin, "KG-B", "e"));
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_EQ(signals[0].reason, "new area KG-B");
  EXPECT_EQ(
      metrics_->GetCounter("sakchy_cluster_signal_reasons_total", "", {{"reason", "new_area"}})
          .Value(),
      2u);
  // Both are recorded on the cluster (raised in the same clock millisecond), newest first.
  auto detail = Detail(ParseClusterId(signals[0].subject_id).value());
  ASSERT_TRUE(detail.has_value());
  ASSERT_EQ(detail->signals.size(), 2u);
  EXPECT_EQ(detail->signals[0].reason, "new area KG-B");
  EXPECT_EQ(detail->signals[1].reason, "new areas KG-O, KG-N");
}

TEST_F(ClusteringTest, SignalWhenTheClusterAccelerates) {
  cfg_.spread.min_sources = 1000;
  cfg_.spread.accel_min_recent = 5;
  cfg_.spread.accel_factor = 3.0;
  OpenStage();
  int n = 0;
  auto next = [&](TimeMs t) { return E(kRiot, t, "KG-O", "s" + std::to_string(n++)); };
  // Steady: one every 10 minutes for 50 minutes.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Feed1(next(kT0 + i * 10 * kMin)).empty());
  // A burst: six in the next ten minutes.
  std::vector<Signal> signals;
  for (int i = 0; i < 6; ++i) {
    auto s = Feed1(next(kT0 + 51 * kMin + i * kMin));
    signals.insert(signals.end(), s.begin(), s.end());
  }
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_THAT(signals[0].reason, HasSubstr("accelerating: 5 reports in 10 min"));
}

// ---- queries and verdicts ----

TEST_F(ClusteringTest, ListingFiltersSortsAndPages) {
  OpenStage();
  // Cluster sizes 2..7, areas alternating Osh/Naryn, one text each.
  std::vector<std::string> rumours;
  for (int k = 0; k < 6; ++k) rumours.push_back(Rumour(k));
  std::vector<ClusterId> ids;
  for (int k = 0; k < 6; ++k) {
    std::vector<Event> batch;
    for (int m = 0; m < k + 2; ++m) {
      batch.push_back(E(rumours[k], kT0 + k * 10 * kMin + m * 1000, k % 2 ? "KG-N" : "KG-O-ARAVAN",
                        "m" + std::to_string(m)));
    }
    Feed(batch);
    ids.push_back(Of(batch.front()));
  }
  clock_.Set(kT0 + 55 * kMin);
  const TimeMs now = clock_.NowMs();
  auto list = [&](ClusterQuery q) {
    auto page = ListClusters(*store_, areas_, q, now);
    EXPECT_TRUE(page.has_value()) << page.error().ToString();
    std::vector<ClusterId> out;
    for (const auto& c : page->clusters) out.push_back(c.info.id);
    return std::make_pair(out, page->next_cursor);
  };
  ClusterQuery q;
  EXPECT_EQ(list(q).first,
            (std::vector<ClusterId>{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}));
  q.sort = ClusterSort::kSize;
  q.min_members = 4;
  EXPECT_EQ(list(q).first, (std::vector<ClusterId>{ids[5], ids[4], ids[3], ids[2]}));
  q.min_members = 2;
  q.area = "KG-O";  // Aravan lies in Osh oblast
  EXPECT_EQ(list(q).first, (std::vector<ClusterId>{ids[4], ids[2], ids[0]}));
  q.area.reset();
  q.since = kT0 + 30 * kMin;
  EXPECT_EQ(list(q).first, (std::vector<ClusterId>{ids[5], ids[4], ids[3]}));
  q.since = 0;
  // Rising: only what was seen in the last hour before now, by members in that hour.
  q.sort = ClusterSort::kRising;
  auto rising = list(q).first;
  ASSERT_FALSE(rising.empty());
  EXPECT_EQ(rising.front(), ids[5]);
  // Scoping: an official of Naryn sees only Naryn clusters.
  q.sort = ClusterSort::kRecent;
  q.visible_areas = std::vector<AreaCode>{"KG-N"};
  EXPECT_EQ(list(q).first, (std::vector<ClusterId>{ids[5], ids[3], ids[1]}));
  q.visible_areas.reset();
  auto hidden =
      GetCluster(*store_, areas_, ids[0], {.visible_areas = std::vector<AreaCode>{"KG-N"}}, now);
  ASSERT_OK(hidden);
  EXPECT_FALSE(hidden->has_value());

  // Pages of two, in every order, visit every cluster exactly once.
  for (ClusterSort sort : {ClusterSort::kRecent, ClusterSort::kSize, ClusterSort::kRising}) {
    ClusterQuery p;
    p.sort = sort;
    p.limit = 2;
    std::vector<ClusterId> seen;
    for (int pages = 0; pages < 10; ++pages) {
      auto [got, cursor] = list(p);
      seen.insert(seen.end(), got.begin(), got.end());
      if (cursor.empty()) break;
      p.after = DecodeClusterCursor(cursor);
      ASSERT_TRUE(p.after.has_value()) << cursor;
    }
    std::set<ClusterId> distinct(seen.begin(), seen.end());
    EXPECT_EQ(distinct.size(), seen.size());
    if (sort != ClusterSort::kRising) {
      EXPECT_EQ(seen.size(), 6u);
    }
  }
  // A cursor of another order is refused.
  ClusterQuery bad;
  bad.sort = ClusterSort::kSize;
  bad.after = ClusterCursor{ClusterSort::kRecent, 1, 0, 0, 1};
  EXPECT_FALSE(ListClusters(*store_, areas_, bad, now).has_value());
  EXPECT_FALSE(DecodeClusterCursor("x.1.2.3.4").has_value());
  EXPECT_FALSE(DecodeClusterCursor("r.1.2.3").has_value());
  EXPECT_FALSE(DecodeClusterCursor("r.1.2.3.0").has_value());
  EXPECT_TRUE(DecodeClusterCursor(EncodeClusterCursor({ClusterSort::kSize, -5, 7, 0, 9})));
}

TEST_F(ClusteringTest, VerdictIsStoredAuditedAndFilterable) {
  OpenStage();
  Event a = E(kRiot, kT0, "KG-O", "a");
  Event b = E(kRiot, kT0 + kMin, "KG-O", "b");
  Event c = E(kBridge, kT0 + kMin, "KG-N", "a");
  Event d = E(kBridge, kT0 + 2 * kMin, "KG-N", "b");
  Feed({a, b, c, d});
  clock_.Set(kT0 + 10 * kMin);
  IdGenerator audit_ids(clock_);
  auto v = RecordClusterVerdict(*store_, Of(a), VerdictStatus::kFalse,
                                "Акимиат: в Оше спокойно, беспорядков нет.", "analyst-7",
                                clock_.NowMs(), audit_ids);
  ASSERT_OK(v);
  EXPECT_EQ(v->cluster_id, ClusterIdText(Of(a)));
  EXPECT_EQ(v->status, VerdictStatus::kFalse);
  EXPECT_EQ(v->decided_by, "analyst-7");
  EXPECT_EQ(v->decided_at, kT0 + 10 * kMin);
  EXPECT_EQ(v->event_ids, (std::vector<std::string>{a.report.id, b.report.id}));

  auto detail = Detail(Of(a));
  ASSERT_TRUE(detail.has_value() && detail->summary.verdict.has_value());
  EXPECT_EQ(detail->summary.verdict->statement, "Акимиат: в Оше спокойно, беспорядков нет.");

  auto audit = storage::ListAudit(*store_, {.action_prefix = "cluster."}, 10, "");
  ASSERT_OK(audit);
  ASSERT_EQ(audit->entries.size(), 1u);
  EXPECT_EQ(audit->entries[0].actor, "analyst-7");
  EXPECT_EQ(audit->entries[0].action, "cluster.verdict");
  EXPECT_EQ(audit->entries[0].subject, ClusterIdText(Of(a)));
  EXPECT_THAT(audit->entries[0].details, HasSubstr("\"status\":\"false\""));
  EXPECT_THAT(audit->entries[0].details, HasSubstr("\"previous\":\"unverified\""));

  ClusterQuery q;
  q.status = VerdictStatus::kFalse;
  auto page = ListClusters(*store_, areas_, q, clock_.NowMs());
  ASSERT_OK(page);
  ASSERT_EQ(page->clusters.size(), 1u);
  EXPECT_EQ(page->clusters[0].info.id, Of(a));
  q.status = VerdictStatus::kUnverified;
  page = ListClusters(*store_, areas_, q, clock_.NowMs());
  ASSERT_OK(page);
  ASSERT_EQ(page->clusters.size(), 1u);
  EXPECT_EQ(page->clusters[0].info.id, Of(c));

  // New members after the verdict do not lose it.
  Feed1(E(kRiot, kT0 + 20 * kMin, "KG-O", "c"));
  detail = Detail(Of(a));
  ASSERT_TRUE(detail.has_value() && detail->summary.verdict.has_value());
  EXPECT_EQ(detail->summary.verdict->status, VerdictStatus::kFalse);
  EXPECT_EQ(detail->summary.info.members, 3u);

  auto missing =
      RecordClusterVerdict(*store_, 999999, VerdictStatus::kConfirmed, "x", "a", 0, audit_ids);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(ClusteringTest, MembersPageBackwards) {
  OpenStage();
  std::vector<Event> batch;
  for (int i = 0; i < 7; ++i) batch.push_back(E(kRiot, kT0 + i * 1000, "KG-O", "s"));
  Feed(batch);
  ClusterDetailQuery q;
  q.members_limit = 3;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 5; ++pages) {
    auto d = Detail(Of(batch[0]), q);
    ASSERT_TRUE(d.has_value());
    for (const auto& m : d->members) seen.push_back(m.event_id);
    if (d->members_next.empty()) break;
    q.members_before = d->members_next;
  }
  ASSERT_EQ(seen.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(seen[i], batch[6 - i].report.id);
}

// An official of Osh sees a cluster that started in Naryn only through its Osh members: the
// representative, counts, times, areas, sources, categories, severity, timeline, signals and the
// member listing come from those members; nothing of a Naryn report shows.
TEST_F(ClusteringTest, ScopedReaderSeesOnlyItsAreasMembers) {
  cfg_.spread.min_sources = 2;
  OpenStage();
  const std::string osh_text = std::string("СРОЧНО ") + kRiot;
  Feed({E(kRiot, kT0, "KG-N", "naryn-1", "api", Severity::kCritical, {"violence"}),
        E(kRiot, kT0 + kMin, "KG-N", "naryn-2", "api", Severity::kCritical, {"violence"}),
        E(osh_text, kT0 + 2 * kMin, "KG-O-ARAVAN", "osh-1", "api", Severity::kMedium,
          {"rumour"}),
        E(osh_text, kT0 + 3 * kMin, "KG-O-ARAVAN", "osh-1", "sms", Severity::kLow, {"rumour"}),
        E(kRiot, kT0 + 4 * kMin, "", "nobody", "api", Severity::kHigh, {"violence"})});
  auto all = ListClusters(*store_, areas_, {}, kT0 + 5 * kMin);
  ASSERT_OK(all);
  ASSERT_EQ(all->clusters.size(), 1u);
  const ClusterId id = all->clusters[0].info.id;
  ASSERT_EQ(all->clusters[0].info.members, 5u);

  clock_.Set(kT0 + 5 * kMin);
  const std::vector<AreaCode> osh = {"KG-O"};
  ClusterQuery q;
  q.visible_areas = osh;
  for (ClusterSort sort : {ClusterSort::kRecent, ClusterSort::kSize, ClusterSort::kRising}) {
    q.sort = sort;
    auto page = ListClusters(*store_, areas_, q, clock_.NowMs());
    ASSERT_OK(page);
    ASSERT_EQ(page->clusters.size(), 1u);
    const auto& c = page->clusters[0].info;
    EXPECT_EQ(c.members, 2u);
    EXPECT_EQ(c.first_seen, kT0 + 2 * kMin);
    EXPECT_EQ(c.last_seen, kT0 + 3 * kMin);
    EXPECT_EQ(c.representative_text, osh_text);
    EXPECT_EQ(c.distinct_sources, 2u);  // osh-1 by api and by sms
    EXPECT_EQ(c.max_severity, Severity::kMedium);
    ASSERT_EQ(c.areas.size(), 1u);
    EXPECT_EQ(c.areas[0].area, "KG-O-ARAVAN");
    EXPECT_EQ(c.areas[0].count, 2u);
    ASSERT_EQ(c.categories.size(), 1u);
    EXPECT_EQ(c.categories[0].category, "rumour");
    EXPECT_EQ(page->clusters[0].last_10_min, 2u);
    EXPECT_EQ(page->clusters[0].last_hour, 2u);
  }
  // Two visible members: a filter on more lists nothing.
  q.min_members = 3;
  auto none = ListClusters(*store_, areas_, q, clock_.NowMs());
  ASSERT_OK(none);
  EXPECT_TRUE(none->clusters.empty());

  auto d = Detail(id, {.members_limit = 1, .visible_areas = osh});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->summary.info.members, 2u);
  EXPECT_EQ(d->summary.info.representative_text, osh_text);
  ASSERT_EQ(d->members.size(), 1u);
  EXPECT_EQ(d->members[0].area, "KG-O-ARAVAN");
  ASSERT_FALSE(d->members_next.empty());
  auto d2 = Detail(id, {.members_limit = 1, .members_before = d->members_next,
                        .visible_areas = osh});
  ASSERT_TRUE(d2.has_value());
  ASSERT_EQ(d2->members.size(), 1u);
  EXPECT_EQ(d2->members[0].area, "KG-O-ARAVAN");
  EXPECT_TRUE(d2->members_next.empty());
  std::uint32_t in_timeline = 0;
  for (const auto& [hour, n] : d->timeline) in_timeline += n;
  EXPECT_EQ(in_timeline, 2u);
  for (const auto& s : d->signals) {
    EXPECT_TRUE(s.reason.empty());
    EXPECT_EQ(s.members, 0u);
    for (const auto& a : s.areas) EXPECT_EQ(a.rfind("KG-O", 0), 0u) << a;
  }
  // Batken has no member: the cluster is not there for its official.
  const std::vector<AreaCode> batken = {"KG-B"};
  auto hidden = GetCluster(*store_, areas_, id, {.visible_areas = batken}, clock_.NowMs());
  ASSERT_OK(hidden);
  EXPECT_FALSE(hidden->has_value());
  // Unscoped readers see the whole cluster.
  auto whole = Detail(id);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->summary.info.members, 5u);
  EXPECT_EQ(whole->summary.info.representative_text, kRiot);
}

// Every record value round-trips; every truncation, a trailing byte and an unknown version are
// clean kCorruption errors.
TEST(ClusterRecords, CodecsRoundTripAndRejectDamage) {
  auto check = [](const std::string& bytes, auto decode) {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(decode(std::string_view(bytes).substr(0, n)).has_value()) << n;
    }
    EXPECT_FALSE(decode(bytes + "x").has_value());
    std::string other = bytes;
    other[0] = 7;
    auto bad = decode(other);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, ErrorCode::kCorruption);
  };
  std::string bytes;
  internal::EventCluster ec{42, -5, true, {}};
  for (int k = 0; k < classifier::kMinHashes; ++k)
    ec.signature[k] = static_cast<std::uint16_t>(k * 4099);
  internal::EncodeEventCluster(ec, &bytes);
  internal::EventCluster ec2;
  ASSERT_OK(internal::DecodeEventCluster(bytes, &ec2));
  EXPECT_EQ(ec2.cluster, 42u);
  EXPECT_EQ(ec2.observed_at, -5);
  EXPECT_EQ(ec2.signature, ec.signature);
  check(bytes, [](std::string_view b) {
    internal::EventCluster x;
    return internal::DecodeEventCluster(b, &x);
  });

  ClusterMemberRecord m{"", kT0, "KG-O", Severity::kHigh, "sms"};
  internal::EncodeMember(m, &bytes);
  ClusterMemberRecord m2;
  ASSERT_OK(internal::DecodeMember(bytes, &m2));
  EXPECT_EQ(m2.area, "KG-O");
  EXPECT_EQ(m2.severity, Severity::kHigh);
  check(bytes, [](std::string_view b) {
    ClusterMemberRecord x;
    return internal::DecodeMember(b, &x);
  });

  ClusterSignalRecord s{
      kT0, kT0 - 1, "3 distinct sources within 10 min", 4, 3, {"KG-O", "KG-N"}, Severity::kCritical,
      4};
  internal::EncodeSignal(s, &bytes);
  ClusterSignalRecord s2;
  ASSERT_OK(internal::DecodeSignal(bytes, &s2));
  EXPECT_EQ(s2.reason, s.reason);
  EXPECT_EQ(s2.areas, s.areas);
  check(bytes, [](std::string_view b) {
    ClusterSignalRecord x;
    return internal::DecodeSignal(b, &x);
  });

  ClusterVerdictRecord v{VerdictStatus::kMisleading, "Частично.", "analyst", kT0};
  internal::EncodeVerdict(v, &bytes);
  ClusterVerdictRecord v2;
  ASSERT_OK(internal::DecodeVerdict(bytes, &v2));
  EXPECT_EQ(v2.status, VerdictStatus::kMisleading);
  EXPECT_EQ(v2.statement, "Частично.");
  check(bytes, [](std::string_view b) {
    ClusterVerdictRecord x;
    return internal::DecodeVerdict(b, &x);
  });

  // Keys sort as their numbers do.
  EXPECT_LT(internal::RecentKey(-1, 9), internal::RecentKey(0, 1));
  EXPECT_LT(internal::RecentKey(kT0, 2), internal::RecentKey(kT0, 10));
  TimeMs t = 0;
  ClusterId id = 0;
  ASSERT_TRUE(internal::ParseRecentKey(internal::RecentKey(-7, 3), &t, &id));
  EXPECT_EQ(t, -7);
  EXPECT_EQ(id, 3u);
  EXPECT_LT(internal::SignalKey(5, 2), internal::SignalKey(5, 10));
  EXPECT_EQ(internal::IdPrefixAt(0), "0000000000");
}

TEST(ClusterIds, TextRoundTrip) {
  EXPECT_EQ(ParseClusterId("42"), std::optional<ClusterId>(42));
  EXPECT_EQ(ClusterIdText(18446744073709551615ULL), "18446744073709551615");
  EXPECT_EQ(ParseClusterId("18446744073709551615"), std::optional<ClusterId>(UINT64_MAX));
  for (const char* bad :
       {"", "0", "042", "-1", "+1", "1.5", "abc", "18446744073709551616", "4 2"}) {
    EXPECT_FALSE(ParseClusterId(bad).has_value()) << bad;
  }
}

// ---- the pipeline hook ----

class RiotClassifier final : public classifier::Classifier {
 public:
  RiotClassifier() { info_.version = "test"; }
  classifier::Classification Classify(std::string_view) const override {
    classifier::Classification c;
    c.categories = {"unrest"};
    c.severity = Severity::kHigh;
    return c;
  }
  const classifier::RuleSetInfo& info() const override { return info_; }

 private:
  classifier::RuleSetInfo info_;
};

TEST_F(ClusteringTest, PipelineCommitsClustersWithEventsAndHandsOnSignals) {
  OpenStage();
  std::mutex mu;
  std::vector<Signal> handed;
  PipelineHooks hooks;
  ClusterStage* stage = stage_.get();
  hooks.prepare = [stage](const storage::ScoredBatchItem& item, PreparedAnalysis& out) {
    stage->Prepare(item, out);
  };
  hooks.analyse = [stage](std::span<storage::ScoredBatchItem> items,
                          std::span<const PreparedAnalysis> prepared) {
    return stage->Annotate(items, prepared);
  };
  hooks.signals_committed = [&mu, &handed](std::vector<Signal> s) {
    std::lock_guard lock(mu);
    for (auto& x : s) handed.push_back(std::move(x));
  };
  config::PipelineConfig pcfg;
  pcfg.scoring_threads = 2;
  std::shared_ptr<const classifier::Classifier> cl = std::make_shared<RiotClassifier>();
  auto pipeline = Pipeline::Create(
      *store_, pcfg, areas_, [cl] { return cl; }, std::move(hooks), clock_, *metrics_);
  ASSERT_OK(pipeline->Start());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {  // the 3rd source signals; the 6th would signal again
    Report r;
    r.text = kRiot;
    r.channel = "api";
    r.submitted_by = "monitor-" + std::to_string(i);
    r.area = "KG-O";
    std::promise<SubmitResult> p;
    auto f = p.get_future();
    std::vector<Report> one;
    one.push_back(r);
    pipeline->Submit(std::move(one), [&p](SubmitResult res) { p.set_value(std::move(res)); });
    auto res = f.get();
    ASSERT_OK(res);
    ids.push_back(res->front().id);
  }
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return !handed.empty();
  }));
  pipeline->Stop();
  std::set<ClusterId> clusters;
  for (const auto& id : ids) {
    auto c = ClusterOfEvent(*store_, id);
    ASSERT_OK(c);
    ASSERT_TRUE(c->has_value());
    clusters.insert(**c);
  }
  EXPECT_EQ(clusters.size(), 1u);
  auto detail = Detail(*clusters.begin());
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->summary.info.members, 5u);
  EXPECT_EQ(detail->summary.info.max_severity, Severity::kHigh);
  std::lock_guard lock(mu);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].reason, "3 distinct sources within 10 min (3 people)");
}

// ---- independent people, floors, known false rumours ----

TEST(ReporterKinds, PeopleAndPublicPostsByChannel) {
  using classifier::ReporterKind;
  auto kind = [](std::string channel, std::string source_ref = "") {
    Report r;
    r.channel = std::move(channel);
    r.source_ref = std::move(source_ref);
    return ReporterKindOf(r);
  };
  EXPECT_EQ(kind("api"), ReporterKind::kPerson);
  EXPECT_EQ(kind("sms", "kannel-77"), ReporterKind::kPerson);
  EXPECT_EQ(kind("whatsapp"), ReporterKind::kPerson);
  EXPECT_EQ(kind("telegram", "123456789:42"), ReporterKind::kPerson) << "a private chat";
  EXPECT_EQ(kind("telegram", "123456789:42:edit:1700000000"), ReporterKind::kPerson);
  EXPECT_EQ(kind("telegram", "p0123456789abcdef:42"), ReporterKind::kPerson)
      << "a private chat, pseudonymised by the poller";
  EXPECT_EQ(kind("telegram", "p0123456789abcdef:42:edit:1700000000"), ReporterKind::kPerson);
  EXPECT_EQ(kind("telegram", "p:42"), ReporterKind::kPublic);
  EXPECT_EQ(kind("telegram", "pX12:42"), ReporterKind::kPublic);
  EXPECT_EQ(kind("telegram", "-4567:42"), ReporterKind::kPublic) << "a group";
  EXPECT_EQ(kind("telegram", "-1001234567890:42"), ReporterKind::kPublic) << "a channel";
  EXPECT_EQ(kind("telegram", "x:42"), ReporterKind::kPublic);
  EXPECT_EQ(kind("telegram", ""), ReporterKind::kPublic);
  EXPECT_EQ(kind("rss", "feed:1"), ReporterKind::kPublic);
  EXPECT_EQ(kind("atom", "feed:1"), ReporterKind::kPublic);
  EXPECT_EQ(kind("mastodon", "m:1"), ReporterKind::kPublic);
  EXPECT_EQ(kind("carrier-pigeon"), ReporterKind::kPublic);
  EXPECT_EQ(ParseChannel("sms"), Channel::kSms);
  EXPECT_EQ(ParseChannel("SMS"), Channel::kOther);
}

TEST_F(ClusteringTest, SignalSeverityFloorsPeopleHighPublicMediumNeverLower) {
  OpenStage();
  clock_.Set(kT0 + 10 * kMin);
  // Three people, harmless words (info): raised at the people floor.
  std::vector<Signal> people;
  for (int i = 0; i < 3; ++i) {
    auto s = Feed1(E(kRiot, kT0 + i * 20 * 1000, "KG-O", "monitor-" + std::to_string(i), "api",
                     Severity::kInfo, {}));
    people.insert(people.end(), s.begin(), s.end());
  }
  ASSERT_EQ(people.size(), 1u);
  EXPECT_EQ(people[0].severity, Severity::kHigh);
  EXPECT_EQ(people[0].spread->people, 3);
  EXPECT_EQ(people[0].spread->public_sources, 0);
  EXPECT_EQ(people[0].spread->span_ms, 40 * 1000);
  // Three public feeds: the public floor.
  std::vector<Signal> feeds;
  for (int i = 0; i < 3; ++i) {
    auto s = Feed1(E(kBridge, kT0 + i * kMin, "KG-N", "feed-" + std::to_string(i), "rss",
                     Severity::kInfo, {}));
    feeds.insert(feeds.end(), s.begin(), s.end());
  }
  ASSERT_EQ(feeds.size(), 1u);
  EXPECT_EQ(feeds[0].severity, Severity::kMedium);
  EXPECT_EQ(feeds[0].spread->people, 0);
  EXPECT_EQ(feeds[0].spread->public_sources, 3);
  EXPECT_EQ(feeds[0].reason, "3 distinct sources within 10 min");
  // Public posts with dangerous content keep their severity.
  std::vector<Signal> dangerous;
  for (int i = 0; i < 3; ++i) {
    auto s = Feed1(E(kPower, kT0 + i * kMin, "KG-B", "channel-" + std::to_string(i), "telegram",
                     i == 1 ? Severity::kCritical : Severity::kInfo, {}));
    dangerous.insert(dangerous.end(), s.begin(), s.end());
  }
  ASSERT_EQ(dangerous.size(), 1u);
  EXPECT_EQ(dangerous[0].severity, Severity::kCritical);
  EXPECT_EQ(
      metrics_->GetCounter("sakchy_cluster_signal_reasons_total", "", {{"reason", "people"}})
          .Value(),
      1u);
  // The floors are configuration.
  cfg_.spread.people_floor = Severity::kCritical;
  OpenStage();
  std::vector<Signal> again;
  for (int i = 0; i < 3; ++i) {
    auto s = Feed1(E(Rumour(1), kT0 + 20 * kMin + i * kMin, "KG-O", "m-" + std::to_string(i),
                     "sms", Severity::kInfo, {}));
    again.insert(again.end(), s.begin(), s.end());
  }
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].severity, Severity::kCritical);
}

TEST_F(ClusteringTest, OnePersonReportingAgainIsNoSpread) {
  OpenStage();
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(Feed1(E(kRiot, kT0 + i * 1000, "KG-O", "monitor-1", "api", Severity::kInfo, {}))
                    .empty())
        << i;
  }
}

TEST_F(ClusteringTest, ReportsJoiningAClusterJudgedFalseAreKnownFalse) {
  OpenStage();
  Event a = E(kRiot, kT0, "KG-O", "a");
  Event b = E(kRiot, kT0 + kMin, "KG-O", "b");
  Event m = E(kBridge, kT0, "KG-N", "a");
  Feed({a, b, m});
  IdGenerator audit_ids(clock_);
  const std::string statement = "Акимиат: в Оше спокойно, беспорядков нет.";
  ASSERT_OK(RecordClusterVerdict(*store_, Of(a), VerdictStatus::kFalse, statement, "analyst-7",
                                 kT0 + 2 * kMin, audit_ids));
  stage_->VerdictRecorded(Of(a), VerdictStatus::kFalse);
  ASSERT_OK(RecordClusterVerdict(*store_, Of(m), VerdictStatus::kMisleading, "Мост закрыт на ремонт",
                                 "analyst-7", kT0 + 2 * kMin, audit_ids));
  stage_->VerdictRecorded(Of(m), VerdictStatus::kMisleading);

  Event c = E(kRiot, kT0 + 3 * kMin, "KG-O", "c", "api", Severity::kMedium,
              {"rumour", "violence"});
  Event n = E(kBridge, kT0 + 3 * kMin, "KG-N", "c");
  Event other = E(kPower, kT0 + 3 * kMin);
  Feed({c, n, other});
  auto stored = store_->GetEvent(c.report.id);
  ASSERT_OK(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->categories,
            (std::vector<std::string>{"known_false", "rumour", "violence"}));
  EXPECT_EQ((*store_->GetEvent(n.report.id))->categories,
            (std::vector<std::string>{"known_misleading", "rumour"}))
      << "misleading is not false: its own category";
  EXPECT_EQ((*store_->GetEvent(other.report.id))->categories, std::vector<std::string>{"rumour"});
  EXPECT_EQ((*store_->GetEvent(a.report.id))->categories, std::vector<std::string>{"rumour"})
      << "reports before the verdict are not changed";
  auto verdict = VerdictOfEvent(*store_, c.report.id);
  ASSERT_OK(verdict);
  ASSERT_TRUE(verdict->has_value());
  EXPECT_EQ((*verdict)->status, VerdictStatus::kFalse);
  EXPECT_EQ((*verdict)->statement, statement);
  EXPECT_EQ((*verdict)->cluster_id, ClusterIdText(Of(a)));
  auto none = VerdictOfEvent(*store_, other.report.id);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(metrics_->GetCounter("sakchy_cluster_known_rumour_reports_total", "").Value(), 2u);

  // After a restart the stage knows the verdicts from the store.
  OpenStage();
  Event d = E(kRiot, kT0 + 4 * kMin, "KG-O", "d");
  Feed1(d);
  EXPECT_EQ((*store_->GetEvent(d.report.id))->categories,
            (std::vector<std::string>{"known_false", "rumour"}));
  // A later verdict that confirms it ends the category for new reports.
  stage_->VerdictRecorded(Of(a), VerdictStatus::kConfirmed);
  Event e = E(kRiot, kT0 + 5 * kMin, "KG-O", "e");
  Feed1(e);
  EXPECT_EQ((*store_->GetEvent(e.report.id))->categories, std::vector<std::string>{"rumour"});
}

TEST_F(ClusteringTest, AnEventScoredAgainKeepsItsClusterAndIsNotCountedTwice) {
  OpenStage();
  Event a = E(kRiot, kT0, "KG-O", "a");
  Event b = E(kRiot, kT0 + kMin, "KG-O", "b");
  Feed({a, b});
  const ClusterId cluster = Of(a);
  IdGenerator audit_ids(clock_);
  ASSERT_OK(RecordClusterVerdict(*store_, cluster, VerdictStatus::kFalse, "неправда", "x",
                                 kT0 + 2 * kMin, audit_ids));
  stage_->VerdictRecorded(cluster, VerdictStatus::kFalse);
  // `a` scored again (as an SMS follow-up re-scores its parent): same cluster, same members,
  // and, scored after the verdict, the category.
  Event again = a;
  again.scored_at = kT0 + 3 * kMin;
  std::vector<storage::ScoredBatchItem> items(1);
  items[0].event = again;
  EXPECT_TRUE(stage_->Annotate(items).empty());
  EXPECT_TRUE(items[0].records.empty()) << "no second membership";
  EXPECT_EQ(items[0].event.categories, (std::vector<std::string>{"known_false", "rumour"}));
  EXPECT_EQ(Of(a), cluster);
  EXPECT_EQ(Detail(cluster)->summary.info.members, 2u);
  // A resolve-only item is not clustered at all.
  std::vector<storage::ScoredBatchItem> resolve(1);
  resolve[0].resolve_only = true;
  EXPECT_TRUE(stage_->Annotate(resolve).empty());
  EXPECT_TRUE(resolve[0].records.empty());
  EXPECT_EQ(metrics_->GetCounter("sakchy_cluster_assignments_total", "").Value(), 2u);
}

// Records what the pipeline planned alerts for.
class CategoryClassifier final : public classifier::Classifier {
 public:
  CategoryClassifier() { info_.version = "test"; }
  classifier::Classification Classify(std::string_view) const override {
    classifier::Classification c;
    c.categories = {"rumour"};
    c.severity = Severity::kHigh;
    return c;
  }
  const classifier::RuleSetInfo& info() const override { return info_; }

 private:
  classifier::RuleSetInfo info_;
};

TEST_F(ClusteringTest, PipelinePlansAndCountsTheCategoryAnalysisAdds) {
  OpenStage();
  std::mutex mu;
  std::vector<std::vector<std::string>> planned;  // categories of each event planned
  PipelineHooks hooks;
  ClusterStage* stage = stage_.get();
  hooks.prepare = [stage](const storage::ScoredBatchItem& item, PreparedAnalysis& out) {
    stage->Prepare(item, out);
  };
  hooks.analyse = [stage](std::span<storage::ScoredBatchItem> items,
                          std::span<const PreparedAnalysis> prepared) {
    return stage->Annotate(items, prepared);
  };
  hooks.plan_alerts = [&mu, &planned](const Event& e) {
    std::lock_guard lock(mu);
    planned.push_back(e.categories);
    return std::vector<Alert>{};
  };
  config::PipelineConfig pcfg;
  std::shared_ptr<const classifier::Classifier> cl = std::make_shared<CategoryClassifier>();
  auto pipeline = Pipeline::Create(
      *store_, pcfg, areas_, [cl] { return cl; }, std::move(hooks), clock_, *metrics_);
  ASSERT_OK(pipeline->Start());
  auto submit = [&](const std::string& who) {
    Report r;
    r.text = kRiot;
    r.channel = "api";
    r.submitted_by = who;
    r.area = "KG-O";
    std::promise<SubmitResult> p;
    auto f = p.get_future();
    std::vector<Report> one;
    one.push_back(r);
    pipeline->Submit(std::move(one), [&p](SubmitResult res) { p.set_value(std::move(res)); });
    auto res = f.get();
    EXPECT_TRUE(res.has_value());
    return res ? res->front().id : std::string();
  };
  auto scored = [&](const std::string& id) {
    return WaitFor([&] {
      auto e = store_->GetEvent(id);
      return e && *e && (*e)->scored && ClusterOfEvent(*store_, id).value_or(std::nullopt);
    });
  };
  const std::string first = submit("monitor-1");
  ASSERT_TRUE(scored(first));
  const ClusterId cluster = ClusterOfEvent(*store_, first).value().value();
  IdGenerator audit_ids(clock_);
  ASSERT_OK(RecordClusterVerdict(*store_, cluster, VerdictStatus::kFalse, "неправда", "x",
                                 clock_.NowMs(), audit_ids));
  stage->VerdictRecorded(cluster, VerdictStatus::kFalse);
  const std::string second = submit("monitor-2");
  ASSERT_TRUE(scored(second));
  pipeline->Stop();
  EXPECT_EQ((*store_->GetEvent(second))->categories,
            (std::vector<std::string>{"known_false", "rumour"}));
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(planned.size(), 2u);
    EXPECT_EQ(planned[1], (std::vector<std::string>{"known_false", "rumour"}))
        << "the alert is planned on the event as analysis left it";
  }
  auto buckets = store_->ReadCounters("KG-O", storage::Resolution::kDay, kT0 - 2 * 24 * 3600 * 1000,
                                      kT0 + 2 * 24 * 3600 * 1000);
  ASSERT_OK(buckets);
  std::int64_t known = 0, rumour = 0;
  for (const auto& b : *buckets) {
    if (auto it = b.values.find("category:known_false"); it != b.values.end()) known += it->second;
    if (auto it = b.values.find("category:rumour"); it != b.values.end()) rumour += it->second;
  }
  EXPECT_EQ(known, 1);
  EXPECT_EQ(rumour, 2);
}

}  // namespace
}  // namespace sakchy::ingest::clustering_test
