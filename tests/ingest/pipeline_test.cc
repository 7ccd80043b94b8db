// Pipeline: durability before acknowledgement, idempotency, bounded queue, recovery after a crash.

#include "ingest/pipeline.h"

#include "analytics/event_counters.h"
#include "storage/store.h"

#include <condition_variable>
#include <algorithm>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ingest/validation.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::pipeline_test {
namespace {

using sakchy::testing::TempDir;
using sakchy::testing::WaitFor;

constexpr const char* kAreasYaml = R"(
areas:
  - {code: KG, level: country, name_en: Kyrgyzstan, name_ru: Кыргызстан, name_ky: Кыргызстан}
  - {code: KG-O, parent: KG, level: oblast, name_en: Osh, name_ru: Ошская, name_ky: Ош}
  - {code: KG-O-ARAVAN, parent: KG-O, level: raion, name_en: Aravan, name_ru: Араванский, name_ky: Араван}
  - {code: KG-N, parent: KG, level: oblast, name_en: Naryn, name_ru: Нарынская, name_ky: Нарын}
)";

// A classifier that marks texts containing "riot" as high/violence and can be paused.
class FakeClassifier final : public classifier::Classifier {
 public:
  FakeClassifier() { info_.version = "fake-1"; }
  classifier::Classification Classify(std::string_view text) const override {
    {
      std::unique_lock lock(mu_);
      const bool slow = text.find("slow") != std::string_view::npos;
      ++entered_;
      cv_.wait(lock, [this, slow] { return !paused_ && !(slow && hold_slow_); });
      ++calls_;
    }
    classifier::Classification c;
    if (text.find("armed") != std::string_view::npos) {
      c.categories = {"weapons"};
      c.score = 12;
      c.severity = Severity::kCritical;
      c.matches.push_back({"weapons-terms", "weapons", "armed",
                           static_cast<std::uint32_t>(text.find("armed")),
                           static_cast<std::uint32_t>(text.find("armed") + 5)});
      if (text.find("riot") != std::string_view::npos) c.area = "KG-O-ARAVAN";
    } else if (text.find("riot") != std::string_view::npos) {
      c.categories = {"violence"};
      c.score = 7;
      c.severity = Severity::kHigh;
      c.matches.push_back({"violence-terms", "violence", "riot",
                           static_cast<std::uint32_t>(text.find("riot")),
                           static_cast<std::uint32_t>(text.find("riot") + 4)});
      c.area = "KG-O-ARAVAN";
    }
    return c;
  }
  const classifier::RuleSetInfo& info() const override { return info_; }
  void Pause(bool p) {
    {
      std::lock_guard lock(mu_);
      paused_ = p;
    }
    cv_.notify_all();
  }
  // While held, texts containing "slow" wait in Classify (other texts do not).
  void HoldSlow(bool h) {
    {
      std::lock_guard lock(mu_);
      hold_slow_ = h;
    }
    cv_.notify_all();
  }
  int entered() const {  // calls that reached Classify, held or not
    std::lock_guard lock(mu_);
    return entered_;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  classifier::RuleSetInfo info_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool paused_ = false;
  bool hold_slow_ = false;
  mutable int calls_ = 0;
  mutable int entered_ = 0;
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto areas = config::AreaTree::Parse(kAreasYaml, "areas.yaml");
    ASSERT_OK(areas);
    areas_ = std::move(*areas);
    OpenStore();
  }
  void OpenStore() {
    auto s = storage::Store::Open({dir_.str() + "/db", true});
    ASSERT_OK(s);
    store_ = std::move(*s);
  }
  void MakePipeline(std::size_t capacity = 100) {
    cfg_.queue_capacity = capacity;
    PipelineHooks hooks;
    hooks.plan_alerts = [this](const Event& e) {
      std::vector<Alert> out;
      // c1 hears of high and critical events, c2 of critical ones only.
      for (auto [contact, min] : {std::pair{"c1", Severity::kHigh}, {"c2", Severity::kCritical}}) {
        if (e.severity < min) continue;
        Alert a;
        a.id = alert_ids_.Next();
        a.event_id = e.report.id;
        a.area = e.area;
        a.severity = e.severity;
        a.contact_id = contact;
        a.channel = "webhook";
        a.idempotency_key = e.report.id + ":" + contact;
        out.push_back(a);
      }
      return out;
    };
    hooks.alerts_committed = [this](std::vector<Alert> a) {
      std::lock_guard lock(mu_);
      for (auto& x : a) {
        committed_.push_back(x);
        depth_at_alert_[x.event_id] = pipeline_->queue_depth();
      }
    };
    auto fake = classifier_;
    pipeline_ = Pipeline::Create(*store_, cfg_, areas_, [fake] { return fake; }, std::move(hooks),
                                 clock_, metrics_);
  }
  SubmitResult SubmitSync(std::vector<Report> reports) {
    std::promise<SubmitResult> p;
    auto f = p.get_future();
    pipeline_->Submit(std::move(reports), [&p](SubmitResult r) { p.set_value(std::move(r)); });
    return f.get();
  }
  static Report R(std::string text, std::string ref = "") {
    Report r;
    r.text = std::move(text);
    r.channel = "api";
    r.source_ref = std::move(ref);
    return r;
  }
  bool Scored(const std::string& id) {
    auto e = store_->GetEvent(id);
    return e && *e && (*e)->scored;
  }

  TempDir dir_;
  config::AreaTree areas_;
  std::unique_ptr<storage::Store> store_;
  config::PipelineConfig cfg_;
  std::shared_ptr<FakeClassifier> classifier_ = std::make_shared<FakeClassifier>();
  ManualClock clock_{1'700'000'000'000};
  IdGenerator alert_ids_{clock_};
  MetricsRegistry metrics_;
  std::unique_ptr<Pipeline> pipeline_;
  std::mutex mu_;
  std::vector<Alert> committed_;
  std::map<std::string, std::size_t> depth_at_alert_;  // event id -> queue depth at its alert
};

TEST_F(PipelineTest, AcceptedReportIsOnDiskBeforeTheCallbackAndGetsScored) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  classifier_->Pause(true);
  auto r = SubmitSync({R("a riot in Aravan", "ref-1")});
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_FALSE((*r)[0].duplicate);
  // Durable before scoring: the store already has it, pending.
  auto stored = store_->GetEvent((*r)[0].id);
  ASSERT_OK(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->report.text, "a riot in Aravan");
  EXPECT_EQ((*stored)->report.received_at, clock_.NowMs());
  EXPECT_EQ((*stored)->report.observed_at, clock_.NowMs());
  classifier_->Pause(false);
  ASSERT_TRUE(WaitFor([&] { return Scored((*r)[0].id); }));
  auto e = store_->GetEvent((*r)[0].id);
  EXPECT_EQ((*e)->severity, Severity::kHigh);
  EXPECT_EQ((*e)->area, "KG-O-ARAVAN");
  EXPECT_EQ((*e)->area_source, AreaSource::kText);
  EXPECT_EQ((*e)->ruleset_version, "fake-1");
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu_);
    return committed_.size() == 1;
  }));
  auto alerts = store_->PendingAlerts();
  ASSERT_OK(alerts);
  EXPECT_EQ(alerts->size(), 1u);
  pipeline_->Stop();
}

TEST_F(PipelineTest, RequestAreaWinsOverTextArea) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  auto rep = R("a riot somewhere");
  rep.area = "KG-N";
  auto r = SubmitSync({rep});
  ASSERT_OK(r);
  ASSERT_TRUE(WaitFor([&] { return Scored((*r)[0].id); }));
  auto e = store_->GetEvent((*r)[0].id);
  EXPECT_EQ((*e)->area, "KG-N");
  EXPECT_EQ((*e)->area_source, AreaSource::kRequest);
  pipeline_->Stop();
}

TEST_F(PipelineTest, DuplicatesReturnTheFirstIdAndAreNotScoredAgain) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  auto first = SubmitSync({R("riot", "same"), R("riot", "same"), R("other", "")});
  ASSERT_OK(first);
  EXPECT_FALSE((*first)[0].duplicate);
  EXPECT_TRUE((*first)[1].duplicate);
  EXPECT_EQ((*first)[1].id, (*first)[0].id);
  auto second = SubmitSync({R("riot", "same")});
  ASSERT_OK(second);
  EXPECT_TRUE((*second)[0].duplicate);
  EXPECT_EQ((*second)[0].id, (*first)[0].id);
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  EXPECT_EQ(classifier_->calls(), 2);
  pipeline_->Stop();
}

TEST_F(PipelineTest, FullQueueRefusesAndStoresNothing) {
  MakePipeline(/*capacity=*/3);
  ASSERT_OK(pipeline_->Start());
  classifier_->Pause(true);
  ASSERT_OK(SubmitSync({R("a"), R("b")}));
  ASSERT_OK(SubmitSync({R("c")}));
  auto refused = SubmitSync({R("d", "refused-ref")});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  auto pending = store_->CountPending();
  ASSERT_OK(pending);
  EXPECT_EQ(*pending, 3u);
  classifier_->Pause(false);
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  // Room again; the refused report was not stored, so its source_ref is not a duplicate.
  auto retry = SubmitSync({R("d", "refused-ref")});
  ASSERT_OK(retry);
  EXPECT_FALSE((*retry)[0].duplicate);
  pipeline_->Stop();
}

TEST_F(PipelineTest, PendingReportsAreScoredAfterARestart) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  classifier_->Pause(true);
  auto r = SubmitSync({R("riot 1"), R("riot 2"), R("riot 3")});
  ASSERT_OK(r);
  // Stored but not yet scored.
  auto pending = store_->CountPending();
  ASSERT_OK(pending);
  EXPECT_EQ(*pending, 3u);
  classifier_->Pause(false);
  pipeline_->Stop();  // Stop() drains: all three get scored exactly once
  ASSERT_OK(store_->CountPending());
  EXPECT_EQ(*store_->CountPending(), 0u);

  // A crash between the durable write and scoring leaves a pending report on disk; a new
  // pipeline on the reopened store must score it.
  Report orphan = R("riot orphan");
  orphan.id = alert_ids_.Next();
  orphan.received_at = orphan.observed_at = clock_.NowMs();
  ASSERT_OK(store_->AppendReports(std::span<const Report>(&orphan, 1)));
  pipeline_.reset();
  store_.reset();
  OpenStore();
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  ASSERT_TRUE(WaitFor([&] { return Scored(orphan.id); }));
  for (const auto& o : *r) EXPECT_TRUE(Scored(o.id));
  auto counters = store_->ReadCounters("KG", storage::Resolution::kDay, 0, clock_.NowMs() + 86400000);
  ASSERT_OK(counters);
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].values.at("total"), 4);
  pipeline_->Stop();
}

TEST_F(PipelineTest, ScoredReportsWhoseDeferredCountersACrashLostAreRecountedAtStart) {
  // A crash after a deferred scoring commit: events scored, counters only in memory.
  std::vector<Report> reports = {R("riot one"), R("riot two"), R("calm")};
  std::vector<storage::ScoredBatchItem> items;
  for (auto& r : reports) {
    r.id = alert_ids_.Next();
    r.received_at = r.observed_at = clock_.NowMs();
  }
  ASSERT_OK(store_->AppendReports(reports));
  for (const auto& r : reports) {
    storage::ScoredBatchItem item;
    item.event.report = r;
    item.event.scored = true;
    item.event.severity = r.text.find("riot") != std::string::npos ? Severity::kHigh : Severity::kInfo;
    item.counters = analytics::CountersFor(item.event, areas_);
    item.defer_counters = true;
    items.push_back(std::move(item));
  }
  ASSERT_OK(store_->CommitScored(items));
  store_.reset();
  OpenStore();
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  EXPECT_EQ(*store_->CountPending(), 0u);
  EXPECT_EQ(classifier_->calls(), 0) << "recounted from the stored events, not scored again";
  auto counters = store_->ReadCounters("KG", storage::Resolution::kDay, 0, clock_.NowMs() + 86400000);
  ASSERT_OK(counters);
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].values.at("total"), 3);
  EXPECT_EQ((*counters)[0].values.at("severity:high"), 2);
  pipeline_->Stop();
}

TEST_F(PipelineTest, ABacklogIsCountedExactlyOnce) {
  MakePipeline(/*capacity=*/5000);
  ASSERT_OK(pipeline_->Start());
  classifier_->Pause(true);  // a backlog builds up: scoring batches defer their counters
  for (int i = 0; i < 10; ++i) {
    std::vector<Report> batch;
    for (int k = 0; k < 300; ++k) batch.push_back(R(k % 3 ? "calm" : "riot"));
    ASSERT_OK(SubmitSync(std::move(batch)));
  }
  classifier_->Pause(false);
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  auto counters = store_->ReadCounters("KG", storage::Resolution::kHour, 0, clock_.NowMs() + 86400000);
  ASSERT_OK(counters);
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].values.at("total"), 3000);
  EXPECT_EQ((*counters)[0].values.at("severity:high"), 1000);
  ASSERT_TRUE(WaitFor([&] { return *store_->CountPending() == 0; })) << "written once idle";
  pipeline_->Stop();
}

TEST_F(PipelineTest, ClassificationOfTheNextBatchOverlapsTheCommitStage) {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  int analysed = 0;
  PipelineHooks hooks;
  hooks.analyse = [&](std::span<storage::ScoredBatchItem>, std::span<const PreparedAnalysis>) {
    std::unique_lock lock(m);
    ++analysed;
    cv.wait(lock, [&] { return open; });
    return std::vector<Signal>{};
  };
  cfg_.queue_capacity = 100;
  auto fake = classifier_;
  pipeline_ = Pipeline::Create(*store_, cfg_, areas_, [fake] { return fake; }, std::move(hooks),
                               clock_, metrics_);
  ASSERT_OK(pipeline_->Start());
  auto first = SubmitSync({R("riot first")});
  ASSERT_OK(first);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(m);
    return analysed == 1;
  }));
  // The commit stage holds the first batch; the scoring thread classifies the next one anyway.
  auto next = SubmitSync({R("riot second"), R("calm third")});
  ASSERT_OK(next);
  EXPECT_TRUE(WaitFor([&] { return classifier_->calls() == 3; }))
      << "classification waited for the commit of the previous batch";
  EXPECT_FALSE(Scored((*first)[0].id));
  {
    std::lock_guard lock(m);
    open = true;
  }
  cv.notify_all();
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  for (const auto& o : *next) EXPECT_TRUE(Scored(o.id));
  EXPECT_TRUE(Scored((*first)[0].id));
  pipeline_->Stop();
  pipeline_.reset();
}

TEST_F(PipelineTest, TwoScoringThreadsClassifyInParallelAndCommitInTheOrderTaken) {
  std::mutex m;
  std::vector<std::string> analysed;  // texts, in the order the commit stage saw them
  PipelineHooks hooks;
  hooks.analyse = [&](std::span<storage::ScoredBatchItem> items,
                      std::span<const PreparedAnalysis>) {
    std::lock_guard lock(m);
    for (const auto& item : items) analysed.push_back(item.event.report.text);
    return std::vector<Signal>{};
  };
  cfg_.queue_capacity = 100;
  cfg_.scoring_threads = 2;
  auto fake = classifier_;
  pipeline_ = Pipeline::Create(*store_, cfg_, areas_, [fake] { return fake; }, std::move(hooks),
                               clock_, metrics_);
  ASSERT_OK(pipeline_->Start());
  classifier_->HoldSlow(true);
  ASSERT_OK(SubmitSync({R("slow riot")}));  // one scoring thread takes it and waits
  ASSERT_TRUE(WaitFor([&] { return classifier_->entered() == 1; }));
  auto fast = SubmitSync({R("fast riot")});
  ASSERT_OK(fast);
  // The other thread classifies the later batch meanwhile...
  EXPECT_TRUE(WaitFor([&] { return classifier_->calls() == 1; }));
  // ...but its batch waits for the earlier one: cluster state is committed in order.
  EXPECT_FALSE(Scored((*fast)[0].id));
  {
    std::lock_guard lock(m);
    EXPECT_TRUE(analysed.empty());
  }
  classifier_->HoldSlow(false);
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  {
    std::lock_guard lock(m);
    EXPECT_EQ(analysed, (std::vector<std::string>{"slow riot", "fast riot"}));
  }
  pipeline_->Stop();
  pipeline_.reset();
}

TEST_F(PipelineTest, AReportSubmittedAloneIsScoredAndAlertedAheadOfABulkBacklog) {
  MakePipeline(/*capacity=*/20000);
  ASSERT_OK(pipeline_->Start());
  classifier_->Pause(true);  // a bulk backlog builds up
  for (int i = 0; i < 10; ++i) {
    std::vector<Report> bulk;
    for (int k = 0; k < 1000; ++k) bulk.push_back(R("calm bulk report"));
    ASSERT_OK(SubmitSync(std::move(bulk)));
  }
  auto urgent = SubmitSync({R("armed men at the riot")});
  ASSERT_OK(urgent);
  const std::string id = (*urgent)[0].id;
  classifier_->Pause(false);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu_);
    return depth_at_alert_.count(id) == 1;
  }, std::chrono::seconds(30)));
  {
    std::lock_guard lock(mu_);
    // Scored in one of the first batches, its alert committed with it, while the backlog of
    // 10,000 bulk reports was still queued (at most two commit groups of 1,024 before it).
    EXPECT_GT(depth_at_alert_.at(id), 7000u);
  }
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }, std::chrono::seconds(60)));
  auto counters = store_->ReadCounters("KG", storage::Resolution::kHour, 0, clock_.NowMs() + 86400000);
  ASSERT_OK(counters);
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].values.at("total"), 10001);
  pipeline_->Stop();
}

TEST_F(PipelineTest, SubmitAfterStopIsUnavailable) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  pipeline_->Stop();
  auto r = SubmitSync({R("late")});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

// SMS threads: a follow-up re-scores its parent on the text of both.
class FollowUpPipelineTest : public PipelineTest {
 protected:
  static constexpr TimeMs kWindow = 600000;
  static Report Sms(std::string text, std::string kannel_id) {
    Report r = R(std::move(text), "kannel:" + kannel_id);
    r.channel = "sms";
    r.submitted_by = "sms:0123456789abcdef";
    r.thread_key = r.submitted_by;
    r.thread_window_ms = kWindow;
    return r;
  }
  std::optional<Event> Get(const std::string& id) {
    auto e = store_->GetEvent(id);
    return e && *e ? **e : std::optional<Event>();
  }
  std::map<std::string, std::int64_t> DayCounters(const std::string& area) {
    auto c = store_->ReadCounters(area, storage::Resolution::kDay, 0, clock_.NowMs() + 86400000);
    EXPECT_TRUE(c.has_value());
    return c && !c->empty() ? c->front().values : std::map<std::string, std::int64_t>{};
  }
  std::vector<std::string> AlertedContacts() {
    auto alerts = store_->PendingAlerts();
    EXPECT_TRUE(alerts.has_value());
    std::vector<std::string> out;
    for (const auto& a : *alerts) out.push_back(a.contact_id);
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(FollowUpPipelineTest, AFollowUpReScoresItsParentAndMovesItsCounters) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  auto parent = SubmitSync({Sms("people gather at the bazaar", "1")});
  ASSERT_OK(parent);
  const std::string id = (*parent)[0].id;
  ASSERT_TRUE(WaitFor([&] { return Scored(id); }));
  EXPECT_EQ(Get(id)->severity, Severity::kInfo);
  EXPECT_EQ(DayCounters("KG").at("severity:info"), 1);
  EXPECT_TRUE(AlertedContacts().empty());

  clock_.Advance(60000);
  auto reply = SubmitSync({Sms("now a riot", "2")});
  ASSERT_OK(reply);
  EXPECT_EQ((*reply)[0].follow_up_of, id);
  EXPECT_FALSE((*reply)[0].duplicate);
  ASSERT_TRUE(WaitFor([&] { return Get(id)->follow_ups_scored == 1; }));
  Event e = *Get(id);
  EXPECT_EQ(e.severity, Severity::kHigh) << "scored on the parent's and the follow-up's text";
  EXPECT_EQ(e.area, "KG-O-ARAVAN") << "the follow-up named the place";
  EXPECT_EQ(e.report.text, "people gather at the bazaar");
  ASSERT_EQ(e.follow_ups.size(), 1u);
  EXPECT_EQ(e.follow_ups[0].text, "now a riot");
  EXPECT_EQ(e.follow_ups[0].received_at, clock_.NowMs());
  ASSERT_EQ(e.matches.size(), 1u);
  EXPECT_EQ(ScoredText(e).substr(e.matches[0].begin, 4), "riot") << "offsets in ScoredText";

  // Still one event: the counters moved from info (no area) to high in Aravan.
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  auto kg = DayCounters("KG");
  EXPECT_EQ(kg.at("total"), 1);
  EXPECT_EQ(kg.at("severity:info"), 0);
  EXPECT_EQ(kg.at("severity:high"), 1);
  EXPECT_EQ(DayCounters("KG-O-ARAVAN").at("total"), 1);
  EXPECT_EQ(DayCounters("KG-O").at("category:violence"), 1);
  EXPECT_EQ(AlertedContacts(), std::vector<std::string>{"c1"});
  EXPECT_EQ(metrics_.GetCounter("sakchy_reports_accepted_total", "").Value(), 2u);
  pipeline_->Stop();
}

TEST_F(FollowUpPipelineTest, AReScoredEventAlertsOnlyContactsNotYetAlerted) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  auto parent = SubmitSync({Sms("a riot in the centre", "1")});
  ASSERT_OK(parent);
  const std::string id = (*parent)[0].id;
  ASSERT_TRUE(WaitFor([&] { return Scored(id); }));
  EXPECT_EQ(AlertedContacts(), std::vector<std::string>{"c1"});

  ASSERT_OK(SubmitSync({Sms("they are armed", "2")}));
  ASSERT_TRUE(WaitFor([&] { return Get(id)->follow_ups_scored == 1; }));
  EXPECT_EQ(Get(id)->severity, Severity::kCritical);
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  // c1 was alerted already (same idempotency key): only c2, newly concerned, is added.
  EXPECT_EQ(AlertedContacts(), (std::vector<std::string>{"c1", "c2"}));
  std::lock_guard lock(mu_);
  EXPECT_EQ(committed_.size(), 2u);
  pipeline_->Stop();
}

TEST_F(FollowUpPipelineTest, AFollowUpArrivingBeforeItsParentIsScoredIsScoredWithIt) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  classifier_->Pause(true);
  auto parent = SubmitSync({Sms("people gather", "1")});
  ASSERT_OK(parent);
  auto reply = SubmitSync({Sms("with a riot", "2"), Sms("armed", "3")});
  ASSERT_OK(reply);
  EXPECT_EQ((*reply)[0].follow_up_of, (*parent)[0].id);
  EXPECT_EQ((*reply)[1].follow_up_of, (*parent)[0].id);
  classifier_->Pause(false);
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  Event e = *Get((*parent)[0].id);
  EXPECT_EQ(e.follow_ups_scored, 2u);
  EXPECT_EQ(e.severity, Severity::kCritical);
  EXPECT_EQ(*store_->CountPending(), 0u);
  auto kg = DayCounters("KG");
  EXPECT_EQ(kg.at("total"), 1);
  EXPECT_EQ(kg.at("severity:critical"), 1);
  EXPECT_EQ(kg.count("severity:info") ? kg.at("severity:info") : 0, 0);
  EXPECT_EQ(AlertedContacts(), (std::vector<std::string>{"c1", "c2"}));
  pipeline_->Stop();
}

TEST_F(FollowUpPipelineTest, APendingFollowUpIsScoredAfterACrash) {
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  auto parent = SubmitSync({Sms("people gather", "1")});
  ASSERT_OK(parent);
  const std::string id = (*parent)[0].id;
  ASSERT_TRUE(WaitFor([&] { return Scored(id); }));
  pipeline_->Stop();

  // A crash right after the follow-up's durable write, before scoring: only the store has it.
  pipeline_.reset();
  Report reply = Sms("a riot now", "2");
  reply.id = alert_ids_.Next();
  reply.received_at = reply.observed_at = clock_.NowMs();
  auto stored = store_->AppendReports(std::span<const Report>(&reply, 1));
  ASSERT_OK(stored);
  EXPECT_EQ((*stored)[0].follow_up_of, id);
  store_.reset();
  OpenStore();
  MakePipeline();
  ASSERT_OK(pipeline_->Start());
  ASSERT_TRUE(WaitFor([&] { auto e = Get(id); return e && e->follow_ups_scored == 1; }));
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  EXPECT_EQ(Get(id)->severity, Severity::kHigh);
  EXPECT_EQ(*store_->CountPending(), 0u);
  EXPECT_EQ(DayCounters("KG").at("total"), 1);
  EXPECT_EQ(DayCounters("KG").at("severity:high"), 1);
  pipeline_->Stop();
}

TEST(ValidateReportTest, EveryProblemNamesItsField) {
  auto areas = config::AreaTree::Parse(kAreasYaml, "areas.yaml");
  ASSERT_OK(areas);
  ValidationLimits limits{16};
  auto check = [&](Report r) { return ValidateReport(r, *areas, limits); };
  Report ok;
  ok.text = "hello";
  EXPECT_FALSE(check(ok).has_value());
  Report r = ok;
  r.text = "\xC0\xAF";
  EXPECT_EQ(check(r)->field, "text");
  r = ok;
  r.text = " \n\t ";
  EXPECT_EQ(check(r)->field, "text");
  // Unicode spaces, zero-width characters and blank fillers are no text either.
  for (const char* blank : {"\u00A0\u00A0", "\u3000\u2007\u202F", "\u200B\uFEFF",
                            "\u2060 \u3164", "\u2800"}) {
    r = ok;
    r.text = blank;
    ASSERT_TRUE(check(r).has_value()) << blank;
    EXPECT_EQ(check(r)->field, "text");
  }
  for (const char* visible : {"\u00A0a", "\u3000\u041E", "\U0001F600"}) {
    r = ok;
    r.text = visible;
    EXPECT_FALSE(check(r).has_value()) << visible;
  }
  r = ok;
  r.text = std::string(17, 'a');
  EXPECT_EQ(check(r)->field, "text");
  EXPECT_NE(check(r)->problem.find("16"), std::string::npos);
  r = ok;
  r.area = "KG-ZZ";
  EXPECT_EQ(check(r)->field, "area");
  r = ok;
  r.source_ref = std::string(300, 'x');
  EXPECT_EQ(check(r)->field, "source_ref");
  r = ok;
  r.source_ref = "a\nb";
  EXPECT_EQ(check(r)->field, "source_ref");
}

}  // namespace
}  // namespace sakchy::ingest::pipeline_test

namespace sakchy::ingest::pipeline_test {
namespace {

TEST(ObservedAtTest, RefusedOutsideTheWindowOrClampedIntoIt) {
  auto areas = config::AreaTree::Parse("areas:\n  - {code: KG, level: country}\n", "areas.yaml");
  ASSERT_OK(areas);
  constexpr TimeMs kNow = 1'780'000'000'000;
  constexpr TimeMs kDay = 24LL * 3600 * 1000;
  const ValidationLimits limits{100, kNow, {30 * kDay, 5 * 60'000}};
  Report r;
  r.text = "hello";
  for (TimeMs t : {TimeMs{0}, kNow, kNow - 30 * kDay, kNow + 5 * 60'000}) {
    r.observed_at = t;
    EXPECT_FALSE(ValidateReport(r, *areas, limits).has_value()) << t;
  }
  for (TimeMs t : {kNow - 30 * kDay - 1, kNow + 5 * 60'000 + 1, TimeMs{-62'135'596'800'000},
                   TimeMs{253'402'300'799'000}}) {
    r.observed_at = t;
    auto bad = ValidateReport(r, *areas, limits);
    ASSERT_TRUE(bad.has_value()) << t;
    EXPECT_EQ(bad->field, "observed_at");
  }
  r.observed_at = kNow - 400 * kDay;
  EXPECT_TRUE(ClampObservedAt(r, kNow, limits.observed));
  EXPECT_EQ(r.observed_at, kNow - 30 * kDay);
  r.observed_at = kNow + kDay;
  EXPECT_TRUE(ClampObservedAt(r, kNow, limits.observed));
  EXPECT_EQ(r.observed_at, kNow + 5 * 60'000);
  r.observed_at = kNow - kDay;
  EXPECT_FALSE(ClampObservedAt(r, kNow, limits.observed));
  EXPECT_EQ(r.observed_at, kNow - kDay);
}

TEST(SanitizeTextTest, ReplacesInvalidBytesAndCutsAtCharacterBoundary) {
  std::string ok = "Ош шаары";
  EXPECT_FALSE(SanitizeText(ok, 100));
  EXPECT_EQ(ok, "Ош шаары");
  std::string bad = "a\xFF" "b";
  EXPECT_TRUE(SanitizeText(bad, 100));
  EXPECT_EQ(bad, "a\xEF\xBF\xBD" "b");
  std::string longer = "ОшОш";  // 8 bytes
  EXPECT_TRUE(SanitizeText(longer, 5));
  EXPECT_EQ(longer, "Ош");  // never splits a character
}

// PipelineHooks::prepare runs on the scoring threads, not on the commit thread, and what it made
// of each item reaches `analyse` beside that item (also when batches are committed together).
TEST_F(PipelineTest, PrepareRunsOnTheScoringThreadsAndTravelsWithItsItem) {
  std::mutex m;
  std::set<std::thread::id> prepare_threads;
  std::set<std::thread::id> analyse_threads;
  std::size_t analysed = 0;
  std::size_t mismatched = 0;
  PipelineHooks hooks;
  hooks.prepare = [&](const storage::ScoredBatchItem& item, PreparedAnalysis& out) {
    {
      std::lock_guard lock(m);
      prepare_threads.insert(std::this_thread::get_id());
    }
    out.ready = true;
    out.fingerprint.tokens = static_cast<int>(item.event.report.text.size());
  };
  hooks.analyse = [&](std::span<storage::ScoredBatchItem> items,
                      std::span<const PreparedAnalysis> prepared) {
    std::lock_guard lock(m);
    analyse_threads.insert(std::this_thread::get_id());
    if (prepared.size() != items.size()) {
      mismatched += items.size();
      return std::vector<Signal>{};
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      ++analysed;
      if (!prepared[i].ready ||
          prepared[i].fingerprint.tokens !=
              static_cast<int>(items[i].event.report.text.size())) {
        ++mismatched;
      }
    }
    return std::vector<Signal>{};
  };
  cfg_.queue_capacity = 1000;
  cfg_.scoring_threads = 2;
  auto fake = classifier_;
  pipeline_ = Pipeline::Create(*store_, cfg_, areas_, [fake] { return fake; }, std::move(hooks),
                               clock_, metrics_);
  ASSERT_OK(pipeline_->Start());
  std::size_t total = 0;
  for (int round = 0; round < 6; ++round) {
    std::vector<Report> reports;
    for (int i = 0; i <= round * 60; ++i) {
      reports.push_back(R(std::string(static_cast<std::size_t>(1 + (i * 7 + round) % 40), 'x') +
                          " riot " + std::to_string(i)));
    }
    total += reports.size();
    ASSERT_OK(SubmitSync(std::move(reports)));
  }
  ASSERT_TRUE(WaitFor([&] { return pipeline_->queue_depth() == 0; }));
  pipeline_->Stop();
  pipeline_.reset();
  std::lock_guard lock(m);
  EXPECT_EQ(analysed, total);
  EXPECT_EQ(mismatched, 0u);
  ASSERT_EQ(analyse_threads.size(), 1u);
  EXPECT_FALSE(prepare_threads.empty());
  EXPECT_EQ(prepare_threads.count(*analyse_threads.begin()), 0u)
      << "prepare ran on the commit thread";
}

}  // namespace
}  // namespace sakchy::ingest::pipeline_test
