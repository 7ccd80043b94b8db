#pragma once
// Counter dimensions: what a scored event counts, and how a reader tells the counts apart. The
// one place their names are spelled; storage keeps them as opaque strings (storage::CounterDelta
// ::dim), analytics/event_counters.h decides which an event adds to, ingest commits them, trends
// and tension read them back.
//
//   total                     every event
//   severity:<s>              events of severity s ("info" .. "critical")
//   category:<c>              events with category c (once per category of the event)
//   sevcat:<s>:<c>            events of severity s with category c
//
// Thread safety: pure value type.

#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace sakchy::analytics {

struct CounterKey {
  enum class Kind : std::uint8_t { kTotal, kSeverity, kCategory, kSeverityCategory };

  Kind kind = Kind::kTotal;
  Severity severity = Severity::kInfo;  // kSeverity and kSeverityCategory
  std::string_view category;            // kCategory and kSeverityCategory; not owned

  static CounterKey Total() { return {}; }
  static CounterKey OfSeverity(Severity s) { return {Kind::kSeverity, s, {}}; }
  static CounterKey OfCategory(std::string_view c) { return {Kind::kCategory, Severity::kInfo, c}; }
  static CounterKey OfSeverityCategory(Severity s, std::string_view c) {
    return {Kind::kSeverityCategory, s, c};
  }

  // The dimension name ("sevcat:high:violence").
  std::string Encode() const;
  // The key of a dimension name (`category` views into `dim`); std::nullopt for a name that is
  // none of the forms above (an unknown severity, a missing or empty category).
  static std::optional<CounterKey> Decode(std::string_view dim);
};

}  // namespace sakchy::analytics
