#include "alerts/engine.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <unordered_map>

#include "alerts/contacts.h"
#include "alerts/delivery_queue.h"
#include "alerts/dispatcher.h"
#include "alerts/silences.h"
#include "area_names.h"
#include "audit_write.h"
#include "acknowledgements.h"
#include "composer.h"
#include "router.h"
#include "follow_ups.h"
#include "undelivered.h"
#include "directory.h"
#include "engine_records.h"
#include "core/channel.h"
#include "core/crypto.h"
#include "core/language.h"
#include "core/id.h"
#include "core/json_text.h"
#include "core/periodic_worker.h"
#include "alerts/templates.h"
#include "render.h"
#include "reply_desk.h"
#include "spread_json.h"
#include "telegram_updates.h"
#include "wording.h"
#include "storage/audit.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kMaxGroupListed = 1000;
constexpr auto kTickEvery = std::chrono::milliseconds(20);

class EngineImpl final : public Engine, public NotificationTaker {
 public:
  EngineImpl(AlertStore store, const config::AlertsConfig& cfg,
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
        router_(store, cfg_, clock, ids_, metrics, notifier_, directory_, composer_),
        planned_(metrics.GetCounter("sakchy_alerts_planned_total", "Notifications created")) {}

  ~EngineImpl() override { Stop(); }

  void SetVerdictLookup(VerdictLookup lookup) override {
    composer_.SetVerdictLookup(std::move(lookup));
  }

  Status EnableReplies(const config::RepliesConfig& replies) override {
    auto catalog = ReplyCatalog::Load(replies.messages_dir);
    if (!catalog) return tl::unexpected(catalog.error());
    if (!replies.messages_dir.empty()) UseWording(*catalog);  // edited alert words too
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

  void UseDeliveryQueue(NotificationQueue& queue) {
    queue_ = &queue;
    composer_.UseSharedIds();
  }

  void Take(Alert alert, int deliveries, TakeCallback done) override {
    if (!dispatcher_) {
      done(TakeResult{false, 0});
      return;
    }
    dispatcher_->Take(std::move(alert), deliveries, std::move(done));
  }

  Status Start() override {
    if (auto st = directory_.LoadContacts(); !st) return st;
    if (auto st = router_.LoadState(); !st) return st;
    auto pending = store_.outbox.PendingAlerts();
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
    hooks.queue = queue_;
    dispatcher_ = Dispatcher::Create(store_, cfg_, directory_.All(), clock_, metrics_, &areas_,
                                     std::move(hooks));
    directory_.SetContactsChanged([this](std::vector<config::Contact> contacts) {
      dispatcher_->UpdateContacts(std::move(contacts));
    });
    router_.SetDispatcher(dispatcher_.get());
    if (auto st = dispatcher_->Start(); !st) return st;
    if (!tickets.empty()) {
      spdlog::info("alerts: routing {} events left from before the restart", tickets.size());
      Committed(std::move(tickets));
    }
    // Asks the state thread to look at the clock every kTickEvery (one tick queued at a time).
    ticker_.Start("sakchy-alerts", kTickEvery, PeriodicWorker::FirstRun::kAfterInterval, [this] {
      if (tick_scheduled_.exchange(true)) return;
      auto tick = [this] {
        tick_scheduled_ = false;
        router_.Tick(clock_.NowMs());
      };
      dispatcher_->Post(tick);
    });
    if (cfg_.channels.telegram) {
      acks_.StartTelegram([this](const AckRequest& request) { return Acknowledge(request); });
    }
    return OkStatus();
  }

  void Stop() override {
    ticker_.Stop();
    acks_.Stop();
    if (dispatcher_) dispatcher_->Stop();
  }

  std::vector<Alert> Plan(const Event& event) override { return router_.Plan(event); }

  void Committed(std::vector<Alert> alerts) override {
    if (router_.Queue(std::move(alerts))) {
      auto route = [this] { router_.RouteTickets(); };
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
    auto stored = store_.outbox.GetAlert(alert_id);
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
      auto group = store_.outbox.ListAlerts(filter, kMaxGroupListed, {});
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
    return OnStateThread<Status>([this, &signal] { return router_.Raise({&signal, 1}); });
  }

  void RaiseAll(std::vector<Signal> signals) override {
    std::erase_if(signals, [](const Signal& s) {
      if (!s.subject_id.empty()) return false;
      spdlog::error("alerts: a signal without a subject id is not raised ({})", s.reason);
      return true;
    });
    if (signals.empty()) return;
    auto raise = [this, signals = std::move(signals)] {
      if (auto st = router_.Raise(signals); !st) {
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

  AlertStore store_;
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
  Router router_;
  std::unique_ptr<Dispatcher> dispatcher_;
  NotificationQueue* queue_ = nullptr;  // cluster mode
  Counter& planned_;

  std::atomic<bool> tick_scheduled_{false};
  PeriodicWorker ticker_;  // stopped (in Stop or here) before the members its task uses go

  // State thread (and Start).
  std::unique_ptr<ReplyDesk> replies_;  // set before Start; used on the state thread

};

}  // namespace

std::unique_ptr<Engine> Engine::Create(AlertStore store, const config::AlertsConfig& cfg,
                                       std::vector<config::Contact> contacts,
                                       const config::AreaTree& areas, const Clock& clock,
                                       MetricsRegistry& metrics) {
  return std::make_unique<EngineImpl>(store, cfg, std::move(contacts), areas, clock, metrics);
}

// Every Engine is an EngineImpl (Engine::Create is the only way to make one).
void UseDeliveryQueue(Engine& engine, NotificationQueue& queue) {
  static_cast<EngineImpl&>(engine).UseDeliveryQueue(queue);
}

NotificationTaker& DeliveryTaker(Engine& engine) { return static_cast<EngineImpl&>(engine); }

}  // namespace sakchy::alerts
