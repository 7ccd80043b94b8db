#pragma once
// Rumour clusters in the running service.
//
// ClusterStage is the stateful stage of the scoring path: every scored event is assigned to a
// rumour cluster (classifier/clusters.h); the cluster state, the event's membership and the
// index entry that rebuilds the in-memory index after a restart are added to the event's
// ScoredBatchItem::records, so they commit atomically with the event. A cluster that spreads
// (N distinct sources or people within T, a new area, acceleration) raises a Signal, at least at
// clusters.spread.people_floor when N independent people reported it (ReporterKindOf).
// A report that joins a cluster a person judged false (or misleading) gets the category
// known_false (known_misleading); the verdict itself stays in its record (VerdictOfEvent).
//
// The free functions below answer the API's queries and record verdicts from the same record
// tables (docs/CLUSTERS.md "Storage"); they need only the store, not the stage.
//
// Thread safety: every function may be called concurrently. Blocking: all of them wait on the
// store; never call them on an io thread.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "classifier/clusters.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "ingest/pipeline.h"
#include "storage/store.h"

namespace sakchy::ingest {

using classifier::ClusterId;

class ClusterStage {
 public:
  ClusterStage(const ClusterStage&) = delete;
  ClusterStage& operator=(const ClusterStage&) = delete;
  ~ClusterStage();

  // Rebuilds the in-memory index from the store: the indexed members of the last window (their
  // signatures, in intake order); cluster states are read back on demand into a cache of at
  // most `cfg.cache_clusters`. Memory stays bounded by the window's population, not by history.
  // `store`, `clock` and `metrics` must outlive the stage.
  [[nodiscard]] static Result<std::unique_ptr<ClusterStage>> Open(storage::Store& store,
                                                                  const config::ClustersConfig& cfg,
                                                                  const Clock& clock,
                                                                  MetricsRegistry& metrics);

  // The pipeline hook PipelineHooks::prepare: the stateless part of Annotate for one scored
  // item (its text normalised, tokenised and reduced to its MinHash signature). Reads no
  // cluster state, takes no lock, touches no store: may run on any thread, concurrently with
  // Annotate and with itself.
  void Prepare(const storage::ScoredBatchItem& item, PreparedAnalysis& out) const;

  // The pipeline hook (PipelineHooks::analyse): assigns every scored event of `items` to a
  // cluster, in order, adds the records to write with each, adds the category known_false /
  // known_misleading to the events that joined a cluster with such a verdict, and returns the
  // spread signals raised. An event scored again (an SMS follow-up re-scores its parent) keeps
  // its cluster and is not counted twice; resolve-only items are skipped. `prepared` is empty
  // or one entry per item (Prepare's result; an entry not ready is computed here): the
  // assignments are the same either way. Each call must be committed (or the process must die)
  // before the next call: the pipeline serialises them with their commits. Hand the signals on
  // only after the commit.
  std::vector<Signal> Annotate(std::span<storage::ScoredBatchItem> items,
                               std::span<const PreparedAnalysis> prepared = {});

  // A verdict was recorded on `cluster` (RecordClusterVerdict): reports that join it from now on
  // carry its category. (Open reads the verdicts already stored.)
  void VerdictRecorded(ClusterId cluster, VerdictStatus status);

  // The in-memory side, for /metrics and tests.
  classifier::RumourClusterer::MemoryStats Memory() const;

 private:
  struct Impl;
  explicit ClusterStage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- Queries (API) ----

// The verification status of a cluster, as decided by a person (the latest verdict).
struct ClusterVerdictRecord {
  VerdictStatus status = VerdictStatus::kUnverified;
  std::string statement;
  std::string decided_by;
  TimeMs decided_at = 0;
};

// A spread signal as recorded on its cluster.
struct ClusterSignalRecord {
  TimeMs at = 0;           // when it was raised (service clock)
  TimeMs report_time = 0;  // observed_at of the report that raised it
  std::string reason;
  std::uint32_t members = 0;
  std::uint32_t sources = 0;  // distinct sources within the configured window
  std::vector<AreaCode> areas;
  Severity severity = Severity::kInfo;
  std::uint32_t events = 0;  // member event ids handed on with it
};

struct ClusterMemberRecord {
  std::string event_id;
  TimeMs observed_at = 0;
  AreaCode area;  // empty when unknown
  Severity severity = Severity::kInfo;
  std::string channel;
};

struct ClusterSummary {
  classifier::ClusterInfo info;
  std::optional<ClusterVerdictRecord> verdict;  // std::nullopt: never decided (unverified)
  std::uint32_t last_10_min = 0;  // members observed in the last 10 minutes before `now`
  std::uint32_t last_hour = 0;
};

enum class ClusterSort { kRecent, kSize, kRising };
std::optional<ClusterSort> ParseClusterSort(std::string_view name);  // recent | size | rising

// Sort keys of a listing position; a cursor is the position of the last cluster of a page.
struct ClusterCursor {
  ClusterSort sort = ClusterSort::kRecent;
  std::int64_t k1 = 0;
  std::int64_t k2 = 0;
  std::int64_t k3 = 0;
  ClusterId id = 0;
};
std::string EncodeClusterCursor(const ClusterCursor& cursor);
std::optional<ClusterCursor> DecodeClusterCursor(std::string_view text);

struct ClusterQuery {
  std::optional<VerdictStatus> status;
  std::optional<AreaCode> area;  // clusters with a member in this area or below it
  TimeMs since = 0;              // last_seen >= since
  ClusterSort sort = ClusterSort::kRecent;
  std::size_t limit = 50;
  std::uint32_t min_members = 2;  // >= 2: single-member clusters are not listed
  std::optional<ClusterCursor> after;
  // Area scoping (officials): only clusters with a member in one of these areas (or below) are
  // visible; std::nullopt = every cluster.
  std::optional<std::vector<AreaCode>> visible_areas;
};

struct ClusterPage {
  std::vector<ClusterSummary> clusters;
  std::string next_cursor;  // empty at the end
};

// Orders: recent = last_seen desc; size = members desc; rising = members in the last hour desc,
// then in the last 10 minutes (both before `now`). Ties by last_seen, then id, descending.
// `recent` streams from an index by last_seen; size and rising rank every cluster seen since
// max(since, now - 1 h for rising) and fail with kResourceExhausted beyond
// kMaxRankedClusters of them (narrow `since`).
inline constexpr std::size_t kMaxRankedClusters = 20000;
[[nodiscard]] Result<ClusterPage> ListClusters(storage::Store& store, const config::AreaTree& areas,
                                               const ClusterQuery& query, TimeMs now);

struct ClusterDetailQuery {
  std::size_t members_limit = 100;
  std::string members_before;  // an event id from a previous page; empty = the newest
  std::optional<std::vector<AreaCode>> visible_areas;  // as ClusterQuery::visible_areas
};

struct ClusterDetail {
  ClusterSummary summary;
  std::vector<ClusterSignalRecord> signals;  // newest first, at most 100
  // Members per hour of observed_at (hour start, count), ascending, hours with members only.
  std::vector<std::pair<TimeMs, std::uint32_t>> timeline;
  bool timeline_complete = true;             // false: more than kMaxTimelineMembers members
  std::vector<ClusterMemberRecord> members;  // newest first (by event id)
  std::string members_next;                  // pass as members_before; empty at the end
};
inline constexpr std::size_t kMaxTimelineMembers = 100000;

// std::nullopt when unknown (or not visible).
[[nodiscard]] Result<std::optional<ClusterDetail>> GetCluster(storage::Store& store,
                                                              const config::AreaTree& areas,
                                                              ClusterId id,
                                                              const ClusterDetailQuery& query,
                                                              TimeMs now);

// The cluster of an event; std::nullopt when it is not (yet) clustered.
[[nodiscard]] Result<std::optional<ClusterId>> ClusterOfEvent(storage::Store& store,
                                                              std::string_view event_id);

// The latest verdict on a cluster; std::nullopt when none was recorded.
[[nodiscard]] Result<std::optional<ClusterVerdictRecord>> ClusterVerdict(storage::Store& store,
                                                                         ClusterId id);

// The cluster of an event and its latest verdict (read now, so a corrected statement shows):
// std::nullopt when the event is not clustered or its cluster has no verdict. The event JSON
// and alerts show it next to the category known_false.
[[nodiscard]] Result<std::optional<Verdict>> VerdictOfEvent(storage::Store& store,
                                                            std::string_view event_id);

// Records a verdict on a cluster and an audit entry ("cluster.verdict", actor = decided_by) in
// one atomic write, and returns the Verdict with every member event id (for the follow-up to
// everyone alerted about them). kNotFound when the cluster does not exist.
[[nodiscard]] Result<Verdict> RecordClusterVerdict(storage::Store& store, ClusterId id,
                                                   VerdictStatus status, std::string statement,
                                                   std::string decided_by, TimeMs now,
                                                   IdGenerator& audit_ids);

// The decimal text of a cluster id ("42") and back (std::nullopt unless 1..2^64-1 in canonical
// form: digits only, no sign, no leading zero).
std::string ClusterIdText(ClusterId id);
std::optional<ClusterId> ParseClusterId(std::string_view text);

}  // namespace sakchy::ingest
