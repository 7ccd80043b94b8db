#pragma once
// Near-duplicate clustering of rumour reports ("the same rumour from five villages in an hour").
//
// Each report is reduced to a MinHash signature of the SET of its informative words (normalised
// text; stopwords, URL fragments, 1-letter and all-digit tokens removed): 16 hash functions, 16
// bits kept of each. LSH banding (8 bands x 2 rows, one 2^16-bucket table per band) gives the
// candidates; a candidate matches when at least `min_matching_hashes` of the 16 values are equal
// (estimated Jaccard >= 9/16 by default). A report joins the cluster of the best-matching indexed
// report seen within `window_ms` whose cluster is still warm; otherwise it starts a new cluster.
// Texts with fewer than `min_tokens` informative tokens ("срочно!!!") are singletons: never
// indexed, never joined, so generic short posts cannot form giant clusters.
// (SimHash was measured first and rejected: on tweets it found < 6% of near-duplicate pairs;
// docs/CLUSTERS.md.)
//
// Memory: the index keeps 80 bytes per report (signature, cluster id, time, 8 bucket links) plus
// 4 MiB of bucket heads, never texts; reports older than the window leave it. Cluster records
// (statistics, representative text) are kept until cold for `keep_cold_ms`. See docs/CLUSTERS.md.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::classifier {

using ClusterId = std::uint64_t;  // > 0; assigned in increasing order

inline constexpr int kMinHashes = 16;
inline constexpr int kMinHashBands = 8;  // of 2 rows each
// Top 16 bits of each of the 16 minimum hashes. Depends only on the token set and fixed seeds,
// so it can be persisted.
using MinHashSignature = std::array<std::uint16_t, kMinHashes>;

struct ClusterOptions {
  int min_matching_hashes = 9;         // of 16: a report this close to an indexed report joins it
  int min_tokens = 3;                  // fewer informative tokens -> singleton, not indexed
  TimeMs window_ms = 6 * 3600 * 1000;  // a cluster not seen for this long is cold: not joined
  TimeMs keep_cold_ms = 24 * 3600 * 1000;  // dropped from memory this long after going cold
  // The representative (first) text is cut at a UTF-8 boundary; 0 keeps only representative_id.
  std::size_t representative_max_bytes = 280;
  std::vector<std::string> extra_stopwords;  // added to the built-in ru/ky/en lists (normalised)
};

// One report as the clusterer sees it. `text` is the NORMALISED text (classifier normaliser
// output: case-folded, separators reduced to one space). URL fragments the normaliser left
// ("http t co xyz") are skipped; @mentions are ordinary words. Views must outlive Add() only.
struct ClusterInput {
  std::string_view report_id;
  std::string_view text;
  TimeMs time = 0;        // observed_at; reports should come roughly in time order
  std::string_view area;  // may be empty
  std::string_view channel;
  std::string_view submitted_by;
  Severity severity = Severity::kInfo;
  std::span<const std::string> categories;
};

struct ClusterSource {
  std::uint64_t key = 0;  // hash of channel + '\0' + submitted_by
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
};

struct ClusterArea {
  AreaCode area;
  TimeMs first_seen = 0;
  std::uint32_t count = 0;
};

struct CategoryCount {
  std::string category;
  std::uint32_t count = 0;
};

// Full state of one cluster (also what EncodeClusterState persists).
struct ClusterInfo {
  ClusterId id = 0;
  std::string representative_id;    // report id of the first member
  std::string representative_text;  // its normalised text, cut to representative_max_bytes
  bool singleton_only = false;      // too short to cluster: never joined
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  std::uint32_t members = 0;
  Severity max_severity = Severity::kInfo;
  std::vector<ClusterSource> sources;     // distinct channel+submitter, sorted by key
  std::vector<ClusterArea> areas;         // distinct non-empty areas, in order of appearance
  std::vector<CategoryCount> categories;  // sorted by count desc, then name
  // Members per minute over the last hour: (minute since epoch, count), ascending, <= 60 entries.
  std::vector<std::pair<std::int64_t, std::uint32_t>> minute_counts;

  // Members seen in [now - span_ms, now], at minute resolution (the minute of `now` included).
  std::uint32_t MembersWithin(TimeMs now, TimeMs span_ms) const;
  // Distinct sources whose last report is in [now - span_ms, now].
  std::uint32_t SourcesWithin(TimeMs now, TimeMs span_ms) const;
};

struct Assignment {
  ClusterId cluster = 0;
  bool created = false;          // a new cluster was started
  bool indexed = false;          // false: too few informative tokens (singleton)
  int matching_hashes = -1;      // of 16, with the matched member; -1 when created
  MinHashSignature signature{};  // persist with (cluster, time) to rebuild the index
};

// Thread safety: all methods may be called concurrently (one internal mutex; Add is O(1)
// amortised and never blocks on I/O). Never throws on the data path.
class RumourClusterer {
 public:
  explicit RumourClusterer(ClusterOptions options = {});
  RumourClusterer(const RumourClusterer&) = delete;
  RumourClusterer& operator=(const RumourClusterer&) = delete;
  ~RumourClusterer();

  // Assigns the report to a cluster and updates its statistics. Time only moves forward for
  // eviction: a report older than the newest seen is still clustered, against what is indexed.
  Assignment Add(const ClusterInput& report);

  // std::nullopt when unknown or already dropped (cold for longer than keep_cold_ms).
  std::optional<ClusterInfo> Get(ClusterId id) const;
  // Clusters with at least `min_members` members and last_seen >= since, newest last_seen first.
  std::vector<ClusterInfo> Snapshot(std::uint32_t min_members = 2, TimeMs since = 0) const;

  // Persistence: restore clusters first, then their indexed members in time order (signature,
  // cluster and time as returned by Add). Ids of later clusters continue after the largest.
  // Members older than the window (relative to the newest restored time) are skipped.
  void RestoreCluster(ClusterInfo info);
  void RestoreMember(const MinHashSignature& signature, ClusterId cluster, TimeMs time);

  struct MemoryStats {
    std::size_t indexed_reports = 0;
    std::size_t index_bytes = 0;  // member records + band tables actually allocated
    std::size_t clusters = 0;
    std::size_t cluster_bytes = 0;  // approximate heap of cluster records
  };
  MemoryStats Memory() const;

  const ClusterOptions& options() const;

 private:
  struct Impl;
  Impl* impl_;
};

// The signature of a normalised text and the number of informative tokens it was built from.
struct Fingerprint {
  MinHashSignature signature{};
  int tokens = 0;
};
// Same tokenisation as RumourClusterer with default options (built-in stopwords only).
Fingerprint ComputeFingerprint(std::string_view normalized_text);
// How many of the 16 values agree (16 x estimated Jaccard similarity of the token sets).
int MatchingHashes(const MinHashSignature& a, const MinHashSignature& b);

// Versioned, bounds-checked binary encoding of a cluster's full state (for a RocksDB value).
std::string EncodeClusterState(const ClusterInfo& info);
Result<ClusterInfo> DecodeClusterState(std::string_view bytes);

// ---- Spread signals (pure logic) ----

struct SpreadThresholds {
  std::uint32_t min_sources = 5;           // N distinct sources ...
  TimeMs sources_window_ms = 3600 * 1000;  // ... within T
  bool alert_on_new_area = true;           // an area not in the last alert's set
  std::uint32_t accel_min_recent = 5;      // >= this many members in the last 10 minutes ...
  double accel_factor = 3.0;  // ... and >= factor x the mean per 10 min of the 50 before
};

// What the caller remembers of the last cluster-level alert (empty before the first).
struct SpreadAlertState {
  TimeMs last_alert_ms = 0;
  std::vector<AreaCode> alerted_areas;  // sorted
  std::uint32_t alerted_sources = 0;    // distinct-source count that was alerted on
};

struct SpreadDecision {
  bool alert = false;
  bool sources_reached = false;
  bool new_area = false;
  bool accelerating = false;
  std::vector<AreaCode> new_areas;
  SpreadAlertState next_state;  // store this when the alert is raised
};

// Whether `cluster` should raise a cluster-level alert at `now`:
// - sources: >= min_sources distinct sources reported it within sources_window_ms; once alerted,
//   fires again only when that count has doubled;
// - new area: the cluster spans >= 2 areas and one of them is not in state.alerted_areas;
// - acceleration: members in the last 10 minutes >= accel_min_recent and >= accel_factor x the
//   mean per 10 minutes of the 50 minutes before (at least 1); at most once per 10 minutes.
// When it alerts, store next_state for the next call. Pure: no clock, no I/O.
SpreadDecision EvaluateSpread(const ClusterInfo& cluster, const SpreadThresholds& thresholds,
                              TimeMs now, const SpreadAlertState& state);

}  // namespace sakchy::classifier
