// Rumour-cluster routes: GET /v1/clusters, GET /v1/clusters/{id}, POST /v1/clusters/{id}/verdict.
//
// Area scoping: every query below carries `visible_areas` (ingest::ClusterQuery and
// ingest::ClusterDetailQuery); VisibleAreas(who) is the one place that decides it: an official
// with area-scoped tokens sees the clusters with a member in their areas (or below), each as a
// summary built from those members only (ingest/clustering.h); everyone else sees every cluster
// whole. Asking for an area outside one's own is a 403.

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/json.hpp>
#include <charconv>

#include "api_util.h"
#include "core/id.h"
#include "core/time.h"
#include "core/utf8.h"
#include "ingest/clustering.h"
#include "public_answers.h"
#include "service/api.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;


namespace {

constexpr TimeMs kDefaultSinceMs = 24LL * 3600 * 1000;
constexpr std::size_t kDefaultLimit = 50;
constexpr std::size_t kMaxLimit = 200;
constexpr std::size_t kMaxMembersLimit = 1000;
constexpr std::size_t kMaxStatementBytes = 4000;

// The areas `who` may see clusters of; std::nullopt = all. The hook for officials' area scoping.
std::optional<std::vector<AreaCode>> VisibleAreas(const Principal& who) {
  if (!who.scoped()) return std::nullopt;
  return who.areas;
}

HttpResponse BadQuery(std::string_view field, std::string_view detail) {
  return Problem(400, "Invalid query", std::string(field) + " " + std::string(detail), field);
}

// The parameter given more than once, if any.
std::optional<std::string> Repeated(const HttpRequest& req) {
  if (req.duplicate_query.empty()) return std::nullopt;
  return req.duplicate_query.front();
}

bool ParseSize(std::string_view s, std::size_t min, std::size_t max, std::size_t* out) {
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

json::value Time(TimeMs t) { return json::value(FormatRfc3339(t)); }

json::object VerificationJson(const std::optional<ingest::ClusterVerdictRecord>& v) {
  if (!v) return json::object{{"status", "unverified"}};
  return json::object{{"status", VerdictStatusName(v->status)},
                      {"statement", v->statement},
                      {"decided_by", v->decided_by},
                      {"decided_at", FormatRfc3339(v->decided_at)}};
}

json::object SummaryJson(const ingest::ClusterSummary& s) {
  const auto& c = s.info;
  json::object o;
  o["id"] = ingest::ClusterIdText(c.id);
  o["representative"] =
      json::object{{"event_id", c.representative_id}, {"text", c.representative_text}};
  o["first_seen"] = Time(c.first_seen);
  o["last_seen"] = Time(c.last_seen);
  o["members"] = c.members;
  o["sources"] = c.distinct_sources;
  json::array areas;
  for (const auto& a : c.areas) {
    areas.push_back(
        json::object{{"code", a.area}, {"members", a.count}, {"first_seen", Time(a.first_seen)}});
  }
  o["areas"] = std::move(areas);
  o["velocity"] = json::object{{"last_10_min", s.last_10_min}, {"last_hour", s.last_hour}};
  json::array categories;
  for (const auto& x : c.categories) {
    categories.push_back(json::object{{"category", x.category}, {"members", x.count}});
  }
  o["categories"] = std::move(categories);
  o["max_severity"] = SeverityName(c.max_severity);
  o["verification"] = VerificationJson(s.verdict);
  o["signal_count"] = c.spread.alerts;
  o["last_signal_at"] = c.spread.alerts ? Time(c.spread.last_alert_ms) : json::value(nullptr);
  return o;
}

struct VerdictRequest {
  VerdictStatus status = VerdictStatus::kUnverified;
  std::string statement;
  bool publish = false;  // also a public verified answer (public_answers.h)
};

// {"status": "confirmed|false|unverified|misleading", "statement": "..."}; unknown or repeated
// fields, wrong types, invalid JSON or UTF-8 name the field.
std::optional<std::pair<std::string, std::string>> ParseVerdictBody(std::string_view body,
                                                                    VerdictRequest* out) {
  using Bad = std::pair<std::string, std::string>;
  if (auto bad = FindInvalidUtf8(body)) {
    return Bad{"body",
               "is not valid UTF-8 (invalid byte sequence at offset " + std::to_string(*bad) + ")"};
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(body.data(), body.size(), true).get(root)) {
    return Bad{"body", std::string("is not valid JSON: ") + simdjson::error_message(err)};
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return Bad{"body", "must be a JSON object"};
  bool seen_status = false, seen_statement = false, seen_publish = false;
  for (auto field : obj) {
    std::string_view key = field.key;
    std::string_view sv;
    if (key == "status") {
      if (seen_status) return Bad{"status", "is given twice"};
      seen_status = true;
      auto status = field.value.get_string().get(sv) ? std::nullopt : ParseVerdictStatus(sv);
      if (!status) return Bad{"status", "must be one of confirmed, false, unverified, misleading"};
      out->status = *status;
    } else if (key == "statement") {
      if (seen_statement) return Bad{"statement", "is given twice"};
      seen_statement = true;
      if (field.value.get_string().get(sv)) return Bad{"statement", "must be a string"};
      out->statement = std::string(sv);
    } else if (key == "publish") {
      if (seen_publish) return Bad{"publish", "is given twice"};
      seen_publish = true;
      if (field.value.get_bool().get(out->publish)) return Bad{"publish", "must be true or false"};
    } else {
      return Bad{std::string(key), "unknown field (allowed: status, statement, publish)"};
    }
  }
  if (!seen_status) return Bad{"status", "is required"};
  if (!seen_statement) return Bad{"statement", "is required (the official statement)"};
  if (out->statement.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Bad{"statement", "must not be blank"};
  }
  if (out->statement.size() > kMaxStatementBytes) {
    return Bad{"statement", "is longer than " + std::to_string(kMaxStatementBytes) + " bytes"};
  }
  return std::nullopt;
}

}  // namespace

net::awaitable<HttpResponse> Api::ListClusters(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 7> kAllowed = {
      "status", "area", "since", "sort", "limit", "cursor", "min_members"};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return BadQuery(*bad, "is not a parameter here (allowed: " + AllowedList(kAllowed) + ")");
  }
  if (auto dup = Repeated(req)) co_return BadQuery(*dup, "is given more than once");
  const TimeMs now = d_.clock->NowMs();
  ingest::ClusterQuery q;
  q.since = now - kDefaultSinceMs;
  q.limit = kDefaultLimit;
  q.visible_areas = VisibleAreas(who);
  if (auto it = req.query.find("status"); it != req.query.end()) {
    q.status = ParseVerdictStatus(it->second);
    if (!q.status) {
      co_return BadQuery("status", "must be one of confirmed, false, unverified, misleading");
    }
  }
  if (auto it = req.query.find("area"); it != req.query.end()) {
    if (!d_.areas->Find(it->second)) {
      co_return BadQuery("area", "is not a known area code: '" + it->second + "'");
    }
    if (auto why = who.ScopeViolation(*d_.areas, it->second)) {
      co_return Problem(403, "Forbidden", "area " + it->second + " is outside your areas: " + *why,
                        "area");
    }
    q.area = it->second;
  }
  if (auto it = req.query.find("since"); it != req.query.end()) {
    auto t = ParseRfc3339(it->second);
    if (!t) {
      co_return BadQuery("since",
                         "is not an RFC 3339 timestamp with a time zone "
                         "(e.g. 2026-06-01T00:00:00+06:00)");
    }
    q.since = *t;
  }
  if (auto it = req.query.find("sort"); it != req.query.end()) {
    auto sort = ingest::ParseClusterSort(it->second);
    if (!sort) co_return BadQuery("sort", "must be one of rising, recent, size");
    q.sort = *sort;
  }
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    if (!ParseSize(it->second, 1, kMaxLimit, &q.limit)) {
      co_return BadQuery("limit", "must be an integer from 1 to " + std::to_string(kMaxLimit));
    }
  }
  if (auto it = req.query.find("min_members"); it != req.query.end()) {
    std::size_t m = 0;
    if (!ParseSize(it->second, 2, 1'000'000'000, &m)) {
      co_return BadQuery("min_members", "must be an integer of at least 2");
    }
    q.min_members = static_cast<std::uint32_t>(m);
  }
  if (auto it = req.query.find("cursor"); it != req.query.end()) {
    q.after = ingest::DecodeClusterCursor(it->second);
    if (!q.after) co_return BadQuery("cursor", "is not a cursor returned by this listing");
    if (q.after->sort != q.sort) {
      co_return BadQuery("cursor",
                         "belongs to another sort order; keep the parameters of the "
                         "first page");
    }
  }
  storage::Store* store = d_.store;
  const config::AreaTree* areas = d_.areas;
  auto list = [store, areas, q, now]() { return ingest::ListClusters(*store, *areas, q, now); };
  auto page = co_await RunBlocking<Result<ingest::ClusterPage>>(*d_.blocking, list);
  if (!page) {
    if (page.error().code == ErrorCode::kResourceExhausted) {
      co_return BadQuery("since", page.error().message);
    }
    spdlog::error("api: listing clusters failed: {}", page.error().ToString());
    co_return Problem(500, "Internal Server Error", "clusters could not be read");
  }
  json::array items;
  for (const auto& s : page->clusters) items.push_back(SummaryJson(s));
  json::object body;
  body["clusters"] = std::move(items);
  body["next_cursor"] =
      page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
  co_return Json(200, body);
}

net::awaitable<HttpResponse> Api::GetCluster(HttpRequest req, std::string id_text, Principal who) {
  auto id = ingest::ParseClusterId(id_text);
  if (!id) {
    co_return Problem(400, "Invalid cluster id",
                      "'" + id_text + "' is not a cluster id (a positive decimal integer)", "id");
  }
  static constexpr std::array<std::string_view, 2> kAllowed = {"members_limit", "members_cursor"};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return BadQuery(*bad, "is not a parameter here (allowed: " + AllowedList(kAllowed) + ")");
  }
  if (auto dup = Repeated(req)) co_return BadQuery(*dup, "is given more than once");
  ingest::ClusterDetailQuery q;
  q.visible_areas = VisibleAreas(who);
  if (auto it = req.query.find("members_limit"); it != req.query.end()) {
    if (!ParseSize(it->second, 1, kMaxMembersLimit, &q.members_limit)) {
      co_return BadQuery("members_limit",
                         "must be an integer from 1 to " + std::to_string(kMaxMembersLimit));
    }
  }
  if (auto it = req.query.find("members_cursor"); it != req.query.end()) {
    if (!IsValidId(it->second)) {
      co_return BadQuery("members_cursor", "is not a cursor returned by this endpoint");
    }
    q.members_before = it->second;
  }
  storage::Store* store = d_.store;
  const config::AreaTree* areas = d_.areas;
  const TimeMs now = d_.clock->NowMs();
  ingest::ClusterId cluster = *id;
  auto read = [store, areas, cluster, q, now]() {
    return ingest::GetCluster(*store, *areas, cluster, q, now);
  };
  auto detail =
      co_await RunBlocking<Result<std::optional<ingest::ClusterDetail>>>(*d_.blocking, read);
  if (!detail) {
    spdlog::error("api: reading cluster {} failed: {}", cluster, detail.error().ToString());
    co_return Problem(500, "Internal Server Error", "the cluster could not be read");
  }
  if (!*detail) co_return Problem(404, "Not Found", "no cluster with id " + id_text);
  const ingest::ClusterDetail& d = **detail;
  json::object body = SummaryJson(d.summary);
  json::array signals;
  for (const auto& s : d.signals) {
    json::array areas_json;
    for (const auto& a : s.areas) areas_json.emplace_back(a);
    if (who.scoped()) {
      // A signal also counts other areas' reports: an official sees when and where in their own
      // areas only (ingest::GetCluster keeps just those).
      signals.push_back(json::object{{"at", Time(s.at)}, {"areas", std::move(areas_json)}});
      continue;
    }
    signals.push_back(json::object{{"at", Time(s.at)},
                                   {"report_time", Time(s.report_time)},
                                   {"reason", s.reason},
                                   {"members", s.members},
                                   {"sources", s.sources},
                                   {"areas", std::move(areas_json)},
                                   {"max_severity", SeverityName(s.severity)},
                                   {"events", s.events}});
  }
  body["signals"] = std::move(signals);
  json::array timeline;
  for (const auto& [start, count] : d.timeline) {
    timeline.push_back(json::object{{"start", Time(start)}, {"members", count}});
  }
  body["timeline"] = json::object{
      {"bucket", "hour"}, {"complete", d.timeline_complete}, {"buckets", std::move(timeline)}};
  json::array members;
  for (const auto& m : d.members) {
    // ingest::GetCluster lists an official's visible members only; this check is a second guard.
    if (!who.MaySee(*d_.areas, m.area)) continue;
    json::object o{{"event_id", m.event_id},
                   {"observed_at", Time(m.observed_at)},
                   {"severity", SeverityName(m.severity)},
                   {"channel", m.channel}};
    o["area"] = m.area.empty() ? json::value(nullptr) : json::value(m.area);
    members.push_back(std::move(o));
  }
  body["member_events"] = std::move(members);
  body["member_events_next_cursor"] =
      d.members_next.empty() ? json::value(nullptr) : json::value(d.members_next);
  co_return Json(200, body);
}

// The public answer of a published verdict (public_answers.h), with the cluster's areas; returns
// their names for the public post.
static Result<std::string> PublishVerdict(storage::Store& store, const config::AreaTree& areas,
                                   ingest::ClusterId cluster, const Verdict& verdict) {
  ingest::ClusterDetailQuery query;
  query.members_limit = 1;
  auto detail = ingest::GetCluster(store, areas, cluster, query, verdict.decided_at);
  if (!detail) return tl::unexpected(detail.error());
  PublicAnswer answer;
  answer.cluster_id = verdict.cluster_id;
  answer.status = verdict.status;
  answer.statement = verdict.statement;
  answer.published_at = verdict.decided_at;
  std::string names;
  if (*detail) {
    for (const auto& a : (*detail)->summary.info.areas) {
      answer.areas.push_back(a.area);
      const config::Area* area = areas.Find(a.area);
      names += (names.empty() ? "" : ", ") + (area != nullptr ? area->name_ky : a.area);
    }
  }
  if (auto st = PublishAnswer(store, answer); !st) return tl::unexpected(st.error());
  return names;
}

net::awaitable<HttpResponse> Api::PostVerdict(HttpRequest req, std::string id_text, Principal who) {
  auto id = ingest::ParseClusterId(id_text);
  if (!id) {
    co_return Problem(400, "Invalid cluster id",
                      "'" + id_text + "' is not a cluster id (a positive decimal integer)", "id");
  }
  if (!IsJsonContentType(req.Header("content-type"))) {
    co_return Problem(415, "Unsupported Media Type",
                      "send the verdict as 'Content-Type: application/json'");
  }
  VerdictRequest v;
  if (auto bad = ParseVerdictBody(req.body, &v)) {
    co_return Problem(400, "Invalid verdict", bad->first + " " + bad->second, bad->first);
  }
  storage::Store* store = d_.store;
  const config::AreaTree* areas = d_.areas;
  IdGenerator* audit_ids = &audit_ids_;
  const TimeMs now = d_.clock->NowMs();
  const ingest::ClusterId cluster = *id;
  auto visible = VisibleAreas(who);
  auto hook = d_.verdict_recorded;
  std::string decided_by = who.name;
  // Scoping: an official may decide only on a cluster they can see (else 404, as for reads),
  // and only when every area it has reached is one of theirs: a verdict goes to everyone alerted
  // about any member, so a rumour that spread beyond the official's areas is an analyst's call
  // (403). Analysts and admins decide on any cluster.
  auto record = [store, areas, cluster, visible, v, decided_by, now, audit_ids, hook,
                 who]() -> Result<Verdict> {
    if (visible) {
      ingest::ClusterDetailQuery probe;
      probe.members_limit = 1;
      probe.visible_areas = visible;
      auto seen = ingest::GetCluster(*store, *areas, cluster, probe, now);
      if (!seen) return tl::unexpected(seen.error());
      if (!*seen) return MakeError(ErrorCode::kNotFound, "not visible");
      ingest::ClusterDetailQuery whole;
      whole.members_limit = 1;
      auto all = ingest::GetCluster(*store, *areas, cluster, whole, now);
      if (!all) return tl::unexpected(all.error());
      if (!*all) return MakeError(ErrorCode::kNotFound, "not visible");
      for (const auto& a : (*all)->summary.info.areas) {
        if (!who.MaySee(*areas, a.area)) {
          return MakeError(ErrorCode::kPermissionDenied, a.area);
        }
      }
    }
    auto verdict = ingest::RecordClusterVerdict(*store, cluster, v.status, v.statement, decided_by,
                                                now, *audit_ids);
    if (!verdict) return verdict;
    std::optional<std::string> published_in;
    if (v.publish) {
      auto published = PublishVerdict(*store, *areas, cluster, *verdict);
      if (!published) return tl::unexpected(published.error());
      published_in = std::move(*published);
    }
    if (hook) hook(*verdict, std::move(published_in));
    return verdict;
  };
  auto verdict = co_await RunBlocking<Result<Verdict>>(*d_.blocking, record);
  if (!verdict) {
    if (verdict.error().code == ErrorCode::kNotFound) {
      co_return Problem(404, "Not Found", "no cluster with id " + id_text);
    }
    if (verdict.error().code == ErrorCode::kPermissionDenied) {
      co_return Problem(403, "Forbidden",
                        "cluster " + id_text + " has reports from " + verdict.error().message +
                            ", outside your areas: an analyst publishes its verdict");
    }
    spdlog::error("api: recording a verdict on cluster {} failed: {}", cluster,
                  verdict.error().ToString());
    co_return Problem(500, "Internal Server Error", "the verdict could not be stored");
  }
  d_.metrics
      ->GetCounter("sakchy_cluster_verdicts_total", "Verdicts recorded on rumour clusters",
                   {{"status", std::string(VerdictStatusName(verdict->status))}})
      .Inc();
  co_return Json(200, json::object{{"cluster_id", verdict->cluster_id},
                                   {"status", VerdictStatusName(verdict->status)},
                                   {"statement", verdict->statement},
                                   {"decided_by", verdict->decided_by},
                                   {"decided_at", FormatRfc3339(verdict->decided_at)},
                                   {"published", v.publish},
                                   {"events", verdict->event_ids.size()}});
}

}  // namespace sakchy::service
