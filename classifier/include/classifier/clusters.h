#pragma once
// Near-duplicate clustering of rumour reports ("the same rumour from five villages in an hour").
//
// Each report is reduced to a MinHash signature of the SET of its informative words (normalised
// text; Latin-script words transliterated to Cyrillic so "govoryat v Oshe" meets "говорят в Оше";
// stopwords, URL fragments, 1-letter and all-digit tokens removed): 16 hash functions, 16 bits
// kept of each. LSH banding (8 bands x 2 rows) gives the candidates; a candidate matches when at
// least `min_matching_hashes` of the 16 values are equal (estimated Jaccard >= 9/16 by default).
// A report joins the cluster of the best-matching indexed report seen within `window_ms`;
// otherwise it starts a new cluster. Texts with fewer than `min_tokens` informative tokens
// ("срочно!!!") are singletons: never indexed, never joined, never kept in memory, so generic
// short posts cannot form giant clusters. (SimHash was measured first and rejected: on tweets it
// found < 6% of near-duplicate pairs; docs/CLUSTERS.md.)
//
// Memory: the index keeps a fixed-size record per report of the window (signature, cluster id,
// time, band links; docs/CLUSTERS.md), never texts; reports older than the window leave it.
// Cluster states are kept either until cold (in-memory mode, the default) or, with
// `max_cached_clusters` and `load_cluster` set (the service), in a bounded cache backed by the
// caller's store.

#include <array>
#include <cstdint>
#include <functional>
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

// ---- Cluster state ----

// Who a source of a cluster is: a person who chose to tell the service (a monitor's token, an
// SMS sender, a private chat with the bot) or a public post the service read (a feed, a
// Mastodon account, a Telegram channel or group). Independent people reporting the same rumour
// is what raises a spread signal to high (SpreadThresholds::people_floor). The caller decides
// (ingest::ReporterKindOf); the clusterer only counts.
enum class ReporterKind : std::uint8_t { kPublic = 0, kPerson = 1 };

struct ClusterSource {
  std::uint64_t key = 0;  // hash of channel + '\0' + submitted_by
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  // kPerson once any of its reports came from a person (a Telegram author may write both in a
  // private chat and in a group). States written before kinds were kept read as kPublic.
  ReporterKind kind = ReporterKind::kPublic;
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

// What the caller remembers of the last cluster-level alert (empty before the first).
struct SpreadAlertState {
  TimeMs last_alert_ms = 0;
  std::vector<AreaCode> alerted_areas;  // sorted
  std::uint32_t alerted_sources = 0;    // distinct-source count that was alerted on
  std::uint32_t alerted_people = 0;     // distinct people within the window at the last alert
  std::uint32_t alerts = 0;             // spread alerts raised so far
};

// Full state of one cluster (also what EncodeClusterState persists).
struct ClusterInfo {
  ClusterId id = 0;
  std::string representative_id;    // report id of the first member
  std::string representative_text;  // its text, cut to representative_max_bytes
  bool singleton_only = false;      // too short to cluster: never joined
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  std::uint32_t members = 0;
  Severity max_severity = Severity::kInfo;
  // Distinct channel+submitter pairs ever seen. Exact while a cluster has at most
  // ClusterOptions::max_sources of them; beyond, a source that left `sources` and comes back
  // counts again.
  std::uint32_t distinct_sources = 0;
  // The most recently seen distinct sources (at most max_sources), sorted by key.
  std::vector<ClusterSource> sources;
  std::vector<ClusterArea> areas;         // distinct non-empty areas, in order of appearance
  std::vector<CategoryCount> categories;  // sorted by count desc, then name
  // Members per minute over the last hour: (minute since epoch, count), ascending, <= 60 entries.
  std::vector<std::pair<std::int64_t, std::uint32_t>> minute_counts;
  SpreadAlertState spread;  // last spread alert (see EvaluateSpread)

  // Members seen in [now - span_ms, now], at minute resolution (the minute of `now` included).
  std::uint32_t MembersWithin(TimeMs now, TimeMs span_ms) const;
  // Distinct sources whose last report is in [now - span_ms, now].
  std::uint32_t SourcesWithin(TimeMs now, TimeMs span_ms) const;
  // Of those, the people (ReporterKind::kPerson).
  std::uint32_t PeopleWithin(TimeMs now, TimeMs span_ms) const;
  // The area with the most members (the first seen on a tie); empty when none.
  AreaCode MainArea() const;
};

// ---- Spread signals (pure logic) ----

struct SpreadThresholds {
  std::uint32_t min_sources = 5;           // N distinct sources ...
  TimeMs sources_window_ms = 3600 * 1000;  // ... within T
  bool alert_on_new_area = true;           // an area not in the last alert's set
  std::uint32_t accel_min_recent = 5;      // >= this many members in the last 10 minutes ...
  double accel_factor = 3.0;  // ... and >= factor x the mean per 10 min of the 50 before
  // The least severity of a signal when >= min_sources distinct PEOPLE reported the cluster
  // within the window (however harmless its words) ...
  Severity people_floor = Severity::kHigh;
  // ... and when >= min_sources distinct sources did, but fewer people (public posts).
  Severity public_floor = Severity::kMedium;
};

struct SpreadDecision {
  bool alert = false;
  bool sources_reached = false;
  bool people_reached = false;
  bool new_area = false;
  bool accelerating = false;
  std::vector<AreaCode> new_areas;
  std::uint32_t sources = 0;    // distinct sources within sources_window_ms at `now`
  std::uint32_t people = 0;     // of them people (ReporterKind::kPerson)
  TimeMs span_ms = 0;           // from the first report of those sources in the window to `now`
  std::uint32_t recent = 0;     // members in the last 10 minutes
  double before_mean = 0;       // mean members per 10 minutes in the 50 minutes before
  SpreadTrend trend = SpreadTrend::kSteady;
  // The least severity of the signal (people_floor, public_floor or info): a signal is raised
  // at max(floor, the members' max severity), never lower than its content.
  Severity floor = Severity::kInfo;
  SpreadAlertState next_state;  // store this when the alert is raised
};

// Whether `cluster` should raise a cluster-level alert at `now`:
// - sources: >= min_sources distinct sources reported it within sources_window_ms; once alerted,
//   fires again only when that count has doubled;
// - people: >= min_sources distinct people within the window; fires once the count is reached
//   (also after a signal raised with fewer people) and again when it has doubled;
// - new area: the cluster spans >= 2 areas and one of them is not in state.alerted_areas;
// - acceleration: members in the last 10 minutes >= accel_min_recent and >= accel_factor x the
//   mean per 10 minutes of the 50 minutes before (at least 1); at most once per 10 minutes.
// The floor: people_floor with >= min_sources people in the window, else public_floor with
// >= min_sources sources, else info. The trend: accelerating when the last 10 minutes hold
// >= 3 members and >= accel_factor x the mean of the 50 before (at least 1); slowing when they
// hold fewer than that mean; steady otherwise.
// When it alerts, store next_state for the next call. Pure: no clock, no I/O.
SpreadDecision EvaluateSpread(const ClusterInfo& cluster, const SpreadThresholds& thresholds,
                              TimeMs now, const SpreadAlertState& state);
// "5 distinct sources within 1h (5 people); new area KG-J; accelerating: 9 reports in 10 min
// (1.2 per 10 min before)": the reasons of a decision that alerts, in English (logs, records).
std::string SpreadReason(const SpreadDecision& decision, const SpreadThresholds& thresholds);
// The figures of a decision for the alert templates (core SpreadWhy).
SpreadWhy SpreadWhyOf(const SpreadDecision& decision);

// ---- The clusterer ----

struct ClusterOptions {
  int min_matching_hashes = 9;         // of 16: a report this close to an indexed report joins it
  int min_tokens = 3;                  // fewer informative tokens -> singleton, not indexed
  TimeMs window_ms = 6 * 3600 * 1000;  // a cluster not seen for this long is cold: not joined
  // At most this many reports indexed (the oldest leave first, even inside the window), so the
  // index's memory is bounded (~90 B per report) at any report rate; 0 = only the window.
  std::size_t max_index_reports = 0;
  // In-memory mode: a cluster state is dropped this long after going cold.
  TimeMs keep_cold_ms = 24 * 3600 * 1000;
  // The representative (first) text is cut at a UTF-8 boundary; 0 keeps only representative_id.
  std::size_t representative_max_bytes = 280;
  std::size_t max_sources = 1024;            // per cluster, see ClusterInfo::distinct_sources
  std::vector<std::string> extra_stopwords;  // added to the built-in ru/ky/en lists (normalised)
  // 0: the fixed hash functions of persisted signatures. Another value draws other MinHash
  // functions (token hashes remixed with it): for measuring quality over several draws.
  std::uint64_t hash_seed = 0;
  // When set, every assignment to a cluster with >= 2 members is checked against these
  // thresholds at the report's time (Assignment::spread; the state is kept in ClusterInfo).
  std::optional<SpreadThresholds> spread;

  // Bounded mode (both set): at most `max_cached_clusters` cluster states stay in memory after
  // Trim(); a report that matches a member of a dropped cluster reads the cluster back with
  // `load_cluster` (called under the clusterer's lock; std::nullopt or an error -> the report
  // starts a new cluster and Memory().load_failures counts it). The caller must have persisted
  // every state it lets Trim() drop.
  std::size_t max_cached_clusters = 0;
  std::function<Result<std::optional<ClusterInfo>>(ClusterId)> load_cluster;
};

// The signature of a normalised text and the number of informative tokens it was built from.
struct Fingerprint {
  MinHashSignature signature{};
  int tokens = 0;
};

// One report as the clusterer sees it. `text` is the NORMALISED text (classifier normaliser
// output: case-folded, separators reduced to one space; ClusterText() makes it from a raw text).
// URL fragments the normaliser left ("http t co xyz") are skipped; @mentions are ordinary words.
// Views must outlive Add() only.
struct ClusterInput {
  std::string_view report_id;
  std::string_view text;
  // Shown as the representative text when this report starts a cluster; empty -> `text`.
  std::string_view display_text;
  TimeMs time = 0;        // observed_at; reports should come roughly in time order
  std::string_view area;  // may be empty
  std::string_view channel;
  std::string_view submitted_by;
  ReporterKind reporter = ReporterKind::kPublic;
  Severity severity = Severity::kInfo;
  std::span<const std::string> categories;
  // The fingerprint of `text` computed beforehand by this clusterer's Prepare() (e.g. on another
  // thread): Add() then skips tokenising and hashing, with the same result. nullptr: Add()
  // computes it from `text`. Must outlive Add() only.
  const Fingerprint* prepared = nullptr;
};

struct Assignment {
  ClusterId cluster = 0;
  bool created = false;          // a new cluster was started
  bool indexed = false;          // false: too few informative tokens (singleton)
  int matching_hashes = -1;      // of 16, with the matched member; -1 when created
  MinHashSignature signature{};  // persist with (cluster, time) to rebuild the index
  // The cluster before this report (members 0 when created), e.g. to update an index by time.
  std::uint32_t members_before = 0;
  TimeMs last_seen_before = 0;
  // Set for a singleton-only cluster, which the clusterer does not keep: its whole state.
  std::optional<ClusterInfo> detached;
  // With ClusterOptions::spread: the decision for the cluster after this report (its new
  // SpreadAlertState is already stored in the cluster when decision.alert).
  std::optional<SpreadDecision> spread;
};

// Thread safety: all methods may be called concurrently (one internal mutex; Add is O(1)
// amortised and never blocks on I/O except through `load_cluster`). Never throws on the data path.
class RumourClusterer {
 public:
  explicit RumourClusterer(ClusterOptions options = {});
  RumourClusterer(const RumourClusterer&) = delete;
  RumourClusterer& operator=(const RumourClusterer&) = delete;
  ~RumourClusterer();

  // Assigns the report to a cluster and updates its statistics. Time only moves forward for
  // eviction: a report older than the newest seen is still clustered, against what is indexed.
  Assignment Add(const ClusterInput& report);

  // The stateless part of Add(): the informative tokens of a normalised text (this clusterer's
  // stopwords and hash seed) reduced to their MinHash signature and count. Reads no cluster
  // state and takes no lock, so it may run on any thread, concurrently with Add(); passing the
  // result as ClusterInput::prepared gives exactly the assignment Add() would compute from the
  // text.
  Fingerprint Prepare(std::string_view normalized_text) const;

  // std::nullopt when not in memory (unknown, dropped when cold, or trimmed from the cache).
  std::optional<ClusterInfo> Get(ClusterId id) const;
  // Calls `fn` with the cluster's state under the lock (no copy); false when not in memory.
  bool Visit(ClusterId id, const std::function<void(const ClusterInfo&)>& fn) const;
  // Clusters in memory with at least `min_members` members and last_seen >= since, newest
  // last_seen first.
  std::vector<ClusterInfo> Snapshot(std::uint32_t min_members = 2, TimeMs since = 0) const;
  // Bounded mode: drops the least useful cluster states (single-member ones first, then the
  // least recently updated) down to max_cached_clusters. Call only when every state in memory
  // is persisted. No-op in in-memory mode.
  void Trim();

  // Persistence: restore the index with the indexed members of the last window in the order
  // they were added (signature, cluster and time as returned by Add); in in-memory mode also
  // their clusters (RestoreCluster). New cluster ids continue after the largest id seen here
  // or given to SetNextClusterId.
  void RestoreCluster(ClusterInfo info);
  void RestoreMember(const MinHashSignature& signature, ClusterId cluster, TimeMs time);
  // The time of a report that was not indexed (a short text), in its place among the members:
  // Add moved the window with it too.
  void RestoreTime(TimeMs time);
  void SetNextClusterId(ClusterId next);
  ClusterId next_cluster_id() const;

  struct MemoryStats {
    std::size_t indexed_reports = 0;
    std::size_t index_bytes = 0;      // member records + band tables actually allocated
    std::size_t clusters = 0;         // cluster states in memory
    std::size_t cluster_bytes = 0;    // approximate heap of cluster states
    std::uint64_t loads = 0;          // states read back through load_cluster
    std::uint64_t load_failures = 0;  // of which failed or absent
  };
  MemoryStats Memory() const;

  const ClusterOptions& options() const;

 private:
  struct Impl;
  Impl* impl_;
};

// The normalised text the clusterer wants, from a raw report text (valid UTF-8): the classifier
// normaliser's output (case fold, homoglyphs, spaced and repeated letters, one space between
// words). Thread-safe.
std::string ClusterText(std::string_view raw_text);

// Same tokenisation as RumourClusterer with default options (built-in stopwords only).
Fingerprint ComputeFingerprint(std::string_view normalized_text);
// How many of the 16 values agree (16 x estimated Jaccard similarity of the token sets).
int MatchingHashes(const MinHashSignature& a, const MinHashSignature& b);

// Versioned, bounds-checked binary encoding of a cluster's full state (for a RocksDB value).
std::string EncodeClusterState(const ClusterInfo& info);
void EncodeClusterState(const ClusterInfo& info, std::string* out);  // replaces *out
Result<ClusterInfo> DecodeClusterState(std::string_view bytes);

}  // namespace sakchy::classifier
