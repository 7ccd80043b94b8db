// Deferred counters: first scorings may leave their counter merges and pending-mark removals to
// a later write. Reads see every delta exactly once; a crash before the write leaves the marks,
// and the events are listed for a recount.

#include "store_fixture.h"

namespace sakchy::storage::testing::deferred_counters_test {
namespace {

class DeferredCountersTest : public StoreTest {
 protected:
  // Stores `n` reports and returns scored items for them (total +1 and severity:high +1 in KG).
  std::vector<ScoredBatchItem> StoredAndScored(int n, bool defer) {
    std::vector<Report> reports;
    for (int i = 0; i < n; ++i) reports.push_back(MakeReport());
    EXPECT_TRUE(store_->AppendReports(reports).has_value());
    std::vector<ScoredBatchItem> items;
    for (auto& r : reports) {
      ScoredBatchItem item;
      item.event.report = r;
      item.event.scored = true;
      item.event.severity = Severity::kHigh;
      item.counters = {{"KG", "total", r.observed_at, 1}, {"KG", "severity:high", r.observed_at, 1}};
      item.defer_counters = defer;
      items.push_back(std::move(item));
    }
    return items;
  }

  std::int64_t Day(const std::string& dim) {
    auto buckets = store_->ReadCounters("KG", Resolution::kDay, 0, clock_.NowMs() + 86400000);
    EXPECT_TRUE(buckets.has_value());
    std::int64_t sum = 0;
    for (const auto& b : *buckets) {
      if (auto it = b.values.find(dim); it != b.values.end()) sum += it->second;
    }
    return sum;
  }

  std::size_t Pending() {
    auto n = store_->CountPending();
    EXPECT_TRUE(n.has_value());
    return n ? *n : 0;
  }
};

TEST_F(DeferredCountersTest, DeferredDeltasAreReadOnceBeforeAndAfterTheyAreWritten) {
  auto items = StoredAndScored(3, /*defer=*/true);
  ASSERT_OK(store_->CommitScored(items));
  EXPECT_EQ(Day("total"), 3) << "in memory, read with the disk";
  EXPECT_EQ(Pending(), 3u) << "marks stay until the counters are written";
  auto more = StoredAndScored(2, /*defer=*/true);
  ASSERT_OK(store_->CommitScored(more));
  EXPECT_EQ(Day("total"), 5);
  auto minute = store_->ReadCounters("KG", Resolution::kMinute, 0, clock_.NowMs() + 60000);
  ASSERT_OK(minute);
  std::int64_t minutes = 0;
  for (const auto& b : *minute) minutes += b.values.at("total");
  EXPECT_EQ(minutes, 5) << "every resolution";

  ASSERT_OK(store_->FlushDeferred());
  EXPECT_EQ(Day("total"), 5) << "on disk now, not twice";
  EXPECT_EQ(Day("severity:high"), 5);
  EXPECT_EQ(Pending(), 0u);
  auto listed = store_->PendingEvents(100, "");
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->empty());
  ASSERT_OK(store_->FlushDeferred());  // nothing left: no-op
  EXPECT_EQ(Day("total"), 5);
}

TEST_F(DeferredCountersTest, ACommitThatIsNotDeferredWritesTheDeferredOnesWithIt) {
  ASSERT_OK(store_->CommitScored(StoredAndScored(4, /*defer=*/true)));
  ASSERT_OK(store_->CommitScored(StoredAndScored(1, /*defer=*/false)));
  EXPECT_EQ(Pending(), 0u);
  Reopen();  // nothing was left in memory
  EXPECT_EQ(Day("total"), 5);
  EXPECT_EQ(Pending(), 0u);
}

TEST_F(DeferredCountersTest, ACrashLosesNoCountsTheScoredEventsAreRecountedOnce) {
  auto items = StoredAndScored(3, /*defer=*/true);
  ASSERT_OK(store_->CommitScored(items));
  Reopen();  // as after kill -9: the deferred deltas were only in memory
  EXPECT_EQ(Day("total"), 0);
  auto listed = store_->PendingEvents(100, "");
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 3u);
  std::vector<ScoredBatchItem> recount;
  for (const auto& p : *listed) {
    EXPECT_TRUE(p.event.scored) << "scored, counters missing";
    EXPECT_EQ(p.event.severity, Severity::kHigh);
    ScoredBatchItem item;
    item.resolve_only = true;
    item.pending_id = p.event.report.id;
    item.counters = {{"KG", "total", p.event.report.observed_at, 1}};
    recount.push_back(std::move(item));
  }
  ASSERT_OK(store_->CommitScored(recount));
  EXPECT_EQ(Day("total"), 3);
  EXPECT_EQ(Pending(), 0u);
  ASSERT_OK(store_->CommitScored(recount));  // replayed: the marks are gone, nothing added
  EXPECT_EQ(Day("total"), 3);
  // Scoring them again is skipped too (already scored).
  ASSERT_OK(store_->CommitScored(items));
  EXPECT_EQ(Day("total"), 3);
}

TEST_F(DeferredCountersTest, ManyDeferredEventsAreWrittenWithoutWaiting) {
  // Enough deferred events force the write (kMaxDeferredEvents = 4096).
  for (int round = 0; round < 5; ++round) {
    ASSERT_OK(store_->CommitScored(StoredAndScored(1000, /*defer=*/true)));
  }
  EXPECT_LE(Pending(), 1000u);
  EXPECT_EQ(Day("total"), 5000);
  Reopen();
  EXPECT_GE(Day("total"), 4000) << "the forced write reached the disk";
}

TEST_F(DeferredCountersTest, FlushWritesTheDeferredCounters) {
  ASSERT_OK(store_->CommitScored(StoredAndScored(2, /*defer=*/true)));
  ASSERT_OK(store_->Flush());
  Reopen();
  EXPECT_EQ(Day("total"), 2);
  EXPECT_EQ(Pending(), 0u);
}

}  // namespace
}  // namespace sakchy::storage::testing::deferred_counters_test
