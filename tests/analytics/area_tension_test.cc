// Area tension over a real RocksDB store with an injected clock: series and baselines from
// counters, spikes raised once per area and hour (also across restarts), roll-up to ancestors.

#include <memory>
#include <set>

#include "config/areas.h"
#include "core/id.h"
#include "analytics/event_counters.h"
#include "storage/store.h"
#include "analytics/area_tension.h"
#include "testutil/testutil.h"

namespace sakchy::analytics::area_tension_test {
namespace {

using ::sakchy::testing::TempDir;

constexpr TimeMs kHour = 3'600'000;
constexpr TimeMs kDay = 24 * kHour;
constexpr TimeMs kStart = 1767225600000;  // 2026-01-01T00:00:00Z

config::AreaTree Tree() {
  auto tree = config::AreaTree::Parse(
      "areas:\n"
      "  - {code: KG, level: country, name_en: Kyrgyzstan}\n"
      "  - {code: KG-O, parent: KG, level: oblast, name_en: Osh Region}\n"
      "  - {code: KG-O-ARAVAN, parent: KG-O, level: raion, name_en: Aravan}\n"
      "  - {code: KG-N, parent: KG, level: oblast, name_en: Naryn Region}\n",
      "areas.yaml");
  EXPECT_TRUE(tree.has_value()) << tree.error().ToString();
  return std::move(*tree);
}

class AreaTensionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.spikes.check_interval_ms = 0;
    cfg_.spikes.z_threshold = 4;
    cfg_.spikes.min_tension = 20;
    cfg_.baseline.half_life_days = 2;
    cfg_.baseline.window_days = 7;
    auto store = storage::Store::Open({dir_.str() + "/db", false});
    ASSERT_OK(store);
    store_ = std::move(*store);
    Make();
  }
  void Make() {
    tension_ = std::make_unique<AreaTension>(*store_, tree_, cfg_, clock_, metrics_,
                                             [this](const Signal& s) { signals_.push_back(s); });
  }
  // Commits one scored event as the pipeline would (counters of the area and its ancestors).
  void Event(const AreaCode& area, Severity severity, TimeMs at,
             std::vector<std::string> categories = {}) {
    sakchy::Event e;
    e.report.id = ids_.Next();
    e.report.text = "x";
    e.report.channel = "api";
    e.report.observed_at = e.report.received_at = at;
    e.scored = true;
    e.area = area;
    e.severity = severity;
    e.categories = std::move(categories);
    storage::ScoredBatchItem item;
    item.event = e;
    item.counters = analytics::CountersFor(e, tree_);
    ASSERT_OK(store_->CommitScored({&item, 1}));
  }
  // Two weeks of one low event per hour in Aravan: tension 1 every hour, a flat baseline.
  void QuietHistory() {
    for (TimeMs t = kStart; t < kStart + 14 * kDay; t += kHour) {
      Event("KG-O-ARAVAN", Severity::kLow, t + 60'000);
    }
  }

  TempDir dir_;
  config::AreaTree tree_ = Tree();
  config::AnalyticsConfig cfg_;
  ManualClock clock_{kStart};
  IdGenerator ids_{clock_};
  MetricsRegistry metrics_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<AreaTension> tension_;
  std::vector<Signal> signals_;
};

TEST_F(AreaTensionTest, SeriesHasTensionAndBaselineFromCounters) {
  QuietHistory();
  auto series = tension_->Series("KG-O", storage::Resolution::kHour, kStart + 13 * kDay,
                                 kStart + 14 * kDay);
  ASSERT_OK(series);
  ASSERT_EQ(series->size(), 24u);
  for (const auto& p : *series) {
    EXPECT_DOUBLE_EQ(p.tension, 1.0);
    EXPECT_NEAR(p.baseline.mean, 1.0, 1e-9);
    EXPECT_NEAR(p.baseline.sd, 0.0, 1e-6);
    EXPECT_FALSE(p.spike);
  }
  EXPECT_EQ((*series)[0].start, kStart + 13 * kDay);
  // Naryn saw nothing.
  auto naryn = tension_->Series("KG-N", storage::Resolution::kDay, kStart, kStart + 14 * kDay);
  ASSERT_OK(naryn);
  for (const auto& p : *naryn) EXPECT_EQ(p.tension, 0);
}

TEST_F(AreaTensionTest, SpikeRaisesOneSignalPerAreaAndHourWithRollUp) {
  QuietHistory();
  const TimeMs now = kStart + 14 * kDay + 20 * 60'000;  // 20 minutes into the next hour
  clock_.Set(now);
  EXPECT_TRUE(tension_->CheckSpikes()->empty());
  for (int i = 0; i < 3; ++i) Event("KG-O-ARAVAN", Severity::kCritical, now - 60'000, {"violence"});
  auto raised = tension_->CheckSpikes();
  ASSERT_OK(raised);
  // Aravan and every area above it (their counters roll it up); Naryn stays quiet.
  ASSERT_EQ(raised->size(), 3u);
  std::set<std::string> areas;
  for (const auto& s : *raised) areas.insert(s.area);
  EXPECT_EQ(areas, (std::set<std::string>{"KG", "KG-O", "KG-O-ARAVAN"}));
  ASSERT_EQ(signals_.size(), 3u);
  const Signal* aravan = nullptr;
  for (const auto& s : signals_) {
    if (s.area == "KG-O-ARAVAN") aravan = &s;
  }
  ASSERT_NE(aravan, nullptr);
  EXPECT_EQ(aravan->kind, Signal::Kind::kAreaSpike);
  EXPECT_EQ(aravan->subject_id, "KG-O-ARAVAN");
  EXPECT_EQ(aravan->first_seen, kStart + 14 * kDay);
  EXPECT_EQ(aravan->at, now);
  EXPECT_EQ(aravan->categories, std::vector<std::string>{"violence"});
  EXPECT_NE(aravan->reason.find("tension 45.0"), std::string::npos) << aravan->reason;
  EXPECT_NE(aravan->summary.find("Aravan"), std::string::npos);

  // Once per area and hour, also after a restart.
  EXPECT_TRUE(tension_->CheckSpikes()->empty());
  Make();
  EXPECT_TRUE(tension_->CheckSpikes()->empty());
  // The next hour: the spiking hour is now the previous one; it is not raised again.
  clock_.Advance(kHour);
  EXPECT_TRUE(tension_->CheckSpikes()->empty());
  EXPECT_EQ(signals_.size(), 3u);

  auto recorded = tension_->Raised("KG-O-ARAVAN", kStart, kStart + 20 * kDay);
  ASSERT_OK(recorded);
  ASSERT_EQ(recorded->size(), 1u);
  EXPECT_EQ((*recorded)[0].bucket, kStart + 14 * kDay);
  EXPECT_DOUBLE_EQ((*recorded)[0].tension, 45.0);
  EXPECT_NEAR((*recorded)[0].mean, 1.0, 1e-9);
  auto current = tension_->Current("KG-O-ARAVAN");
  ASSERT_OK(current);
  EXPECT_EQ(current->start, kStart + 14 * kDay + kHour);
}

TEST_F(AreaTensionTest, SmallRisesAndNoisyBaselinesDoNotSpike) {
  // Noisy history: 0 or 4 high events per hour alternately (tension 0 / 28).
  for (TimeMs t = kStart; t < kStart + 14 * kDay; t += kHour) {
    if ((t / kHour) % 2 == 0) {
      for (int i = 0; i < 4; ++i) Event("KG-N", Severity::kHigh, t + 60'000);
    }
  }
  const TimeMs now = kStart + 14 * kDay + 30 * 60'000;
  clock_.Set(now);
  for (int i = 0; i < 6; ++i) Event("KG-N", Severity::kHigh, now - 60'000);  // 42: within noise
  EXPECT_TRUE(tension_->CheckSpikes()->empty());
  // A quiet area: one critical event is below min_tension.
  Event("KG-O-ARAVAN", Severity::kCritical, now - 60'000);
  EXPECT_TRUE(tension_->CheckSpikes()->empty());
  EXPECT_TRUE(signals_.empty());
}

TEST_F(AreaTensionTest, CategoryWeightsRaiseTension) {
  Event("KG-O-ARAVAN", Severity::kHigh, kStart, {"violence", "place"});
  Event("KG-O-ARAVAN", Severity::kMedium, kStart, {"place"});
  auto plain = tension_->Series("KG-O", storage::Resolution::kHour, kStart, kStart + kHour);
  ASSERT_OK(plain);
  EXPECT_DOUBLE_EQ((*plain)[0].tension, 7 + 3);
  cfg_.tension.category_weights = {{"violence", 1.0}, {"place", 0.5}};
  Make();
  auto weighted = tension_->Series("KG-O", storage::Resolution::kHour, kStart, kStart + kHour);
  ASSERT_OK(weighted);
  EXPECT_DOUBLE_EQ((*weighted)[0].tension, 7 * (1 + 1 + 0.5) + 3 * (1 + 0.5));
}

}  // namespace
}  // namespace sakchy::analytics::area_tension_test
