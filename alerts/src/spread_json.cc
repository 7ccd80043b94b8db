#include "spread_json.h"

namespace sakchy::alerts {

namespace json = boost::json;

json::object SpreadWhyJson(const SpreadWhy& why) {
  json::array areas;
  for (const auto& a : why.new_areas) areas.emplace_back(a);
  return json::object{{"people", why.people},
                      {"public_sources", why.public_sources},
                      {"span_ms", why.span_ms},
                      {"trend", SpreadTrendName(why.trend)},
                      {"new_areas", std::move(areas)}};
}

std::optional<SpreadWhy> SpreadWhyFromJson(const json::value* v) {
  if (v == nullptr || !v->is_object()) return std::nullopt;
  const json::object& o = v->as_object();
  auto num = [&o](const char* key) -> std::int64_t {
    const json::value* x = o.if_contains(key);
    if (x == nullptr) return 0;
    if (x->is_int64()) return x->as_int64();
    if (x->is_uint64()) return static_cast<std::int64_t>(x->as_uint64());
    return 0;
  };
  SpreadWhy why;
  why.people = static_cast<int>(num("people"));
  why.public_sources = static_cast<int>(num("public_sources"));
  why.span_ms = num("span_ms");
  if (const json::value* t = o.if_contains("trend"); t != nullptr && t->is_string()) {
    why.trend = ParseSpreadTrend(t->as_string()).value_or(SpreadTrend::kSteady);
  }
  if (const json::value* a = o.if_contains("new_areas"); a != nullptr && a->is_array()) {
    for (const auto& x : a->as_array()) {
      if (x.is_string()) why.new_areas.emplace_back(x.as_string());
    }
  }
  return why;
}

}  // namespace sakchy::alerts
