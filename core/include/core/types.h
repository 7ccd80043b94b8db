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

// What one learned model (config classifier.models) added to a text's score.
struct ModelScore {
  std::string model;         // the model card's name
  std::string version;       // first 16 hex digits of the SHA-256 of its model.bin
  double probability = 0;    // of the model's positive label
  double contribution = 0;   // added to the score (docs/MODELS.md: weight × probability or 0)
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
  // Pulled items (Telegram, feeds, Mastodon): where the item lives at its source (permalink), and
  // the source's own times; empty / 0 when the source gives none. Their observed_at is
  // published_at (a Telegram edit, a report of its own, is observed at its edit time).
  std::string url;
  TimeMs published_at = 0;   // first published at the source
  TimeMs edited_at = 0;      // last edited at the source
  // SMS follow-ups: a report with a thread_key (the sender's pseudonym) that arrives within
  // thread_window_ms (by received_at) of the report that started that key's thread is stored as
  // a follow-up of that report instead of as a new one (storage::Store::AppendReports).
  std::string thread_key;
  TimeMs thread_window_ms = 0;
  std::string follow_up_of;  // set on a follow-up: the id of the event it belongs to
  // Where a reply reaches the reporter on the channel they used (SMS: E.164 number; WhatsApp:
  // wa_id; Telegram: "<source id>:<chat id>" of a private chat with the source's bot). Set by
  // intake for reply-capable channels only; TRANSIENT: the store never writes it (the alerts'
  // reporter directory keeps it sealed, alerts/replies.h).
  std::string reply_address;
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
  // The part of `score` the rules gave, and each configured model's part (empty without
  // models: then rules_score == score).
  double rules_score = 0;
  std::vector<ModelScore> models;
  AreaCode area;                         // empty when unknown
  AreaSource area_source = AreaSource::kNone;
  std::vector<PlaceMention> places;
  std::string ruleset_version;
  TimeMs scored_at = 0;
  // Follow-ups attached to this report (SMS replies within the window), in arrival order; each
  // has its own id, text and times, and follow_up_of == report.id. Filled by Store::GetEvent.
  std::vector<Report> follow_ups;
  // The score covers the report and its first follow_ups_scored follow-ups: the classified text
  // is ScoredText() (match offsets index into it).
  std::uint32_t follow_ups_scored = 0;
};

// The text an event was classified on: the report's text, then each of the first `follow_ups`
// follow-ups' texts, separated by '\n'. With no follow-ups: the report's text.
std::string ScoredText(const Report& report, const std::vector<Report>& follow_ups,
                       std::size_t count);
inline std::string ScoredText(const Event& e) {
  return ScoredText(e.report, e.follow_ups, e.follow_ups_scored);
}

// Where one notification stands. kPending is "queued" on the wire (waiting for its first or next
// attempt). Terminal: delivered, failed, dead_letter, suppressed; sent may still become delivered
// or failed through a delivery report.
enum class DeliveryState : std::uint8_t {
  kPending = 0,     // "queued": waiting for an attempt (first, retry, or held until a time)
  kDelivered = 1,   // the receiver confirmed it (webhook 2xx, Telegram ok, SMS delivery report)
  kFailed = 2,      // refused for good (4xx, "not delivered" report, unusable channel)
  kSent = 3,        // handed to a gateway that reports later (Kannel accepted; SMTP accepted)
  kDeadLetter = 4,  // retries gave up after alerts.give_up_after_ms
  kSuppressed = 5,  // withdrawn before it was sent (inhibited by a cluster alert)
};
inline constexpr int kDeliveryStateCount = 6;
// "queued" | "delivered" | "failed" | "sent" | "dead_letter" | "suppressed"
std::string_view DeliveryStateName(DeliveryState s);
// Also accepts "pending" (the former name of "queued").
std::optional<DeliveryState> ParseDeliveryState(std::string_view name);
// True for states no attempt follows (sent is not final: a delivery report may follow).
bool IsFinalState(DeliveryState s);

// What a notification is about.
enum class AlertKind : std::uint8_t {
  kEvent = 0,     // one or more scored events (a group of them)
  kSignal = 1,    // a cluster spread or area spike raised by analytics
  kDigest = 2,    // what a rate-limited contact missed, in one message
  kFollowUp = 3,  // the verdict on a rumour the contact was alerted about
  kNotice = 4,    // to the duty contact: a notification could not be delivered
  kRoute = 5,     // internal: an event waiting to be routed (never delivered, not listed)
  kReply = 6,     // to a reporter: acknowledgement, verified answer, "send text" (alerts/replies.h)
};
inline constexpr int kAlertKindCount = 7;
std::string_view AlertKindName(AlertKind k);  // "event" | "signal" | "digest" | "follow_up" | ...
std::optional<AlertKind> ParseAlertKind(std::string_view name);

// One notification to one contact over one channel (an outbox entry).
struct Alert {
  std::string id;          // time-ordered ULID
  std::string event_id;    // the (first) event it is about; empty for digests and notices
  AreaCode area;           // area of the event (signal)
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
  // Format 2.
  AlertKind kind = AlertKind::kEvent;
  std::string group_key;               // the incident it belongs to; acks apply to the group
  std::vector<std::string> event_ids;  // every event it covers (event_id first); may be empty
  std::string subject_id;              // cluster id / area code of a signal, verdict, notice
  int sequence = 0;                    // n-th notification of the group to this contact
  int escalation_step = 0;             // 0 = first recipients, 1.. = escalation steps
  int channel_index = 0;               // position in the contact's channel preference list
  std::string payload;                 // the rendered message/body; empty = render at send time
  TimeMs sent_at = 0;                  // handed to the gateway (sent); 0 when not yet
};

// How a rumour cluster's reports come in: faster (the last 10 minutes well above the hour
// before), about as before, or slower.
enum class SpreadTrend : std::uint8_t { kSteady = 0, kAccelerating = 1, kSlowing = 2 };
std::string_view SpreadTrendName(SpreadTrend t);  // "steady" | "accelerating" | "slowing"
std::optional<SpreadTrend> ParseSpreadTrend(std::string_view name);

// Why a rumour cluster's spread signal was raised, as figures the alert templates put into
// words in each language ("6 independent reports in 2 min, accelerating").
struct SpreadWhy {
  int people = 0;          // distinct people who reported it within the sources window
  int public_sources = 0;  // distinct public feeds/accounts that posted it within the window
  TimeMs span_ms = 0;      // from the first of those reports to the one that raised the signal
  SpreadTrend trend = SpreadTrend::kSteady;
  std::vector<AreaCode> new_areas;  // areas not in the cluster's previous alert
};

// Something to alert about beyond one event, raised by analytics and routed/delivered by alerts:
// a rumour cluster that spreads (more sources, a new area, acceleration) or an area whose tension
// spikes above its baseline.
struct Signal {
  enum class Kind : std::uint8_t { kClusterSpread = 0, kAreaSpike = 1 };
  Kind kind = Kind::kClusterSpread;
  std::string subject_id;  // cluster id or area code
  AreaCode area;           // where it happens (for routing); the cluster's main area
  std::vector<AreaCode> areas;  // every area involved (clusters)
  Severity severity = Severity::kInfo;
  std::vector<std::string> categories;
  std::string reason;      // e.g. "5 distinct sources within 1h", "new area KG-J-NOOKAT", "z=4.2"
  std::string summary;     // representative text (clusters) or a short description (areas)
  std::vector<std::string> event_ids;  // member events; their per-event alerts are superseded
  int sources = 0;         // distinct sources so far (clusters)
  TimeMs first_seen = 0;
  TimeMs at = 0;           // when the signal was raised
  std::optional<SpreadWhy> spread;  // cluster spread: the figures behind `reason`
};
std::string_view SignalKindName(Signal::Kind k);  // "cluster_spread" | "area_spike"

// What is true about a rumour, recorded by an analyst or official; everyone alerted about it hears
// the verdict (the open answer that stops a rumour).
enum class VerdictStatus : std::uint8_t {
  kUnverified = 0, kConfirmed = 1, kFalse = 2, kMisleading = 3
};
std::string_view VerdictStatusName(VerdictStatus v);  // "unverified" | "confirmed" | "false" | "misleading"
std::optional<VerdictStatus> ParseVerdictStatus(std::string_view name);
// The category a new report gets when it joins a rumour cluster with this verdict, so whoever
// is alerted sees that the rumour was already checked: "known_false" (false),
// "known_misleading" (misleading); none for unverified and confirmed.
std::optional<std::string_view> KnownRumourCategory(VerdictStatus v);

struct Verdict {
  std::string cluster_id;
  VerdictStatus status = VerdictStatus::kUnverified;
  std::string statement;   // the official statement, as published
  std::string decided_by;  // token / person name
  TimeMs decided_at = 0;
  std::vector<std::string> event_ids;  // member events of the cluster (to find who was alerted)
};

}  // namespace sakchy
