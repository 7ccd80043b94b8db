#include "alerts/silences.h"

#include <boost/json.hpp>

#include "core/json_text.h"
#include "core/time.h"

namespace sakchy::alerts {
namespace {

namespace json = boost::json;

tl::unexpected<FieldProblem> Problem(std::string field, std::string detail) {
  return tl::unexpected<FieldProblem>(FieldProblem{std::move(field), std::move(detail)});
}

tl::expected<std::vector<std::string>, FieldProblem> List(const json::object& o, const char* key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array() || v->as_array().size() > 100) {
    return Problem(key, "must be a list of at most 100 strings");
  }
  for (std::size_t i = 0; i < v->as_array().size(); ++i) {
    const json::value& item = v->as_array()[i];
    if (!item.is_string() || item.as_string().empty() || item.as_string().size() > 200) {
      return Problem(std::string(key) + "[" + std::to_string(i) + "]",
                     "must be a non-empty string of at most 200 bytes");
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

std::optional<TimeMs> Time(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return ParseRfc3339(v->as_string());
}

}  // namespace

tl::expected<Silence, FieldProblem> SilenceFromJson(std::string_view text,
                                                    const config::AreaTree& areas, TimeMs now) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return Problem("body", "must be a JSON object");
  const json::object& o = parsed.as_object();
  for (const auto& [key, value] : o) {
    if (key != "areas" && key != "categories" && key != "starts_at" && key != "ends_at" &&
        key != "comment") {
      return Problem(std::string(key),
                     "unknown field (expected: areas, categories, starts_at, ends_at, comment)");
    }
  }
  Silence s;
  auto area_list = List(o, "areas");
  if (!area_list) return tl::unexpected(area_list.error());
  for (std::size_t i = 0; i < area_list->size(); ++i) {
    if (areas.Find((*area_list)[i]) == nullptr) {
      return Problem("areas[" + std::to_string(i) + "]",
                     "unknown area code '" + (*area_list)[i] + "' (see GET /v1/areas)");
    }
  }
  s.areas = std::move(*area_list);
  auto categories = List(o, "categories");
  if (!categories) return tl::unexpected(categories.error());
  s.categories = std::move(*categories);
  if (s.areas.empty() && s.categories.empty()) {
    return Problem("areas", "a silence needs at least one area or category (never everything)");
  }
  s.starts_at = now;
  if (o.contains("starts_at")) {
    auto t = Time(o, "starts_at");
    if (!t) return Problem("starts_at", "must be an RFC 3339 timestamp");
    s.starts_at = *t;
  }
  if (!o.contains("ends_at")) return Problem("ends_at", "is required (RFC 3339)");
  auto end = Time(o, "ends_at");
  if (!end) return Problem("ends_at", "must be an RFC 3339 timestamp");
  s.ends_at = *end;
  if (s.ends_at <= std::max(s.starts_at, now)) {
    return Problem("ends_at", "must be later than starts_at and now");
  }
  if (s.ends_at - s.starts_at > kMaxSilenceMs) {
    return Problem("ends_at", "a silence lasts at most 30 days");
  }
  const json::value* comment = o.if_contains("comment");
  if (comment == nullptr || !comment->is_string() || comment->as_string().empty() ||
      comment->as_string().size() > 500) {
    return Problem("comment", "is required: why (1..500 bytes)");
  }
  s.comment = std::string(comment->as_string());
  return s;
}

std::string SilenceToJson(const Silence& s) {
  json::array areas;
  for (const auto& a : s.areas) areas.emplace_back(a);
  json::array categories;
  for (const auto& c : s.categories) categories.emplace_back(c);
  json::object o{{"id", s.id},
                 {"areas", std::move(areas)},
                 {"categories", std::move(categories)},
                 {"starts_at", FormatRfc3339(s.starts_at)},
                 {"ends_at", FormatRfc3339(s.ends_at)},
                 {"comment", s.comment},
                 {"created_by", s.created_by},
                 {"created_at", FormatRfc3339(s.created_at)}};
  return ToJsonText(json::value(o));
}

std::optional<Silence> DecodeSilence(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  Silence s;
  auto str = [&](const char* key) {
    const json::value* f = o.if_contains(key);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  s.id = str("id");
  auto areas = List(o, "areas");
  auto categories = List(o, "categories");
  auto starts = Time(o, "starts_at");
  auto ends = Time(o, "ends_at");
  auto created = Time(o, "created_at");
  if (s.id.empty() || !areas || !categories || !starts || !ends || !created) return std::nullopt;
  s.areas = std::move(*areas);
  s.categories = std::move(*categories);
  s.starts_at = *starts;
  s.ends_at = *ends;
  s.created_at = *created;
  s.comment = str("comment");
  s.created_by = str("created_by");
  return s;
}

}  // namespace sakchy::alerts
