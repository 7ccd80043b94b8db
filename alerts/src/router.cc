#include "router.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <thread>

#include "audit_write.h"
#include "core/json_text.h"
#include "engine_records.h"
#include "spread_json.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kMaxRecords = 10'000'000;

std::string SourceKey(const Report& r) { return r.channel + ":" + r.submitted_by; }

}  // namespace

Router::Router(AlertStore store, const config::AlertsConfig& cfg, const Clock& clock,
               IdGenerator& ids, MetricsRegistry& metrics, Notifier& notifier,
               Directory& directory, Composer& composer)
    : store_(store),
      cfg_(cfg),
      clock_(clock),
      ids_(ids),
      notifier_(notifier),
      directory_(directory),
      composer_(composer),
      unreachable_(metrics.GetCounter(
          "sakchy_alerts_unreachable_total",
          "Contacts that should have been alerted but have no usable channel")),
      silenced_(metrics.GetCounter("sakchy_alerts_silenced_total",
                                   "Notifications held back by a silence (sent when it ends)")),
      held_(metrics.GetCounter("sakchy_alerts_rate_limited_total",
                               "Notifications held for a digest by the per-recipient limit")),
      inhibited_(metrics.GetCounter("sakchy_alerts_inhibited_total",
                                    "Events not routed because a cluster alert covers them")),
      planned_(metrics.GetCounter("sakchy_alerts_planned_total", "Notifications created")),
      closed_for_capacity_(metrics.GetCounter(
          "sakchy_alert_groups_closed_total",
          "Alert groups closed early to stay within alerts.max_open_groups")) {
  auto groups = groups_gauge_;
  metrics.AddCallbackGauge("sakchy_alert_groups", "Open alert groups", {},
                           [groups] { return static_cast<double>(groups->load()); });
}

std::vector<Alert> Router::Plan(const Event& event) {
  if (event.severity < cfg_.min_severity || event.report.id.empty()) return {};
  Alert ticket;
  ticket.id = ids_.Next();
  ticket.kind = AlertKind::kRoute;
  ticket.event_id = event.report.id;
  ticket.event_ids = {event.report.id};
  ticket.group_key = "route:" + event.report.id;
  ticket.area = event.area;
  ticket.severity = event.severity;
  ticket.categories = event.categories;
  ticket.channel = "route";
  ticket.idempotency_key = ticket.group_key;
  ticket.created_at = clock_.NowMs();
  ticket.next_attempt_at = ticket.created_at;
  return {std::move(ticket)};
}

bool Router::Queue(std::vector<Alert> alerts) {
  std::lock_guard lock(tickets_mu_);
  for (Alert& a : alerts) {
    if (a.kind == AlertKind::kRoute) tickets_.push_back(std::move(a));
  }
  const bool schedule = !tickets_.empty() && !routing_scheduled_;
  if (schedule) routing_scheduled_ = true;
  return schedule;
}

void Router::Tick(TimeMs now) {
  const auto due = notifier_.NextDue();
  if (due && *due <= now) (void)Step(now, {});
}

// Start: routing state and silences from their record tables.
Status Router::LoadState() {
  storage::RecordScan scan;
  scan.limit = kMaxRecords;
  auto groups = store_.records.ScanRecords(kGroupsTable, scan);
  if (!groups) return tl::unexpected(groups.error());
  auto rates = store_.records.ScanRecords(kRatesTable, scan);
  if (!rates) return tl::unexpected(rates.error());
  auto inhibited = store_.records.ScanRecords(kInhibitedTable, scan);
  if (!inhibited) return tl::unexpected(inhibited.error());
  const TimeMs now = clock_.NowMs();
  for (const auto& problem : notifier_.Restore(*groups, *rates, *inhibited, now)) {
    spdlog::error("alerts: {}", problem);
  }
  if (auto st = directory_.LoadSilences(now); !st) return st;
  groups_gauge_->store(notifier_.group_count());
  if (!groups->empty()) spdlog::info("alerts: {} open alert groups restored", groups->size());
  return OkStatus();
}

// State thread. A flood of alerts closes the oldest groups early (Notifier::Add): counted, and
// said in the log at most once a minute.
void Router::CountClosedForCapacity(const AddOutcome& outcome, TimeMs now) {
  if (outcome.closed_for_capacity == 0) return;
  closed_for_capacity_.Inc(outcome.closed_for_capacity);
  if (now - last_capacity_warning_ < 60'000) return;
  last_capacity_warning_ = now;
  spdlog::warn("alerts: {} open alert groups reached alerts.max_open_groups ({}); the oldest "
               "closed early ({} so far): no more reminders or escalation for them",
               notifier_.group_count(), cfg_.max_open_groups, closed_for_capacity_.Value());
}

// State thread: routes every ticket queued so far.
void Router::RouteTickets() {
  std::vector<Alert> tickets;
  {
    std::lock_guard lock(tickets_mu_);
    tickets.swap(tickets_);
    routing_scheduled_ = false;
  }
  const TimeMs now = clock_.NowMs();
  std::vector<Alert> done;
  done.reserve(tickets.size());
  for (Alert& ticket : tickets) {
    auto event = store_.events.GetEvent(ticket.event_id);
    if (!event) {
      // Leave it pending: it is routed after the next restart (or the next batch).
      spdlog::error("alerts: cannot read event {} to route it: {}", ticket.event_id,
                    event.error().ToString());
      continue;
    }
    if (!event->has_value()) {
      spdlog::error("alerts: event {} of routing ticket {} is missing; dropped", ticket.event_id,
                    ticket.id);
    } else {
      Event& ev = **event;
      RoutingInput in;
      in.kind = AlertKind::kEvent;
      in.key = ticket.event_id;
      in.event_ids = {ticket.event_id};
      in.area = ev.area;
      in.severity = ev.severity;
      in.categories = ev.categories;
      in.source = SourceKey(ev.report);
      in.at = now;
      composer_.Remember(ticket.event_id, std::move(ev));
      AddOutcome outcome = notifier_.Add(in, now);
      CountClosedForCapacity(outcome, now);
      if (outcome.inhibited) inhibited_.Inc();
      for (const auto& id : outcome.unreachable) {
        unreachable_.Inc();
        spdlog::warn("alerts: contact {} should hear about event {} but has no usable channel",
                     id, ticket.event_id);
      }
    }
    ticket.state = DeliveryState::kDelivered;  // routed: the ticket is removed
    done.push_back(std::move(ticket));
  }
  (void)Step(now, std::move(done));
}

// State thread: everything due at `now`, written in one atomic batch with `also` (e.g. the
// routed tickets) and the routing state, then handed to delivery.
Status Router::Step(TimeMs now, std::vector<Alert> also,
                    std::vector<storage::RecordWrite> extra) {
  TickResult result = notifier_.Tick(now);
  silenced_.Inc(static_cast<std::uint64_t>(result.silenced));
  held_.Inc(static_cast<std::uint64_t>(result.held));
  std::vector<Alert> created;
  created.reserve(result.notifications.size());
  for (const Decision& d : result.notifications) created.push_back(composer_.Materialize(d, now));
  std::vector<storage::RecordWrite> records = notifier_.TakeDirty();
  for (const Escalation& e : result.escalations) records.push_back(EscalationAudit(e, now));
  for (const Alert& a : created) records.push_back(CodeRecord(a));
  for (auto& r : extra) records.push_back(std::move(r));
  if (created.empty() && also.empty() && records.empty()) return OkStatus();
  // Routing that sends nothing (no notification, no escalation, only routed tickets and the
  // groups' state) need not wait for a sync: if a power failure loses this write, its tickets
  // are still pending on disk and are routed again after the restart, to the same state.
  const bool redoable =
      created.empty() && result.escalations.empty() && extra.empty() && !also.empty() &&
      std::all_of(also.begin(), also.end(),
                  [](const Alert& a) { return a.kind == AlertKind::kRoute; });
  const auto sync = redoable ? storage::Outbox::Sync::kBuffered : storage::Outbox::Sync::kDurable;
  std::vector<Alert> writes = created;
  for (Alert& a : also) writes.push_back(std::move(a));
  for (int attempt = 1;; ++attempt) {
    auto st = store_.outbox.UpdateAlerts(writes, records, sync);
    if (st) break;
    spdlog::error("alerts: cannot store {} new notifications (attempt {}): {}", created.size(),
                  attempt, st.error().ToString());
    if (attempt == 5) return st;  // tickets stay pending: routed again after a restart
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
  }
  planned_.Inc(created.size());
  groups_gauge_->store(notifier_.group_count());
  composer_.ForgetEvents();
  if (!created.empty()) dispatcher_->Enqueue(std::move(created));
  return OkStatus();
}

storage::RecordWrite Router::EscalationAudit(const Escalation& e, TimeMs now) {
  boost::json::array contacts;
  for (const auto& c : e.contacts) contacts.emplace_back(c);
  storage::RecordWrite audit = AuditWrite(
      ids_, now, "system", "alert.escalate", e.group_key,
      ToJsonText(boost::json::value(
          boost::json::object{{"step", e.step}, {"contacts", std::move(contacts)}})));
  if (e.contacts.empty()) {
    spdlog::warn("alerts: group {} is not acknowledged and has nobody left to escalate to (step "
                 "{})",
                 e.group_key, e.step);
  } else {
    spdlog::info("alerts: group {} escalated to step {}", e.group_key, e.step);
  }
  return audit;
}

// State thread.
// State thread: routes `signals` and writes them, their routing state and audit entries in
// one Step (one atomic write).
Status Router::Raise(std::span<const Signal> signals) {
  const TimeMs now = clock_.NowMs();
  std::vector<storage::RecordWrite> extra;
  Status first_error = OkStatus();
  for (const Signal& signal : signals) {
    // A signal that cannot be routed (a failed read) does not hold back the others.
    if (auto st = AddSignal(signal, now, extra); !st && first_error) first_error = st;
  }
  if (auto st = Step(now, {}, std::move(extra)); !st) return st;
  return first_error;
}

// State thread: one signal of DoRaise: inhibitions, routing, its records appended to `extra`.
Status Router::AddSignal(const Signal& signal, TimeMs now, std::vector<storage::RecordWrite>& extra) {
  const std::string key = SignalKey(signal);
  if (!signal.event_ids.empty()) {
    notifier_.Inhibit(signal.event_ids, key, now);
    // Per-event notifications not sent yet are withdrawn (the cluster alert covers them).
    std::vector<std::string> queued;
    for (std::size_t i = 0; i < signal.event_ids.size() && i < kMaxFollowUpEvents; ++i) {
      storage::AlertFilter filter;
      filter.event_id = signal.event_ids[i];
      filter.state = DeliveryState::kPending;
      filter.kind = AlertKind::kEvent;
      auto listed = store_.outbox.ListAlerts(filter, 100, {});
      if (!listed) return tl::unexpected(listed.error());
      for (const Alert& a : *listed) queued.push_back(a.id);
    }
    if (!queued.empty()) {
      inhibited_.Inc(queued.size());
      spdlog::info("alerts: signal {} inhibits {} queued per-event notifications", key,
                   queued.size());
      dispatcher_->Suppress(std::move(queued), "inhibited by " + key, nullptr);
    }
  }
  RoutingInput in;
  in.kind = AlertKind::kSignal;
  in.key = key;
  in.event_ids = signal.event_ids;
  in.subject = signal.subject_id;
  in.area = signal.area;
  in.severity = signal.severity;
  in.categories = signal.categories;
  in.sources = signal.sources;
  in.summary = signal.summary;
  in.reason = signal.reason;
  in.spread = signal.spread;
  in.at = now;
  AddOutcome outcome = notifier_.Add(in, now);
  CountClosedForCapacity(outcome, now);
  for (const auto& id : outcome.unreachable) {
    unreachable_.Inc();
    spdlog::warn("alerts: contact {} should hear about signal {} but has no usable channel", id,
                 key);
  }
  boost::json::array areas;
  for (const auto& area : signal.areas) areas.emplace_back(area);
  boost::json::object record{{"kind", SignalKindName(signal.kind)},
                             {"subject_id", signal.subject_id},
                             {"area", signal.area},
                             {"areas", std::move(areas)},
                             {"severity", SeverityName(signal.severity)},
                             {"summary", signal.summary},
                             {"reason", signal.reason},
                             {"sources", signal.sources},
                             {"events", signal.event_ids.size()},
                             {"first_seen", signal.first_seen},
                             {"at", signal.at}};
  if (signal.spread) record["spread"] = SpreadWhyJson(*signal.spread);
  extra.push_back({std::string(kSignalsTable), signal.subject_id,
                   ToJsonText(boost::json::value(std::move(record)))});
  storage::RecordWrite audit =
      AuditWrite(ids_, now, "analytics", "alert.signal",
                 key, ToJsonText(boost::json::value(boost::json::object{
      {"reason", signal.reason},
      {"severity", SeverityName(signal.severity)},
      {"sources", signal.sources},
      {"events", signal.event_ids.size()}})));
  extra.push_back(std::move(audit));
  return OkStatus();
}

}  // namespace sakchy::alerts
