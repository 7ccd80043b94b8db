#pragma once
// The intake-to-storage pipeline shared by every channel:
//   Submit() -> group commit to the store (durable) -> bounded scoring queue (a priority lane
//   for small submissions, a bulk lane) -> classify and prepare (pipeline.scoring_threads, in
//   parallel) -> commit stage (one thread, batches in the order taken): analyse, plan alerts,
//   count, one atomic commit of events + counters + planned alerts -> hand alerts to delivery.
// Classification of the next batches overlaps the analysis and commit of the previous one.
// A report is on disk before Submit()'s callback reports it accepted. The scoring queue is bounded:
// Submit() refuses (kResourceExhausted, nothing stored) when it has no room, so callers push back
// (HTTP 503 + Retry-After) instead of losing or buffering without bound.

#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "classifier/classifier.h"
#include "classifier/clusters.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "storage/ports.h"

namespace sakchy::ingest {

// What the pipeline keeps in storage, as four of storage's ports (storage/ports.h): intake (reports
// and cursors in), scoring (the backlog and the scored commit), events by id (a follow-up's parent)
// and the outbox (alerts already sent for an event, so a re-scoring does not repeat them).
struct PipelineStore {
  storage::IntakeLog& intake;
  storage::ScoringLog& scoring;
  storage::EventReader& events;
  storage::Outbox& outbox;

  // From any object that implements the four ports (storage::Store).
  template <class S>
    requires std::derived_from<S, storage::IntakeLog> && std::derived_from<S, storage::ScoringLog> &&
             std::derived_from<S, storage::EventReader> && std::derived_from<S, storage::Outbox>
  PipelineStore(S& s)  // NOLINT(google-explicit-constructor): a Store& is a PipelineStore
      : intake(s), scoring(s), events(s), outbox(s) {}
};

struct SubmitOutcome {
  std::string id;
  bool duplicate = false;
  std::string follow_up_of;  // stored as a follow-up of this event (see Report::thread_key)
};
using SubmitResult = Result<std::vector<SubmitOutcome>>;
using SubmitCallback = std::function<void(SubmitResult)>;

// Returns the classifier to use now (hot reload swaps what it returns). Must be thread-safe.
using ClassifierProvider = std::function<std::shared_ptr<const classifier::Classifier>()>;

// What PipelineHooks::prepare computes for one scored event on a scoring thread, in parallel:
// the stateless part of the analysis, handed to `analyse` with the event so that the commit
// thread does only what depends on state (the cluster assignment, in order).
struct PreparedAnalysis {
  bool ready = false;                   // prepare ran for this item (else analyse computes it)
  classifier::Fingerprint fingerprint;  // the rumour-cluster fingerprint of the report's text
};

// A follow-up (Report::follow_up_of) re-scores its parent event on the text with every follow-up
// stored so far: the hooks then see the parent again, with follow_ups_scored > 0.
struct PipelineHooks {
  // Alerts for a scored event; called on the commit thread before the commit, after `analyse`
  // (so it sees the categories analysis added). May be empty. For a re-scored event, alerts
  // whose idempotency key the event already has are dropped.
  std::function<std::vector<Alert>(const Event&)> plan_alerts;
  // Alerts durably committed with their events; called on the commit thread after the commit.
  std::function<void(std::vector<Alert>)> alerts_committed;
  // The stateless part of the analysis of one scored item (not resolve-only), on the scoring
  // thread that classified it, in parallel with the other scoring threads and the commit
  // thread: must not read or write state that `analyse` changes, nor depend on the categories
  // `analyse` adds. Its result travels with the item to `analyse`. May be empty.
  std::function<void(const storage::ScoredBatchItem&, PreparedAnalysis&)> prepare;
  // Stateful analysis of a scored batch (the rumour-cluster stage): called on the commit
  // thread before the commit, before alerts are planned and counters computed; may add records
  // to the items (committed atomically with them) and categories to their events (planned,
  // counted and stored with them), and returns signals. `prepared[i]` is what `prepare` made of
  // `items[i]` (ready == false when it did not run). Each call's batch is committed before
  // the next call (one thread does both, batches in the order they were taken), so state is
  // committed in the order it was produced and a call sees every earlier batch committed.
  // May be empty.
  std::function<std::vector<Signal>(std::span<storage::ScoredBatchItem>,
                                    std::span<const PreparedAnalysis>)>
      analyse;
  // The signals `analyse` returned, once their batch is committed; on the commit thread.
  std::function<void(std::vector<Signal>)> signals_committed;
};

// Thread safety: Submit() and queue_depth() may be called from any thread.
// Blocking: Submit() never blocks; its callback runs on the pipeline's writer thread (keep it short:
// post to your own executor). Start()/Stop() block and are called by the owner.
class Pipeline {
 public:
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  virtual ~Pipeline() = default;

  // `store`, `areas`, `clock`, `metrics` must outlive the pipeline.
  static std::unique_ptr<Pipeline> Create(PipelineStore store, const config::PipelineConfig& cfg,
                                          const config::AreaTree& areas,
                                          ClassifierProvider classifier, PipelineHooks hooks,
                                          const Clock& clock, MetricsRegistry& metrics);

  // Starts the writer, scoring and commit threads and re-queues every report stored but not
  // yet scored (after a crash). Fails if the store cannot be read.
  [[nodiscard]] virtual Status Start() = 0;

  // Stores `reports` (ids are assigned here; received_at set from the clock, observed_at defaults
  // to received_at) and queues the new ones for scoring. `done` receives, in input order, the id
  // of each report and whether it was a duplicate; or an error: kResourceExhausted (queue full),
  // kUnavailable (stopping), or the store's error. On error nothing of the call was stored.
  // `cursor` (a pull source's new position) is written in the same atomic batch as the reports,
  // so it is durable exactly when they are. A submission of at most 4 reports (a single POST,
  // an SMS) is scored in the priority lane, ahead of queued bulk reports.
  virtual void Submit(std::vector<Report> reports, SubmitCallback done,
                      std::optional<storage::CursorUpdate> cursor) = 0;
  void Submit(std::vector<Report> reports, SubmitCallback done) {
    Submit(std::move(reports), std::move(done), std::nullopt);
  }

  // Stops accepting, finishes pending writes, scores everything queued, flushes the store.
  virtual void Stop() = 0;

  virtual std::size_t queue_depth() const = 0;  // reserved + queued + being scored
  virtual std::size_t capacity() const = 0;

 protected:
  Pipeline() = default;
};

}  // namespace sakchy::ingest
