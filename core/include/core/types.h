#pragma once
// Domain types shared by every module: reports, scored events, matches, alerts.
// Plain values; no behaviour beyond small conversions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sakchy {

// An area code of the hierarchy, e.g. "KG" (national), "KG-O" (Osh oblast), "KG-O-ARAVAN" (raion).
using AreaCode = std::string;

// Milliseconds since the Unix epoch, UTC.
using TimeMs = std::int64_t;

enum class Severity : std::uint8_t { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };
inline constexpr int kSeverityCount = 5;

std::string_view SeverityName(Severity s);  // "info" .. "critical"
std::optional<Severity> ParseSeverity(std::string_view name);

// One hit of a rule term in a text. Offsets are UTF-8 byte offsets into the ORIGINAL text,
// [begin, end), so a client can highlight the match.
struct Match {
  std::string rule_id;
  std::string category;
  std::string term;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// A place name found in a text.
struct PlaceMention {
  std::string name;                 // as written (slice of the original text)
  std::vector<AreaCode> candidates;  // >1 means ambiguous; never guessed
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// A text that entered the system, before scoring.
struct Report {
  std::string id;            // time-ordered ULID, assigned at intake
  std::string text;          // valid UTF-8, original
  std::optional<AreaCode> area;  // as given by the submitter, validated
  std::string channel;       // "api", "sms", "telegram", "rss", "mastodon"
  std::string source_ref;    // client/channel id, idempotency key within channel; may be empty
  std::string submitted_by;  // token name or pseudonymised sender
  TimeMs observed_at = 0;    // when the submitter saw it (defaults to received_at)
  TimeMs received_at = 0;
};

enum class AreaSource : std::uint8_t { kNone = 0, kRequest = 1, kText = 2 };
std::string_view AreaSourceName(AreaSource s);

// A report after classification.
struct Event {
  Report report;
  bool scored = false;
  std::vector<Match> matches;
  std::vector<std::string> categories;  // distinct, sorted
  double score = 0;
  Severity severity = Severity::kInfo;
  AreaCode area;                         // empty when unknown
  AreaSource area_source = AreaSource::kNone;
  std::vector<PlaceMention> places;
  std::string ruleset_version;
  TimeMs scored_at = 0;
};

enum class DeliveryState : std::uint8_t { kPending = 0, kDelivered = 1, kFailed = 2 };
std::string_view DeliveryStateName(DeliveryState s);  // "pending" | "delivered" | "failed"
std::optional<DeliveryState> ParseDeliveryState(std::string_view name);

// One notification of one event to one contact over one channel (an outbox entry).
struct Alert {
  std::string id;          // time-ordered ULID
  std::string event_id;
  AreaCode area;           // area of the event
  Severity severity = Severity::kInfo;
  std::vector<std::string> categories;
  std::string contact_id;
  std::string channel;     // "webhook" | "sms" | "telegram" | "email"
  std::string target;      // e.g. webhook URL
  std::string idempotency_key;  // deterministic; sent to receivers
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  TimeMs created_at = 0;
  TimeMs next_attempt_at = 0;
  TimeMs delivered_at = 0;
  std::string last_error;
};

}  // namespace sakchy
