#pragma once
// Decides who hears about a scored event: every contact subscribed to the event's area or one of
// its ancestors, once per usable channel, when the severity reaches both the global threshold
// and the contact's own minimum. Pure: no I/O.

#include <vector>

#include "config/areas.h"
#include "config/config.h"
#include "core/id.h"
#include "core/types.h"

namespace sakchy::alerts {

// Thread safety: Plan() may be called concurrently. Holds references: `areas` and `config` must
// outlive the router.
class Router {
 public:
  Router(const config::AlertsConfig& alerts, const std::vector<config::Contact>& contacts,
         const config::AreaTree& areas, IdGenerator& ids);

  // New pending outbox entries for `event` (state pending, next_attempt_at = now). Deterministic
  // idempotency key per (event id, contact id, channel type, address).
  std::vector<Alert> Plan(const Event& event, TimeMs now) const;

 private:
  const config::AlertsConfig& alerts_;
  const std::vector<config::Contact>& contacts_;
  const config::AreaTree& areas_;
  IdGenerator& ids_;
};

}  // namespace sakchy::alerts
