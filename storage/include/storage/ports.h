#pragma once
// The ports of Sakchy's durable state: one narrow interface per kind of use, each named for (and
// documented with) the modules that use it. storage::Store (store.h) implements them all on
// RocksDB; a module depends only on the ports it uses, and a test double implements only those.
//
//   IntakeLog      ingest intake (pipeline, sources' cursors, replicas)  reports in, cursors
//   ScoringLog     ingest scoring                                        backlog, scored commit
//   EventReader    alerts, ingest (follow-ups), service, clusters       an event by id
//   EventScanner   service (exports), tools                              events in order
//   CounterReader  analytics (trends, tension), service                  time-bucketed counters
//   Outbox         alerts, service, ingest (DropAlreadyAlerted)           alert outbox
//   RecordStore    alerts, clusters, analytics, service, audit           small named tables
//   Maintenance    service (backup, retention, metrics)                  whole-database operations
//
// Thread safety: all methods may be called concurrently.
// Blocking: every method may wait on disk; never call on an io thread.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::storage {

// Time resolution of counter buckets.
enum class Resolution : std::uint8_t { kMinute = 0, kHour = 1, kDay = 2 };
std::string_view ResolutionName(Resolution r);  // "minute" | "hour" | "day"
std::optional<Resolution> ParseResolution(std::string_view name);
TimeMs ResolutionMs(Resolution r);
// Start of the bucket of resolution `r` that holds `t`. Minutes and hours are UTC-aligned (the
// same in Asia/Bishkek); days start at local midnight, 00:00+06:00 (18:00Z of the day before).
TimeMs BucketStart(Resolution r, TimeMs t);

struct IntakeResult {
  std::string id;          // the stored id (the earlier one for a duplicate)
  bool duplicate = false;  // true: nothing new was stored
  std::string follow_up_of;  // stored as a follow-up of this event (see Report::thread_key)
};

// Follow-ups a thread takes at most; the next report of the same thread_key starts a new thread.
inline constexpr std::uint32_t kMaxFollowUps = 20;

// An additive counter update: `delta` added to dimension `dim` of `area` in the buckets (of every
// resolution) that hold time `at`. Dimensions used: "total", "severity:<name>", "category:<name>",
// "tension" (milli-units).
struct CounterDelta {
  AreaCode area;
  std::string dim;
  TimeMs at = 0;
  std::int64_t delta = 0;
};

struct CounterBucket {
  TimeMs start = 0;
  std::map<std::string, std::int64_t> values;  // dim -> value; dims never touched are absent
};

// The counters of one area and resolution in compact form: dims by number, rows in one array.
// What trend and tension queries read (no string or map per value).
struct CounterCell {
  std::uint32_t dim = 0;  // index into CounterTable::dims
  std::int64_t value = 0;
};
struct CounterTable {
  std::shared_ptr<const std::vector<std::string>> dims;  // dim number -> name ("total", ...)
  std::vector<TimeMs> starts;          // buckets with at least one value, ascending
  std::vector<std::uint32_t> offsets;  // row i is cells[offsets[i], offsets[i + 1]); rows + 1
  std::vector<CounterCell> cells;      // ascending dim number within a row
  std::size_t rows() const { return starts.size(); }
};

// Small records of the modules above storage (contacts, silences, acknowledgements, clusters, the
// audit log ...) live in named tables; the caller owns the value's encoding. Table names are
// [a-z0-9_.]+ (at most 64 bytes); keys are any bytes and sort bytewise within a table.
struct RecordWrite {
  std::string table;
  std::string key;
  std::optional<std::string> value;  // std::nullopt deletes the record
};

struct Record {
  std::string key;
  std::string value;
};

struct RecordScan {
  std::string prefix;       // only keys that start with it
  std::string start_after;  // exclusive position (a key from a previous page); empty = the start
  bool reverse = false;     // true: from the last key backwards
  std::size_t limit = 100;
};

// What scoring produced for one report: written atomically with the report's pending mark removed.
struct ScoredBatchItem {
  Event event;
  std::vector<CounterDelta> counters;  // deltas: a re-scored event brings its old ones negated
  std::vector<Alert> alerts;  // new outbox entries
  std::vector<RecordWrite> records;  // written in the same atomic batch (e.g. cluster state)
  // The pending mark this commit resolves: empty = the event's own; a follow-up's id when the
  // follow-up made its parent event re-scored.
  std::string pending_id;
  // Only remove the pending mark `pending_id` (its work is already in the stored event), and
  // apply `counters` if the mark was still there (recounting an event whose deferred counters
  // a crash lost; see PendingEvents).
  bool resolve_only = false;
  // A first scoring may leave its counter merges and the removal of its pending mark to a later
  // write (FlushDeferred, the next commit that is not deferred, or at the latest the commit
  // that reaches a few thousand deferred events), so that many events share one merge per
  // counter key. ReadCounters includes them meanwhile; after a crash their pending marks are
  // still on disk and PendingEvents lists the events as scored, to be recounted.
  bool defer_counters = false;
  // The caller knows the event is stored and not yet scored (a report scored once, from its
  // pending mark): the commit does not look it up.
  bool first_scoring = false;
};

// A stored report or follow-up that still has a pending mark: not yet scored
// (event.scored == false; a follow-up has event.report.follow_up_of set), or scored but with
// its counters not yet written (event.scored == true: recount it with a resolve-only item).
struct PendingEvent {
  Event event;
};

// The position of a pull source (Telegram offset, feed ETag, Mastodon since_id), stored in the
// same atomic write as the reports it covers.
struct CursorUpdate {
  std::string source_id;
  std::string value;
};

// A page of events in id (= arrival) order, for exports and maintenance scans.
struct EventScan {
  std::string min_id;       // inclusive lower bound (e.g. the smallest id of a time); "" = first
  std::string max_id;       // exclusive upper bound; "" = to the end
  std::string start_after;  // exclusive position (the last id of the previous page); wins if later
  std::size_t limit = 1000;
};
// Routing tickets (alerts of kind kRoute: an event waiting to be routed) are not outbox entries:
// UpdateAlerts / CommitScored keep them in this record table while they are pending and delete
// them otherwise; PendingAlerts returns them after the pending outbox entries; GetAlert and
// ListAlerts never see them.
inline constexpr std::string_view kTicketsTable = "alert_tickets";

struct AlertFilter {
  std::optional<DeliveryState> state;
  std::optional<std::string> event_id;   // alerts whose event_id or event_ids hold it
  std::optional<std::string> group_key;  // alerts of one group (incident)
  std::optional<std::string> subject_id;  // alerts about one cluster / area signal / alert
  std::optional<AlertKind> kind;
  std::optional<std::string> contact_id;
};

// Backups (RocksDB BackupEngine: checksummed files, shared between the backups of one
// directory, so a second backup copies only new files).
struct BackupProgress {
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;  // estimate until the end
};
using BackupProgressFn = std::function<void(const BackupProgress&)>;
struct BackupInfo {
  std::uint32_t id = 0;
  std::uint64_t bytes = 0;   // size of this backup (shared files included)
  std::uint32_t files = 0;
  std::int64_t created_at = 0;  // seconds since the epoch
  std::string replaced_dir = {};  // RestoreBackup with overwrite: where the old directory went
};

// Intake: reports in (idempotent), with the positions of the pull sources that fetched them.
class IntakeLog {
 public:
  virtual ~IntakeLog() = default;

  // Durable when it returns (WAL, fsync if options.sync): stores every report whose
  // (channel, source_ref) is new, marks it pending scoring. Results are in input order. An empty
  // source_ref is never a duplicate. A repeat inside `reports` is a duplicate of the first.
  // `cursors` are written in the same atomic batch (even when every report is a duplicate).
  // Threads: a new report with a thread_key whose (channel, thread_key) thread was started by an
  // event at most thread_window_ms earlier (received_at) and has fewer than kMaxFollowUps
  // follow-ups is stored as a follow-up of that event (result follow_up_of; pending under its own
  // id; listed by GetEvent of the parent); otherwise it is a new event and starts the thread.
  [[nodiscard]] virtual Result<std::vector<IntakeResult>> AppendReports(
      std::span<const Report> reports, std::span<const CursorUpdate> cursors) = 0;
  [[nodiscard]] Result<std::vector<IntakeResult>> AppendReports(std::span<const Report> reports) {
    return AppendReports(reports, {});
  }
  // The last stored cursor of a source; std::nullopt when it never stored one.
  [[nodiscard]] virtual Result<std::optional<std::string>> GetCursor(std::string_view source_id) = 0;
};

// Scoring: the backlog of stored reports not yet scored, and the scored commit.
class ScoringLog {
 public:
  virtual ~ScoringLog() = default;

  // Reports stored but not yet scored, in id (= arrival) order, starting after `after_id`.
  // Follow-ups come back with follow_up_of set.
  [[nodiscard]] virtual Result<std::vector<Report>> PendingReports(std::size_t limit,
                                                                   std::string_view after_id) = 0;
  [[nodiscard]] virtual Result<std::size_t> CountPending() = 0;
  // Like PendingReports, with the scored state (see PendingEvent).
  [[nodiscard]] virtual Result<std::vector<PendingEvent>> PendingEvents(
      std::size_t limit, std::string_view after_id) = 0;

  // One atomic write: each event (scored), its counter merges, its new alerts; pending marks
  // removed. Idempotent per event id: an event already scored with at least as many follow-ups
  // (Event::follow_ups_scored) is skipped entirely (no double count), except that a
  // pending_id other than the event's own is still removed.
  [[nodiscard]] virtual Status CommitScored(std::span<const ScoredBatchItem> items) = 0;

  // Writes the deferred counters and pending-mark removals (ScoredBatchItem::defer_counters).
  [[nodiscard]] virtual Status FlushDeferred() = 0;

  // Writes what is deferred and flushes memtables (clean shutdown).
  [[nodiscard]] virtual Status Flush() = 0;
};

// An event by id (scored or not), with its follow-ups.
class EventReader {
 public:
  virtual ~EventReader() = default;

  // The event for a report id (scored or not yet), with its follow-ups; std::nullopt when unknown.
  [[nodiscard]] virtual Result<std::optional<Event>> GetEvent(std::string_view id) = 0;
};

// Events in order: by arrival (id) for maintenance scans, by observed time for exports.
class EventScanner {
 public:
  virtual ~EventScanner() = default;

  // Events (scored or not) with ids from the scan's position on, in id order, at most
  // scan.limit. Reads a consistent snapshot per call.
  [[nodiscard]] virtual Result<std::vector<Event>> ScanEvents(const EventScan& scan) = 0;
  // The same events handed to `visit` one by one in a reused Event (copy what you keep): no
  // vector of events, fewer allocations. Stops early when `visit` returns false. Returns the
  // number of events visited and the id of the last one.
  struct VisitResult {
    std::size_t visited = 0;
    std::string last_id;
  };
  [[nodiscard]] virtual Result<VisitResult> VisitEvents(
      const EventScan& scan, const std::function<bool(const Event&)>& visit) = 0;
  // Scored events with from <= observed_at < to, in observed-time order (an index written with
  // each scored event), handed to `visit` like VisitEvents. `start_after` is the `last_id` of a
  // previous call (an opaque position in that order).
  struct ObservedScan {
    TimeMs from = std::numeric_limits<TimeMs>::min();
    TimeMs to = std::numeric_limits<TimeMs>::max();
    std::string start_after;
    std::size_t limit = 4096;
  };
  [[nodiscard]] virtual Result<VisitResult> VisitEventsByObserved(
      const ObservedScan& scan, const std::function<bool(const Event&)>& visit) = 0;
};

// Time-bucketed counters (what scored events count).
class CounterReader {
 public:
  virtual ~CounterReader() = default;

  // Buckets with at least one value, in time order, with from <= start < to. Reads only counters
  // (those on disk and the deferred ones).
  [[nodiscard]] virtual Result<std::vector<CounterBucket>> ReadCounters(std::string_view area,
                                                                        Resolution resolution,
                                                                        TimeMs from, TimeMs to) = 0;
  // The same buckets as a CounterTable (one key per bucket; the fast path of trend queries).
  [[nodiscard]] virtual Result<CounterTable> ReadCounterTable(std::string_view area,
                                                              Resolution resolution, TimeMs from,
                                                              TimeMs to) = 0;
};

// The alert outbox (and the routing tickets, kTicketsTable).
class Outbox {
 public:
  virtual ~Outbox() = default;

  // Overwrites alerts by id and applies `records` (e.g. audit entries, routing state) in
  // the same atomic write. Alerts are indexed by event_id, every id in event_ids, group_key and
  // subject_id. kDurable (the default) syncs the write before returning when the store syncs
  // writes at all; kBuffered does not: a power failure (never a process crash) may lose it and
  // any later unsynced write (the next synced write makes it durable too), so it is only for
  // writes the caller can redo from state that is already durable (e.g. routing whose tickets
  // stay pending until this write lands).
  enum class Sync { kDurable, kBuffered };
  [[nodiscard]] virtual Status UpdateAlerts(std::span<const Alert> alerts,
                                            std::span<const RecordWrite> records, Sync sync) = 0;
  [[nodiscard]] Status UpdateAlerts(std::span<const Alert> alerts,
                                    std::span<const RecordWrite> records) {
    return UpdateAlerts(alerts, records, Sync::kDurable);
  }
  [[nodiscard]] Status UpdateAlerts(std::span<const Alert> alerts) {
    return UpdateAlerts(alerts, {}, Sync::kDurable);
  }
  [[nodiscard]] virtual Result<std::optional<Alert>> GetAlert(std::string_view id) = 0;
  // Newest first; `before_id` (exclusive) pages back in time; empty = from the newest.
  [[nodiscard]] virtual Result<std::vector<Alert>> ListAlerts(const AlertFilter& filter,
                                                              std::size_t limit,
                                                              std::string_view before_id) = 0;
  // Every alert in state pending (restart recovery), oldest first; then the routing tickets.
  [[nodiscard]] virtual Result<std::vector<Alert>> PendingAlerts() = 0;
};

// Small records of the modules above storage, in named tables (see RecordWrite).
class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // One atomic write, durable when it returns (WAL, fsync if sync).
  // An invalid table name is kInvalidArgument and nothing is written.
  [[nodiscard]] virtual Status WriteRecords(std::span<const RecordWrite> writes) = 0;
  // std::nullopt when absent.
  [[nodiscard]] virtual Result<std::optional<std::string>> GetRecord(std::string_view table,
                                                                     std::string_view key) = 0;
  // Up to scan.limit records of `table` in key order (reverse order when scan.reverse).
  [[nodiscard]] virtual Result<std::vector<Record>> ScanRecords(std::string_view table,
                                                                const RecordScan& scan) = 0;
};

// Whole-database operations: retention, backups, memory.
class Maintenance {
 public:
  virtual ~Maintenance() = default;

  // Retention: removes the raw text of scored events received before `received_before` (ids
  // below its bound); score, severity, categories, matches, places, area and counters stay.
  // Resumes after the last event a previous call finished (a cursor in meta), stops at an
  // unscored event (retried next time) and after `max_events`, then compacts the swept range so
  // old versions of the texts leave the SST files.
  struct RetentionResult {
    std::size_t scanned = 0;
    std::size_t expired = 0;  // texts removed by this call
    bool done = true;         // false: more to do (max_events reached or an unscored event)
  };
  [[nodiscard]] virtual Result<RetentionResult> ExpireTexts(TimeMs received_before,
                                                            std::size_t max_events) = 0;

  // Adds a backup of the database to `backup_dir` (created when missing): a consistent point in
  // time while writes go on. `progress` (may be empty) is called from this thread as files are
  // copied.
  [[nodiscard]] virtual Result<BackupInfo> CreateBackup(const std::string& backup_dir,
                                                        const BackupProgressFn& progress) = 0;

  // Memory the store holds, by kind ("memtables", "block_cache", "table_readers"), in bytes.
  virtual std::map<std::string, std::uint64_t> MemoryUsage() const = 0;
};

}  // namespace sakchy::storage
