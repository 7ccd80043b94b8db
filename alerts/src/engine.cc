#include "alerts/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <mutex>

#include "alerts/dispatcher.h"
#include "alerts/router.h"
#include "channels.h"
#include "core/crypto.h"
#include "core/id.h"
#include "storage/audit.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kMaxGroupListed = 1000;
constexpr std::size_t kMaxAcksListed = 1000;

class EngineImpl final : public Engine {
 public:
  EngineImpl(storage::Store& store, const config::AlertsConfig& cfg,
             std::vector<config::Contact> contacts, const config::AreaTree& areas,
             const Clock& clock, MetricsRegistry& metrics)
      : store_(store),
        cfg_(cfg),
        contacts_(std::move(contacts)),
        areas_(areas),
        clock_(clock),
        metrics_(metrics),
        ids_(clock),
        router_(cfg_, contacts_, areas_, ids_) {}

  ~EngineImpl() override { Stop(); }

  Status Start() override {
    DispatcherHooks hooks;
    hooks.on_change = [this](const Alert& alert, DeliveryState before) { OnChange(alert, before); };
    dispatcher_ =
        Dispatcher::Create(store_, cfg_, contacts_, clock_, metrics_, &areas_, std::move(hooks));
    return dispatcher_->Start();
  }

  void Stop() override {
    if (dispatcher_) dispatcher_->Stop();
  }

  std::vector<Alert> Plan(const Event& event) override {
    return router_.Plan(event, clock_.NowMs());
  }

  void Committed(std::vector<Alert> alerts) override { dispatcher_->Enqueue(std::move(alerts)); }

  Result<AckOutcome> Acknowledge(const AckRequest& request) override {
    return OnStateThread<Result<AckOutcome>>([this, &request] { return DoAcknowledge(request); });
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
    if (!detail.alert.group_key.empty()) {
      storage::AlertFilter filter;
      filter.group_key = detail.alert.group_key;
      auto group = store_.ListAlerts(filter, kMaxGroupListed, {});
      if (!group) return tl::unexpected(group.error());
      detail.group = std::move(*group);
      std::reverse(detail.group.begin(), detail.group.end());
      auto acks = ListAcks(detail.alert.group_key);
      if (!acks) return tl::unexpected(acks.error());
      detail.acks = std::move(*acks);
    } else {
      detail.group.push_back(detail.alert);
    }
    return std::optional<AlertDetail>(std::move(detail));
  }

  std::size_t backlog() const override { return dispatcher_ ? dispatcher_->backlog() : 0; }

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

  Result<std::vector<Ack>> ListAcks(const std::string& group_key) {
    storage::RecordScan scan;
    scan.prefix = group_key;
    scan.prefix.push_back('\0');
    scan.limit = kMaxAcksListed;
    auto records = store_.ScanRecords(kAcksTable, scan);
    if (!records) return tl::unexpected(records.error());
    std::vector<Ack> out;
    for (const auto& r : *records) {
      auto ack = DecodeAck(r.value);
      if (!ack) return tl::unexpected(ack.error());
      out.push_back(std::move(*ack));
    }
    return out;
  }

  // State thread.
  Result<AckOutcome> DoAcknowledge(const AckRequest& request) {
    auto stored = store_.GetAlert(request.alert_id);
    if (!stored) return tl::unexpected(stored.error());
    if (!stored->has_value() || (*stored)->kind == AlertKind::kRoute) {
      return MakeError(ErrorCode::kNotFound, "no alert with id " + request.alert_id);
    }
    const Alert& alert = **stored;
    const std::string group_key =
        alert.group_key.empty() ? "event:" + alert.event_id : alert.group_key;
    auto acks = ListAcks(group_key);
    if (!acks) return tl::unexpected(acks.error());
    for (const Ack& earlier : *acks) {
      if (earlier.actor == request.actor) return AckOutcome{earlier, true};
    }
    Ack ack;
    ack.id = ids_.Next();
    ack.group_key = group_key;
    ack.alert_id = alert.id;
    ack.contact_id = alert.contact_id;
    ack.actor = request.actor;
    ack.via = request.via;
    ack.note = request.note;
    ack.at = clock_.NowMs();
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = ack.at;
    entry.actor = ack.actor;
    entry.action = "alert.ack";
    entry.subject = alert.id;
    entry.details = EncodeAck(ack);
    std::vector<storage::RecordWrite> writes{
        storage::RecordWrite{std::string(kAcksTable), AckKey(ack), EncodeAck(ack)},
        storage::AuditRecord(entry)};
    if (auto st = store_.WriteRecords(writes); !st) return tl::unexpected(st.error());
    metrics_.GetCounter("sakchy_alerts_acked_total", "Alert groups acknowledged",
                        {{"via", ack.via}})
        .Inc();
    spdlog::info("alerts: group {} acknowledged via {} by {} (alert {})", group_key, ack.via,
                 ack.actor, alert.id);
    return AckOutcome{std::move(ack), false};
  }

  // State thread: a notification changed state durably.
  void OnChange(const Alert& /*alert*/, DeliveryState /*before*/) {}

  storage::Store& store_;
  const config::AlertsConfig cfg_;
  const std::vector<config::Contact> contacts_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  IdGenerator ids_;
  Router router_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

}  // namespace

std::unique_ptr<Engine> Engine::Create(storage::Store& store, const config::AlertsConfig& cfg,
                                       std::vector<config::Contact> contacts,
                                       const config::AreaTree& areas, const Clock& clock,
                                       MetricsRegistry& metrics) {
  return std::make_unique<EngineImpl>(store, cfg, std::move(contacts), areas, clock, metrics);
}

}  // namespace sakchy::alerts
