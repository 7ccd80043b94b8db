#pragma once
// Decides who hears about a scored event: every contact subscribed to the event's area or one of
// its ancestors, when the severity reaches both the global threshold and the contact's own
// minimum and the event has a category the contact wants; one notification per contact on its
// first usable channel (later channels are fallbacks, see Engine). Pure: no I/O.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/areas.h"
#include "config/config.h"
#include "core/id.h"
#include "core/types.h"

namespace sakchy::alerts {

// Deterministic idempotency key of a notification: the first 32 hex digits of
// SHA-256(group_key \n contact_id \n channel \n address \n sequence). The same on every re-plan,
// retry and restart.
std::string NotificationKey(std::string_view group_key, std::string_view contact_id,
                            std::string_view channel, std::string_view address, int sequence);

// Thread safety: Plan() and SetContacts() may be called concurrently. Holds references: `areas`
// and `alerts` must outlive the router.
class Router {
 public:
  Router(const config::AlertsConfig& alerts, std::vector<config::Contact> contacts,
         const config::AreaTree& areas, IdGenerator& ids);

  // Replaces the contacts (later plans use the new set; earlier notifications are unaffected).
  void SetContacts(std::vector<config::Contact> contacts);

  // New pending outbox entries for `event`: group "event:<id>", sequence 1. Below critical, a
  // contact in its quiet hours gets next_attempt_at = their end (not dropped). Contacts that would
  // hear but have no usable channel are added to `unreachable` (when given).
  std::vector<Alert> Plan(const Event& event, TimeMs now,
                          std::vector<std::string>* unreachable = nullptr) const;

 private:
  std::shared_ptr<const std::vector<config::Contact>> contacts() const;

  const config::AlertsConfig& alerts_;
  const config::AreaTree& areas_;
  IdGenerator& ids_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<config::Contact>> contacts_;
};

}  // namespace sakchy::alerts
