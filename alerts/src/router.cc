#include "alerts/router.h"

#include <string>

#include "alerts/contacts.h"
#include "core/crypto.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kIdempotencyKeyChars = 32;

}  // namespace

std::string NotificationKey(std::string_view group_key, std::string_view contact_id,
                            std::string_view channel, std::string_view address, int sequence) {
  std::string material;
  material.reserve(group_key.size() + contact_id.size() + channel.size() + address.size() + 16);
  material.append(group_key).append("\n");
  material.append(contact_id).append("\n");
  material.append(channel).append("\n");
  material.append(address).append("\n");
  material.append(std::to_string(sequence));
  return Sha256Hex(material).substr(0, kIdempotencyKeyChars);
}

Router::Router(const config::AlertsConfig& alerts, std::vector<config::Contact> contacts,
               const config::AreaTree& areas, IdGenerator& ids)
    : alerts_(alerts),
      areas_(areas),
      ids_(ids),
      contacts_(std::make_shared<const std::vector<config::Contact>>(std::move(contacts))) {}

void Router::SetContacts(std::vector<config::Contact> contacts) {
  auto next = std::make_shared<const std::vector<config::Contact>>(std::move(contacts));
  std::lock_guard lock(mu_);
  contacts_ = std::move(next);
}

std::shared_ptr<const std::vector<config::Contact>> Router::contacts() const {
  std::lock_guard lock(mu_);
  return contacts_;
}

std::vector<Alert> Router::Plan(const Event& event, TimeMs now,
                                std::vector<std::string>* unreachable) const {
  std::vector<Alert> out;
  if (event.severity < alerts_.min_severity) return out;
  const std::string& event_id = event.report.id;
  const std::string group_key = "event:" + event_id;

  auto covers = [&](const AreaCode& contact_area) {
    // An event without an area reaches only subscribers of the whole country.
    if (event.area.empty()) return contact_area == areas_.root();
    return areas_.IsWithin(event.area, contact_area);
  };

  const auto contacts = this->contacts();
  for (const config::Contact& contact : *contacts) {
    if (event.severity < contact.min_severity) continue;
    if (!WantsCategories(contact, event.categories)) continue;
    bool subscribed = false;
    for (const AreaCode& area : contact.areas) {
      if (covers(area)) {
        subscribed = true;
        break;
      }
    }
    if (!subscribed) continue;
    const std::vector<int> usable = UsableChannels(contact, alerts_.channels);
    if (usable.empty()) {
      if (unreachable != nullptr) unreachable->push_back(contact.id);
      continue;
    }
    const config::ContactChannel& channel = contact.channels[static_cast<std::size_t>(usable[0])];
    Alert alert;
    alert.id = ids_.Next();
    alert.kind = AlertKind::kEvent;
    alert.event_id = event_id;
    alert.event_ids = {event_id};
    alert.group_key = group_key;
    alert.sequence = 1;
    alert.area = event.area;
    alert.severity = event.severity;
    alert.categories = event.categories;
    alert.contact_id = contact.id;
    alert.channel = channel.type;
    alert.target = channel.address;
    alert.channel_index = usable[0];
    alert.idempotency_key =
        NotificationKey(group_key, contact.id, channel.type, channel.address, alert.sequence);
    alert.state = DeliveryState::kPending;
    alert.attempts = 0;
    alert.created_at = now;
    alert.next_attempt_at = now;
    if (event.severity < Severity::kCritical) {
      if (auto until = QuietUntil(contact, now)) alert.next_attempt_at = *until;
    }
    out.push_back(std::move(alert));
  }
  return out;
}

}  // namespace sakchy::alerts
