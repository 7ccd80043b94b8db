// The retention sweeper over a real store with an injected clock.

#include "core/id.h"
#include "service/retention_sweeper.h"
#include "testutil/testutil.h"

namespace sakchy::service::retention_sweeper_test {
namespace {

constexpr TimeMs kDay = 86'400'000;

TEST(RetentionSweeperTest, RemovesTextsOlderThanTheConfiguredDays) {
  sakchy::testing::TempDir dir;
  auto store = storage::Store::Open({dir.str() + "/db", false});
  ASSERT_OK(store);
  ManualClock clock(1767225600000);  // 2026-01-01T00:00:00Z
  IdGenerator ids(clock);
  std::vector<std::string> made;
  for (int day = 0; day < 10; ++day) {
    Report r;
    r.id = ids.Next();
    r.text = "text of day " + std::to_string(day);
    r.channel = "api";
    r.received_at = r.observed_at = clock.NowMs();
    ASSERT_OK((*store)->AppendReports(std::span<const Report>(&r, 1)));
    storage::ScoredBatchItem item;
    item.event.report = r;
    item.event.scored = true;
    ASSERT_OK((*store)->CommitScored({&item, 1}));
    made.push_back(r.id);
    clock.Advance(kDay);
  }
  // Now is day 10; texts of days 0..2 are older than 7 days.
  MetricsRegistry metrics;
  config::RetentionConfig cfg;
  cfg.raw_text_days = 7;
  RetentionSweeper sweeper(**store, cfg, clock, metrics);
  auto n = sweeper.SweepOnce();
  ASSERT_OK(n);
  EXPECT_EQ(*n, 3u);
  for (int day = 0; day < 10; ++day) {
    auto e = (*store)->GetEvent(made[static_cast<std::size_t>(day)]);
    ASSERT_OK(e);
    EXPECT_EQ((*e)->report.text.empty(), day < 3) << day;
  }
  clock.Advance(2 * kDay);
  EXPECT_EQ(*sweeper.SweepOnce(), 2u);
  EXPECT_NE(metrics.RenderPrometheus().find("sakchy_texts_expired_total 5"), std::string::npos);
  // Off by default.
  RetentionSweeper off(**store, config::RetentionConfig{}, clock, metrics);
  EXPECT_EQ(*off.SweepOnce(), 0u);
}

}  // namespace
}  // namespace sakchy::service::retention_sweeper_test
