#include "analytics/counter_key.h"

namespace sakchy::analytics {
namespace {

constexpr std::string_view kTotal = "total";
constexpr std::string_view kSeverityPrefix = "severity:";
constexpr std::string_view kCategoryPrefix = "category:";
constexpr std::string_view kSevCatPrefix = "sevcat:";

}  // namespace

std::string CounterKey::Encode() const {
  std::string out;
  switch (kind) {
    case Kind::kTotal:
      out = kTotal;
      break;
    case Kind::kSeverity:
      out = kSeverityPrefix;
      out += SeverityName(severity);
      break;
    case Kind::kCategory:
      out.reserve(kCategoryPrefix.size() + category.size());
      out = kCategoryPrefix;
      out += category;
      break;
    case Kind::kSeverityCategory:
      out = kSevCatPrefix;
      out += SeverityName(severity);
      out += ':';
      out += category;
      break;
  }
  return out;
}

std::optional<CounterKey> CounterKey::Decode(std::string_view dim) {
  if (dim == kTotal) return Total();
  if (dim.starts_with(kSeverityPrefix)) {
    auto s = ParseSeverity(dim.substr(kSeverityPrefix.size()));
    if (!s) return std::nullopt;
    return OfSeverity(*s);
  }
  if (dim.starts_with(kCategoryPrefix)) {
    const auto c = dim.substr(kCategoryPrefix.size());
    if (c.empty()) return std::nullopt;
    return OfCategory(c);
  }
  if (dim.starts_with(kSevCatPrefix)) {
    const auto rest = dim.substr(kSevCatPrefix.size());
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || colon + 1 == rest.size()) return std::nullopt;
    auto s = ParseSeverity(rest.substr(0, colon));
    if (!s) return std::nullopt;
    return OfSeverityCategory(*s, rest.substr(colon + 1));
  }
  return std::nullopt;
}

}  // namespace sakchy::analytics
