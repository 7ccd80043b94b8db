// ClusterStage: the write path of rumour clusters (assignment, records, signals, restore).

#include "ingest/clustering.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "cluster_records.h"
#include "ingest/reporters.h"

namespace sakchy::ingest {

namespace {

constexpr std::size_t kRestorePage = 4096;
// Index entries of reports received this long before the newest one are read at restore too:
// observed_at may lag received_at a little (clock skew), never lead it by much.
constexpr TimeMs kRestoreSlackMs = 10 * 60 * 1000;
// A signal hands on at most this many member event ids (the newest).
constexpr std::size_t kMaxSignalEvents = 10000;

classifier::ClusterOptions ClustererOptions(const config::ClustersConfig& cfg) {
  classifier::ClusterOptions o;
  o.window_ms = cfg.window_ms;
  o.min_matching_hashes = cfg.min_matching_hashes;
  o.min_tokens = cfg.min_tokens;
  o.max_cached_clusters = cfg.cache_clusters;
  o.max_index_reports = cfg.max_index_reports;
  classifier::SpreadThresholds t;
  t.min_sources = cfg.spread.min_sources;
  t.sources_window_ms = cfg.spread.sources_window_ms;
  t.alert_on_new_area = cfg.spread.new_area;
  t.accel_min_recent = cfg.spread.accel_min_recent;
  t.accel_factor = cfg.spread.accel_factor;
  t.people_floor = cfg.spread.people_floor;
  t.public_floor = cfg.spread.public_floor;
  o.spread = t;
  return o;
}

}  // namespace

struct ClusterStage::Impl {
  Impl(storage::Store& s, const config::ClustersConfig& c, const Clock& clk, MetricsRegistry& m)
      : store(s),
        cfg(c),
        clock(clk),
        clusterer(MakeOptions(s, c)),
        assigned(m.GetCounter("sakchy_cluster_assignments_total",
                              "Scored events assigned to a rumour cluster")),
        created(m.GetCounter("sakchy_clusters_created_total", "Rumour clusters started")),
        short_texts(m.GetCounter("sakchy_cluster_short_texts_total",
                                 "Events too short to cluster (kept as single-member clusters)")),
        signals_total(m.GetCounter("sakchy_cluster_signals_total",
                                   "Spread signals raised by rumour clusters")),
        by_sources(m.GetCounter("sakchy_cluster_signal_reasons_total",
                                "Reasons of rumour-cluster spread signals",
                                {{"reason", "sources"}})),
        by_people(m.GetCounter("sakchy_cluster_signal_reasons_total",
                               "Reasons of rumour-cluster spread signals", {{"reason", "people"}})),
        by_area(m.GetCounter("sakchy_cluster_signal_reasons_total",
                             "Reasons of rumour-cluster spread signals", {{"reason", "new_area"}})),
        by_accel(m.GetCounter("sakchy_cluster_signal_reasons_total",
                              "Reasons of rumour-cluster spread signals",
                              {{"reason", "acceleration"}})),
        read_errors(m.GetCounter("sakchy_cluster_read_errors_total",
                                 "Failed reads of cluster records (a report started a new cluster "
                                 "or a signal lost member ids)")),
        known_marked(m.GetCounter("sakchy_cluster_known_rumour_reports_total",
                                  "Reports that joined a cluster judged false or misleading")) {
    m.AddCallbackGauge("sakchy_cluster_index_reports", "Reports in the rumour-cluster index", {},
                       [this] { return static_cast<double>(clusterer.Memory().indexed_reports); });
    m.AddCallbackGauge("sakchy_cluster_index_bytes", "Memory of the rumour-cluster index", {},
                       [this] { return static_cast<double>(clusterer.Memory().index_bytes); });
    m.AddCallbackGauge("sakchy_cluster_cache_clusters", "Cluster states held in memory", {},
                       [this] { return static_cast<double>(clusterer.Memory().clusters); });
    m.AddCallbackCounter("sakchy_cluster_load_failures_total",
                       "Cluster states that could not be read "
                       "back (the report started a new cluster)",
                       {},
                       [this] { return static_cast<double>(clusterer.Memory().load_failures); });
  }

  static classifier::ClusterOptions MakeOptions(storage::Store& store,
                                                const config::ClustersConfig& cfg) {
    classifier::ClusterOptions o = ClustererOptions(cfg);
    storage::Store* s = &store;
    o.load_cluster = [s](ClusterId id) {
      auto info = internal::ReadCluster(*s, id);
      if (!info) {
        spdlog::error("clusters: reading cluster {} failed: {}", id, info.error().ToString());
      } else if (!*info) {
        spdlog::error("clusters: cluster {} has indexed members but no record", id);
      }
      return info;
    };
    return o;
  }

  // The clusters with a verdict that gives their new members a category (false, misleading).
  Status RestoreVerdicts() {
    storage::RecordScan scan;
    scan.limit = kRestorePage;
    for (;;) {
      auto page = store.ScanRecords(internal::kClusterVerdictTable, scan);
      if (!page) return tl::unexpected(page.error());
      for (const auto& r : *page) {
        auto id = internal::ParseClusterKey(r.key);
        ClusterVerdictRecord v;
        if (!id || !internal::DecodeVerdict(r.value, &v)) {
          return MakeError(ErrorCode::kCorruption, "clusters: a malformed verdict record");
        }
        if (KnownRumourCategory(v.status)) known_verdicts[*id] = v.status;
      }
      if (page->size() < scan.limit) break;
      scan.start_after = page->back().key;
    }
    return OkStatus();
  }

  Status Restore() {
    if (auto s = RestoreVerdicts(); !s) return s;
    auto last_cluster = store.ScanRecords(internal::kClusterTable, {.reverse = true, .limit = 1});
    if (!last_cluster) return tl::unexpected(last_cluster.error());
    if (!last_cluster->empty()) {
      auto id = internal::ParseClusterKey(last_cluster->front().key);
      if (!id) return MakeError(ErrorCode::kCorruption, "clusters: a malformed cluster key");
      clusterer.SetNextClusterId(*id + 1);
    }
    auto last_member = store.ScanRecords(internal::kClusterOfTable, {.reverse = true, .limit = 1});
    if (!last_member) return tl::unexpected(last_member.error());
    if (last_member->empty()) return OkStatus();
    auto newest = IdTime(last_member->front().key);
    if (!newest) return MakeError(ErrorCode::kCorruption, "clusters: a malformed event id");
    storage::RecordScan scan;
    scan.start_after = internal::IdPrefixAt(*newest - cfg.window_ms - kRestoreSlackMs);
    scan.limit = kRestorePage;
    std::size_t restored = 0;
    internal::EventCluster ec;
    for (;;) {
      auto page = store.ScanRecords(internal::kClusterOfTable, scan);
      if (!page) return tl::unexpected(page.error());
      for (const auto& r : *page) {
        if (auto s = internal::DecodeEventCluster(r.value, &ec); !s) {
          return MakeError(ErrorCode::kCorruption,
                           "clusters: event " + r.key + ": " + s.error().message);
        }
        if (!ec.indexed) {
          clusterer.RestoreTime(ec.observed_at);
          continue;
        }
        clusterer.RestoreMember(ec.signature, ec.cluster, ec.observed_at);
        ++restored;
      }
      if (page->size() < scan.limit) break;
      scan.start_after = page->back().key;
    }
    auto mem = clusterer.Memory();
    spdlog::info(
        "clusters: index restored with {} reports of the last {} min ({} in the window, "
        "{} KiB); next cluster id {}",
        restored, cfg.window_ms / 60000, mem.indexed_reports, mem.index_bytes / 1024,
        clusterer.next_cluster_id());
    return OkStatus();
  }

  struct Touch {
    std::size_t last_item = 0;
    std::uint32_t members_before = 0;
    TimeMs last_seen_before = 0;
  };

  struct Raised {
    std::size_t item = 0;
    ClusterId cluster = 0;
    classifier::SpreadDecision decision;
  };

  std::vector<Signal> Annotate(std::span<storage::ScoredBatchItem> items,
                               std::span<const PreparedAnalysis> prepared) {
    std::lock_guard lock(mu);
    // Everything an earlier call produced is committed now, so the cache may drop it.
    clusterer.Trim();
    touched.clear();
    batch_clusters.assign(items.size(), 0);
    std::vector<Raised> raised;
    std::string value;
    for (std::size_t i = 0; i < items.size(); ++i) {
      storage::ScoredBatchItem& item = items[i];
      if (item.resolve_only) continue;
      if (!item.first_scoring && KeepsItsCluster(item.event)) continue;
      Event& e = item.event;
      classifier::ClusterInput in;
      // Prepared on a scoring thread (the normalised text is then only needed to fingerprint
      // it: display_text represents a new cluster), else normalised and fingerprinted here.
      std::string text;
      if (i < prepared.size() && prepared[i].ready) {
        in.prepared = &prepared[i].fingerprint;
      } else {
        text = classifier::ClusterText(e.report.text);
        in.text = text;
      }
      in.report_id = e.report.id;
      in.display_text = e.report.text;
      in.time = e.report.observed_at;
      in.area = e.area;
      in.channel = e.report.channel;
      in.submitted_by = e.report.submitted_by;
      in.reporter = ReporterKindOf(e.report);
      in.severity = e.severity;
      in.categories = e.categories;
      classifier::Assignment a = clusterer.Add(in);
      batch_clusters[i] = a.cluster;
      MarkKnownRumour(a.cluster, e);
      assigned.Inc();
      if (a.created) created.Inc();
      if (!a.indexed) short_texts.Inc();

      internal::EventCluster ec{a.cluster, e.report.observed_at, a.indexed, a.signature};
      internal::EncodeEventCluster(ec, &value);
      item.records.push_back({std::string(internal::kClusterOfTable), e.report.id, value});
      ClusterMemberRecord member{e.report.id, e.report.observed_at, e.area, e.severity,
                                 e.report.channel};
      internal::EncodeMember(member, &value);
      item.records.push_back({std::string(internal::kClusterMemberTable),
                              internal::MemberKey(a.cluster, e.report.id), value});

      if (a.detached) {  // a short text: its whole, final state now
        classifier::EncodeClusterState(*a.detached, &value);
        item.records.push_back(
            {std::string(internal::kClusterTable), internal::ClusterKey(a.cluster), value});
        continue;
      }
      auto [it, first] =
          touched.try_emplace(a.cluster, Touch{i, a.members_before, a.last_seen_before});
      if (!first) it->second.last_item = i;
      if (a.spread && a.spread->alert) raised.push_back({i, a.cluster, std::move(*a.spread)});
    }

    // One state record per cluster touched, on the last item that touched it (the batch is one
    // atomic write); the recency index moves from the old last_seen to the new one.
    for (const auto& [id, t] : touched) {
      auto& records = items[t.last_item].records;
      std::uint32_t members = 0;
      TimeMs last_seen = 0;
      bool found = clusterer.Visit(id, [&](const classifier::ClusterInfo& c) {
        classifier::EncodeClusterState(c, &value);
        members = c.members;
        last_seen = c.last_seen;
      });
      if (!found) continue;  // cannot happen: nothing is trimmed during a call
      records.push_back({std::string(internal::kClusterTable), internal::ClusterKey(id), value});
      if (t.members_before >= 2 && (members < 2 || t.last_seen_before != last_seen)) {
        records.push_back({std::string(internal::kClusterRecentTable),
                           internal::RecentKey(t.last_seen_before, id), std::nullopt});
      }
      if (members >= 2) {
        records.push_back({std::string(internal::kClusterRecentTable),
                           internal::RecentKey(last_seen, id), std::string()});
      }
    }

    std::vector<Signal> signals;
    for (auto& r : raised) {
      Signal s = MakeSignal(r, items);
      ClusterSignalRecord rec;
      rec.at = s.at;
      rec.report_time = items[r.item].event.report.observed_at;
      rec.reason = s.reason;
      rec.sources = r.decision.sources;
      rec.areas = s.areas;
      rec.severity = s.severity;
      rec.events = static_cast<std::uint32_t>(s.event_ids.size());
      clusterer.Visit(r.cluster,
                      [&rec](const classifier::ClusterInfo& c) { rec.members = c.members; });
      internal::EncodeSignal(rec, &value);
      // Numbered by the cluster's alert count: unique and in order, also within one millisecond.
      items[r.item].records.push_back(
          {std::string(internal::kClusterSignalTable),
           internal::SignalKey(r.cluster, r.decision.next_state.alerts), value});
      signals_total.Inc();
      if (r.decision.sources_reached) by_sources.Inc();
      if (r.decision.people_reached) by_people.Inc();
      if (r.decision.new_area) by_area.Inc();
      if (r.decision.accelerating) by_accel.Inc();
      signals.push_back(std::move(s));
    }
    return signals;
  }

  // A report of a cluster with a false (misleading) verdict: the category known_false
  // (known_misleading), kept sorted and distinct.
  void MarkKnownRumour(ClusterId cluster, Event& e) {
    auto it = known_verdicts.find(cluster);
    if (it == known_verdicts.end()) return;
    auto category = KnownRumourCategory(it->second);
    if (!category) return;
    auto at = std::lower_bound(e.categories.begin(), e.categories.end(), *category);
    if (at != e.categories.end() && *at == *category) return;
    e.categories.insert(at, std::string(*category));
    known_marked.Inc();
  }

  // An event scored again (its SMS follow-ups re-score it) that is already in a cluster stays
  // there without being counted again; it gets that cluster's category again (the classifier
  // does not know it). False when it is not clustered yet (a first scoring with follow-ups).
  bool KeepsItsCluster(Event& e) {
    auto value = store.GetRecord(internal::kClusterOfTable, e.report.id);
    internal::EventCluster ec;
    if (!value || !*value || !internal::DecodeEventCluster(**value, &ec)) {
      if (!value) {
        read_errors.Inc();
        spdlog::error("clusters: reading the cluster of event {} failed: {}", e.report.id,
                      value.error().ToString());
      }
      return false;
    }
    MarkKnownRumour(ec.cluster, e);
    return true;
  }

  // The Signal of a raised decision, with the cluster's state at the end of the batch and its
  // member event ids (committed ones from the store, then this batch's).
  Signal MakeSignal(const Raised& r, std::span<const storage::ScoredBatchItem> items) {
    Signal s;
    s.kind = Signal::Kind::kClusterSpread;
    s.subject_id = ClusterIdText(r.cluster);
    s.reason = classifier::SpreadReason(r.decision, *clusterer.options().spread);
    s.at = clock.NowMs();
    s.spread = classifier::SpreadWhyOf(r.decision);
    const Severity floor = r.decision.floor;
    clusterer.Visit(r.cluster, [&s, floor](const classifier::ClusterInfo& c) {
      s.area = c.MainArea();
      for (const auto& a : c.areas) s.areas.push_back(a.area);
      s.severity = std::max(c.max_severity, floor);
      for (const auto& x : c.categories) s.categories.push_back(x.category);
      s.summary = c.representative_text;
      s.sources = static_cast<int>(c.distinct_sources);
      s.first_seen = c.first_seen;
    });
    storage::RecordScan scan;
    scan.prefix = internal::ClusterKey(r.cluster);
    scan.reverse = true;
    scan.limit = kMaxSignalEvents;
    auto stored = store.ScanRecords(internal::kClusterMemberTable, scan);
    if (stored) {
      for (auto it = stored->rbegin(); it != stored->rend(); ++it) {
        s.event_ids.push_back(it->key.substr(8));
      }
    } else {
      read_errors.Inc();
      spdlog::error("clusters: reading the members of cluster {} failed: {}", r.cluster,
                    stored.error().ToString());
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (batch_clusters[i] == r.cluster) s.event_ids.push_back(items[i].event.report.id);
    }
    if (s.event_ids.size() > kMaxSignalEvents) {
      s.event_ids.erase(s.event_ids.begin(),
                        s.event_ids.end() - static_cast<std::ptrdiff_t>(kMaxSignalEvents));
    }
    return s;
  }

  storage::Store& store;
  const config::ClustersConfig cfg;
  const Clock& clock;
  classifier::RumourClusterer clusterer;
  std::mutex mu;                                 // one Annotate at a time
  std::unordered_map<ClusterId, Touch> touched;  // per call
  std::vector<ClusterId> batch_clusters;         // per call: cluster of each item
  // Clusters whose verdict gives new members a category (guarded by `mu`).
  std::unordered_map<ClusterId, VerdictStatus> known_verdicts;
  Counter& assigned;
  Counter& created;
  Counter& short_texts;
  Counter& signals_total;
  Counter& by_sources;
  Counter& by_people;
  Counter& by_area;
  Counter& by_accel;
  Counter& read_errors;
  Counter& known_marked;
};

ClusterStage::ClusterStage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClusterStage::~ClusterStage() = default;

Result<std::unique_ptr<ClusterStage>> ClusterStage::Open(storage::Store& store,
                                                         const config::ClustersConfig& cfg,
                                                         const Clock& clock,
                                                         MetricsRegistry& metrics) {
  auto impl = std::make_unique<Impl>(store, cfg, clock, metrics);
  if (auto s = impl->Restore(); !s) return tl::unexpected(s.error());
  return std::unique_ptr<ClusterStage>(new ClusterStage(std::move(impl)));
}

void ClusterStage::Prepare(const storage::ScoredBatchItem& item, PreparedAnalysis& out) const {
  if (item.resolve_only) return;
  out.fingerprint = impl_->clusterer.Prepare(classifier::ClusterText(item.event.report.text));
  out.ready = true;
}

std::vector<Signal> ClusterStage::Annotate(std::span<storage::ScoredBatchItem> items,
                                           std::span<const PreparedAnalysis> prepared) {
  return impl_->Annotate(items, prepared);
}

void ClusterStage::VerdictRecorded(ClusterId cluster, VerdictStatus status) {
  std::lock_guard lock(impl_->mu);
  if (KnownRumourCategory(status)) {
    impl_->known_verdicts[cluster] = status;
  } else {
    impl_->known_verdicts.erase(cluster);
  }
}

classifier::RumourClusterer::MemoryStats ClusterStage::Memory() const {
  return impl_->clusterer.Memory();
}

}  // namespace sakchy::ingest
