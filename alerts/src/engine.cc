#include "alerts/engine.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "alerts/contacts.h"
#include "alerts/dispatcher.h"
#include "alerts/silences.h"
#include "area_names.h"
#include "audit_write.h"
#include "acknowledgements.h"
#include "composer.h"
#include "follow_ups.h"
#include "undelivered.h"
#include "directory.h"
#include "engine_records.h"
#include "core/channel.h"
#include "core/crypto.h"
#include "core/language.h"
#include "core/id.h"
#include "core/json_text.h"
#include "alerts/templates.h"
#include "render.h"
#include "reply_desk.h"
#include "spread_json.h"
#include "telegram_updates.h"
#include "storage/audit.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kMaxGroupListed = 1000;
constexpr std::size_t kMaxRecords = 10'000'000;
constexpr auto kTickEvery = std::chrono::milliseconds(20);

std::string SourceKey(const Report& r) { return r.channel + ":" + r.submitted_by; }

class EngineImpl final : public Engine {
 public:
  EngineImpl(storage::Store& store, const config::AlertsConfig& cfg,
             std::vector<config::Contact> contacts, const config::AreaTree& areas,
             const Clock& clock, MetricsRegistry& metrics)
      : store_(store),
        cfg_(cfg),
        areas_(areas),
        clock_(clock),
        metrics_(metrics),
        ids_(clock),
        notifier_(cfg_, areas_),
        directory_(store, cfg_, std::move(contacts), areas, clock, ids_, notifier_),
        composer_(store, cfg_, areas, clock, ids_, directory_),
        acks_(store, cfg_, clock, ids_, notifier_, metrics, directory_),
        follow_ups_(store, clock, ids_, notifier_, composer_),
        undelivered_(cfg_, clock, ids_, metrics, directory_, composer_),
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

  ~EngineImpl() override { Stop(); }

  void SetVerdictLookup(VerdictLookup lookup) override {
    composer_.SetVerdictLookup(std::move(lookup));
  }

  Status EnableReplies(const config::RepliesConfig& replies) override {
    auto catalog = ReplyCatalog::Load(replies.messages_dir);
    if (!catalog) return tl::unexpected(catalog.error());
    replies_ = std::make_unique<ReplyDesk>(store_, replies, cfg_.channels, std::move(*catalog),
                                           clock_, ids_, metrics_);
    return OkStatus();
  }

  void Reported(ReporterMessage message) override {
    if (!replies_ || !dispatcher_) return;
    auto task = [this, message = std::move(message)] {
      auto created = replies_->OnMessage(message);
      if (!created) {
        spdlog::error("replies: message of {} not recorded: {}", message.pseudonym,
                      created.error().ToString());
        return;
      }
      planned_.Inc(created->size());
      if (!created->empty()) dispatcher_->Enqueue(std::move(*created));
    };
    dispatcher_->Post(std::move(task));
  }

  Result<std::size_t> AnswerReporters(const Verdict& verdict,
                                      std::optional<std::string> public_area) override {
    if (!replies_) return std::size_t{0};
    auto answer = [this, &verdict, &public_area]() -> Result<std::size_t> {
      auto created = replies_->Answer(verdict, public_area);
      if (!created) return tl::unexpected(created.error());
      const std::size_t n = created->size();
      planned_.Inc(n);
      if (n > 0) dispatcher_->Enqueue(std::move(*created));
      return n;
    };
    return OnStateThread<Result<std::size_t>>(answer);
  }

  Status Start() override {
    if (auto st = directory_.LoadContacts(); !st) return st;
    if (auto st = LoadRoutingState(); !st) return st;
    auto pending = store_.PendingAlerts();
    if (!pending) return tl::unexpected(pending.error());
    std::vector<Alert> tickets;
    for (Alert& a : *pending) {
      if (a.kind == AlertKind::kRoute) tickets.push_back(std::move(a));
    }
    DispatcherHooks hooks;
    hooks.on_change = [this](const Alert& alert, DeliveryState before) {
      return undelivered_.OnChange(alert, before);
    };
    hooks.ids = &ids_;
    dispatcher_ = Dispatcher::Create(store_, cfg_, directory_.All(), clock_, metrics_, &areas_,
                                     std::move(hooks));
    directory_.SetContactsChanged([this](std::vector<config::Contact> contacts) {
      dispatcher_->UpdateContacts(std::move(contacts));
    });
    if (auto st = dispatcher_->Start(); !st) return st;
    if (!tickets.empty()) {
      spdlog::info("alerts: routing {} events left from before the restart", tickets.size());
      Committed(std::move(tickets));
    }
    ticker_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sakchy-alerts");
      TickLoop();
    });
    if (cfg_.channels.telegram) {
      acks_.StartTelegram([this](const AckRequest& request) { return Acknowledge(request); });
    }
    return OkStatus();
  }

  void Stop() override {
    {
      std::lock_guard lock(tick_mu_);
      stopping_ = true;
    }
    tick_cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    acks_.Stop();
    if (dispatcher_) dispatcher_->Stop();
  }

  std::vector<Alert> Plan(const Event& event) override {
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

  void Committed(std::vector<Alert> alerts) override {
    bool schedule = false;
    {
      std::lock_guard lock(tickets_mu_);
      for (Alert& a : alerts) {
        if (a.kind == AlertKind::kRoute) tickets_.push_back(std::move(a));
      }
      schedule = !tickets_.empty() && !routing_scheduled_;
      if (schedule) routing_scheduled_ = true;
    }
    if (schedule) {
      auto route = [this] { RouteTickets(); };
      dispatcher_->Post(route);
    }
  }

  Result<AckOutcome> Acknowledge(const AckRequest& request) override {
    return OnStateThread<Result<AckOutcome>>(
        [this, &request] { return acks_.Acknowledge(request); });
  }

  Result<std::optional<AckOutcome>> AcknowledgeBySms(std::string_view sender,
                                                     std::string_view code) override {
    auto request = acks_.FromSms(sender, code);
    if (!request) return tl::unexpected(request.error());
    if (!*request) return std::optional<AckOutcome>();
    auto ack = Acknowledge(**request);
    if (!ack) return tl::unexpected(ack.error());
    return std::optional<AckOutcome>(std::move(*ack));
  }

  Result<Alert> DeliveryReport(std::string_view alert_id, int type) override {
    auto promise = std::make_shared<std::promise<Result<Alert>>>();
    auto future = promise->get_future();
    dispatcher_->DeliveryReport(std::string(alert_id), type,
                                [promise](Result<Alert> r) { promise->set_value(std::move(r)); });
    return future.get();
  }

  bool CheckDlrToken(std::string_view alert_id, std::string_view token) const override {
    if (!cfg_.channels.sms) return false;
    return ConstantTimeEquals(DlrToken(*cfg_.channels.sms, alert_id), token);
  }

  Result<std::optional<AlertDetail>> Describe(std::string_view alert_id) override {
    auto stored = store_.GetAlert(alert_id);
    if (!stored) return tl::unexpected(stored.error());
    if (!stored->has_value() || (*stored)->kind == AlertKind::kRoute) {
      return std::optional<AlertDetail>();
    }
    AlertDetail detail;
    detail.alert = std::move(**stored);
    const std::string key = detail.alert.group_key;
    detail.state = OnStateThread<std::optional<Notifier::GroupView>>(
        [this, &key] { return notifier_.Group(key); });
    if (!detail.alert.group_key.empty()) {
      storage::AlertFilter filter;
      filter.group_key = detail.alert.group_key;
      auto group = store_.ListAlerts(filter, kMaxGroupListed, {});
      if (!group) return tl::unexpected(group.error());
      detail.group = std::move(*group);
      std::reverse(detail.group.begin(), detail.group.end());
      auto acks = acks_.List(detail.alert.group_key);
      if (!acks) return tl::unexpected(acks.error());
      detail.acks = std::move(*acks);
    } else {
      detail.group.push_back(detail.alert);
    }
    return std::optional<AlertDetail>(std::move(detail));
  }

  Status Raise(const Signal& signal) override {
    if (signal.subject_id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "signal: subject_id is required");
    }
    return OnStateThread<Status>([this, &signal] { return DoRaise({&signal, 1}); });
  }

  void RaiseAll(std::vector<Signal> signals) override {
    std::erase_if(signals, [](const Signal& s) {
      if (!s.subject_id.empty()) return false;
      spdlog::error("alerts: a signal without a subject id is not raised ({})", s.reason);
      return true;
    });
    if (signals.empty()) return;
    auto raise = [this, signals = std::move(signals)] {
      if (auto st = DoRaise(signals); !st) {
        spdlog::error("alerts: {} signals not raised: {}", signals.size(), st.error().ToString());
      }
    };
    dispatcher_->Post(std::move(raise));
  }

  Result<std::size_t> FollowUp(const Verdict& verdict) override {
    if (verdict.cluster_id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "verdict: cluster_id is required");
    }
    auto follow_up = [this, &verdict]() -> Result<std::size_t> {
      auto created = follow_ups_.Create(verdict);
      if (!created) return tl::unexpected(created.error());
      const std::size_t count = created->size();
      planned_.Inc(count);
      if (count > 0) dispatcher_->Enqueue(std::move(*created));
      return count;
    };
    return OnStateThread<Result<std::size_t>>(follow_up);
  }

  std::size_t backlog() const override { return dispatcher_ ? dispatcher_->backlog() : 0; }

  std::vector<ContactInfo> Contacts() const override { return directory_.Contacts(); }

  const AddressFilter& WebhookTargets() const override { return directory_.WebhookTargets(); }

  std::optional<ContactInfo> FindContact(std::string_view id) const override {
    return directory_.Find(id);
  }

  Result<ContactInfo> PutContact(config::Contact contact, std::string actor,
                                 bool create) override {
    return OnStateThread<Result<ContactInfo>>([this, &contact, &actor, create] {
      return directory_.Put(std::move(contact), actor, create);
    });
  }

  Status DeleteContact(std::string_view id, std::string actor) override {
    return OnStateThread<Status>([this, id, &actor] { return directory_.Delete(id, actor); });
  }

  Result<Silence> CreateSilence(Silence silence, std::string actor) override {
    return OnStateThread<Result<Silence>>(
        [this, &silence, &actor] { return directory_.CreateSilence(std::move(silence), actor); });
  }

  Result<Silence> ExpireSilence(std::string_view id, std::string actor) override {
    return OnStateThread<Result<Silence>>(
        [this, id, &actor] { return directory_.ExpireSilence(id, actor); });
  }

  std::vector<Silence> Silences() const override { return directory_.Silences(); }

  std::vector<std::string> ReadinessProblems() const override {
    return directory_.ReadinessProblems();
  }

 private:
  // Runs `fn` on the state thread and waits for its result.
  template <typename T, typename Fn>
  T OnStateThread(Fn fn) {
    std::promise<T> promise;
    auto future = promise.get_future();
    auto task = [&promise, &fn] { promise.set_value(fn()); };
    dispatcher_->Post(task);
    return future.get();
  }

  // ---- Routing ----

  // Start: routing state and silences from their record tables.
  Status LoadRoutingState() {
    storage::RecordScan scan;
    scan.limit = kMaxRecords;
    auto groups = store_.ScanRecords(kGroupsTable, scan);
    if (!groups) return tl::unexpected(groups.error());
    auto rates = store_.ScanRecords(kRatesTable, scan);
    if (!rates) return tl::unexpected(rates.error());
    auto inhibited = store_.ScanRecords(kInhibitedTable, scan);
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

  // Ticker thread: asks the state thread to look at the clock every kTickEvery.
  void TickLoop() {
    std::unique_lock lock(tick_mu_);
    while (!stopping_) {
      tick_cv_.wait_for(lock, kTickEvery);
      if (stopping_) break;
      if (tick_scheduled_.exchange(true)) continue;
      auto tick = [this] {
        tick_scheduled_ = false;
        const TimeMs now = clock_.NowMs();
        const auto due = notifier_.NextDue();
        if (due && *due <= now) (void)Step(now, {});
      };
      dispatcher_->Post(tick);
    }
  }

  // State thread. A flood of alerts closes the oldest groups early (Notifier::Add): counted, and
  // said in the log at most once a minute.
  void CountClosedForCapacity(const AddOutcome& outcome, TimeMs now) {
    if (outcome.closed_for_capacity == 0) return;
    closed_for_capacity_.Inc(outcome.closed_for_capacity);
    if (now - last_capacity_warning_ < 60'000) return;
    last_capacity_warning_ = now;
    spdlog::warn("alerts: {} open alert groups reached alerts.max_open_groups ({}); the oldest "
                 "closed early ({} so far): no more reminders or escalation for them",
                 notifier_.group_count(), cfg_.max_open_groups, closed_for_capacity_.Value());
  }

  // State thread: routes every ticket queued so far.
  void RouteTickets() {
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
      auto event = store_.GetEvent(ticket.event_id);
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
  Status Step(TimeMs now, std::vector<Alert> also,
              std::vector<storage::RecordWrite> extra = {}) {
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
    const auto sync = redoable ? storage::Store::Sync::kBuffered : storage::Store::Sync::kDurable;
    std::vector<Alert> writes = created;
    for (Alert& a : also) writes.push_back(std::move(a));
    for (int attempt = 1;; ++attempt) {
      auto st = store_.UpdateAlerts(writes, records, sync);
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

  storage::RecordWrite EscalationAudit(const Escalation& e, TimeMs now) {
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
  Status DoRaise(std::span<const Signal> signals) {
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
  Status AddSignal(const Signal& signal, TimeMs now, std::vector<storage::RecordWrite>& extra) {
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
        auto listed = store_.ListAlerts(filter, 100, {});
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

  storage::Store& store_;
  const config::AlertsConfig cfg_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  IdGenerator ids_;
  Notifier notifier_;  // state thread only (and Start)
  Directory directory_;
  Composer composer_;  // state thread only
  Acknowledgements acks_;
  FollowUps follow_ups_;      // state thread only
  Undelivered undelivered_;  // state thread only
  std::unique_ptr<Dispatcher> dispatcher_;
  Counter& unreachable_;
  Counter& silenced_;
  Counter& held_;
  Counter& inhibited_;
  Counter& planned_;
  Counter& closed_for_capacity_;
  TimeMs last_capacity_warning_ = 0;
  std::shared_ptr<std::atomic<std::size_t>> groups_gauge_ =
      std::make_shared<std::atomic<std::size_t>>(0);

  std::mutex tickets_mu_;
  std::vector<Alert> tickets_;  // committed, not yet routed
  bool routing_scheduled_ = false;

  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool stopping_ = false;
  std::atomic<bool> tick_scheduled_{false};
  std::thread ticker_;

  // State thread (and Start).
  std::unique_ptr<ReplyDesk> replies_;  // set before Start; used on the state thread

};

}  // namespace

std::unique_ptr<Engine> Engine::Create(storage::Store& store, const config::AlertsConfig& cfg,
                                       std::vector<config::Contact> contacts,
                                       const config::AreaTree& areas, const Clock& clock,
                                       MetricsRegistry& metrics) {
  return std::make_unique<EngineImpl>(store, cfg, std::move(contacts), areas, clock, metrics);
}

}  // namespace sakchy::alerts
