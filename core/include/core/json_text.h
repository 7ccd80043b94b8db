#pragma once
// JSON text for API responses and webhook bodies. Boost 1.81's serializer writes 4.5 as "4.5E0";
// this one writes numbers in their shortest round-trip form ("4.5", "7") and escapes strings per
// RFC 8259. Header-only and generic so core does not depend on Boost: Value is boost::json::value.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace sakchy {

inline void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

inline void AppendJsonNumber(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), d);
  out.append(buf, res.ptr);
}

template <typename Value>
void AppendJson(std::string& out, const Value& v) {
  using Kind = decltype(v.kind());
  switch (v.kind()) {
    case Kind::null: out += "null"; break;
    case Kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case Kind::int64: out += std::to_string(v.get_int64()); break;
    case Kind::uint64: out += std::to_string(v.get_uint64()); break;
    case Kind::double_: AppendJsonNumber(out, v.get_double()); break;
    case Kind::string: AppendJsonString(out, std::string_view(v.get_string())); break;
    case Kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        AppendJson(out, e);
      }
      out += ']';
      break;
    }
    case Kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, std::string_view(kv.key()));
        out += ':';
        AppendJson(out, kv.value());
      }
      out += '}';
      break;
    }
  }
}

template <typename Value>
std::string ToJsonText(const Value& v) {
  std::string out;
  out.reserve(256);
  AppendJson(out, v);
  return out;
}

}  // namespace sakchy
