#include "service/trends.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "core/json_text.h"
#include "core/local_time.h"
#include "core/time.h"

namespace sakchy::service {

namespace {

constexpr std::size_t kDefaultSeriesPerPage = 20;
constexpr std::size_t kMaxSeriesPerPage = 100;

tl::unexpected<QueryProblem> Bad(std::string field, std::string detail, unsigned status = 400) {
  return tl::unexpected(QueryProblem{status, std::move(field), std::move(detail)});
}

bool IsCategoryName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::vector<std::string_view> SplitList(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<QueryProblem> Repeated(const HttpRequest& req,
                                     std::span<const std::string_view> names) {
  for (const auto& d : req.duplicate_query) {
    for (auto n : names) {
      if (d == n) {
        return QueryProblem{400, d, "is given more than once (use one comma-separated list)"};
      }
    }
  }
  return std::nullopt;
}

}  // namespace

tl::expected<EventFilter, QueryProblem> ParseEventFilter(const HttpRequest& req,
                                                         const Principal& who,
                                                         const config::AreaTree& areas) {
  static constexpr std::array<std::string_view, 5> kNames = {"area", "from", "to", "severity",
                                                             "category"};
  if (auto p = Repeated(req, kNames)) return tl::unexpected(*p);
  EventFilter f;
  if (auto it = req.query.find("area"); it != req.query.end()) {
    if (!areas.Find(it->second)) {
      return Bad("area", "unknown area code '" + it->second + "' (see GET /v1/areas)");
    }
    if (auto why = who.ScopeViolation(areas, it->second)) return Bad("area", *why, 403);
    f.area = it->second;
  }
  for (const char* name : {"from", "to"}) {
    auto it = req.query.find(name);
    if (it == req.query.end()) continue;
    auto t = ParseRfc3339(it->second);
    if (!t) {
      return Bad(name, "is not an RFC 3339 time (e.g. 2026-11-25T14:00:00+06:00): '" +
                           it->second + "'");
    }
    (std::string_view(name) == "from" ? f.from : f.to) = *t;
  }
  if (f.from && f.to && *f.to <= *f.from) return Bad("to", "must be later than from");
  if (auto it = req.query.find("severity"); it != req.query.end()) {
    for (auto name : SplitList(it->second)) {
      auto s = ParseSeverity(name);
      if (!s) {
        return Bad("severity", "unknown severity '" + std::string(name) +
                                   "' (expected a comma-separated list of info, low, medium, "
                                   "high, critical)");
      }
      if (std::find(f.severities.begin(), f.severities.end(), *s) == f.severities.end()) {
        f.severities.push_back(*s);
      }
    }
    std::sort(f.severities.begin(), f.severities.end());
  }
  if (auto it = req.query.find("category"); it != req.query.end()) {
    std::set<std::string> names;
    for (auto name : SplitList(it->second)) {
      if (!IsCategoryName(name)) {
        return Bad("category", "'" + std::string(name) +
                                   "' is not a category name (lower-case letters, digits, '_'; "
                                   "comma-separated)");
      }
      names.emplace(name);
    }
    f.categories.assign(names.begin(), names.end());
  }
  return f;
}

tl::expected<TrendsQuery, QueryProblem> ParseTrendsQuery(const HttpRequest& req,
                                                         const Principal& who,
                                                         const config::AreaTree& areas) {
  static constexpr std::array<std::string_view, 9> kAllowed = {
      "area", "from", "to", "bucket", "severity", "category", "level", "limit", "cursor"};
  for (const auto& [k, v] : req.query) {
    if (std::find(kAllowed.begin(), kAllowed.end(), k) == kAllowed.end()) {
      std::string list;
      for (auto a : kAllowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Bad(k, "unknown parameter (allowed: " + list + ")");
    }
  }
  static constexpr std::array<std::string_view, 4> kSingle = {"bucket", "level", "limit", "cursor"};
  if (auto p = Repeated(req, kSingle)) return tl::unexpected(*p);
  auto filter = ParseEventFilter(req, who, areas);
  if (!filter) return tl::unexpected(filter.error());
  TrendsQuery q;
  q.filter = std::move(*filter);
  for (const char* name : {"from", "to"}) {
    if (!req.query.count(name)) {
      return Bad(name, "is required (RFC 3339, e.g. 2026-11-25T00:00:00+06:00)");
    }
  }
  if (auto it = req.query.find("bucket"); it != req.query.end()) q.bucket_name = it->second;
  auto resolution = storage::ParseResolution(q.bucket_name);
  if (!resolution) return Bad("bucket", "must be minute, hour or day");
  q.resolution = *resolution;
  const TimeMs step = storage::ResolutionMs(q.resolution);
  q.first = storage::BucketStart(q.resolution, *q.filter.from);
  q.to = *q.filter.to;
  q.buckets = static_cast<std::size_t>((q.to - q.first + step - 1) / step);
  if (q.buckets > kMaxTrendBuckets) {
    return Bad("to", "the range holds " + std::to_string(q.buckets) + " " + q.bucket_name +
                         " buckets; the limit is " + std::to_string(kMaxTrendBuckets) +
                         " (use a larger bucket or a shorter range)");
  }
  if (auto it = req.query.find("level"); it != req.query.end()) {
    std::set<std::string> levels;
    for (const auto& a : areas.areas()) levels.insert(a.level);
    if (it->second != "children" && !levels.count(it->second)) {
      std::string list = "children";
      for (const auto& l : levels) list += ", " + l;
      return Bad("level", "unknown level '" + it->second + "' (expected one of: " + list + ")");
    }
    q.level = it->second;
  }
  std::size_t limit = kDefaultSeriesPerPage;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const auto& s = it->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), limit);
    if (ec != std::errc() || end != s.data() + s.size() || limit < 1 || limit > kMaxSeriesPerPage) {
      return Bad("limit", "must be an integer from 1 to " + std::to_string(kMaxSeriesPerPage));
    }
  }
  // Keep a page's JSON bounded: fewer series per page when each holds many buckets.
  limit = std::min(limit, std::max<std::size_t>(1, kMaxTrendCells / std::max<std::size_t>(1, q.buckets)));

  std::vector<AreaCode> roots =
      q.filter.area ? std::vector<AreaCode>{*q.filter.area} : who.TopAreas(areas);
  const std::vector<AreaCode> all = SeriesAreas(areas, roots, q.level);
  std::size_t begin = 0;
  if (auto it = req.query.find("cursor"); it != req.query.end()) {
    auto pos = std::find(all.begin(), all.end(), it->second);
    if (pos == all.end()) {
      return Bad("cursor", "'" + it->second +
                               "' is not a cursor of this query (pass next_cursor of the previous "
                               "page with the same parameters)");
    }
    begin = static_cast<std::size_t>(pos - all.begin()) + 1;
  }
  const std::size_t end = std::min(all.size(), begin + limit);
  q.series.assign(all.begin() + static_cast<long>(begin), all.begin() + static_cast<long>(end));
  if (end < all.size()) q.next_cursor = all[end - 1];
  return q;
}

std::string RenderTrends(const TrendsQuery& q, std::span<const storage::CounterTable> tables,
                         const analytics::TensionModel& model, const config::AreaTree& areas) {
  const auto& f = q.filter;
  const TimeMs step = storage::ResolutionMs(q.resolution);

  std::string out;
  out.reserve(512 + q.series.size() * q.buckets * 320);
  out += "{\"bucket\":";
  AppendJsonString(out, q.bucket_name);
  out += ",\"from\":\"";
  AppendLocalTime(out, *f.from);
  out += "\",\"to\":\"";
  AppendLocalTime(out, q.to);
  out += "\",\"timezone\":\"";
  out += kBishkekTimeZone;
  out += "\",\"filters\":{\"severity\":[";
  for (std::size_t i = 0; i < f.severities.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, SeverityName(f.severities[i]));
  }
  out += "],\"category\":[";
  for (std::size_t i = 0; i < f.categories.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, f.categories[i]);
  }
  out += "]},\"series\":[";

  char num[32];
  auto append_int = [&num, &out](std::int64_t v) {
    out.append(num, std::to_chars(num, num + sizeof(num), v).ptr);
  };
  for (std::size_t si = 0; si < q.series.size(); ++si) {
    const storage::CounterTable& t = tables[si];
    const FilteredCounts counts(f, *t.dims, model);
    // Keys rendered once per series: `"info":`, `,"low":` ... and `"violence":` ...
    std::vector<std::pair<int, std::string>> sev_keys;
    for (int s = 0; s < kSeverityCount; ++s) {
      if (!counts.SeveritySelected(s)) continue;
      std::string key = sev_keys.empty() ? "\"" : ",\"";
      key += SeverityName(static_cast<Severity>(s));
      key += "\":";
      sev_keys.emplace_back(s, std::move(key));
    }
    std::vector<std::string> cat_keys;
    for (const auto& name : counts.category_names()) {
      std::string key;
      AppendJsonString(key, name);
      key += ':';
      cat_keys.push_back(std::move(key));
    }
    const AreaCode& code = q.series[si];
    const config::Area* area = areas.Find(code);
    if (si) out += ',';
    out += "{\"area\":";
    AppendJsonString(out, code);
    out += ",\"name_en\":";
    AppendJsonString(out, area ? area->name_en : std::string());
    out += ",\"level\":";
    AppendJsonString(out, area ? area->level : std::string());
    out += ",\"buckets\":[";
    std::int64_t series_total = 0;
    std::size_t row = 0;
    auto sums = counts.Empty();
    for (std::size_t b = 0; b < q.buckets; ++b) {
      const TimeMs start = q.first + static_cast<TimeMs>(b) * step;
      while (row < t.rows() && t.starts[row] < start) ++row;  // rows off this grid are skipped
      counts.Reset(&sums);
      if (row < t.rows() && t.starts[row] == start) counts.AddRow(t, row++, &sums);
      series_total += sums.total;
      out += b ? ",{\"start\":\"" : "{\"start\":\"";
      AppendLocalTime(out, start);
      out += "\",\"total\":";
      append_int(sums.total);
      out += ",\"severity\":{";
      for (const auto& [s, key] : sev_keys) {
        out += key;
        append_int(sums.severity[static_cast<std::size_t>(s)]);
      }
      out += "},\"category\":{";
      bool first = true;
      for (std::size_t c = 0; c < cat_keys.size(); ++c) {
        if (!sums.category_seen[c]) continue;
        if (!first) out += ',';
        first = false;
        out += cat_keys[c];
        append_int(sums.category[c]);
      }
      out += "},\"tension\":";
      AppendJsonNumber(out, sums.tension);
      out += '}';
    }
    out += "],\"total\":";
    append_int(series_total);
    out += '}';
  }
  out += "],\"next_cursor\":";
  if (q.next_cursor.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, q.next_cursor);
  }
  out += '}';
  return out;
}

}  // namespace sakchy::service
