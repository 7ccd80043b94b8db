// SMS threads: a report with a thread key that arrives within the window of the report that
// started its thread is stored as a follow-up of it (durably, idempotently, across reopen), and
// scoring commits of re-scored events.

#include "store_fixture.h"

namespace sakchy::storage::testing::follow_ups_test {
namespace {

constexpr TimeMs kWindow = 10 * 60 * 1000;

class FollowUpStoreTest : public StoreTest {
 protected:
  // An SMS of `sender`, received now (the fixture clock moves 1 s per report).
  Report Sms(const std::string& sender, const std::string& kannel_id, TimeMs window = kWindow) {
    Report r = MakeReport("sms", "kannel:" + kannel_id);
    r.submitted_by = sender;
    r.thread_key = sender;
    r.thread_window_ms = window;
    return r;
  }

  IntakeResult Append(const Report& r) {
    auto results = store_->AppendReports({&r, 1});
    EXPECT_TRUE(results.has_value()) << results.error().ToString();
    return results ? results->front() : IntakeResult{};
  }

  Event Get(const std::string& id) {
    auto got = store_->GetEvent(id);
    EXPECT_TRUE(got.has_value() && got->has_value()) << id;
    return got && *got ? **got : Event{};
  }

  std::vector<std::string> PendingIds() {
    auto pending = store_->PendingReports(1000, "");
    EXPECT_TRUE(pending.has_value());
    std::vector<std::string> ids;
    for (const auto& r : *pending) ids.push_back(r.id);
    return ids;
  }
};

TEST_F(FollowUpStoreTest, ASecondSmsWithinTheWindowIsAFollowUpOfTheFirst) {
  Report first = Sms("sms:aaaa", "1");
  EXPECT_TRUE(Append(first).follow_up_of.empty());
  Report second = Sms("sms:aaaa", "2");
  second.text = "они вооружены";
  IntakeResult r2 = Append(second);
  EXPECT_EQ(r2.id, second.id);
  EXPECT_FALSE(r2.duplicate);
  EXPECT_EQ(r2.follow_up_of, first.id);

  // Not an event of its own; listed on the parent with its own id, text and times.
  auto own = store_->GetEvent(second.id);
  ASSERT_OK(own);
  EXPECT_FALSE(own->has_value());
  Event parent = Get(first.id);
  ASSERT_EQ(parent.follow_ups.size(), 1u);
  EXPECT_EQ(parent.follow_ups[0].id, second.id);
  EXPECT_EQ(parent.follow_ups[0].text, "они вооружены");
  EXPECT_EQ(parent.follow_ups[0].received_at, second.received_at);
  EXPECT_EQ(parent.follow_ups[0].observed_at, second.observed_at);
  EXPECT_EQ(parent.follow_ups[0].source_ref, "kannel:2");
  EXPECT_EQ(parent.follow_ups[0].follow_up_of, first.id);
  EXPECT_EQ(parent.follow_ups_scored, 0u);

  // Both wait for scoring: the follow-up comes back as a follow-up.
  auto pending = store_->PendingReports(10, "");
  ASSERT_OK(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, first.id);
  EXPECT_TRUE((*pending)[0].follow_up_of.empty());
  EXPECT_EQ((*pending)[1].id, second.id);
  EXPECT_EQ((*pending)[1].follow_up_of, first.id);
  EXPECT_EQ((*pending)[1].text, "они вооружены");
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);
}

TEST_F(FollowUpStoreTest, ARedeliveredFollowUpIsADuplicateAndStoresNothing) {
  Report first = Sms("sms:aaaa", "1");
  Append(first);
  Report second = Sms("sms:aaaa", "2");
  Append(second);
  Report again = Sms("sms:aaaa", "2");  // Kannel retries with the same message id
  IntakeResult r = Append(again);
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(r.id, second.id);
  EXPECT_EQ(Get(first.id).follow_ups.size(), 1u);
  EXPECT_EQ(PendingIds().size(), 2u);
  // A redelivery of the parent stays a duplicate of the parent, not a follow-up.
  IntakeResult p = Append(Sms("sms:aaaa", "1"));
  EXPECT_TRUE(p.duplicate);
  EXPECT_EQ(p.id, first.id);
}

TEST_F(FollowUpStoreTest, OtherSendersAndLateRepliesStartTheirOwnThreads) {
  Report first = Sms("sms:aaaa", "1");
  Append(first);
  Report other = Sms("sms:bbbb", "2");
  EXPECT_TRUE(Append(other).follow_up_of.empty()) << "another sender";

  clock_.Advance(kWindow);  // the next report is 1 s past the window of `first`
  Report late = Sms("sms:aaaa", "3");
  EXPECT_TRUE(Append(late).follow_up_of.empty()) << "past the window";
  Report reply = Sms("sms:aaaa", "4");
  EXPECT_EQ(Append(reply).follow_up_of, late.id) << "the late report started a new thread";
  EXPECT_TRUE(Get(first.id).follow_ups.empty());

  // Without a thread key (or a window of 0) a report never attaches.
  Report plain = MakeReport("sms", "kannel:5");
  plain.submitted_by = "sms:aaaa";
  EXPECT_TRUE(Append(plain).follow_up_of.empty());
  Report no_window = Sms("sms:aaaa", "6", /*window=*/0);
  EXPECT_TRUE(Append(no_window).follow_up_of.empty());
}

TEST_F(FollowUpStoreTest, TheWindowCountsFromTheReportThatStartedTheThread) {
  Report first = Sms("sms:aaaa", "1");
  Append(first);
  clock_.Advance(kWindow - 3000);
  EXPECT_EQ(Append(Sms("sms:aaaa", "2")).follow_up_of, first.id);  // window - 2 s
  EXPECT_EQ(Append(Sms("sms:aaaa", "3")).follow_up_of, first.id);  // window - 1 s
  EXPECT_EQ(Append(Sms("sms:aaaa", "4")).follow_up_of, first.id);  // exactly the window
  EXPECT_TRUE(Append(Sms("sms:aaaa", "5")).follow_up_of.empty());  // 1 s past it
}

TEST_F(FollowUpStoreTest, AThreadTakesAtMostMaxFollowUps) {
  Report first = Sms("sms:aaaa", "p");
  Append(first);
  for (std::uint32_t i = 0; i < kMaxFollowUps; ++i) {
    EXPECT_EQ(Append(Sms("sms:aaaa", std::to_string(i))).follow_up_of, first.id) << i;
  }
  Report next = Sms("sms:aaaa", "next");
  EXPECT_TRUE(Append(next).follow_up_of.empty());
  EXPECT_EQ(Append(Sms("sms:aaaa", "after")).follow_up_of, next.id);
  Event parent = Get(first.id);
  ASSERT_EQ(parent.follow_ups.size(), kMaxFollowUps);
  for (std::uint32_t i = 0; i < kMaxFollowUps; ++i) {
    EXPECT_EQ(parent.follow_ups[i].source_ref, "kannel:" + std::to_string(i)) << "arrival order";
  }
}

TEST_F(FollowUpStoreTest, ReportsOfOneBatchThreadTogether) {
  std::vector<Report> batch = {Sms("sms:aaaa", "1"), Sms("sms:bbbb", "2"), Sms("sms:aaaa", "3"),
                               Sms("sms:aaaa", "3"), Sms("sms:bbbb", "4")};
  auto results = store_->AppendReports(batch);
  ASSERT_OK(results);
  EXPECT_TRUE((*results)[0].follow_up_of.empty());
  EXPECT_TRUE((*results)[1].follow_up_of.empty());
  EXPECT_EQ((*results)[2].follow_up_of, batch[0].id);
  EXPECT_TRUE((*results)[3].duplicate);
  EXPECT_EQ((*results)[3].id, batch[2].id);
  EXPECT_EQ((*results)[4].follow_up_of, batch[1].id);
  EXPECT_EQ(Get(batch[0].id).follow_ups.size(), 1u);
  EXPECT_EQ(Get(batch[1].id).follow_ups.size(), 1u);
}

TEST_F(FollowUpStoreTest, ThreadsAndFollowUpsSurviveReopen) {
  Report first = Sms("sms:aaaa", "1");
  Append(first);
  Report second = Sms("sms:aaaa", "2");
  Append(second);
  Reopen();
  Report third = Sms("sms:aaaa", "3");
  EXPECT_EQ(Append(third).follow_up_of, first.id) << "the sender's thread is on disk";
  Event parent = Get(first.id);
  ASSERT_EQ(parent.follow_ups.size(), 2u);
  EXPECT_EQ(parent.follow_ups[1].id, third.id);
  EXPECT_EQ(PendingIds(), (std::vector<std::string>{first.id, second.id, third.id}));
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 3u);
}

TEST_F(FollowUpStoreTest, ReScoringCommitsAreIdempotentPerFollowUpCount) {
  Report first = Sms("sms:aaaa", "1");
  Append(first);
  Report second = Sms("sms:aaaa", "2");
  Append(second);

  // The parent scored with its follow-up: one commit resolves the parent's own mark.
  ScoredBatchItem item;
  item.event.report = first;
  item.event.scored = true;
  item.event.severity = Severity::kHigh;
  item.event.follow_ups_scored = 1;
  item.counters = {{"KG", "total", first.observed_at, 1},
                   {"KG", "severity:high", first.observed_at, 1}};
  ASSERT_OK(store_->CommitScored({&item, 1}));
  EXPECT_EQ(PendingIds(), std::vector<std::string>{second.id});

  // The follow-up's own work finds it already included: resolve-only removes its mark.
  ScoredBatchItem resolve;
  resolve.pending_id = second.id;
  resolve.resolve_only = true;
  ASSERT_OK(store_->CommitScored({&resolve, 1}));
  EXPECT_TRUE(PendingIds().empty());
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0u);
  ASSERT_OK(store_->CommitScored({&resolve, 1}));  // again: nothing to remove, no miscount
  count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0u);

  // A third SMS re-scores the parent: a commit with more follow-ups replaces it, counting only
  // the deltas; a replay of an older commit is skipped.
  Report third = Sms("sms:aaaa", "3");
  Append(third);
  ScoredBatchItem rescore = item;
  rescore.pending_id = third.id;
  rescore.event.follow_ups_scored = 2;
  rescore.event.severity = Severity::kCritical;
  rescore.counters = {{"KG", "severity:high", first.observed_at, -1},
                      {"KG", "severity:critical", first.observed_at, 1}};
  ASSERT_OK(store_->CommitScored({&rescore, 1}));
  EXPECT_TRUE(PendingIds().empty());
  ASSERT_OK(store_->CommitScored({&item, 1}));  // the old commit replayed: skipped
  ASSERT_OK(store_->CommitScored({&rescore, 1}));  // and the new one: skipped too
  Event parent = Get(first.id);
  EXPECT_EQ(parent.severity, Severity::kCritical);
  EXPECT_EQ(parent.follow_ups_scored, 2u);
  EXPECT_EQ(parent.follow_ups.size(), 2u);
  auto buckets = store_->ReadCounters("KG", Resolution::kDay, 0, first.observed_at + 86400000);
  ASSERT_OK(buckets);
  ASSERT_EQ(buckets->size(), 1u);
  const auto& v = buckets->front().values;
  EXPECT_EQ(v.at("total"), 1);
  EXPECT_EQ(v.at("severity:high"), 0);
  EXPECT_EQ(v.at("severity:critical"), 1);
}

TEST_F(FollowUpStoreTest, AResolveOnlyItemNeedsAPendingId) {
  ScoredBatchItem bad;
  bad.resolve_only = true;
  auto st = store_->CommitScored({&bad, 1});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sakchy::storage::testing::follow_ups_test
