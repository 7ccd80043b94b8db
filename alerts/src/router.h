#pragma once
// Routing (private to alerts): routing tickets committed with their events and analytics'
// signals go through the Notifier (route tree, groups, silences, rate limit, inhibition,
// escalation); what is due becomes rendered notifications (Composer), written with the routing
// state, the escalation audits and the tickets' removal in one atomic UpdateAlerts, then handed
// to delivery.
//
// Thread safety: Plan and Queue may be called from any thread; everything else runs on the
// engine's state thread (LoadState during Start). Blocking: the state-thread methods wait on the
// store.

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "alerts/dispatcher.h"
#include "alerts/notifier.h"
#include "composer.h"
#include "config/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "directory.h"
#include "alerts/store.h"

namespace sakchy::alerts {

class Router {
 public:
  // Every reference must outlive the router.
  Router(AlertStore store, const config::AlertsConfig& cfg, const Clock& clock,
         IdGenerator& ids, MetricsRegistry& metrics, Notifier& notifier, Directory& directory,
         Composer& composer);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Start: the routing state (groups, rates, inhibitions) and the silences.
  [[nodiscard]] Status LoadState();
  // Delivery, once it exists (before the state thread runs).
  void SetDispatcher(Dispatcher* dispatcher) { dispatcher_ = dispatcher; }

  // The routing ticket to commit with `event`; none below alerts.min_severity. Pure.
  std::vector<Alert> Plan(const Event& event);
  // Queues committed tickets (other alerts are ignored). True when the caller must run
  // RouteTickets on the state thread (none is scheduled yet).
  bool Queue(std::vector<Alert> tickets);

  // State thread: routes every ticket queued so far.
  void RouteTickets();
  // State thread: what is due at `now` (reminders, escalations, digests, silences that ended).
  void Tick(TimeMs now);
  // State thread: routes `signals`, inhibits their member events, and writes them, their routing
  // state and audit entries in one atomic write.
  [[nodiscard]] Status Raise(std::span<const Signal> signals);

 private:
  void CountClosedForCapacity(const AddOutcome& outcome, TimeMs now);
  // Everything due at `now`, written in one atomic batch with `also` (e.g. the routed tickets),
  // `extra` records and the routing state, then handed to delivery.
  Status Step(TimeMs now, std::vector<Alert> also, std::vector<storage::RecordWrite> extra = {});
  storage::RecordWrite EscalationAudit(const Escalation& e, TimeMs now);
  Status AddSignal(const Signal& signal, TimeMs now, std::vector<storage::RecordWrite>& extra);

  AlertStore store_;
  const config::AlertsConfig& cfg_;
  const Clock& clock_;
  IdGenerator& ids_;
  Notifier& notifier_;
  Directory& directory_;
  Composer& composer_;
  Dispatcher* dispatcher_ = nullptr;
  Counter& unreachable_;
  Counter& silenced_;
  Counter& held_;
  Counter& inhibited_;
  Counter& planned_;
  Counter& closed_for_capacity_;
  TimeMs last_capacity_warning_ = 0;  // state thread
  std::shared_ptr<std::atomic<std::size_t>> groups_gauge_ =
      std::make_shared<std::atomic<std::size_t>>(0);

  std::mutex tickets_mu_;
  std::vector<Alert> tickets_;      // guarded by tickets_mu_: committed, not yet routed
  bool routing_scheduled_ = false;  // guarded by tickets_mu_
};

}  // namespace sakchy::alerts
