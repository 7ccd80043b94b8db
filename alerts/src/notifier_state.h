#pragma once
// The Notifier's state (private to alerts): routes resolved (the tree is route_tree.h), groups,
// per-recipient rates, inhibitions, the due-time schedule, and their JSON encoding in the
// record tables (alert_groups, alert_rates, alert_inhibited). Pure values; not thread-safe by
// themselves (the Notifier owns them on the state thread).

#include <boost/json.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/notifier.h"
#include "core/types.h"

namespace sakchy::alerts::notifier_internal {

namespace json = boost::json;

constexpr std::size_t kMaxGroupEvents = 50;     // event ids kept per group (the latest)
constexpr std::size_t kMaxGroupSources = 1000;  // distinct sources counted per group
constexpr std::size_t kMaxHeld = 500;           // digest items kept per recipient

// Defaults of the root route (config leaves unset values unset).
constexpr TimeMs kDefaultGroupInterval = 300'000;
constexpr TimeMs kDefaultRepeatInterval = 4LL * 3600 * 1000;

// A route with every inherited setting resolved.
struct Route {
  std::string id;
  config::RouteMatch match;
  bool cont = false;
  std::vector<std::string> group_by;
  TimeMs group_wait = 0;
  TimeMs group_interval = kDefaultGroupInterval;
  TimeMs repeat_interval = kDefaultRepeatInterval;
  std::vector<Severity> parent_min_severity;
  std::optional<config::EscalationConfig> escalation;
  std::vector<std::string> contacts;
  std::vector<std::string> roles;
  std::vector<std::size_t> children;
};

// What a group has sent one contact: the same record the introspection view shows.
using Recipient = Notifier::RecipientState;

struct GroupState {
  std::string key;
  std::string route_id;
  AlertKind kind = AlertKind::kEvent;
  std::string subject;
  AreaCode area;
  Severity severity = Severity::kInfo;
  std::vector<std::string> categories;
  std::vector<std::string> event_ids;
  int events = 0;
  std::vector<std::string> sources;
  int signal_sources = 0;
  std::string summary;
  std::string signal_reason;
  std::optional<SpreadWhy> spread;
  TimeMs first_at = 0;
  TimeMs last_input_at = 0;
  TimeMs last_flush_at = 0;
  TimeMs next_flush_at = 0;
  // The group's one pending expiry check (not persisted: set again at restore). An input does
  // not schedule another: the check moves itself to last_input_at + resolve_after when due.
  TimeMs expiry_check_at = 0;
  std::map<std::string, Recipient> recipients;
  bool acked = false;
  int escalation_step = 0;
  TimeMs next_escalation_at = 0;
  AreaCode escalation_area;
  std::string silenced_by;
  int silenced = 0;
  bool notified = false;

  int Sources() const {
    return kind == AlertKind::kSignal ? signal_sources : static_cast<int>(sources.size());
  }
};

struct Rate {
  TimeMs window_start = 0;
  int count = 0;
  std::vector<DigestItem> held;
};

struct Inhibition {
  std::string by;
  TimeMs until = 0;
};

enum class DueType { kFlush = 0, kEscalation = 1, kDigest = 2, kExpiry = 3 };

struct Due {
  TimeMs at = 0;
  DueType type = DueType::kFlush;
  std::string key;
  bool operator>(const Due& o) const {
    if (at != o.at) return at > o.at;
    if (type != o.type) return static_cast<int>(type) > static_cast<int>(o.type);
    return key > o.key;
  }
};

// The schedule: a min-heap of due times that can also drop entries that no longer matter.
class DueQueue : public std::priority_queue<Due, std::vector<Due>, std::greater<>> {
 public:
  template <typename Pred>
  void EraseIf(Pred stale) {
    std::erase_if(c, stale);
    std::make_heap(c.begin(), c.end(), comp);
  }
};

inline bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

inline std::string JoinCategories(const std::vector<std::string>& categories) {
  std::string out;
  for (const auto& c : categories) out += (out.empty() ? "" : "+") + c;
  return out;
}

// ---- Encoding of the persisted state (JSON documents in record tables; notifier_state.cc) ----

json::array StringArray(const std::vector<std::string>& list);
std::vector<std::string> Strings(const json::value* v);
std::string Str(const json::object& o, const char* key);
std::int64_t Int(const json::object& o, const char* key);
std::string EncodeGroup(const GroupState& g);
std::optional<GroupState> DecodeGroup(std::string_view text);
std::string EncodeRate(const Rate& r);
std::optional<Rate> DecodeRate(std::string_view text);

}  // namespace sakchy::alerts::notifier_internal
