#pragma once
// Routing and noise control, as a pure state machine driven by an injected time: the route tree
// (matchers on area, severity, category and kind; `continue`; inherited settings), grouping with
// group_wait / group_interval / repeat_interval, one notification per (recipient, group) until the
// group changes (higher severity, more sources), per-recipient rate limit with a digest, silences,
// inhibition of the per-event alerts a cluster alert covers, and escalation of unacknowledged
// groups. No I/O: the engine feeds it inputs and time, and stores what it decides and its state.
//
// Thread safety: none; one owner thread (the engine's state thread).

#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/areas.h"
#include "config/config.h"
#include "core/result.h"
#include "core/types.h"
#include "storage/ports.h"

namespace sakchy::alerts {

inline constexpr std::string_view kGroupsTable = "alert_groups";
inline constexpr std::string_view kRatesTable = "alert_rates";
inline constexpr std::string_view kInhibitedTable = "alert_inhibited";

// Deterministic idempotency key of a notification: the first 32 hex digits of
// SHA-256(group_key \n contact_id \n channel \n address \n sequence). The same on every retry and
// restart; a re-notification of the group (changed, repeat) has the next sequence.
std::string NotificationKey(std::string_view group_key, std::string_view contact_id,
                            std::string_view channel, std::string_view address, int sequence);

// One scored event or analytics signal entering routing.
struct RoutingInput {
  AlertKind kind = AlertKind::kEvent;  // kEvent or kSignal
  std::string key;                     // event id; signal: "cluster:<id>" or "area:<code>"
  std::vector<std::string> event_ids;  // events it covers (an event: itself)
  std::string subject;                 // signal: cluster id or area code
  AreaCode area;
  Severity severity = Severity::kInfo;
  std::vector<std::string> categories;
  std::string source;  // event: who reported it (channel:submitter); distinct ones are counted
  int sources = 0;     // signal: distinct sources so far (from analytics)
  std::string summary;  // signal: what is happening; reason: why it was raised
  std::string reason;
  std::optional<SpreadWhy> spread;  // cluster spread signal: the figures behind the reason
  TimeMs at = 0;
};

// A group held for a rate-limited recipient, listed in their digest.
struct DigestItem {
  std::string group_key;
  AlertKind kind = AlertKind::kEvent;
  AreaCode area;
  Severity severity = Severity::kInfo;
  std::vector<std::string> categories;
  int events = 0;
  std::string event_id;  // the latest event
  TimeMs at = 0;
};

// A notification the notifier decided on; the engine renders, stores and delivers it.
struct Decision {
  AlertKind kind = AlertKind::kEvent;  // event, signal or digest
  std::string reason;                  // "new" | "changed" | "repeat" | "escalation" | "digest"
  std::string group_key;
  std::string route_id;
  std::string contact_id;
  int channel_index = 0;
  std::string channel;
  std::string target;
  int sequence = 1;
  int escalation_step = 0;
  std::vector<std::string> event_ids;  // the group's events (the latest last, at most 50)
  std::string subject;
  AreaCode area;
  Severity severity = Severity::kInfo;
  std::vector<std::string> categories;
  int events = 0;   // events in the group so far
  int sources = 0;  // distinct sources so far
  std::string summary;
  std::string signal_reason;
  std::optional<SpreadWhy> spread;  // the latest signal's figures (cluster spread)
  TimeMs first_at = 0;
  TimeMs at = 0;          // decided at
  TimeMs not_before = 0;  // quiet hours: send no earlier
  std::vector<DigestItem> digest;
};

// An active silence: alerts whose area lies within `areas` (none = any) and that have one of
// `categories` (none = any) notify nobody from starts_at to ends_at; the groups keep their
// changes and notify when the silence is over.
struct Silence {
  std::string id;
  std::vector<AreaCode> areas;
  std::vector<std::string> categories;
  TimeMs starts_at = 0;
  TimeMs ends_at = 0;
  std::string created_by;
  std::string comment;
  TimeMs created_at = 0;
};

// What happened to one input.
struct AddOutcome {
  std::vector<std::string> groups;       // groups it joined
  std::vector<std::string> unreachable;  // contacts that should hear but have no usable channel
  bool inhibited = false;                // covered by a cluster alert: routed nowhere
  // Groups closed early to stay within alerts.max_open_groups (the oldest input first, those
  // that have notified before those that have not).
  std::size_t closed_for_capacity = 0;
};

// An escalation step taken by Tick (for the audit log).
struct Escalation {
  std::string group_key;
  int step = 0;
  std::vector<std::string> contacts;  // empty: nobody left to escalate to
};

// Everything Tick decided.
struct TickResult {
  std::vector<Decision> notifications;
  std::vector<Escalation> escalations;
  int silenced = 0;  // notifications a silence held back (the group notifies when it ends)
  int held = 0;      // notifications held for a digest (rate limit)
};

class Notifier {
 public:
  // `cfg` is copied; `areas` must outlive the notifier.
  Notifier(const config::AlertsConfig& cfg, const config::AreaTree& areas);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void SetContacts(std::vector<config::Contact> contacts);
  void SetSilences(std::vector<Silence> silences);
  // A silence was ended early: the groups it held notify at the next Tick.
  void Unsilence(const std::string& silence_id, TimeMs now);

  // Routes one input into its groups. Notifications follow from Tick (at once when group_wait is
  // 0: call Tick(now) after Add).
  AddOutcome Add(const RoutingInput& input, TimeMs now);
  // Everything due at `now`: group notifications, repeats, digests, escalations.
  TickResult Tick(TimeMs now);
  // The earliest time something is due; std::nullopt when nothing is scheduled.
  std::optional<TimeMs> NextDue() const;

  // A group was acknowledged: no repeats, no further escalation.
  void Acknowledge(const std::string& group_key, TimeMs now);
  // A verdict settled the rumour `subject`: its groups stop reminding and escalating (as if
  // acknowledged). Returns how many groups it touched.
  int Resolve(const std::string& subject, TimeMs now);
  // A cluster alert covers these events: their groups that have not notified yet drop them (and
  // close when empty), and later inputs of them are not routed. Returns the events affected.
  std::vector<std::string> Inhibit(const std::vector<std::string>& event_ids,
                                   const std::string& by, TimeMs now);
  bool IsInhibited(const std::string& event_id) const;

  // Record writes for the state changed since the last call (groups, rate windows, inhibited
  // events): store them with the decisions they belong to.
  std::vector<storage::RecordWrite> TakeDirty();
  // Restores state written by TakeDirty (at start-up). Unknown or damaged records are skipped
  // with a message in the returned list.
  std::vector<std::string> Restore(const std::vector<storage::Record>& groups,
                                   const std::vector<storage::Record>& rates,
                                   const std::vector<storage::Record>& inhibited, TimeMs now);

  // Introspection (tests, API).
  struct RecipientState {
    int sequence = 0;
    TimeMs last_at = 0;
    Severity last_severity = Severity::kInfo;
    int last_sources = 0;
    int step = 0;
  };
  struct GroupView {
    std::string key;
    std::string route_id;
    Severity severity = Severity::kInfo;
    int events = 0;
    int sources = 0;
    bool acked = false;
    int escalation_step = 0;
    std::string silenced_by;
    int silenced = 0;
    std::map<std::string, RecipientState> recipients;
  };
  std::optional<GroupView> Group(const std::string& key) const;
  std::size_t group_count() const;
  // Entries in the time schedule (flushes, escalations, digests, expiry checks): bounded by a
  // few per group, whatever the number of inputs.
  std::size_t scheduled_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sakchy::alerts
