// Cluster mode's intake adapters (ingest/report_log.h): appending to the log instead of the store,
// and applying the log to the local store once per entry, in order, with its position.

#include "ingest/report_log.h"

#include <future>
#include <map>

#include "testutil/testutil.h"

namespace sakchy::ingest::report_log_test {
namespace {

using sakchy::testing::TempDir;
using sakchy::testing::WaitFor;

constexpr const char* kAreas = R"(
areas:
  - {code: KG, level: country, name_en: Kyrgyzstan, name_ru: Кыргызстан, name_ky: Кыргызстан}
)";

class PlainClassifier final : public classifier::Classifier {
 public:
  PlainClassifier() { info_.version = "plain"; }
  classifier::Classification Classify(std::string_view) const override { return {}; }
  const classifier::RuleSetInfo& info() const override { return info_; }

 private:
  classifier::RuleSetInfo info_;
};

// A log that remembers what it was given and answers as told.
class FakeLog final : public ReportLog {
 public:
  void Append(std::vector<Report> reports, AppendCallback done) override {
    if (fail) {
      done(MakeError(ErrorCode::kUnavailable, "log down"));
      return;
    }
    std::vector<AppendOutcome> out;
    for (auto& r : reports) {
      const std::string key = LogKeyOf(r);
      if (auto it = first_.find(key); it != first_.end()) {
        out.push_back({it->second, true, 0});
        continue;
      }
      first_[key] = r.id;
      out.push_back({r.id, false, entries.size() + 1});
      entries.push_back(LogEntry{entries.size() + 1, r});
    }
    done(std::move(out));
  }
  bool fail = false;
  std::vector<LogEntry> entries;

 private:
  std::map<std::string, std::string> first_;
};

class ReportLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto areas = config::AreaTree::Parse(kAreas, "areas.yaml");
    ASSERT_OK(areas);
    areas_ = std::move(*areas);
    auto s = storage::Store::Open({dir_.str() + "/db", true});
    ASSERT_OK(s);
    store_ = std::move(*s);
    auto c = std::make_shared<PlainClassifier>();
    pipeline_ = Pipeline::Create(*store_, cfg_, *areas_, [c] { return c; }, {}, clock_, metrics_);
    ASSERT_OK(pipeline_->Start());
  }
  void TearDown() override { pipeline_->Stop(); }

  SubmitResult SubmitTo(Pipeline& p, std::vector<Report> reports) {
    std::promise<SubmitResult> done;
    p.Submit(std::move(reports), [&done](SubmitResult r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }
  Status ApplyTo(LocalReplica& replica, std::vector<LogEntry> entries) {
    std::promise<Status> done;
    replica.Apply(std::move(entries), [&done](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }
  static Report Text(std::string text, std::string ref) {
    Report r;
    r.text = std::move(text);
    r.channel = "api";
    r.submitted_by = "monitor-1";
    r.source_ref = std::move(ref);
    return r;
  }

  TempDir dir_;
  std::optional<config::AreaTree> areas_;
  std::unique_ptr<storage::Store> store_;
  config::PipelineConfig cfg_;
  SystemClock& clock_ = SystemClock::Instance();
  MetricsRegistry metrics_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST(LogKeyOfTest, SourceRefKeysAreSharedAndOthersAreTheId) {
  Report a;
  a.id = "01A";
  a.channel = "api";
  a.submitted_by = "m";
  a.source_ref = "x/1";
  Report b = a;
  b.id = "01B";
  EXPECT_EQ(LogKeyOf(a), LogKeyOf(b));  // a retry of the same report
  b.submitted_by = "other";
  EXPECT_NE(LogKeyOf(a), LogKeyOf(b));  // the key is per submitter, as in the store
  a.source_ref.clear();
  EXPECT_EQ(LogKeyOf(a), "id:01A");
}

TEST_F(ReportLogTest, IntakeAppendsToTheLogAndNotToTheStore) {
  FakeLog log;
  ReplicatedIntake intake(log, *pipeline_, clock_, metrics_);
  // Not started: refuses.
  auto refused = SubmitTo(intake, {Text("one", "r1")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  ASSERT_OK(intake.Start());

  auto first = SubmitTo(intake, {Text("one", "r1"), Text("two", "r2")});
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_FALSE((*first)[0].duplicate);
  EXPECT_NE((*first)[0].id, (*first)[1].id);
  ASSERT_EQ(log.entries.size(), 2u);
  EXPECT_EQ(log.entries[0].report.id, (*first)[0].id);
  EXPECT_GT(log.entries[0].report.received_at, 0);
  // Nothing in the local store until the log is applied.
  auto stored = store_->GetEvent((*first)[0].id);
  ASSERT_OK(stored);
  EXPECT_FALSE(stored->has_value());

  // The same source_ref again: the log's first id, as a duplicate.
  auto again = SubmitTo(intake, {Text("one", "r1")});
  ASSERT_OK(again);
  EXPECT_TRUE((*again)[0].duplicate);
  EXPECT_EQ((*again)[0].id, (*first)[0].id);

  // The log does not acknowledge: an error, so the caller answers 503.
  log.fail = true;
  auto down = SubmitTo(intake, {Text("three", "r3")});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
}

TEST_F(ReportLogTest, ReplicaAppliesEachEntryOnceWithItsIdAndPosition) {
  FakeLog log;
  ReplicatedIntake intake(log, *pipeline_, clock_, metrics_);
  ASSERT_OK(intake.Start());
  ASSERT_OK(SubmitTo(intake, {Text("one", "r1"), Text("two", ""), Text("three", "r3")}));

  LocalReplica replica(*store_, *pipeline_, metrics_);
  auto through = replica.AppliedThrough();
  ASSERT_OK(through);
  EXPECT_EQ(*through, 0u);
  ASSERT_OK(ApplyTo(replica, {log.entries[0], log.entries[1]}));
  EXPECT_EQ(replica.applied(), 2u);
  // Delivered again (a redelivery after a lost ack) together with a new one: only the new one.
  ASSERT_OK(ApplyTo(replica, {log.entries[0], log.entries[1], log.entries[2]}));
  EXPECT_EQ(replica.applied(), 3u);

  for (const auto& e : log.entries) {
    ASSERT_TRUE(WaitFor([&] {
      auto ev = store_->GetEvent(e.report.id);
      return ev && ev->has_value() && (*ev)->scored;
    })) << e.report.id;
    auto ev = store_->GetEvent(e.report.id);
    EXPECT_EQ((*ev)->report.received_at, e.report.received_at);  // the intake node's time
  }
  // Every entry scored: no pending mark left.
  ASSERT_TRUE(WaitFor([&] { return store_->CountPending() && *store_->CountPending() == 0; }));

  // The position is in the store, written with the reports: a new replica (a restart) resumes.
  LocalReplica restarted(*store_, *pipeline_, metrics_);
  auto resumed = restarted.AppliedThrough();
  ASSERT_OK(resumed);
  EXPECT_EQ(*resumed, 3u);
  ASSERT_OK(ApplyTo(restarted, {log.entries[2]}));  // at or below the position: skipped
  auto n = store_->CountPending();
  ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
}

}  // namespace
}  // namespace sakchy::ingest::report_log_test
