#include "undelivered.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "alerts/contacts.h"
#include "audit_write.h"
#include "core/json_text.h"
#include "engine_records.h"

namespace sakchy::alerts {

Undelivered::Undelivered(const config::AlertsConfig& cfg, const Clock& clock, IdGenerator& ids,
                         MetricsRegistry& metrics, const Directory& directory, Composer& composer)
    : cfg_(cfg),
      clock_(clock),
      ids_(ids),
      directory_(directory),
      composer_(composer),
      fallbacks_(metrics.GetCounter("sakchy_alerts_fallback_total",
                                    "Notifications re-sent on a contact's next channel")),
      notices_(metrics.GetCounter("sakchy_alerts_duty_notices_total",
                                  "Notices to duty contacts about undeliverable alerts")),
      unnoticed_(metrics.GetCounter(
          "sakchy_alerts_undeliverable_unnoticed_total",
          "Undeliverable alerts with no duty contact to tell (see alerts.duty)")) {}

// State thread: a notification is about to change state (written with what this returns).
Reaction Undelivered::OnChange(const Alert& alert, DeliveryState /*before*/) {
  Reaction reaction;
  const bool undelivered =
      alert.state == DeliveryState::kFailed || alert.state == DeliveryState::kDeadLetter;
  // A reply to a reporter has no other channel and no duty contact to tell: it stays failed.
  if (!undelivered || alert.kind == AlertKind::kNotice || alert.kind == AlertKind::kReply) {
    return reaction;
  }
  if (auto fallback = Fallback(alert)) {
    storage::RecordWrite audit =
        AuditWrite(ids_, clock_.NowMs(), "system", "alert.fallback",
                   alert.id, "{\"next\":\"" + fallback->id + "\",\"channel\":\"" + fallback->channel +
                    "\"}");
    reaction.records.push_back(std::move(audit));
    fallbacks_.Inc();
    spdlog::info("alerts: {} {} for contact {}; trying its next channel ({}) as {}", alert.id,
                 DeliveryStateName(alert.state), alert.contact_id, fallback->channel,
                 fallback->id);
    reaction.records.push_back(CodeRecord(*fallback));
    reaction.alerts.push_back(std::move(*fallback));
    return reaction;
  }
  // Every channel failed: tell the duty contact (visible as a notice and in the outbox state).
  std::vector<Alert> notices = Notices(alert);
  boost::json::array told;
  for (const Alert& n : notices) told.emplace_back(n.contact_id);
  storage::RecordWrite audit = AuditWrite(
      ids_, clock_.NowMs(), "system", "alert.undeliverable", alert.id,
      ToJsonText(boost::json::value(boost::json::object{
          {"contact_id", alert.contact_id}, {"state", DeliveryStateName(alert.state)},
          {"error", alert.last_error}, {"duty", std::move(told)}})));
  reaction.records.push_back(std::move(audit));
  if (notices.empty()) {
    unnoticed_.Inc();
    spdlog::error("alerts: {} for contact {} could not be delivered and no duty contact can be "
                  "told (alerts.duty, or a contact with role analyst_on_duty for area '{}')",
                  alert.id, alert.contact_id, alert.area);
  } else {
    notices_.Inc(notices.size());
    spdlog::warn("alerts: {} for contact {} could not be delivered ({}); told {} duty contact(s)",
                 alert.id, alert.contact_id, alert.last_error, notices.size());
  }
  for (Alert& n : notices) {
    reaction.records.push_back(CodeRecord(n));
    reaction.alerts.push_back(std::move(n));
  }
  composer_.ForgetEvents();
  return reaction;
}

std::vector<Alert> Undelivered::Notices(const Alert& failed) {
  std::vector<Alert> out;
  const TimeMs now = clock_.NowMs();
  for (const config::Contact* duty : directory_.Duty(failed)) {
    const int index = UsableChannels(*duty, cfg_.channels).front();
    const config::ContactChannel& channel = duty->channels[static_cast<std::size_t>(index)];
    Alert n;
    n.id = ids_.Next();
    n.kind = AlertKind::kNotice;
    n.group_key = "notice:" + failed.id;
    n.subject_id = failed.id;
    n.event_id = failed.event_id;
    n.event_ids = failed.event_ids;
    n.area = failed.area;
    n.severity = failed.severity;
    n.categories = failed.categories;
    n.contact_id = duty->id;
    n.channel = channel.type;
    n.target = channel.address;
    n.channel_index = index;
    n.sequence = 1;
    n.idempotency_key = NotificationKey(n.group_key, n.contact_id, n.channel, n.target, 1);
    n.created_at = now;
    n.next_attempt_at = now;
    composer_.RenderStored(n, &failed);
    out.push_back(std::move(n));
  }
  return out;
}

// The same notification on the contact's next usable channel, if there is one.
std::optional<Alert> Undelivered::Fallback(const Alert& alert) {
  const config::Contact* contact = directory_.Current(alert.contact_id);
  if (contact == nullptr) return std::nullopt;
  for (int index : UsableChannels(*contact, cfg_.channels)) {
    if (index <= alert.channel_index) continue;
    const config::ContactChannel& channel = contact->channels[static_cast<std::size_t>(index)];
    Alert next = alert;
    next.id = ids_.Next();
    next.channel = channel.type;
    next.target = channel.address;
    next.channel_index = index;
    next.idempotency_key = NotificationKey(next.group_key, next.contact_id, next.channel,
                                           next.target, next.sequence);
    next.state = DeliveryState::kPending;
    next.attempts = 0;
    next.created_at = clock_.NowMs();
    next.next_attempt_at = next.created_at;
    next.delivered_at = 0;
    next.sent_at = 0;
    next.last_error.clear();
    composer_.RenderStored(next);  // for its own channel
    composer_.ForgetEvents();
    return next;
  }
  return std::nullopt;
}

}  // namespace sakchy::alerts
