#include "api_analytics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>

#include <cmath>

#include "api_util.h"
#include "analytics/area_tension.h"
#include "service/backup.h"
#include "storage/audit.h"
#include "service/export.h"
#include "service/trends.h"
#include "core/id.h"
#include "core/local_time.h"
#include "core/time.h"

namespace sakchy::service {

using analytics::AreaTension;
using analytics::RaisedSpike;
using analytics::TensionModel;
using analytics::TensionPoint;

namespace net = boost::asio;
namespace json = boost::json;

namespace {

// Reads the optional time parameter `name` (RFC 3339, any offset) into *out; a problem naming it
// when malformed.
std::optional<HttpResponse> ReadTimeParam(const HttpRequest& req, const char* name, TimeMs* out) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::nullopt;
  auto t = ParseRfc3339(it->second);
  if (!t) {
    return Problem(400, "Invalid query",
                   "is not an RFC 3339 time (e.g. 2026-11-25T14:00:00+06:00): '" + it->second + "'",
                   name);
  }
  *out = *t;
  return std::nullopt;
}

json::value TensionJson(const TensionPoint& p);

}  // namespace

HttpResponse QueryProblemResponse(const QueryProblem& p) {
  return Problem(p.status, p.status == 403 ? "Forbidden" : "Invalid query", p.detail, p.field);
}

net::awaitable<HttpResponse> AnalyticsApi::Trends(HttpRequest req, Principal who) {
  auto query = ParseTrendsQuery(req, who, *d_.areas);
  if (!query) co_return QueryProblemResponse(query.error());
  storage::Store* store = d_.store;
  auto q = std::make_shared<const TrendsQuery>(std::move(*query));
  const TensionModel* model = &Model();
  const config::AreaTree* areas = d_.areas;
  // Reading and rendering (megabytes for a year of hours) both run off the io threads.
  auto work = [store, q, model, areas]() -> Result<std::string> {
    std::vector<storage::CounterTable> tables;
    tables.reserve(q->series.size());
    for (const auto& area : q->series) {
      auto t = store->ReadCounterTable(area, q->resolution, q->first, q->to);
      if (!t) return tl::unexpected(t.error());
      tables.push_back(std::move(*t));
    }
    return RenderTrends(*q, tables, *model, *areas);
  };
  auto body = co_await RunBlocking<Result<std::string>>(*d_.blocking, work);
  if (!body) {
    spdlog::error("api: reading counters failed: {}", body.error().ToString());
    co_return Problem(500, "Internal Server Error", "counters could not be read");
  }
  HttpResponse r;
  r.body = std::move(*body);
  co_return r;
}

const TensionModel& AnalyticsApi::Model() const {
  static const TensionModel kDefault{config::TensionConfig{}};
  return d_.tension ? d_.tension->model() : kDefault;
}

namespace {
json::value TensionJson(const TensionPoint& p) {
  return json::object{{"bucket", FormatLocalTime(p.start)},
                      {"value", p.tension},
                      {"baseline", p.baseline.mean},
                      {"sd", p.baseline.sd},
                      {"z", std::round(p.z * 100) / 100},
                      {"spike", p.spike}};
}
}  // namespace

net::awaitable<HttpResponse> AnalyticsApi::Areas(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 0> kAllowed = {};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return Problem(400, "Invalid query", "this endpoint takes no parameters", *bad);
  }
  std::vector<const config::Area*> visible;
  for (const auto& a : d_.areas->areas()) {
    if (who.MaySee(*d_.areas, a.code)) visible.push_back(&a);  // officials: their subtrees
  }
  const AreaTension* tension = d_.tension;
  auto read = [tension, visible]() -> Result<std::vector<TensionPoint>> {
    std::vector<TensionPoint> out;
    if (!tension) return out;
    out.reserve(visible.size());
    for (const auto* a : visible) {
      auto p = tension->Current(a->code);
      if (!p) return tl::unexpected(p.error());
      out.push_back(*p);
    }
    return out;
  };
  auto points = co_await RunBlocking<Result<std::vector<TensionPoint>>>(*d_.blocking, read);
  if (!points) {
    spdlog::error("api: reading area tension failed: {}", points.error().ToString());
    co_return Problem(500, "Internal Server Error", "area tension could not be read");
  }
  json::array items;
  for (std::size_t i = 0; i < visible.size(); ++i) {
    const config::Area& a = *visible[i];
    json::object o{{"code", a.code},
                   {"level", a.level},
                   {"name_en", a.name_en},
                   {"name_ru", a.name_ru},
                   {"name_ky", a.name_ky}};
    o["parent"] = a.parent.empty() ? json::value(nullptr) : json::value(a.parent);
    o["lat"] = a.lat;  // a centre point (polygon centroid or the town's position)
    o["lon"] = a.lon;
    if (i < points->size()) o["tension"] = TensionJson((*points)[i]);
    items.push_back(std::move(o));
  }
  co_return Json(200, json::object{{"timezone", kBishkekTimeZone}, {"areas", std::move(items)}});
}

net::awaitable<HttpResponse> AnalyticsApi::AreaTensionSeries(HttpRequest req, Principal who,
                                                             std::string code) {
  static constexpr std::array<std::string_view, 3> kAllowed = {"from", "to", "bucket"};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return Problem(400, "Invalid query",
                      "unknown parameter (allowed: " + AllowedList(kAllowed) + ")", *bad);
  }
  if (!d_.areas->Find(code)) {
    co_return Problem(404, "Not Found", "no area with code '" + code + "' (see GET /v1/areas)");
  }
  if (auto why = who.ScopeViolation(*d_.areas, code)) {
    co_return Problem(403, "Forbidden", *why, "code");
  }
  std::string bucket_name = "hour";
  if (auto it = req.query.find("bucket"); it != req.query.end()) bucket_name = it->second;
  auto resolution = storage::ParseResolution(bucket_name);
  if (!resolution || *resolution == storage::Resolution::kMinute) {
    co_return Problem(400, "Invalid query", "bucket must be hour or day", "bucket");
  }
  const TimeMs now = d_.clock->NowMs();
  const TimeMs step = storage::ResolutionMs(*resolution);
  TimeMs to = now + 1, from = 0;
  if (auto bad = ReadTimeParam(req, "to", &to)) co_return std::move(*bad);
  from = to - (*resolution == storage::Resolution::kHour ? 7 : 90) * 86'400'000LL;
  if (auto bad = ReadTimeParam(req, "from", &from)) co_return std::move(*bad);
  if (to <= from) co_return Problem(400, "Invalid query", "must be later than from", "to");
  const TimeMs first = storage::BucketStart(*resolution, from);
  const auto n = static_cast<std::size_t>((to - first + step - 1) / step);
  if (n > kMaxTrendBuckets) {
    co_return Problem(400, "Invalid query",
                      "the range holds " + std::to_string(n) + " " + bucket_name +
                          " buckets; the limit is " + std::to_string(kMaxTrendBuckets),
                      "from");
  }
  if (!d_.tension) co_return Problem(503, "Service Unavailable", "area tension is not running");
  struct Out {
    std::vector<TensionPoint> points;
    std::vector<RaisedSpike> raised;
  };
  const AreaTension* tension = d_.tension;
  storage::Resolution res = *resolution;
  auto read = [tension, code, res, from, to]() -> Result<Out> {
    Out out;
    auto points = tension->Series(code, res, from, to);
    if (!points) return tl::unexpected(points.error());
    auto raised = tension->Raised(code, storage::BucketStart(storage::Resolution::kHour, from), to);
    if (!raised) return tl::unexpected(raised.error());
    out.points = std::move(*points);
    out.raised = std::move(*raised);
    return out;
  };
  auto got = co_await RunBlocking<Result<Out>>(*d_.blocking, read);
  if (!got) {
    spdlog::error("api: reading tension of {} failed: {}", code, got.error().ToString());
    co_return Problem(500, "Internal Server Error", "area tension could not be read");
  }
  json::array series;
  series.reserve(got->points.size());
  for (const auto& p : got->points) {
    series.push_back(json::object{{"start", FormatLocalTime(p.start)},
                                  {"tension", p.tension},
                                  {"baseline", p.baseline.mean},
                                  {"sd", p.baseline.sd},
                                  {"z", std::round(p.z * 100) / 100},
                                  {"spike", p.spike}});
  }
  json::array raised;
  for (const auto& r : got->raised) {
    raised.push_back(json::object{{"bucket", FormatLocalTime(r.bucket)},
                                  {"raised_at", FormatLocalTime(r.raised_at)},
                                  {"tension", r.tension},
                                  {"baseline", r.mean},
                                  {"sd", r.sd},
                                  {"z", std::round(r.z * 100) / 100}});
  }
  const auto& cfg = d_.tension->config();
  json::object body{
      {"area", code},
      {"bucket", bucket_name},
      {"from", FormatLocalTime(from)},
      {"to", FormatLocalTime(to)},
      {"timezone", kBishkekTimeZone},
      {"baseline", json::object{{"half_life_days", cfg.baseline.half_life_days},
                                {"window_days", cfg.baseline.window_days}}},
      {"spike_rule", json::object{{"z_threshold", cfg.spikes.z_threshold},
                                  {"min_tension", cfg.spikes.min_tension},
                                  {"min_sd", cfg.spikes.min_sd}}},
      {"series", std::move(series)},
      {"spikes", std::move(raised)}};
  co_return Json(200, body);
}

namespace {

std::optional<HttpResponse> CheckParams(const HttpRequest& req,
                                        std::span<const std::string_view> allowed) {
  if (auto bad = UnknownParam(req, allowed)) {
    return Problem(400, "Invalid query", "unknown parameter (allowed: " + AllowedList(allowed) + ")",
                   *bad);
  }
  return std::nullopt;
}

// A body stream that holds an export slot until the response is done with it.
class SlotStream final : public BodyStream {
 public:
  SlotStream(std::shared_ptr<BodyStream> inner, std::shared_ptr<void> slot)
      : inner_(std::move(inner)), slot_(std::move(slot)) {}
  net::awaitable<Result<std::string>> Next() override { return inner_->Next(); }

 private:
  std::shared_ptr<BodyStream> inner_;
  std::shared_ptr<void> slot_;
};

HttpResponse TooManyExports(const std::string& token, std::size_t max) {
  auto r = Problem(429, "Too Many Requests",
                   "token '" + token + "' has " + std::to_string(max) +
                       " exports running (server.max_exports_per_token); retry when one ends");
  r.headers.emplace_back("Retry-After", "10");
  return r;
}

}  // namespace

std::shared_ptr<void> AnalyticsApi::TakeExportSlot(const std::string& token) {
  std::shared_ptr<ExportCounts> counts = exports_;
  {
    std::lock_guard lock(counts->mu);
    auto& n = counts->running[token];
    if (n >= d_.max_exports_per_token) return nullptr;
    ++n;
  }
  auto release = [counts, token](void*) {
    std::lock_guard lock(counts->mu);
    auto it = counts->running.find(token);
    if (it != counts->running.end() && --it->second == 0) counts->running.erase(it);
  };
  // A non-null pointer to nothing: only the deleter matters.
  return std::shared_ptr<void>(static_cast<void*>(counts.get()), release);
}

ExportContext AnalyticsApi::Context() const {
  ExportContext ctx;
  ctx.store = d_.store;
  ctx.blocking = d_.exports ? d_.exports : d_.blocking;
  ctx.areas = d_.areas;
  ctx.tension = d_.tension;
  ctx.shapes = d_.shapes;
  ctx.model = &Model();
  ctx.pseudonym_key = d_.pseudonym_key;
  return ctx;
}

net::awaitable<HttpResponse> AnalyticsApi::ExportEventsCsv(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 7> kAllowed = {"area",     "from", "to", "severity",
                                                               "category", "bom",  "hxl"};
  if (auto bad = CheckParams(req, kAllowed)) co_return std::move(*bad);
  auto filter = ParseEventFilter(req, who, *d_.areas);
  if (!filter) co_return QueryProblemResponse(filter.error());
  CsvOptions options;
  for (auto [name, flag] : {std::pair{"bom", &options.bom}, std::pair{"hxl", &options.hxl}}) {
    auto it = req.query.find(name);
    if (it == req.query.end()) continue;
    if (it->second != "0" && it->second != "1") {
      co_return Problem(400, "Invalid query", "must be 0 or 1", name);
    }
    *flag = it->second == "1";
  }
  auto slot = TakeExportSlot(who.name);
  if (!slot) co_return TooManyExports(who.name, d_.max_exports_per_token);
  HttpResponse r;
  r.content_type = "text/csv; charset=utf-8; header=present";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"sakchy-events.csv\"");
  r.stream = std::make_shared<SlotStream>(
      MakeEventsCsvStream(Context(), std::move(*filter), std::move(who), options), std::move(slot));
  co_return r;
}

net::awaitable<HttpResponse> AnalyticsApi::ExportAreasGeoJson(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 6> kAllowed = {"area",     "from",     "to",
                                                               "severity", "category", "level"};
  if (auto bad = CheckParams(req, kAllowed)) co_return std::move(*bad);
  auto filter = ParseEventFilter(req, who, *d_.areas);
  if (!filter) co_return QueryProblemResponse(filter.error());
  std::string level;
  if (auto it = req.query.find("level"); it != req.query.end()) {
    level = it->second;
    bool known = level == "children";
    for (const auto& a : d_.areas->areas()) known = known || a.level == level;
    if (!known) {
      co_return Problem(400, "Invalid query", "unknown level '" + level + "'", "level");
    }
  }
  const TimeMs to = filter->to.value_or(d_.clock->NowMs());
  const TimeMs from = filter->from.value_or(to - 24 * 3'600'000LL);
  if (to <= from) co_return Problem(400, "Invalid query", "must be later than from", "to");
  const std::vector<AreaCode> roots =
      filter->area ? std::vector<AreaCode>{*filter->area} : who.TopAreas(*d_.areas);
  std::vector<AreaCode> areas;
  if (level.empty()) {
    // Each root with everything below it.
    for (const auto& a : d_.areas->areas()) {
      for (const auto& root : roots) {
        if (d_.areas->IsWithin(a.code, root)) {
          areas.push_back(a.code);
          break;
        }
      }
    }
  } else {
    areas = SeriesAreas(*d_.areas, roots, level);
  }
  auto slot = TakeExportSlot(who.name);
  if (!slot) co_return TooManyExports(who.name, d_.max_exports_per_token);
  HttpResponse r;
  r.content_type = "application/geo+json";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"sakchy-areas.geojson\"");
  r.stream = std::make_shared<SlotStream>(
      MakeAreasGeoJsonStream(Context(), std::move(*filter), std::move(areas), from, to),
      std::move(slot));
  co_return r;
}

net::awaitable<HttpResponse> AnalyticsApi::Backup(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 0> kAllowed = {};
  if (auto bad = CheckParams(req, kAllowed)) co_return std::move(*bad);
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object()) {
    co_return Problem(400, "Invalid request", "send {\"dir\": \"/absolute/path\"} as JSON", "body");
  }
  for (const auto& [k, v] : body.as_object()) {
    if (k != "dir") co_return Problem(400, "Invalid request", "unknown field (allowed: dir)", k);
  }
  const auto* dir = body.as_object().if_contains("dir");
  if (!dir || !dir->is_string() || dir->as_string().empty() || dir->as_string()[0] != '/') {
    co_return Problem(400, "Invalid request",
                      "dir must be an absolute path on the service's machine", "dir");
  }
  bool idle = false;
  if (!backup_running_.compare_exchange_strong(idle, true)) {
    co_return Problem(409, "Conflict", "a backup is already running; try again when it is done");
  }
  HttpResponse r;
  r.content_type = "application/x-ndjson";
  r.stream = MakeBackupStream(*d_.store, *d_.blocking, std::string(dir->as_string()), who.name,
                              *d_.clock, audit_ids_, &backup_running_);
  co_return r;
}

net::awaitable<HttpResponse> AnalyticsApi::Audit(HttpRequest req) {
  static constexpr std::array<std::string_view, 5> kAllowed = {"action", "subject", "actor",
                                                               "limit", "before"};
  if (auto bad = CheckParams(req, kAllowed)) co_return std::move(*bad);
  for (const auto& d : req.duplicate_query) {
    co_return Problem(400, "Invalid query", "is given more than once", d);
  }
  // action: exact, or every action under a prefix ending in '.' ("rules." for rules.*).
  storage::AuditFilter filter;
  std::optional<std::string> exact_action;
  if (auto it = req.query.find("action"); it != req.query.end()) {
    const std::string& a = it->second;
    const bool ok = !a.empty() && a.size() <= 64 && std::all_of(a.begin(), a.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
    if (!ok) {
      co_return Problem(400, "Invalid query",
                        "action is a dotted name (e.g. rules.reload) or a prefix ending in '.'",
                        "action");
    }
    filter.action_prefix = a;
    if (a.back() != '.') exact_action = a;
  }
  if (auto it = req.query.find("subject"); it != req.query.end()) filter.subject = it->second;
  if (auto it = req.query.find("actor"); it != req.query.end()) filter.actor = it->second;
  std::size_t limit = 100;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const auto& v = it->second;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc() || end != v.data() + v.size() || limit < 1 || limit > 1000) {
      co_return Problem(400, "Invalid query", "limit must be an integer from 1 to 1000", "limit");
    }
  }
  std::string before;
  if (auto it = req.query.find("before"); it != req.query.end()) {
    if (!IsValidId(it->second)) {
      co_return Problem(400, "Invalid query", "not a cursor (the next_cursor of a page)", "before");
    }
    before = it->second;
  }
  storage::Store* store = d_.store;
  auto read = [store, filter, limit, before, exact_action]() -> Result<storage::AuditPage> {
    auto page = storage::ListAudit(*store, filter, limit, before);
    if (!page || !exact_action) return page;
    std::erase_if(page->entries,
                  [&](const storage::AuditEntry& e) { return e.action != *exact_action; });
    return page;
  };
  auto page = co_await RunBlocking<Result<storage::AuditPage>>(*d_.blocking, read);
  if (!page) {
    spdlog::error("api: reading the audit log failed: {}", page.error().ToString());
    co_return Problem(500, "Internal Server Error", "the audit log could not be read");
  }
  json::array entries;
  for (const auto& e : page->entries) {
    json::object o{{"id", e.id},
                   {"at", FormatLocalTime(e.at)},
                   {"actor", e.actor},
                   {"action", e.action},
                   {"subject", e.subject}};
    boost::system::error_code ec;
    json::value details = json::parse(e.details, ec);
    o["details"] = !ec && details.is_object() ? details : json::value(e.details);
    entries.push_back(std::move(o));
  }
  json::object body{{"entries", std::move(entries)}};
  body["next_cursor"] =
      page->next_before.empty() ? json::value(nullptr) : json::value(page->next_before);
  co_return Json(200, body);
}

}  // namespace sakchy::service
