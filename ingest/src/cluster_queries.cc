// The read side of rumour clusters (API listings, detail, event -> cluster) and verdicts.

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

#include "cluster_records.h"
#include "core/json_text.h"
#include "ingest/clustering.h"
#include "storage/audit.h"

namespace sakchy::ingest {
namespace {

constexpr TimeMs kMinuteMs = 60 * 1000;
constexpr TimeMs kHourMs = 60 * kMinuteMs;
constexpr std::size_t kScanPage = 512;
constexpr std::size_t kMemberPage = 4096;
constexpr std::size_t kMaxVerdictEvents = 100000;
constexpr std::size_t kMaxSignalsShown = 100;

using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, ClusterId>;

Key SortKey(ClusterSort sort, const ClusterSummary& s) {
  const auto& c = s.info;
  switch (sort) {
    case ClusterSort::kRecent:
      return {c.last_seen, 0, 0, c.id};
    case ClusterSort::kSize:
      return {c.members, c.last_seen, 0, c.id};
    case ClusterSort::kRising:
      return {s.last_hour, s.last_10_min, c.last_seen, c.id};
  }
  return {c.last_seen, 0, 0, c.id};
}

Key CursorKey(const ClusterCursor& c) { return {c.k1, c.k2, c.k3, c.id}; }

ClusterCursor ToCursor(ClusterSort sort, const Key& k) {
  return ClusterCursor{sort, std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k)};
}

char SortChar(ClusterSort s) {
  switch (s) {
    case ClusterSort::kRecent:
      return 'r';
    case ClusterSort::kSize:
      return 's';
    case ClusterSort::kRising:
      return 'g';
  }
  return 'r';
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// The areas a cluster is "in" for filters and scoping: its members' areas, or the root when no
// member had one.
bool AnyAreaWithin(const classifier::ClusterInfo& c, const config::AreaTree& areas,
                   const std::vector<AreaCode>& within) {
  auto in = [&](std::string_view code) {
    return std::any_of(within.begin(), within.end(),
                       [&](const AreaCode& w) { return areas.IsWithin(code, w); });
  };
  if (c.areas.empty()) return in(areas.root());
  return std::any_of(c.areas.begin(), c.areas.end(),
                     [&](const classifier::ClusterArea& a) { return in(a.area); });
}

bool Visible(const classifier::ClusterInfo& c, const config::AreaTree& areas,
             const std::optional<std::vector<AreaCode>>& visible) {
  return !visible || AnyAreaWithin(c, areas, *visible);
}

Result<std::optional<ClusterVerdictRecord>> ReadVerdict(storage::Store& store, ClusterId id) {
  auto value = store.GetRecord(internal::kClusterVerdictTable, internal::ClusterKey(id));
  if (!value) return tl::unexpected(value.error());
  if (!*value) return std::optional<ClusterVerdictRecord>();
  ClusterVerdictRecord v;
  if (auto s = internal::DecodeVerdict(**value, &v); !s) {
    return MakeError(ErrorCode::kCorruption,
                     "cluster " + std::to_string(id) + ": " + s.error().message);
  }
  return std::optional<ClusterVerdictRecord>(std::move(v));
}

// The cluster's state, verdict and velocity at `now`; std::nullopt when it has no record.
Result<std::optional<ClusterSummary>> LoadSummary(storage::Store& store, ClusterId id, TimeMs now) {
  auto info = internal::ReadCluster(store, id);
  if (!info) return tl::unexpected(info.error());
  if (!*info) return std::optional<ClusterSummary>();
  ClusterSummary s;
  s.info = std::move(**info);
  auto verdict = ReadVerdict(store, id);
  if (!verdict) return tl::unexpected(verdict.error());
  s.verdict = std::move(*verdict);
  s.last_10_min = s.info.MembersWithin(now, 10 * kMinuteMs);
  s.last_hour = s.info.MembersWithin(now, kHourMs);
  return std::optional<ClusterSummary>(std::move(s));
}

bool Matches(const ClusterSummary& s, const ClusterQuery& q, const config::AreaTree& areas) {
  if (s.info.members < q.min_members || s.info.last_seen < q.since) return false;
  if (q.status) {
    VerdictStatus status = s.verdict ? s.verdict->status : VerdictStatus::kUnverified;
    if (status != *q.status) return false;
  }
  if (q.area && !AnyAreaWithin(s.info, areas, {*q.area})) return false;
  return Visible(s.info, areas, q.visible_areas);
}

Result<ClusterPage> ListRecent(storage::Store& store, const config::AreaTree& areas,
                               const ClusterQuery& q, TimeMs now) {
  ClusterPage page;
  storage::RecordScan scan;
  scan.reverse = true;
  scan.limit = kScanPage;
  if (q.after) scan.start_after = internal::RecentKey(q.after->k1, q.after->id);
  // A selective filter must not make one request scan the whole history: after this many index
  // entries the page ends early with a cursor to continue from.
  const std::size_t budget = std::max<std::size_t>(q.limit * 50, 5000);
  std::size_t scanned = 0;
  for (;;) {
    auto entries = store.ScanRecords(internal::kClusterRecentTable, scan);
    if (!entries) return tl::unexpected(entries.error());
    for (const auto& e : *entries) {
      TimeMs last_seen = 0;
      ClusterId id = 0;
      if (!internal::ParseRecentKey(e.key, &last_seen, &id)) {
        return MakeError(ErrorCode::kCorruption, "cluster.recent: a malformed key");
      }
      if (last_seen < q.since) return page;  // the rest is older
      ++scanned;
      auto summary = LoadSummary(store, id, now);
      if (!summary) return tl::unexpected(summary.error());
      if (*summary && Matches(**summary, q, areas)) {
        page.clusters.push_back(std::move(**summary));
      }
      if (page.clusters.size() == q.limit || scanned >= budget) {
        page.next_cursor = EncodeClusterCursor({ClusterSort::kRecent, last_seen, 0, 0, id});
        return page;
      }
    }
    if (entries->size() < scan.limit) return page;
    scan.start_after = entries->back().key;
  }
}

Result<ClusterPage> ListRanked(storage::Store& store, const config::AreaTree& areas,
                               const ClusterQuery& q, TimeMs now) {
  const TimeMs since = q.sort == ClusterSort::kRising ? std::max(q.since, now - kHourMs) : q.since;
  std::vector<ClusterId> ids;
  storage::RecordScan scan;
  scan.reverse = true;
  scan.limit = kScanPage;
  for (bool more = true; more;) {
    auto entries = store.ScanRecords(internal::kClusterRecentTable, scan);
    if (!entries) return tl::unexpected(entries.error());
    more = entries->size() == scan.limit;
    for (const auto& e : *entries) {
      TimeMs last_seen = 0;
      ClusterId id = 0;
      if (!internal::ParseRecentKey(e.key, &last_seen, &id)) {
        return MakeError(ErrorCode::kCorruption, "cluster.recent: a malformed key");
      }
      if (last_seen < since) {
        more = false;
        break;
      }
      if (ids.size() == kMaxRankedClusters) {
        return MakeError(ErrorCode::kResourceExhausted,
                         "more than " + std::to_string(kMaxRankedClusters) +
                             " clusters were seen in the range; narrow it with a later since");
      }
      ids.push_back(id);
    }
    if (more) scan.start_after = entries->back().key;
  }
  std::vector<std::pair<Key, ClusterSummary>> ranked;
  for (ClusterId id : ids) {
    auto summary = LoadSummary(store, id, now);
    if (!summary) return tl::unexpected(summary.error());
    if (!*summary || !Matches(**summary, q, areas)) continue;
    Key k = SortKey(q.sort, **summary);
    if (q.after && !(k < CursorKey(*q.after))) continue;  // on an earlier page
    ranked.emplace_back(k, std::move(**summary));
  }
  auto by_key_desc = [](const auto& a, const auto& b) { return a.first > b.first; };
  ClusterPage page;
  const std::size_t n = std::min(q.limit, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(),
                    by_key_desc);
  for (std::size_t i = 0; i < n; ++i) page.clusters.push_back(std::move(ranked[i].second));
  if (ranked.size() > n)
    page.next_cursor = EncodeClusterCursor(ToCursor(q.sort, ranked[n - 1].first));
  return page;
}

// Member event ids of a cluster in event-id order, at most `max`.
Result<std::vector<std::string>> MemberIds(storage::Store& store, ClusterId id, std::size_t max) {
  std::vector<std::string> out;
  storage::RecordScan scan;
  scan.prefix = internal::ClusterKey(id);
  scan.limit = kMemberPage;
  for (;;) {
    auto page = store.ScanRecords(internal::kClusterMemberTable, scan);
    if (!page) return tl::unexpected(page.error());
    for (const auto& r : *page) {
      if (out.size() == max) return out;
      out.push_back(r.key.substr(8));
    }
    if (page->size() < scan.limit) return out;
    scan.start_after = page->back().key;
  }
}

}  // namespace

std::optional<ClusterSort> ParseClusterSort(std::string_view name) {
  if (name == "recent") return ClusterSort::kRecent;
  if (name == "size") return ClusterSort::kSize;
  if (name == "rising") return ClusterSort::kRising;
  return std::nullopt;
}

std::string EncodeClusterCursor(const ClusterCursor& c) {
  std::string out(1, SortChar(c.sort));
  for (std::int64_t k : {c.k1, c.k2, c.k3}) out += "." + std::to_string(k);
  out += "." + std::to_string(c.id);
  return out;
}

std::optional<ClusterCursor> DecodeClusterCursor(std::string_view text) {
  if (text.size() < 2 || text.size() > 100 || text[1] != '.') return std::nullopt;
  ClusterCursor c;
  switch (text[0]) {
    case 'r':
      c.sort = ClusterSort::kRecent;
      break;
    case 's':
      c.sort = ClusterSort::kSize;
      break;
    case 'g':
      c.sort = ClusterSort::kRising;
      break;
    default:
      return std::nullopt;
  }
  std::string_view rest = text.substr(2);
  std::int64_t* keys[] = {&c.k1, &c.k2, &c.k3};
  for (std::int64_t* k : keys) {
    auto dot = rest.find('.');
    if (dot == std::string_view::npos || !ParseNumber(rest.substr(0, dot), k)) return std::nullopt;
    rest.remove_prefix(dot + 1);
  }
  if (!ParseNumber(rest, &c.id) || c.id == 0) return std::nullopt;
  return c;
}

Result<ClusterPage> ListClusters(storage::Store& store, const config::AreaTree& areas,
                                 const ClusterQuery& query, TimeMs now) {
  if (query.limit == 0 || query.min_members < 2) {
    return MakeError(ErrorCode::kInvalidArgument, "clusters: limit >= 1 and min_members >= 2");
  }
  if (query.after && query.after->sort != query.sort) {
    return MakeError(ErrorCode::kInvalidArgument, "clusters: the cursor is of another order");
  }
  if (query.sort == ClusterSort::kRecent) return ListRecent(store, areas, query, now);
  return ListRanked(store, areas, query, now);
}

Result<std::optional<ClusterDetail>> GetCluster(storage::Store& store,
                                                const config::AreaTree& areas, ClusterId id,
                                                const ClusterDetailQuery& query, TimeMs now) {
  auto summary = LoadSummary(store, id, now);
  if (!summary) return tl::unexpected(summary.error());
  if (!*summary || !Visible((*summary)->info, areas, query.visible_areas)) {
    return std::optional<ClusterDetail>();
  }
  ClusterDetail d;
  d.summary = std::move(**summary);
  const std::string prefix = internal::ClusterKey(id);

  storage::RecordScan signals;
  signals.prefix = prefix;
  signals.reverse = true;
  signals.limit = kMaxSignalsShown;
  auto sigs = store.ScanRecords(internal::kClusterSignalTable, signals);
  if (!sigs) return tl::unexpected(sigs.error());
  for (const auto& r : *sigs) {
    ClusterSignalRecord s;
    if (auto st = internal::DecodeSignal(r.value, &s); !st) return tl::unexpected(st.error());
    d.signals.push_back(std::move(s));
  }

  std::map<TimeMs, std::uint32_t> hours;
  storage::RecordScan all;
  all.prefix = prefix;
  all.limit = kMemberPage;
  std::size_t seen = 0;
  ClusterMemberRecord m;
  for (bool more = true; more;) {
    auto page = store.ScanRecords(internal::kClusterMemberTable, all);
    if (!page) return tl::unexpected(page.error());
    more = page->size() == all.limit;
    for (const auto& r : *page) {
      if (seen == kMaxTimelineMembers) {
        d.timeline_complete = false;
        more = false;
        break;
      }
      if (auto st = internal::DecodeMember(r.value, &m); !st) return tl::unexpected(st.error());
      TimeMs hour = m.observed_at - ((m.observed_at % kHourMs) + kHourMs) % kHourMs;
      ++hours[hour];
      ++seen;
    }
    if (more) all.start_after = page->back().key;
  }
  d.timeline.assign(hours.begin(), hours.end());

  storage::RecordScan members;
  members.prefix = prefix;
  members.reverse = true;
  members.limit = query.members_limit;
  if (!query.members_before.empty()) members.start_after = prefix + query.members_before;
  auto page = store.ScanRecords(internal::kClusterMemberTable, members);
  if (!page) return tl::unexpected(page.error());
  for (const auto& r : *page) {
    ClusterMemberRecord rec;
    if (auto st = internal::DecodeMember(r.value, &rec); !st) return tl::unexpected(st.error());
    rec.event_id = r.key.substr(8);
    d.members.push_back(std::move(rec));
  }
  if (!d.members.empty() && d.members.size() == query.members_limit) {
    d.members_next = d.members.back().event_id;
  }
  return std::optional<ClusterDetail>(std::move(d));
}

Result<std::optional<ClusterId>> ClusterOfEvent(storage::Store& store, std::string_view event_id) {
  auto value = store.GetRecord(internal::kClusterOfTable, event_id);
  if (!value) return tl::unexpected(value.error());
  if (!*value) return std::optional<ClusterId>();
  internal::EventCluster ec;
  if (auto s = internal::DecodeEventCluster(**value, &ec); !s) {
    return MakeError(ErrorCode::kCorruption,
                     "event " + std::string(event_id) + ": " + s.error().message);
  }
  return std::optional<ClusterId>(ec.cluster);
}

Result<std::optional<ClusterVerdictRecord>> ClusterVerdict(storage::Store& store, ClusterId id) {
  return ReadVerdict(store, id);
}

Result<std::optional<Verdict>> VerdictOfEvent(storage::Store& store, std::string_view event_id) {
  auto cluster = ClusterOfEvent(store, event_id);
  if (!cluster) return tl::unexpected(cluster.error());
  if (!*cluster) return std::optional<Verdict>();
  auto record = ReadVerdict(store, **cluster);
  if (!record) return tl::unexpected(record.error());
  if (!*record) return std::optional<Verdict>();
  Verdict v;
  v.cluster_id = ClusterIdText(**cluster);
  v.status = (*record)->status;
  v.statement = std::move((*record)->statement);
  v.decided_by = std::move((*record)->decided_by);
  v.decided_at = (*record)->decided_at;
  return std::optional<Verdict>(std::move(v));
}

Result<Verdict> RecordClusterVerdict(storage::Store& store, ClusterId id, VerdictStatus status,
                                     std::string statement, std::string decided_by, TimeMs now,
                                     IdGenerator& audit_ids) {
  auto info = internal::ReadCluster(store, id);
  if (!info) return tl::unexpected(info.error());
  if (!*info) return MakeError(ErrorCode::kNotFound, "no cluster " + std::to_string(id));
  auto previous = ReadVerdict(store, id);
  if (!previous) return tl::unexpected(previous.error());
  auto members = MemberIds(store, id, kMaxVerdictEvents);
  if (!members) return tl::unexpected(members.error());

  ClusterVerdictRecord record{status, statement, decided_by, now};
  std::string value;
  internal::EncodeVerdict(record, &value);

  storage::AuditEntry audit;
  audit.id = audit_ids.Next();
  audit.at = now;
  audit.actor = decided_by;
  audit.action = "cluster.verdict";
  audit.subject = ClusterIdText(id);
  audit.details = "{\"status\":";
  AppendJsonString(audit.details, VerdictStatusName(status));
  audit.details += ",\"previous\":";
  AppendJsonString(audit.details,
                   VerdictStatusName(*previous ? (*previous)->status : VerdictStatus::kUnverified));
  audit.details += ",\"statement\":";
  AppendJsonString(audit.details, statement);
  audit.details += ",\"members\":" + std::to_string(members->size()) + "}";

  std::vector<storage::RecordWrite> writes;
  writes.push_back({std::string(internal::kClusterVerdictTable), internal::ClusterKey(id), value});
  writes.push_back(storage::AuditRecord(audit));
  if (auto s = store.WriteRecords(writes); !s) return tl::unexpected(s.error());

  Verdict v;
  v.cluster_id = ClusterIdText(id);
  v.status = status;
  v.statement = std::move(statement);
  v.decided_by = std::move(decided_by);
  v.decided_at = now;
  v.event_ids = std::move(*members);
  return v;
}

std::string ClusterIdText(ClusterId id) { return std::to_string(id); }

std::optional<ClusterId> ParseClusterId(std::string_view text) {
  if (text.empty() || text.size() > 20 || text[0] == '0') return std::nullopt;
  ClusterId id = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (!ParseNumber(text, &id) || id == 0) return std::nullopt;
  return id;
}

}  // namespace sakchy::ingest
