#pragma once
// Cluster mode (docs/ARCHITECTURE.md "Cluster mode"): the ports between intake and a replicated,
// ordered log of accepted reports, and the two adapters on this side of them.
//   ReplicatedIntake: a Pipeline whose Submit() appends to the log (the 202 waits for the log's
//     acknowledgement) instead of writing the local store.
//   LocalReplica: applies the log's entries, in log order, to the local Pipeline (store + score),
//     with the log position written in the same atomic batch, so each entry is applied once.
// The log itself (NATS JetStream) lives in cluster/, which implements ReportLog and drives a
// LogApplier; ingest does not know NATS.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/id.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "ingest/pipeline.h"
#include "storage/ports.h"

namespace sakchy::ingest {

struct AppendOutcome {
  std::string id;          // the report's id; for a duplicate, the id of the first copy
  bool duplicate = false;  // the log already held a report with the same idempotency key
  std::uint64_t sequence = 0;  // its position in the log
};
using AppendResult = Result<std::vector<AppendOutcome>>;
using AppendCallback = std::function<void(AppendResult)>;

// The idempotency key of a report in the log: (channel, submitter, source_ref) when it has a
// source_ref (the store's own key), else its id (never a duplicate). Printable ASCII.
std::string LogKeyOf(const Report& report);

// Port (implemented by cluster::JetStreamNode): a replicated, ordered, durable log of reports.
// Thread safety: Append() from any thread; `done` runs on the log's thread (keep it short).
class ReportLog {
 public:
  virtual ~ReportLog() = default;
  // Appends `reports` (id and received_at set) and calls `done` once every one is durable in
  // the log (acknowledged by its replicas), in input order; or with an error, and then the
  // caller must treat the whole call as not accepted: kUnavailable (log unreachable or slow:
  // answer 503 + Retry-After; some reports may have been appended, and a retry with the same
  // idempotency key finds them as duplicates), kResourceExhausted (too many appends waiting).
  virtual void Append(std::vector<Report> reports, AppendCallback done) = 0;
};

// One entry of the log, in log order.
struct LogEntry {
  std::uint64_t sequence = 0;
  Report report;
};

// Port (implemented by LocalReplica, driven by cluster/): where the log's entries go.
class LogApplier {
 public:
  virtual ~LogApplier() = default;
  // The position up to which the log has been applied here (0: nothing), read from the store.
  virtual Result<std::uint64_t> AppliedThrough() = 0;
  // Applies `entries` (in log order, ascending sequences); `done` once they are durable here
  // (store), with kResourceExhausted when the local queue is full (retry the same entries later)
  // or kUnavailable when stopping. Entries at or below AppliedThrough() are skipped.
  virtual void Apply(std::vector<LogEntry> entries, std::function<void(Status)> done) = 0;
};

// A Pipeline for the API and the other intake paths in cluster mode: Submit() assigns ids and
// times, appends to the log and answers when the log acknowledged; a source's cursor is then
// written to the local store. Start()/Stop() only open and close intake (the local pipeline is
// started and stopped by its owner); queue_depth()/capacity() are the local pipeline's.
class ReplicatedIntake final : public Pipeline {
 public:
  // `log`, `local`, `clock` must outlive this object.
  ReplicatedIntake(ReportLog& log, Pipeline& local, const Clock& clock, MetricsRegistry& metrics);
  Status Start() override;
  void Submit(std::vector<Report> reports, SubmitCallback done,
              std::optional<storage::CursorUpdate> cursor) override;
  void Stop() override;
  std::size_t queue_depth() const override { return local_.queue_depth(); }
  std::size_t capacity() const override { return local_.capacity(); }

 private:
  ReportLog& log_;
  Pipeline& local_;
  const Clock& clock_;
  IdGenerator ids_;
  std::atomic<bool> accepting_{false};
  Counter& appended_;
  Counter& duplicates_;
  Counter& refused_;
};

// The log's position in the store: the cursor of this source id (written with the reports).
inline constexpr std::string_view kLogCursor = "cluster:reports";

// Applies the log to the local pipeline. Thread safety: Apply() from one thread at a time.
class LocalReplica final : public LogApplier {
 public:
  LocalReplica(storage::IntakeLog& store, Pipeline& local, MetricsRegistry& metrics);
  Result<std::uint64_t> AppliedThrough() override;
  void Apply(std::vector<LogEntry> entries, std::function<void(Status)> done) override;
  std::uint64_t applied() const { return applied_.load(); }

 private:
  storage::IntakeLog& store_;
  Pipeline& local_;
  std::atomic<std::uint64_t> applied_{0};
  bool loaded_ = false;
  Counter& applied_total_;
  Counter& skipped_total_;
  Gauge& applied_seq_;
};

}  // namespace sakchy::ingest
