#pragma once
// Turns routing decisions into outbox entries with their payload rendered for the recipient
// (private to alerts): the contact's language, the area's name, the event (read once per routing
// step and cached), a signal's figures and a rumour's verdict. The one place that builds a
// RenderContext; the texts themselves come from render.h and each channel.
//
// Thread safety: state thread only. Blocking: reads the store (events, signal and verdict
// records, the verdict lookup).

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <unordered_map>

#include "alerts/engine.h"
#include "alerts/notifier.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/id.h"
#include "core/time.h"
#include "core/types.h"
#include "directory.h"
#include "render.h"
#include "alerts/store.h"

namespace sakchy::alerts {

class Composer {
 public:
  // Every reference must outlive the composer.
  Composer(AlertStore store, const config::AlertsConfig& cfg, const config::AreaTree& areas,
           const Clock& clock, IdGenerator& ids, const Directory& directory)
      : store_(store), cfg_(cfg), areas_(areas), clock_(clock), ids_(ids), directory_(directory) {}
  Composer(const Composer&) = delete;
  Composer& operator=(const Composer&) = delete;

  // Verdicts shown in event and signal notifications (before the state thread runs).
  void SetVerdictLookup(VerdictLookup lookup) { verdict_lookup_ = std::move(lookup); }

  // Cluster mode: a notification about events gets an id every node computes alike (IdFromKey
  // of the newest covered event's time and the idempotency key) instead of a random ULID, so
  // the copies every node writes and publishes are one notification. Before the state thread runs.
  void UseSharedIds() { shared_ids_ = true; }

  // Events of the current routing step: kept until ForgetEvents (the end of the step).
  void Remember(const std::string& id, Event event) { events_cache_[id] = std::move(event); }
  void ForgetEvents() { events_cache_.clear(); }

  // A decision of the Notifier as a new outbox entry (pending, rendered).
  Alert Materialize(const Decision& d, TimeMs now);
  // Renders `a` from what is stored (a fallback channel, a notice, a follow-up's record): the
  // group's latest event, digest lines from the covered events, the undelivered alert `failed`
  // of a notice (read by a.subject_id when not given), a signal's or verdict's record.
  void RenderStored(Alert& a, const Alert* failed = nullptr);
  // A follow-up `f` about `verdict` (verdict_json: its webhook form), rendered at `now`.
  void RenderFollowUp(Alert& f, const Verdict& verdict, const boost::json::object& verdict_json,
                      TimeMs now) const;
  // The display name of `code` in `language`, or empty.
  std::string AreaName(const AreaCode& code, Language language) const;

 private:
  std::optional<Event> LoadEvent(const std::string& id);
  static Event SignalEvent(const Alert& a, const std::string& summary, TimeMs first_seen);
  void AddSignalContext(RenderContext& ctx, const std::string& subject, const std::string& reason,
                        const std::string& summary, int sources,
                        const std::optional<SpreadWhy>& spread);
  void AddEventVerdict(RenderContext& ctx, const Event& event);
  static std::optional<Verdict> Shown(Result<std::optional<Verdict>> looked,
                                      const std::string& what);
  static boost::json::object VerdictJson(const Verdict& v, Language language);

  AlertStore store_;
  const config::AlertsConfig& cfg_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  IdGenerator& ids_;
  const Directory& directory_;
  VerdictLookup verdict_lookup_;
  bool shared_ids_ = false;
  std::unordered_map<std::string, Event> events_cache_;  // events of one routing step
};

}  // namespace sakchy::alerts
