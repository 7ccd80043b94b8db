#include "api_analytics.h"

#include <spdlog/spdlog.h>

#include <array>

#include "api_util.h"
#include "core/time.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTrendBuckets = 20000;

}  // namespace

net::awaitable<HttpResponse> AnalyticsApi::Trends(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 4> kAllowed = {"area", "from", "to", "bucket"};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return Problem(400, "Invalid query", "unknown parameter (allowed: " + AllowedList(kAllowed) + ")",
                      *bad);
  }
  std::string area = who.TopAreas(*d_.areas).front();
  if (auto it = req.query.find("area"); it != req.query.end()) area = it->second;
  if (!d_.areas->Find(area)) {
    co_return Problem(400, "Invalid query", "unknown area code '" + area + "'", "area");
  }
  if (auto why = who.ScopeViolation(*d_.areas, area)) co_return Problem(403, "Forbidden", *why, "area");
  auto bucket_name = req.query.count("bucket") ? req.query["bucket"] : std::string("hour");
  auto resolution = storage::ParseResolution(bucket_name);
  if (!resolution) {
    co_return Problem(400, "Invalid query", "bucket must be minute, hour or day", "bucket");
  }
  std::optional<TimeMs> from, to;
  for (const char* name : {"from", "to"}) {
    auto it = req.query.find(name);
    if (it == req.query.end()) {
      co_return Problem(400, "Invalid query",
                        std::string("is required (RFC 3339, e.g. 2024-06-01T00:00:00+06:00)"), name);
    }
    auto t = ParseRfc3339(it->second);
    if (!t) co_return Problem(400, "Invalid query", "is not an RFC 3339 timestamp", name);
    (std::string_view(name) == "from" ? from : to) = *t;
  }
  if (*to <= *from) co_return Problem(400, "Invalid query", "must be later than from", "to");
  const TimeMs step = storage::ResolutionMs(*resolution);
  const TimeMs first = storage::BucketStart(*resolution, *from);
  const auto nbuckets = static_cast<std::size_t>((*to - first + step - 1) / step);
  if (nbuckets > kMaxTrendBuckets) {
    co_return Problem(400, "Invalid query",
                      "the range holds " + std::to_string(nbuckets) + " " + bucket_name +
                          " buckets; the limit is " + std::to_string(kMaxTrendBuckets) +
                          " (use a larger bucket or a shorter range)",
                      "to");
  }
  storage::Store* store = d_.store;
  TimeMs f = first, t = *to;
  storage::Resolution res = *resolution;
  auto read = [store, area, res, f, t]() { return store->ReadCounters(area, res, f, t); };
  auto rows = co_await RunBlocking<Result<std::vector<storage::CounterBucket>>>(*d_.blocking, read);
  if (!rows) {
    spdlog::error("api: reading counters failed: {}", rows.error().ToString());
    co_return Problem(500, "Internal Server Error", "counters could not be read");
  }
  json::array buckets;
  buckets.reserve(nbuckets);
  std::size_t next = 0;
  std::int64_t sum_total = 0;
  for (TimeMs s = first; s < *to; s += step) {
    json::object b;
    b["start"] = FormatRfc3339(s);
    std::int64_t total = 0, tension = 0;
    json::object sev, cat;
    for (int i = 0; i < kSeverityCount; ++i) sev[SeverityName(static_cast<Severity>(i))] = 0;
    if (next < rows->size() && (*rows)[next].start == s) {
      for (const auto& [dim, v] : (*rows)[next].values) {
        if (dim == "total") total = v;
        else if (dim == "tension") tension = v;
        else if (dim.rfind("severity:", 0) == 0) sev[dim.substr(9)] = v;
        else if (dim.rfind("category:", 0) == 0) cat[dim.substr(9)] = v;
      }
      ++next;
    }
    sum_total += total;
    b["total"] = total;
    b["severity"] = std::move(sev);
    b["category"] = std::move(cat);
    b["tension"] = static_cast<double>(tension) / 1000.0;  // printed as 7, 7.5
    buckets.push_back(std::move(b));
  }
  json::object body{{"area", area},
                    {"bucket", bucket_name},
                    {"from", FormatRfc3339(*from)},
                    {"to", FormatRfc3339(*to)},
                    {"total", sum_total},
                    {"buckets", std::move(buckets)}};
  co_return Json(200, body);
}

net::awaitable<HttpResponse> AnalyticsApi::Areas(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 0> kAllowed = {};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return Problem(400, "Invalid query", "this endpoint takes no parameters", *bad);
  }
  json::array items;
  for (const auto& a : d_.areas->areas()) {
    if (!who.MaySee(*d_.areas, a.code)) continue;  // officials: their areas and those below
    json::object o{{"code", a.code},
                   {"level", a.level},
                   {"name_en", a.name_en},
                   {"name_ru", a.name_ru},
                   {"name_ky", a.name_ky}};
    o["parent"] = a.parent.empty() ? json::value(nullptr) : json::value(a.parent);
    items.push_back(std::move(o));
  }
  co_return Json(200, json::object{{"areas", std::move(items)}});
}

}  // namespace sakchy::service
