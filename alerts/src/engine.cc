#include "alerts/engine.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <mutex>

#include "alerts/contacts.h"
#include "alerts/dispatcher.h"
#include "alerts/router.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/json_text.h"
#include "storage/audit.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kMaxGroupListed = 1000;
constexpr std::size_t kMaxAcksListed = 1000;
constexpr std::size_t kMaxContacts = 100000;

class EngineImpl final : public Engine {
 public:
  EngineImpl(storage::Store& store, const config::AlertsConfig& cfg,
             std::vector<config::Contact> contacts, const config::AreaTree& areas,
             const Clock& clock, MetricsRegistry& metrics)
      : store_(store),
        cfg_(cfg),
        yaml_contacts_(std::move(contacts)),
        areas_(areas),
        clock_(clock),
        metrics_(metrics),
        ids_(clock),
        router_(cfg_, yaml_contacts_, areas_, ids_),
        unreachable_(metrics.GetCounter(
            "sakchy_alerts_unreachable_total",
            "Contacts that should have been alerted but have no usable channel")),
        fallbacks_(metrics.GetCounter("sakchy_alerts_fallback_total",
                                      "Notifications re-sent on a contact's next channel")) {}

  ~EngineImpl() override { Stop(); }

  Status Start() override {
    if (auto st = LoadContacts(); !st) return st;
    DispatcherHooks hooks;
    hooks.on_change = [this](const Alert& alert, DeliveryState before) {
      return OnChange(alert, before);
    };
    hooks.ids = &ids_;
    dispatcher_ = Dispatcher::Create(store_, cfg_, AllContacts(), clock_, metrics_, &areas_,
                                     std::move(hooks));
    return dispatcher_->Start();
  }

  void Stop() override {
    if (dispatcher_) dispatcher_->Stop();
  }

  std::vector<Alert> Plan(const Event& event) override {
    std::vector<std::string> unreachable;
    auto alerts = router_.Plan(event, clock_.NowMs(), &unreachable);
    for (const std::string& id : unreachable) {
      unreachable_.Inc();
      spdlog::warn("alerts: contact {} should hear about event {} but has no usable channel", id,
                   event.report.id);
    }
    return alerts;
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

  std::vector<ContactInfo> Contacts() const override {
    std::lock_guard lock(directory_mu_);
    return directory_;
  }

  std::optional<ContactInfo> FindContact(std::string_view id) const override {
    std::lock_guard lock(directory_mu_);
    for (const ContactInfo& info : directory_) {
      if (info.contact.id == id) return info;
    }
    return std::nullopt;
  }

  Result<ContactInfo> PutContact(config::Contact contact, std::string actor,
                                 bool create) override {
    return OnStateThread<Result<ContactInfo>>([this, &contact, &actor, create] {
      return DoPutContact(std::move(contact), actor, create);
    });
  }

  Status DeleteContact(std::string_view id, std::string actor) override {
    return OnStateThread<Status>([this, id, &actor] { return DoDeleteContact(id, actor); });
  }

  std::vector<std::string> ReadinessProblems() const override {
    std::lock_guard lock(directory_mu_);
    std::vector<std::string> out = load_problems_;
    for (const ContactInfo& info : directory_) {
      if (!info.reachable) {
        out.push_back("contact '" + info.contact.id + "' (" + info.contact.origin +
                      "): no usable channel");
      }
    }
    return out;
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

  // ---- Contacts ----

  // Start: the YAML contacts, then the stored ones (an id of the config file wins).
  Status LoadContacts() {
    storage::RecordScan scan;
    scan.limit = kMaxContacts;
    auto records = store_.ScanRecords(kContactsTable, scan);
    if (!records) return tl::unexpected(records.error());
    for (const auto& r : *records) {
      auto contact = ContactFromJson(r.value, areas_);
      if (!contact) {
        // A stored contact that no longer validates (e.g. its area was removed) is reported, not
        // silently dropped.
        spdlog::error("alerts: stored contact '{}' is invalid and not used: {}: {}", r.key,
                      contact.error().field, contact.error().detail);
        std::lock_guard lock(directory_mu_);
        load_problems_.push_back("stored contact '" + r.key + "' is invalid: " +
                                 contact.error().field + ": " + contact.error().detail);
        continue;
      }
      if (IsYamlContact(contact->id)) {
        spdlog::warn("alerts: stored contact '{}' is shadowed by the config file", contact->id);
        continue;
      }
      api_contacts_[contact->id] = std::move(*contact);
    }
    Publish();
    std::lock_guard lock(directory_mu_);
    for (const ContactInfo& info : directory_) {
      if (!info.reachable) {
        spdlog::warn("alerts: contact '{}' ({}) has no usable channel: {}", info.contact.id,
                     info.contact.origin, info.problems.empty() ? "" : info.problems.front());
      }
    }
    return OkStatus();
  }

  bool IsYamlContact(std::string_view id) const {
    return std::any_of(yaml_contacts_.begin(), yaml_contacts_.end(),
                       [&](const config::Contact& c) { return c.id == id; });
  }

  const config::Contact* CurrentContact(std::string_view id) const {
    for (const auto& c : yaml_contacts_) {
      if (c.id == id) return &c;
    }
    auto it = api_contacts_.find(std::string(id));
    return it == api_contacts_.end() ? nullptr : &it->second;
  }

  std::vector<config::Contact> AllContacts() const {
    std::vector<config::Contact> all = yaml_contacts_;
    for (const auto& [id, c] : api_contacts_) all.push_back(c);
    return all;
  }

  ContactInfo Info(const config::Contact& c, std::string source) const {
    ContactInfo info;
    info.contact = c;
    info.source = std::move(source);
    info.problems = ContactProblems(c, cfg_.channels);
    info.reachable = !UsableChannels(c, cfg_.channels).empty();
    return info;
  }

  // Makes the current contacts visible to routing, delivery and readers.
  void Publish() {
    std::vector<ContactInfo> directory;
    for (const auto& c : yaml_contacts_) directory.push_back(Info(c, "config"));
    for (const auto& [id, c] : api_contacts_) directory.push_back(Info(c, "api"));
    router_.SetContacts(AllContacts());
    if (dispatcher_) dispatcher_->UpdateContacts(AllContacts());
    std::lock_guard lock(directory_mu_);
    directory_ = std::move(directory);
  }

  static std::string ContactSummary(const config::Contact& c) {
    // Audit details: never addresses (phone numbers, chat ids) or secrets.
    boost::json::object o{{"name", c.name}, {"role", c.role}, {"language", c.language}};
    boost::json::array areas;
    for (const auto& a : c.areas) areas.emplace_back(a);
    o["areas"] = std::move(areas);
    boost::json::array channels;
    for (const auto& ch : c.channels) channels.emplace_back(ch.type);
    o["channels"] = std::move(channels);
    return ToJsonText(boost::json::value(o));
  }

  // State thread.
  Result<ContactInfo> DoPutContact(config::Contact contact, const std::string& actor,
                                   bool create) {
    for (const auto& c : yaml_contacts_) {
      if (c.id == contact.id) {
        return MakeError(ErrorCode::kPermissionDenied,
                         "contact '" + contact.id + "' is defined in the config file (" +
                             c.origin + "); change it there");
      }
    }
    const bool exists = api_contacts_.contains(contact.id);
    if (create && exists) {
      return MakeError(ErrorCode::kAlreadyExists, "contact '" + contact.id + "' already exists");
    }
    contact.origin = "api";
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = clock_.NowMs();
    entry.actor = actor;
    entry.action = exists ? "contact.update" : "contact.create";
    entry.subject = contact.id;
    entry.details = ContactSummary(contact);
    std::vector<storage::RecordWrite> writes{
        storage::RecordWrite{std::string(kContactsTable), contact.id, ContactToJson(contact)},
        storage::AuditRecord(entry)};
    if (auto st = store_.WriteRecords(writes); !st) return tl::unexpected(st.error());
    api_contacts_[contact.id] = contact;
    Publish();
    ContactInfo info = Info(contact, "api");
    spdlog::info("alerts: contact {} {} by {}{}", contact.id, exists ? "updated" : "created",
                 actor, info.reachable ? "" : " (no usable channel)");
    return info;
  }

  // State thread.
  Status DoDeleteContact(std::string_view id, const std::string& actor) {
    if (const config::Contact* c = CurrentContact(id); c != nullptr && IsYamlContact(id)) {
      return MakeError(ErrorCode::kPermissionDenied, "contact '" + std::string(id) +
                                                         "' is defined in the config file (" +
                                                         c->origin + "); remove it there");
    }
    auto it = api_contacts_.find(std::string(id));
    if (it == api_contacts_.end()) {
      return MakeError(ErrorCode::kNotFound, "no contact with id '" + std::string(id) + "'");
    }
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = clock_.NowMs();
    entry.actor = actor;
    entry.action = "contact.delete";
    entry.subject = std::string(id);
    entry.details = ContactSummary(it->second);
    std::vector<storage::RecordWrite> writes{
        storage::RecordWrite{std::string(kContactsTable), std::string(id), std::nullopt},
        storage::AuditRecord(entry)};
    if (auto st = store_.WriteRecords(writes); !st) return st;
    api_contacts_.erase(it);
    Publish();
    spdlog::info("alerts: contact {} deleted by {}", id, actor);
    return OkStatus();
  }

  // ---- Acknowledgements ----

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

  // ---- Delivery outcomes ----

  // State thread: a notification is about to change state (written with what this returns).
  Reaction OnChange(const Alert& alert, DeliveryState /*before*/) {
    Reaction reaction;
    const bool undelivered =
        alert.state == DeliveryState::kFailed || alert.state == DeliveryState::kDeadLetter;
    if (!undelivered || alert.kind == AlertKind::kNotice) return reaction;
    if (auto fallback = Fallback(alert)) {
      storage::AuditEntry entry;
      entry.id = ids_.Next();
      entry.at = clock_.NowMs();
      entry.actor = "system";
      entry.action = "alert.fallback";
      entry.subject = alert.id;
      entry.details = "{\"next\":\"" + fallback->id + "\",\"channel\":\"" + fallback->channel +
                      "\"}";
      reaction.records.push_back(storage::AuditRecord(entry));
      fallbacks_.Inc();
      spdlog::info("alerts: {} {} for contact {}; trying its next channel ({}) as {}", alert.id,
                   DeliveryStateName(alert.state), alert.contact_id, fallback->channel,
                   fallback->id);
      reaction.alerts.push_back(std::move(*fallback));
    }
    return reaction;
  }

  // The same notification on the contact's next usable channel, if there is one.
  std::optional<Alert> Fallback(const Alert& alert) {
    const config::Contact* contact = CurrentContact(alert.contact_id);
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
      next.payload.clear();  // rendered for its own channel
      return next;
    }
    return std::nullopt;
  }

  storage::Store& store_;
  const config::AlertsConfig cfg_;
  const std::vector<config::Contact> yaml_contacts_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  IdGenerator ids_;
  Router router_;
  std::unique_ptr<Dispatcher> dispatcher_;
  Counter& unreachable_;
  Counter& fallbacks_;

  // State thread (and Start).
  std::map<std::string, config::Contact> api_contacts_;

  mutable std::mutex directory_mu_;
  std::vector<ContactInfo> directory_;       // guarded
  std::vector<std::string> load_problems_;   // guarded
};

}  // namespace

std::unique_ptr<Engine> Engine::Create(storage::Store& store, const config::AlertsConfig& cfg,
                                       std::vector<config::Contact> contacts,
                                       const config::AreaTree& areas, const Clock& clock,
                                       MetricsRegistry& metrics) {
  return std::make_unique<EngineImpl>(store, cfg, std::move(contacts), areas, clock, metrics);
}

}  // namespace sakchy::alerts
