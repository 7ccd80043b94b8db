#pragma once
// Small simdjson DOM helpers for reading outside services' JSON (ingest's source parsers, the
// Telegram Bot API updates): a member that is present and not null, an integer, a string, an id
// that comes as either. Every JSON input is read with simdjson (docs/ARCHITECTURE.md).

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sakchy::json_dom {

inline std::optional<simdjson::dom::element> Member(simdjson::dom::element obj,
                                                    std::string_view key) {
  simdjson::dom::element value;
  if (obj.type() != simdjson::dom::element_type::OBJECT) return std::nullopt;
  if (obj[key].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

inline std::optional<std::int64_t> Int(simdjson::dom::element obj, std::string_view key) {
  auto v = Member(obj, key);
  if (!v) return std::nullopt;
  std::int64_t out = 0;
  if (v->get_int64().get(out) == simdjson::SUCCESS) return out;
  std::uint64_t u = 0;
  if (v->get_uint64().get(u) == simdjson::SUCCESS && u <= INT64_MAX) {
    return static_cast<std::int64_t>(u);
  }
  return std::nullopt;
}

inline std::optional<std::string> Str(simdjson::dom::element obj, std::string_view key) {
  auto v = Member(obj, key);
  if (!v) return std::nullopt;
  std::string_view s;
  if (v->get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return std::string(s);
}

// A string or an integer rendered as decimal (ids come as either).
inline std::optional<std::string> IdString(simdjson::dom::element obj, std::string_view key) {
  if (auto s = Str(obj, key)) return s;
  if (auto i = Int(obj, key)) return std::to_string(*i);
  return std::nullopt;
}

// The strings of an array member (other elements skipped); empty when absent or not an array.
inline std::vector<std::string> Strings(simdjson::dom::element obj, std::string_view key) {
  std::vector<std::string> out;
  auto v = Member(obj, key);
  simdjson::dom::array items;
  if (!v || v->get_array().get(items) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : items) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

}  // namespace sakchy::json_dom
