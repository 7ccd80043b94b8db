#pragma once
// The RocksDB store (private to storage/src): the class, its column families and the helpers its
// files share. One file per concern implements it:
//   rocksdb_store.cc  open, schema, close, flush, memory, backup and retention entry points
//   intake.cc         AppendReports (idempotency, threads, cursors), pending reports and events
//   scored_commit.cc  CommitScored and the deferred counters (FlushDeferred)
//   event_reads.cc    GetEvent (with follow-ups), ScanEvents, VisitEvents, VisitEventsByObserved
//   counter_reads.cc  ReadCounterTable, ReadCounters (disk rows plus deferred deltas)
//   outbox.cc         UpdateAlerts, GetAlert, ListAlerts, PendingAlerts (routing tickets)
//   records.cc        WriteRecords, GetRecord, ScanRecords
// Key layout: storage/README.md.

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "codec.h"
#include "backup.h"
#include "counters.h"
#include "event_merge.h"
#include "retention.h"
#include "time_index.h"
#include "storage/store.h"


namespace sakchy::storage::internal {

// Version of the key layout and column family set. Bump when either changes incompatibly.
// 2: counters as one row per bucket (counters.h), day buckets at local midnight.
// 3: the index of scored events by observed time (time_index.h).
// 4: scoring merge operands in `events`. 5: events of format 3 (learned models' scores).
constexpr int kSchemaVersion = 5;
constexpr std::string_view kSchemaVersionKey = "schema_version";
constexpr std::size_t kBlockCacheBytes = std::size_t{64} << 20;
constexpr int kBloomBitsPerKey = 10;
constexpr std::size_t kMaxSuccessiveMerges = 64;
constexpr std::size_t kPendingMemtableBytes = std::size_t{16} << 20;
// All memtables together: past this the largest is flushed. Bounds the store's memory under a
// steady write load (each column family alone may grow to 2 x 64 MB).
constexpr std::size_t kMemtableBudgetBytes = std::size_t{128} << 20;
// Deferred counters are written at the latest with the commit that reaches this many events.
constexpr std::size_t kMaxDeferredEvents = 4096;

enum Cf : std::size_t {
  kEvents,
  kIdempotency,
  kPending,
  kCounters,
  kAlerts,
  kAlertsPending,
  kAlertsByEvent,
  kMeta,
  kCursors,
  kRecords,
  kEventsByTime,
  kFollowUps,
  kThreads,
  kCfCount,
};
constexpr std::array<const char*, kCfCount> kCfNames = {
    "events", "idempotency",    "pending",         "counters",
    "alerts", "alerts_pending", "alerts_by_event", "meta",
    "cursors", "records",       "events_by_time", "follow_ups",
    "threads",
};

inline rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToView(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

inline bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// Record table names: [a-z0-9_.]+, at most 64 bytes (records.cc).
bool ValidTableName(std::string_view table);
// records key: table + '\0' + key.
void RecordKey(std::string_view table, std::string_view key, std::string* out);

class RocksStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const StorageOptions& options);

  ~RocksStore() override;

  Result<std::vector<IntakeResult>> AppendReports(std::span<const Report> reports,
                                                  std::span<const CursorUpdate> cursors) override;
  Result<std::optional<std::string>> GetCursor(std::string_view source_id) override;
  Result<std::vector<Report>> PendingReports(std::size_t limit, std::string_view after_id) override;
  Result<std::size_t> CountPending() override;
  Status CommitScored(std::span<const ScoredBatchItem> items) override;
  std::map<std::string, std::uint64_t> MemoryUsage() const override {
    std::map<std::string, std::uint64_t> out;
    std::uint64_t value = 0;
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &value)) {
      out["memtables"] = value;
    }
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &value)) {
      out["table_readers"] = value;
    }
    if (block_cache_) out["block_cache"] = block_cache_->GetUsage();
    return out;
  }
  Result<std::optional<Event>> GetEvent(std::string_view id) override;
  Result<std::vector<CounterBucket>> ReadCounters(std::string_view area, Resolution resolution,
                                                  TimeMs from, TimeMs to) override;
  Result<CounterTable> ReadCounterTable(std::string_view area, Resolution resolution, TimeMs from,
                                        TimeMs to) override;
  Result<std::vector<Event>> ScanEvents(const EventScan& scan) override;
  Result<VisitResult> VisitEvents(const EventScan& scan,
                                  const std::function<bool(const Event&)>& visit) override;
  Result<VisitResult> VisitEventsByObserved(
      const ObservedScan& scan, const std::function<bool(const Event&)>& visit) override;
  Result<BackupInfo> CreateBackup(const std::string& backup_dir,
                                  const BackupProgressFn& progress) override {
    return internal::CreateBackup(db_.get(), backup_dir, progress);
  }
  Result<RetentionResult> ExpireTexts(TimeMs received_before, std::size_t max_events) override {
    std::string first, last;
    Result<RetentionResult> result;
    {
      // Serialised with CommitScored: an event is never rewritten by both at once.
      std::lock_guard lock(score_mu_);
      result = internal::ExpireTexts(db_.get(), cf_[kEvents], cf_[kMeta], write_options_,
                                     received_before, max_events, &first, &last);
    }
    if (!result) return result;
    if (auto st = internal::CompactSwept(db_.get(), cf_[kEvents], first, last); !st) {
      return tl::unexpected(st.error());
    }
    return result;
  }
  Status UpdateAlerts(std::span<const Alert> alerts, std::span<const RecordWrite> records,
                      Sync sync) override;
  Result<std::optional<Alert>> GetAlert(std::string_view id) override;
  Result<std::vector<Alert>> ListAlerts(const AlertFilter& filter, std::size_t limit,
                                        std::string_view before_id) override;
  Result<std::vector<Alert>> PendingAlerts() override;
  Status WriteRecords(std::span<const RecordWrite> writes) override;
  Result<std::optional<std::string>> GetRecord(std::string_view table,
                                               std::string_view key) override;
  Result<std::vector<Record>> ScanRecords(std::string_view table, const RecordScan& scan) override;
  Status Flush() override;
  Status FlushDeferred() override;
  Result<std::vector<PendingEvent>> PendingEvents(std::size_t limit,
                                                  std::string_view after_id) override;

 private:
  // Adds `writes` to `batch`; kInvalidArgument (nothing added) for a bad table name.
  // Adds one record write (table name already checked); `key` is scratch.
  static void AddRecord(const RecordWrite& w, rocksdb::ColumnFamilyHandle* cf,
                        rocksdb::WriteBatch* batch, std::string* key);
  static Status AddRecords(std::span<const RecordWrite> writes, rocksdb::ColumnFamilyHandle* cf,
                           rocksdb::WriteBatch* batch);

  RocksStore(std::string dir, bool sync) : dir_(std::move(dir)), sync_(sync) {
    write_options_.sync = sync;
    score_write_options_.sync = false;
  }

  // Writes `batch` and, when writes are synced, makes the log durable before returning. The sync
  // is a SyncWAL() after an unsynced write rather than a synced write: a synced write holds
  // RocksDB's write queue through the fsync, so every other writer (scoring, whose commits need
  // no sync) waited for intake's fsyncs; SyncWAL() runs outside the queue. The batch becomes
  // visible to readers a moment before it is durable; no caller acknowledges anything before
  // this returns.
  Status DurableWrite(rocksdb::WriteBatch* batch, std::string_view op) {
    rocksdb::Status s = db_->Write(unsynced_options_, batch);
    if (!s.ok()) return Fail(s, op);
    if (sync_) {
      s = db_->SyncWAL();
      if (!s.ok()) return Fail(s, std::string(op) + " (sync the log)");
    }
    return OkStatus();
  }

  // The error for a failed RocksDB call; logs it. `op` names the operation ("append reports").
  Error ToError(const rocksdb::Status& s, std::string_view op) const;
  tl::unexpected<Error> Fail(const rocksdb::Status& s, std::string_view op) const {
    return tl::unexpected<Error>(ToError(s, op));
  }
  Error Corruption(std::string_view op, const Error& cause) const;

  // Intake of a report with a thread_key (intake_mu_ held): stores it as a follow-up (true) or
  // lets the caller store it as a new event that starts the thread (false); updates the thread.
  Result<bool> AddToThread(const Report& r);
  // Intake (intake_mu_ held): the id a key of an older build (channel + source_ref, no
  // submitter) gives `r`, when that key exists and its report has r's submitter.
  Result<std::optional<std::string>> LegacyDuplicate(const Report& r);
  // Appends the follow-ups of `parent_id` to `out`, in arrival order.
  Status ReadFollowUps(const rocksdb::ReadOptions& ro, std::string_view parent_id,
                       std::vector<Report>* out);
  // The deferred minute deltas as CounterDeltas (deferred_mu_ held).
  void DeferredDeltas(std::vector<CounterDelta>* out) const;
  Status CheckSchema();
  Status CountPendingAtOpen();
  // Adds the writes that store `alert` (record, event index, pending mark) to `batch`.
  void AddAlert(const Alert& alert, rocksdb::WriteBatch* batch, std::string* key,
                std::string* value);
  // Reads and decodes one alert; std::nullopt when absent.
  Result<std::optional<Alert>> ReadAlert(const rocksdb::ReadOptions& ro, std::string_view id,
                                         rocksdb::PinnableSlice* scratch);

  const std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<rocksdb::Cache> block_cache_;  // shared by every column family
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every opened CF, owned; freed before db_
  std::array<rocksdb::ColumnFamilyHandle*, kCfCount> cf_{};
  const rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;     // sync as configured (retention sweeps)
  rocksdb::WriteOptions unsynced_options_;  // DurableWrite syncs the log itself
  bool sync_ = true;
  std::atomic<std::int64_t> pending_count_{0};

  // Serialises AppendReports so the idempotency check and write are atomic; guards the scratch.
  std::mutex intake_mu_;
  rocksdb::WriteBatch intake_batch_;
  std::unordered_map<std::string, std::string> intake_seen_;  // idempotency key -> id, per call
  std::unordered_map<std::string, internal::ThreadState> intake_threads_;  // thread key -> state
  std::string intake_key_;
  std::string intake_value_;
  std::string intake_thread_key_;
  std::string intake_legacy_key_;

  // Serialises CommitScored so "already scored?" and the write are atomic; guards the scratch.
  // Lock order: score_mu_, then deferred_mu_.
  std::mutex score_mu_;
  rocksdb::WriteOptions score_write_options_;  // sync off (see CommitScored)
  // Counter merges and pending-mark removals of first scorings waiting for a later write
  // (ScoredBatchItem::defer_counters). Guarded by deferred_mu_, which ReadCounters takes too:
  // a reader sees each delta exactly once, in memory or on disk.
  using MinuteKey = std::tuple<std::string, std::string, TimeMs>;  // area, dim, minute start
  struct Deferred {
    // Summed deltas per (area, dim, minute); rolled up into hour and day keys when written.
    std::map<MinuteKey, std::int64_t, std::less<>> minutes;
    std::unordered_set<std::string> marks;         // pending marks to remove
    std::int64_t was_pending = 0;                  // of those, how many were counted pending
  };
  std::mutex deferred_mu_;
  Deferred deferred_;
  rocksdb::WriteBatch score_batch_;
  std::string score_key_;
  std::string score_value_;
  internal::CounterAccumulator score_counters_;  // per call; views into the items committed

  internal::DimDictionary dims_;  // counter dim names <-> numbers
};

}  // namespace sakchy::storage::internal
