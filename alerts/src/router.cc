#include "alerts/router.h"

#include <string>
#include <unordered_set>

#include "core/crypto.h"

namespace sakchy::alerts {
namespace {

// Channel types the dispatcher can deliver.
bool IsDeliverable(std::string_view type) {
  return type == "webhook" || type == "sms" || type == "telegram" || type == "email";
}
constexpr std::size_t kIdempotencyKeyChars = 32;

std::string IdempotencyKey(std::string_view event_id, std::string_view contact_id,
                           std::string_view channel, std::string_view address) {
  std::string material;
  material.reserve(event_id.size() + contact_id.size() + channel.size() + address.size() + 3);
  material.append(event_id).append("\n");
  material.append(contact_id).append("\n");
  material.append(channel).append("\n");
  material.append(address);
  return Sha256Hex(material).substr(0, kIdempotencyKeyChars);
}

}  // namespace

Router::Router(const config::AlertsConfig& alerts, const std::vector<config::Contact>& contacts,
               const config::AreaTree& areas, IdGenerator& ids)
    : alerts_(alerts), contacts_(contacts), areas_(areas), ids_(ids) {}

std::vector<Alert> Router::Plan(const Event& event, TimeMs now) const {
  std::vector<Alert> out;
  if (event.severity < alerts_.min_severity) return out;
  const std::string& event_id = event.report.id;

  auto covers = [&](const AreaCode& contact_area) {
    // An event without an area reaches only subscribers of the whole country.
    if (event.area.empty()) return contact_area == areas_.root();
    return areas_.IsWithin(event.area, contact_area);
  };

  std::unordered_set<std::string> keys;  // one alert per (contact, channel, address)
  for (const config::Contact& contact : contacts_) {
    if (event.severity < contact.min_severity) continue;
    bool subscribed = false;
    for (const AreaCode& area : contact.areas) {
      if (covers(area)) {
        subscribed = true;
        break;
      }
    }
    if (!subscribed) continue;
    for (const config::ContactChannel& channel : contact.channels) {
      if (!IsDeliverable(channel.type)) continue;  // config validation rejects other types
      std::string key = IdempotencyKey(event_id, contact.id, channel.type, channel.address);
      if (!keys.insert(key).second) continue;
      Alert alert;
      alert.id = ids_.Next();
      alert.event_id = event_id;
      alert.area = event.area;
      alert.severity = event.severity;
      alert.categories = event.categories;
      alert.contact_id = contact.id;
      alert.channel = channel.type;
      alert.target = channel.address;
      alert.idempotency_key = std::move(key);
      alert.kind = AlertKind::kEvent;
      alert.group_key = "event:" + event_id;
      alert.event_ids = {event_id};
      alert.sequence = 1;
      alert.state = DeliveryState::kPending;
      alert.attempts = 0;
      alert.created_at = now;
      alert.next_attempt_at = now;
      out.push_back(std::move(alert));
    }
  }
  return out;
}

}  // namespace sakchy::alerts
