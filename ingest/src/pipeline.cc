#include "ingest/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <pthread.h>

#include "analytics/event_counters.h"
#include "core/thread.h"

namespace sakchy::ingest {
namespace {

constexpr std::size_t kMaxScoringBatch = 256;
// Classified batches may wait this many deep ahead of the commit stage (memory and lag bounded).
constexpr std::uint64_t kMaxJobsAhead = 4;
// The commit stage analyses and commits the batches waiting for it together, up to this many
// reports: one RocksDB write, one counter sum, one state record per cluster touched.
constexpr std::size_t kMaxCommitReports = 1024;
// Priority lane: the reports of a submission of at most this many (a single POST, an SMS, a
// WhatsApp message, a small poll) are scored ahead of queued bulk reports (NDJSON chunks,
// large polls), so an alert about one is not queued behind a bulk backlog.
constexpr std::size_t kUrgentSubmission = 4;
// While bulk reports wait, a batch takes at most this many of the priority lane: neither starves.
constexpr std::size_t kMaxUrgentPerBatch = kMaxScoringBatch * 3 / 4;
// Scoring is asynchronous, so a scorer that finds only a few reports waits up to kScoringLinger
// for kFullScoringBatch of them: every batch costs one RocksDB commit and one pass of counter
// merges and cluster bookkeeping, which small batches (one per intake group commit, ~13 reports
// at 15,000 reports/s) paid again and again. A report's alert is at most this much later.
constexpr std::size_t kFullScoringBatch = 32;
constexpr std::chrono::milliseconds kScoringLinger{2};
constexpr std::size_t kRecoveryPage = 1024;
constexpr std::size_t kMaxWriteReports = 2048;
// How long counter merges of scored reports may wait to be written together (see CommitLoop).
constexpr std::chrono::milliseconds kCounterFlushInterval{100};

struct Submission {
  std::vector<Report> reports;
  SubmitCallback done;
  std::optional<storage::CursorUpdate> cursor;
  bool urgent = false;  // scored in the priority lane (kUrgentSubmission)
};

class PipelineImpl final : public Pipeline {
 public:
  PipelineImpl(PipelineStore store, const config::PipelineConfig& cfg,
               const config::AreaTree& areas, ClassifierProvider classifier, PipelineHooks hooks,
               const Clock& clock, MetricsRegistry& metrics)
      : store_(store),
        cfg_(cfg),
        areas_(areas),
        classifier_(std::move(classifier)),
        hooks_(std::move(hooks)),
        clock_(clock),
        ids_(clock),
        accepted_(metrics.GetCounter("sakchy_reports_accepted_total",
                                     "Reports stored for scoring")),
        duplicates_(metrics.GetCounter("sakchy_reports_duplicate_total",
                                       "Reports recognised as already stored (idempotency)")),
        follow_ups_(metrics.GetCounter("sakchy_reports_follow_up_total",
                                       "Reports stored as follow-ups of an earlier report of the "
                                       "same sender (counted in accepted too)")),
        refused_full_(metrics.GetCounter("sakchy_reports_refused_total",
                                         "Reports refused because the scoring queue was full",
                                         {{"reason", "queue_full"}})),
        store_errors_(metrics.GetCounter("sakchy_storage_errors_total",
                                         "Failed writes to the store", {{"op", "append"}})),
        score_errors_(metrics.GetCounter("sakchy_storage_errors_total",
                                         "Failed writes to the store", {{"op", "commit_scored"}})),
        scored_(metrics.GetCounter("sakchy_events_scored_total", "Reports scored and stored")),
        write_batch_(metrics.GetHistogram(
            "sakchy_intake_batch_reports", "Reports per group commit", {},
            {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384})),
        write_seconds_(metrics.GetHistogram("sakchy_intake_write_seconds",
                                            "Duration of one intake group commit")),
        score_seconds_(metrics.GetHistogram("sakchy_scoring_seconds",
                                            "Classification time of one report")),
        commit_reports_(metrics.GetHistogram(
            "sakchy_scoring_commit_reports", "Reports per scored commit (the commit stage's batch)",
            {}, {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048})) {
    metrics.AddCallbackGauge("sakchy_queue_depth", "Reports reserved, queued or being scored", {},
                             [this] { return static_cast<double>(queue_depth()); });
    metrics.AddCallbackGauge("sakchy_queue_capacity", "Capacity of the scoring queue", {},
                             [this] { return static_cast<double>(capacity()); });
  }

  ~PipelineImpl() override { Stop(); }

  Status Start() override {
    // Recover reports that were stored but not scored before a crash. They already hold a place
    // in the queue's budget (at most `capacity` can be pending on disk).
    // Reports scored whose deferred counters a crash lost are recounted here.
    std::vector<Report> recovered;
    std::size_t recounted = 0;
    std::string after;
    for (;;) {
      auto page = store_.scoring.PendingEvents(kRecoveryPage, after);
      if (!page) return tl::unexpected(page.error());
      if (page->empty()) break;
      after = page->back().event.report.id;
      std::vector<storage::ScoredBatchItem> recount;
      for (auto& p : *page) {
        if (!p.event.scored) {
          recovered.push_back(std::move(p.event.report));
          continue;
        }
        storage::ScoredBatchItem item;
        item.resolve_only = true;
        item.pending_id = p.event.report.id;
        item.counters = analytics::CountersFor(p.event, areas_);
        recount.push_back(std::move(item));
      }
      if (!recount.empty()) {
        if (auto s = store_.scoring.CommitScored(recount); !s) return s;
        recounted += recount.size();
      }
    }
    if (recounted > 0) {
      spdlog::info("pipeline: recounted {} scored reports whose counters were not yet written",
                   recounted);
    }
    {
      std::lock_guard lock(score_mu_);
      for (auto& r : recovered) score_queue_.push_back(std::move(r));
    }
    reserved_.fetch_add(recovered.size());
    if (!recovered.empty()) {
      spdlog::info("pipeline: re-queued {} stored reports that were not yet scored",
                   recovered.size());
    }
    running_ = true;
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sakchy-intake");
      // A client waits for each group commit.
      if (auto s = MarkThreadLatencySensitive(); !s) {
        spdlog::warn("pipeline: no scheduling hint for the intake thread: {}", s.error().ToString());
      }
      WriterLoop();
    });
    int n = std::max(1, cfg_.scoring_threads);
    for (int i = 0; i < n; ++i) {
      scorers_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "sakchy-score");
        // Scoring is batch work: it yields to the threads a client waits for.
        if (auto s = MarkThreadBatch(cfg_.scoring_nice); !s) {
          spdlog::warn("pipeline: cannot make the scoring threads SCHED_BATCH at nice {}: {}",
                       cfg_.scoring_nice, s.error().ToString());
        }
        ScoringLoop();
      });
    }
    committer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sakchy-commit");
      if (auto s = MarkThreadBatch(cfg_.scoring_nice); !s) {
        spdlog::warn("pipeline: cannot make the commit thread SCHED_BATCH at nice {}: {}",
                     cfg_.scoring_nice, s.error().ToString());
      }
      CommitLoop();
    });
    return OkStatus();
  }

  void Submit(std::vector<Report> reports, SubmitCallback done,
              std::optional<storage::CursorUpdate> cursor) override {
    if (!accepting_.load()) {
      done(MakeError(ErrorCode::kUnavailable, "the service is shutting down"));
      return;
    }
    const std::size_t n = reports.size();
    // Reserve room in the scoring queue before anything is stored.
    std::size_t cur = reserved_.load();
    do {
      if (cur + n > cfg_.queue_capacity) {
        refused_full_.Inc(n);
        done(MakeError(ErrorCode::kResourceExhausted,
                       "the scoring queue is full (" + std::to_string(cfg_.queue_capacity) +
                           " reports); retry later"));
        return;
      }
    } while (!reserved_.compare_exchange_weak(cur, cur + n));

    TimeMs now = clock_.NowMs();
    for (auto& r : reports) {
      // A report from the cluster's log (ingest/report_log.h: LocalReplica) keeps the id and
      // received_at its intake node gave it, so every node stores it alike.
      if (r.id.empty() || r.received_at == 0) {
        r.id = ids_.Next();
        r.received_at = now;
      }
      if (r.observed_at == 0) r.observed_at = now;
    }
    {
      std::lock_guard lock(write_mu_);
      write_queue_.push_back(
          Submission{std::move(reports), std::move(done), std::move(cursor), n <= kUrgentSubmission});
    }
    write_cv_.notify_one();
  }

  void Stop() override {
    accepting_ = false;
    if (!running_.exchange(false)) return;
    {
      std::lock_guard lock(write_mu_);
      writer_stop_ = true;
    }
    write_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard lock(score_mu_);
      scorers_stop_ = true;
    }
    score_cv_.notify_all();
    for (auto& t : scorers_) t.join();
    scorers_.clear();
    {
      std::lock_guard lock(commit_mu_);
      commit_stop_ = true;
    }
    commit_cv_.notify_all();
    if (committer_.joinable()) committer_.join();
    if (auto s = store_.scoring.Flush(); !s) {
      spdlog::error("pipeline: flushing the store failed: {}", s.error().ToString());
    }
  }

  std::size_t queue_depth() const override { return reserved_.load(); }
  std::size_t capacity() const override { return cfg_.queue_capacity; }

 private:
  // Group commit: the submissions waiting when the writer wakes go into one store write, up to
  // about kMaxWriteReports reports (a bulk request does not hold single reports back for long).
  void WriterLoop() {
    std::vector<Submission> batch;
    std::vector<Report> reports;
    std::vector<storage::CursorUpdate> cursors;
    for (;;) {
      batch.clear();
      {
        std::unique_lock lock(write_mu_);
        write_cv_.wait(lock, [this] { return writer_stop_ || !write_queue_.empty(); });
        if (write_queue_.empty()) return;  // stopping and drained
        std::size_t taken = 0;
        while (!write_queue_.empty() && (batch.empty() || taken < kMaxWriteReports)) {
          taken += write_queue_.front().reports.size();
          batch.push_back(std::move(write_queue_.front()));
          write_queue_.pop_front();
        }
      }
      reports.clear();
      cursors.clear();
      for (auto& s : batch) {
        for (auto& r : s.reports) reports.push_back(std::move(r));
        if (s.cursor) cursors.push_back(std::move(*s.cursor));
      }
      auto start = std::chrono::steady_clock::now();
      auto results = store_.intake.AppendReports(reports, cursors);
      write_seconds_.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      write_batch_.Observe(static_cast<double>(reports.size()));
      if (!results) {
        store_errors_.Inc();
        spdlog::error("pipeline: storing {} reports failed: {}", reports.size(),
                      results.error().ToString());
        reserved_.fetch_sub(reports.size());
        for (auto& s : batch) s.done(tl::unexpected(results.error()));
        batch.clear();
        continue;
      }
      std::size_t i = 0;
      std::size_t released = 0;
      std::vector<Report> fresh;
      std::vector<Report> fresh_urgent;
      for (auto& s : batch) {
        std::vector<SubmitOutcome> out;
        out.reserve(s.reports.size());
        std::size_t dups = 0;
        for (std::size_t k = 0; k < s.reports.size(); ++k, ++i) {
          const auto& res = (*results)[i];
          out.push_back(SubmitOutcome{res.id, res.duplicate, res.follow_up_of});
          if (res.duplicate) {
            ++dups;
          } else {
            if (!res.follow_up_of.empty()) follow_ups_.Inc();
            reports[i].follow_up_of = res.follow_up_of;
            (s.urgent ? fresh_urgent : fresh).push_back(std::move(reports[i]));
          }
        }
        released += dups;
        accepted_.Inc(s.reports.size() - dups);
        duplicates_.Inc(dups);
        s.done(std::move(out));
      }
      if (released) reserved_.fetch_sub(released);
      if (!fresh.empty() || !fresh_urgent.empty()) {
        // A scorer that waits for a full batch (see ScoringLoop) is woken when the queue fills
        // one, or by its linger timeout: waking it on every commit only to wait again cost a
        // context switch per group commit. An idle scorer (empty queue) is woken at once.
        bool wake = false;
        {
          std::lock_guard lock(score_mu_);
          const std::size_t before = score_queue_.size() + urgent_queue_.size();
          for (auto& r : fresh) score_queue_.push_back(std::move(r));
          for (auto& r : fresh_urgent) urgent_queue_.push_back(std::move(r));
          const std::size_t after = score_queue_.size() + urgent_queue_.size();
          wake = before == 0 || (before < kFullScoringBatch && after >= kFullScoringBatch);
        }
        if (wake) score_cv_.notify_one();
      }
      batch.clear();
    }
  }

  // The event a queued report's scoring writes: its parent's for a follow-up, its own for a
  // report that may have follow-ups (a thread key); nullptr when no other work can touch it.
  static const std::string* Family(const Report& r) {
    if (!r.follow_up_of.empty()) return &r.follow_up_of;
    if (!r.thread_key.empty()) return &r.id;
    return nullptr;
  }

  // Fills `work` with up to kMaxScoringBatch reports: the priority lane first (at most
  // kMaxUrgentPerBatch of them while bulk reports wait, so neither lane starves), then the bulk
  // lane, each in queue order. score_mu_ held.
  void TakeBatch(std::vector<Report>& work, std::vector<std::string>& families) {
    TakeFrom(urgent_queue_, score_queue_.empty() ? kMaxScoringBatch : kMaxUrgentPerBatch, work,
             families);
    TakeFrom(score_queue_, kMaxScoringBatch, work, families);
  }

  // Moves reports of `queue` into `work` until it holds `limit`, skipping (and keeping in place)
  // those whose event another batch, or an earlier report of this one, is scoring: the
  // read-score-commit of one event never overlaps another. score_mu_ held.
  void TakeFrom(std::deque<Report>& queue, std::size_t limit, std::vector<Report>& work,
                std::vector<std::string>& families) {
    std::vector<Report> deferred;
    auto it = queue.begin();
    while (it != queue.end() && work.size() < limit) {
      if (const std::string* family = Family(*it)) {
        if (!busy_families_.insert(*family).second) {
          deferred.push_back(std::move(*it++));
          continue;
        }
        families.push_back(*family);
      }
      work.push_back(std::move(*it++));
    }
    queue.erase(queue.begin(), it);
    for (auto r = deferred.rbegin(); r != deferred.rend(); ++r) queue.push_front(std::move(*r));
  }

  void FlushDeferredCounters() {
    if (auto s = store_.scoring.FlushDeferred(); !s) {
      score_errors_.Inc();
      spdlog::error("pipeline: writing deferred counters failed: {}", s.error().ToString());
    }
  }

  struct Threaded {
    std::size_t item = 0;
    bool rescored = false;  // the event was scored before (its old counters are in the item)
  };

  // A classified batch on its way to the commit stage, numbered in the order it was taken.
  struct Job {
    std::uint64_t seq = 0;
    std::vector<storage::ScoredBatchItem> items;
    std::vector<PreparedAnalysis> prepared;  // PipelineHooks::prepare of each item
    std::vector<std::size_t> plain;  // items that are first scorings of plain reports
    std::vector<Threaded> threaded;  // items scored by ScoreThreaded, to finish after analysis
    std::vector<Report> retry;       // reports whose store read failed: queued again
    std::vector<std::string> families;  // busy until the job is committed (see Family)
  };

  // A scoring thread: takes a batch, classifies it with one classifier snapshot, prepares its
  // analysis (PipelineHooks::prepare: the stateless part), and hands it to the commit stage; it
  // never waits for a commit unless kMaxJobsAhead batches are waiting.
  void ScoringLoop() {
    std::vector<Report> work;
    for (;;) {
      Job job;
      work.clear();
      {
        std::unique_lock lock(score_mu_);
        for (;;) {
          // The lanes decide the order, not the linger: a report of the priority lane waits
          // for it too (at most kScoringLinger), so single POSTs keep their batches.
          const std::size_t queued = score_queue_.size() + urgent_queue_.size();
          if (queued > 0 && queued < kFullScoringBatch) {
            score_cv_.wait_for(lock, kScoringLinger, [this] {
              return score_queue_.size() + urgent_queue_.size() >= kFullScoringBatch ||
                     scorers_stop_;
            });
          }
          TakeBatch(work, job.families);
          if (!work.empty()) break;
          // Stopping and drained (a batch in the commit stage may still queue a retry).
          if (scorers_stop_ && score_queue_.empty() && urgent_queue_.empty() && in_flight_ == 0) {
            return;
          }
          score_cv_.wait(lock);
        }
        job.seq = next_take_seq_++;
        ++in_flight_;
        if (!score_queue_.empty() || !urgent_queue_.empty()) score_cv_.notify_one();
      }
      ClassifyBatch(work, job);
      PushJob(std::move(job));
    }
  }

  // One ruleset for the whole batch: a reload between batches never scores a report twice.
  // Each scored item is prepared for the analysis here, on this thread.
  void ClassifyBatch(std::vector<Report>& work, Job& job) {
    auto classifier = classifier_();
    job.items.reserve(work.size());
    job.prepared.reserve(work.size());
    for (auto& report : work) {
      auto start = std::chrono::steady_clock::now();
      storage::ScoredBatchItem item;
      if (!report.follow_up_of.empty() || !report.thread_key.empty()) {
        bool rescored = false;
        if (!ScoreThreaded(*classifier, report, item, &rescored)) {
          job.retry.push_back(std::move(report));
          continue;
        }
        if (!item.resolve_only) job.threaded.push_back({job.items.size(), rescored});
      } else {
        item.event = Score(*classifier, std::move(report));
        item.first_scoring = true;  // each queued report is scored once, from its mark
        job.plain.push_back(job.items.size());
      }
      score_seconds_.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      PreparedAnalysis& prepared = job.prepared.emplace_back();
      if (hooks_.prepare && !item.resolve_only) hooks_.prepare(item, prepared);
      job.items.push_back(std::move(item));
    }
  }

  // Waits until the job is at most kMaxJobsAhead batches ahead of the commit stage, then hands
  // it over. The job of the next sequence number always has room, so the stage never stalls.
  void PushJob(Job job) {
    {
      std::unique_lock lock(commit_mu_);
      room_cv_.wait(lock, [&] { return job.seq < next_commit_seq_ + kMaxJobsAhead; });
      jobs_.emplace(job.seq, std::move(job));
    }
    commit_cv_.notify_one();
  }

  // The commit stage (one thread): takes the classified batches in the order they were taken,
  // as many consecutive ones as are waiting (up to kMaxCommitReports reports), and analyses,
  // plans, counts and commits them as one batch, so cluster state is committed in the order it
  // was produced and the analysis of a batch sees every earlier batch committed.
  void CommitLoop() {
    auto last_counter_flush = std::chrono::steady_clock::now();
    bool counters_deferred = false;
    std::vector<Job> group;
    for (;;) {
      group.clear();
      {
        std::unique_lock lock(commit_mu_);
        for (;;) {
          if (!jobs_.empty() && jobs_.begin()->first == next_commit_seq_) break;
          if (commit_stop_ && jobs_.empty()) return;  // the scorers have stopped and drained
          if (!counters_deferred) {
            commit_cv_.wait(lock);
            continue;
          }
          // Counters of first scorings are deferred (written by the store with a later commit),
          // so the batches of kCounterFlushInterval share one merge per counter key; the first
          // commit after the interval, or kCounterFlushInterval of idleness, writes them. Reads
          // see them either way (Store::ReadCounters); this only decides how often they reach
          // the disk.
          if (commit_cv_.wait_for(lock, kCounterFlushInterval) == std::cv_status::timeout &&
              (jobs_.empty() || jobs_.begin()->first != next_commit_seq_)) {
            lock.unlock();
            FlushDeferredCounters();
            counters_deferred = false;
            last_counter_flush = std::chrono::steady_clock::now();
            lock.lock();
          }
        }
        std::size_t reports = 0;
        while (!jobs_.empty() && jobs_.begin()->first == next_commit_seq_ &&
               (group.empty() ||
                reports + jobs_.begin()->second.items.size() <= kMaxCommitReports)) {
          reports += jobs_.begin()->second.items.size();
          group.push_back(std::move(jobs_.begin()->second));
          jobs_.erase(jobs_.begin());
          ++next_commit_seq_;
        }
      }
      room_cv_.notify_all();
      const auto now = std::chrono::steady_clock::now();
      const bool defer = now - last_counter_flush < kCounterFlushInterval;
      if (!defer) last_counter_flush = now;
      CommitGroup(group, defer);
      counters_deferred = defer;
    }
  }

  // Analyses (with what the scoring threads prepared), plans, counts and commits the jobs of
  // `group` as one batch; then releases their families and queue room and hands on what the
  // commit made durable.
  void CommitGroup(std::vector<Job>& group, bool defer) {
    std::vector<storage::ScoredBatchItem> items;
    std::vector<PreparedAnalysis> prepared;
    std::vector<std::size_t> plain;
    std::vector<Threaded> threaded;
    if (group.size() == 1) {
      items = std::move(group.front().items);
      prepared = std::move(group.front().prepared);
      plain = std::move(group.front().plain);
      threaded = std::move(group.front().threaded);
    } else {
      for (auto& job : group) {
        const std::size_t base = items.size();
        for (std::size_t i : job.plain) plain.push_back(base + i);
        for (auto t : job.threaded) threaded.push_back({base + t.item, t.rescored});
        for (auto& item : job.items) items.push_back(std::move(item));
        prepared.insert(prepared.end(), job.prepared.begin(), job.prepared.end());
      }
    }
    commit_reports_.Observe(static_cast<double>(items.size()));
    std::vector<Alert> alerts;
    std::vector<Signal> signals;
    bool committed = false;
    if (!items.empty() && !gave_up_) {
      if (hooks_.analyse) signals = hooks_.analyse(items, prepared);
      // Alerts and counters come from the events as the analysis left them (it may add a
      // category, e.g. known_false), so the routing ticket, the counters and the stored event
      // agree and each category is counted once.
      for (std::size_t i : plain) {
        if (hooks_.plan_alerts) items[i].alerts = hooks_.plan_alerts(items[i].event);
        items[i].defer_counters = defer;
      }
      for (const auto& t : threaded) FinishThreaded(items[t.item], t.rescored);
      for (const auto& item : items) {
        for (const auto& a : item.alerts) alerts.push_back(a);
      }
      // The counters of the batch's first scorings are summed per key and travel with the
      // first of them: they are committed in the same atomic write, and a first scoring is
      // never skipped, so the sum lands exactly when the events do.
      if (!plain.empty()) {
        batch_counters_.clear();
        for (std::size_t i : plain) counters_.Add(items[i].event, batch_counters_);
        items[plain.front()].counters = batch_counters_.Deltas();
      }
      committed = CommitWithRetry(items);
      // A later batch's analysis built on this one: after giving up (at shutdown), nothing more
      // is committed; those reports stay pending on disk and are scored after the restart.
      if (!committed) gave_up_ = true;
    }
    if (committed) scored_.Inc(items.size());
    reserved_.fetch_sub(items.size());
    {
      std::lock_guard lock(score_mu_);
      for (auto& job : group) {
        for (const auto& f : job.families) busy_families_.erase(f);
        // Reports whose store read failed go to the back; they stay pending on disk meanwhile.
        for (auto& r : job.retry) score_queue_.push_back(std::move(r));
      }
      in_flight_ -= group.size();
    }
    score_cv_.notify_all();
    if (!committed) alerts.clear();
    if (!alerts.empty() && hooks_.alerts_committed) hooks_.alerts_committed(std::move(alerts));
    if (committed && !signals.empty() && hooks_.signals_committed) {
      hooks_.signals_committed(std::move(signals));
    }
  }

  // Retries a failed commit: the reports stay pending on disk, so nothing is lost even if the
  // process dies meanwhile; they are re-scored after a restart. False when it gave up (only
  // while stopping).
  bool CommitWithRetry(std::span<const storage::ScoredBatchItem> items) {
    for (int attempt = 0;; ++attempt) {
      auto s = store_.scoring.CommitScored(items);
      if (s) return true;
      score_errors_.Inc();
      spdlog::error("pipeline: committing {} scored events failed (attempt {}): {}", items.size(),
                    attempt + 1, s.error().ToString());
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(5000, 50 << std::min(attempt, 6))));
      std::lock_guard lock(score_mu_);
      if (scorers_stop_ && attempt >= 3) {
        spdlog::error("pipeline: giving up at shutdown; {} reports stay pending on disk",
                      items.size());
        return false;
      }
    }
  }

  // Scores a report that may have follow-ups, or a follow-up (which re-scores its parent with
  // every follow-up stored so far). Reads the stored event; false when that read failed (retry
  // later). A re-scored event (*rescored) brings its old counters negated; FinishThreaded adds
  // the new ones and plans the alerts once the batch is analysed.
  bool ScoreThreaded(const classifier::Classifier& classifier, Report& report,
                     storage::ScoredBatchItem& item, bool* rescored) {
    const bool follow_up = !report.follow_up_of.empty();
    const std::string& event_id = follow_up ? report.follow_up_of : report.id;
    item.pending_id = report.id;
    auto stored = store_.events.GetEvent(event_id);
    if (!stored) {
      spdlog::error("pipeline: reading event {} to score it failed: {}", event_id,
                    stored.error().ToString());
      return false;
    }
    if (!*stored) {
      if (follow_up) {
        spdlog::error("pipeline: follow-up {} belongs to event {}, which is not stored; dropped",
                      report.id, event_id);
        item.resolve_only = true;
        return true;
      }
      stored.value().emplace();
      stored.value()->report = report;  // scored as given
    }
    Event& old = **stored;
    if (old.scored && old.follow_ups_scored >= old.follow_ups.size()) {
      item.resolve_only = true;  // its follow-ups are all in the stored score already
      return true;
    }
    const auto count = static_cast<std::uint32_t>(old.follow_ups.size());
    const std::string text = ScoredText(old.report, old.follow_ups, count);
    Event e = Score(classifier, old.report, &text);
    e.follow_ups = old.follow_ups;
    e.follow_ups_scored = count;
    *rescored = old.scored;
    if (old.scored) {
      for (auto c : analytics::CountersFor(old, areas_)) {
        c.delta = -c.delta;
        item.counters.push_back(std::move(c));
      }
    }
    item.event = std::move(e);
    return true;
  }

  // After the analysis of the batch: the event's counters (the differences to the old ones of a
  // re-scored event) and its alerts, only to contacts and channels not yet alerted about it.
  void FinishThreaded(storage::ScoredBatchItem& item, bool rescored) {
    auto counters = analytics::CountersFor(item.event, areas_);
    item.counters.insert(item.counters.begin(), std::make_move_iterator(counters.begin()),
                         std::make_move_iterator(counters.end()));
    if (hooks_.plan_alerts) item.alerts = hooks_.plan_alerts(item.event);
    if (rescored && !item.alerts.empty()) DropAlreadyAlerted(item.event.report.id, item.alerts);
  }

  // Removes from `alerts` those whose idempotency key the event's stored alerts already use.
  void DropAlreadyAlerted(const std::string& event_id, std::vector<Alert>& alerts) {
    storage::AlertFilter filter;
    filter.event_id = event_id;
    auto existing = store_.outbox.ListAlerts(filter, 1000, "");
    if (!existing) {
      // Without the list, alerting again could repeat an alert; not alerting loses nothing
      // already sent. Keep the earlier alerts only.
      spdlog::error("pipeline: listing the alerts of event {} failed: {}", event_id,
                    existing.error().ToString());
      alerts.clear();
      return;
    }
    std::erase_if(alerts, [&](const Alert& a) {
      return std::any_of(existing->begin(), existing->end(), [&](const Alert& old) {
        return old.idempotency_key == a.idempotency_key;
      });
    });
  }

  // Classifies the report's text, or `text` (its ScoredText with follow-ups) when given.
  Event Score(const classifier::Classifier& classifier, Report report,
              const std::string* text = nullptr) {
    Event e;
    auto c = classifier.Classify(text != nullptr ? *text : report.text);
    e.matches = std::move(c.matches);
    e.categories = std::move(c.categories);
    e.score = c.score;
    e.severity = c.severity;
    e.rules_score = c.rules_score;
    e.models = std::move(c.models);
    e.places = std::move(c.places);
    if (report.area) {
      e.area = *report.area;
      e.area_source = AreaSource::kRequest;
    } else if (c.area) {
      e.area = *c.area;
      e.area_source = AreaSource::kText;
    }
    e.ruleset_version = classifier.info().version;
    e.scored = true;
    e.scored_at = clock_.NowMs();
    e.report = std::move(report);
    return e;
  }

  PipelineStore store_;
  const config::PipelineConfig cfg_;
  const config::AreaTree& areas_;
  const analytics::EventCounterPlan counters_{areas_};
  ClassifierProvider classifier_;
  PipelineHooks hooks_;
  const Clock& clock_;
  IdGenerator ids_;

  std::atomic<bool> accepting_{true};
  std::atomic<bool> running_{false};
  std::atomic<std::size_t> reserved_{0};

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::deque<Submission> write_queue_;
  bool writer_stop_ = false;
  std::thread writer_;

  std::mutex score_mu_;
  std::condition_variable score_cv_;
  std::deque<Report> urgent_queue_;  // the priority lane (see kUrgentSubmission)
  std::deque<Report> score_queue_;   // the bulk lane
  std::unordered_set<std::string> busy_families_;  // events being scored (see Family)
  std::uint64_t next_take_seq_ = 0;  // sequence number of the next batch taken
  std::size_t in_flight_ = 0;        // batches taken and not yet through the commit stage
  bool scorers_stop_ = false;
  std::vector<std::thread> scorers_;

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;  // the commit stage waits for its next batch
  std::condition_variable room_cv_;    // scorers wait for room ahead of the commit stage
  std::map<std::uint64_t, Job> jobs_;  // classified batches by sequence number
  std::uint64_t next_commit_seq_ = 0;
  bool commit_stop_ = false;
  std::thread committer_;
  // Commit thread only.
  bool gave_up_ = false;
  analytics::CounterSums batch_counters_;

  Counter& accepted_;
  Counter& duplicates_;
  Counter& follow_ups_;
  Counter& refused_full_;
  Counter& store_errors_;
  Counter& score_errors_;
  Counter& scored_;
  Histogram& write_batch_;
  Histogram& write_seconds_;
  Histogram& score_seconds_;
  Histogram& commit_reports_;
};

}  // namespace

std::unique_ptr<Pipeline> Pipeline::Create(PipelineStore store,
                                           const config::PipelineConfig& cfg,
                                           const config::AreaTree& areas,
                                           ClassifierProvider classifier, PipelineHooks hooks,
                                           const Clock& clock, MetricsRegistry& metrics) {
  return std::make_unique<PipelineImpl>(store, cfg, areas, std::move(classifier), std::move(hooks),
                                        clock, metrics);
}

}  // namespace sakchy::ingest
