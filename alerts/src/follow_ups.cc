#include "follow_ups.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <map>

#include "audit_write.h"
#include "core/json_text.h"
#include "engine_records.h"

namespace sakchy::alerts {

Result<std::vector<Alert>> FollowUps::Create(const Verdict& verdict) {
  const TimeMs now = clock_.NowMs();
  const std::string group_key =
      "verdict:" + verdict.cluster_id + ":" + std::to_string(verdict.decided_at);
  // Who received something about the rumour: the newest sent/delivered notification each.
  std::map<std::string, Alert> reached;
  auto consider = [&](const std::vector<Alert>& alerts) {
    for (const Alert& a : alerts) {
      if (a.kind != AlertKind::kEvent && a.kind != AlertKind::kSignal &&
          a.kind != AlertKind::kDigest) {
        continue;
      }
      if (a.state != DeliveryState::kSent && a.state != DeliveryState::kDelivered) continue;
      auto it = reached.find(a.contact_id);
      if (it == reached.end() || it->second.id < a.id) reached[a.contact_id] = a;
    }
  };
  storage::AlertFilter by_subject;
  by_subject.subject_id = verdict.cluster_id;
  auto signal_alerts = store_.outbox.ListAlerts(by_subject, 1000, {});
  if (!signal_alerts) return tl::unexpected(signal_alerts.error());
  consider(*signal_alerts);
  for (std::size_t i = 0; i < verdict.event_ids.size() && i < kMaxFollowUpEvents; ++i) {
    storage::AlertFilter by_event;
    by_event.event_id = verdict.event_ids[i];
    auto listed = store_.outbox.ListAlerts(by_event, 100, {});
    if (!listed) return tl::unexpected(listed.error());
    consider(*listed);
  }
  // Once per contact and verdict.
  storage::AlertFilter done_filter;
  done_filter.group_key = group_key;
  auto done = store_.outbox.ListAlerts(done_filter, 1000, {});
  if (!done) return tl::unexpected(done.error());
  for (const Alert& a : *done) reached.erase(a.contact_id);

  boost::json::object verdict_json{{"cluster_id", verdict.cluster_id},
                                   {"status", VerdictStatusName(verdict.status)},
                                   {"statement", verdict.statement},
                                   {"decided_by", verdict.decided_by},
                                   {"decided_at", verdict.decided_at}};
  std::vector<Alert> created;
  std::vector<storage::RecordWrite> records;
  for (const auto& [contact_id, base] : reached) {
    Alert f;
    f.id = ids_.Next();
    f.kind = AlertKind::kFollowUp;
    f.group_key = group_key;
    f.subject_id = verdict.cluster_id;
    f.event_ids.assign(verdict.event_ids.begin(),
                       verdict.event_ids.begin() +
                           static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                               verdict.event_ids.size(), 50)));
    f.event_id = f.event_ids.empty() ? std::string() : f.event_ids.front();
    f.area = base.area;
    f.severity = base.severity;
    f.categories = base.categories;
    f.contact_id = contact_id;
    f.channel = base.channel;
    f.target = base.target;
    f.channel_index = base.channel_index;
    f.sequence = 1;
    f.idempotency_key = NotificationKey(group_key, contact_id, f.channel, f.target, 1);
    f.created_at = now;
    f.next_attempt_at = now;
    composer_.RenderFollowUp(f, verdict, verdict_json, now);
    records.push_back(CodeRecord(f));
    created.push_back(std::move(f));
  }
  notifier_.Resolve(verdict.cluster_id, now);
  for (auto& r : notifier_.TakeDirty()) records.push_back(std::move(r));
  records.push_back({std::string(kVerdictsTable), verdict.cluster_id,
                     ToJsonText(boost::json::value(verdict_json))});
  storage::RecordWrite audit = AuditWrite(
      ids_, now, verdict.decided_by.empty() ? "analytics" : verdict.decided_by, "alert.follow_up",
      verdict.cluster_id,
      ToJsonText(boost::json::value(boost::json::object{
          {"status", VerdictStatusName(verdict.status)}, {"recipients", created.size()}})));
  records.push_back(std::move(audit));
  if (auto st = store_.outbox.UpdateAlerts(created, records); !st) return tl::unexpected(st.error());
  spdlog::info("alerts: verdict {} on {}: {} follow-ups", VerdictStatusName(verdict.status),
               verdict.cluster_id, created.size());
  return created;
}

}  // namespace sakchy::alerts
