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
#include "core/crypto.h"
#include "core/id.h"
#include "core/json_text.h"
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
constexpr std::size_t kMaxAcksListed = 1000;
constexpr std::size_t kMaxContacts = 100000;
constexpr std::size_t kMaxRecords = 10'000'000;
constexpr auto kTickEvery = std::chrono::milliseconds(20);
constexpr TimeMs kSilenceHistoryMs = 7LL * 24 * 3600 * 1000;

std::string SourceKey(const Report& r) { return r.channel + ":" + r.submitted_by; }

// Index of the codes recipients acknowledge with: contact id \0 code \0 alert id -> "".
constexpr std::string_view kCodesTable = "alert_codes";
// The position of the alerts bot's getUpdates.
constexpr std::string_view kTelegramTable = "alert_telegram";
constexpr std::size_t kMaxCodeMatches = 20;
// Signals and verdicts, kept to render their notifications again (fallback channels).
constexpr std::string_view kSignalsTable = "alert_signals";
constexpr std::string_view kVerdictsTable = "alert_verdicts";
constexpr std::size_t kMaxFollowUpEvents = 1000;

std::string SignalKey(const Signal& s) {
  return (s.kind == Signal::Kind::kAreaSpike ? "area:" : "cluster:") + s.subject_id;
}

std::string CodeKey(std::string_view contact_id, std::string_view code, std::string_view id) {
  std::string key(contact_id);
  key.push_back('\0');
  key.append(code);
  key.push_back('\0');
  key.append(id);
  return key;
}

storage::RecordWrite CodeRecord(const Alert& a) {
  return {std::string(kCodesTable), CodeKey(a.contact_id, AlertCode(a.id), a.id), std::string()};
}

std::string Digits(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

std::string AckAnswer(std::string_view language, bool ok) {
  if (!ok) {
    return language == "ky"   ? "Эскертүү табылган жок"
           : language == "uz" ? "Ogohlantirish topilmadi"
           : language == "en" ? "Unknown alert"
           : "Тревога не найдена";
  }
  return language == "ky"   ? "Кабыл алынды"
         : language == "uz" ? "Qabul qilindi"
         : language == "en" ? "Acknowledged"
                            : "Принято";
}

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
        notifier_(cfg_, areas_),
        unreachable_(metrics.GetCounter(
            "sakchy_alerts_unreachable_total",
            "Contacts that should have been alerted but have no usable channel")),
        fallbacks_(metrics.GetCounter("sakchy_alerts_fallback_total",
                                      "Notifications re-sent on a contact's next channel")),
        silenced_(metrics.GetCounter("sakchy_alerts_silenced_total",
                                     "Notifications held back by a silence (sent when it ends)")),
        held_(metrics.GetCounter("sakchy_alerts_rate_limited_total",
                                 "Notifications held for a digest by the per-recipient limit")),
        inhibited_(metrics.GetCounter("sakchy_alerts_inhibited_total",
                                      "Events not routed because a cluster alert covers them")),
        planned_(metrics.GetCounter("sakchy_alerts_planned_total", "Notifications created")),
        notices_(metrics.GetCounter("sakchy_alerts_duty_notices_total",
                                    "Notices to duty contacts about undeliverable alerts")),
        unnoticed_(metrics.GetCounter(
            "sakchy_alerts_undeliverable_unnoticed_total",
            "Undeliverable alerts with no duty contact to tell (see alerts.duty)")),
        closed_for_capacity_(metrics.GetCounter(
            "sakchy_alert_groups_closed_total",
            "Alert groups closed early to stay within alerts.max_open_groups")) {
    auto groups = groups_gauge_;
    metrics.AddCallbackGauge("sakchy_alert_groups", "Open alert groups", {},
                             [groups] { return static_cast<double>(groups->load()); });
  }

  ~EngineImpl() override { Stop(); }

  void SetVerdictLookup(VerdictLookup lookup) override { verdict_lookup_ = std::move(lookup); }

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

  Status Start() override {
    if (auto st = LoadContacts(); !st) return st;
    if (auto st = LoadRoutingState(); !st) return st;
    auto pending = store_.PendingAlerts();
    if (!pending) return tl::unexpected(pending.error());
    std::vector<Alert> tickets;
    for (Alert& a : *pending) {
      if (a.kind == AlertKind::kRoute) tickets.push_back(std::move(a));
    }
    DispatcherHooks hooks;
    hooks.on_change = [this](const Alert& alert, DeliveryState before) {
      return OnChange(alert, before);
    };
    hooks.ids = &ids_;
    dispatcher_ = Dispatcher::Create(store_, cfg_, AllContacts(), clock_, metrics_, &areas_,
                                     std::move(hooks));
    if (auto st = dispatcher_->Start(); !st) return st;
    if (!tickets.empty()) {
      spdlog::info("alerts: routing {} events left from before the restart", tickets.size());
      Committed(std::move(tickets));
    }
    ticker_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sakchy-alerts");
      TickLoop();
    });
    if (cfg_.channels.telegram) StartTelegramUpdates();
    return OkStatus();
  }

  void Stop() override {
    {
      std::lock_guard lock(tick_mu_);
      stopping_ = true;
    }
    tick_cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    if (telegram_) telegram_->Stop();
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
    return OnStateThread<Result<AckOutcome>>([this, &request] { return DoAcknowledge(request); });
  }

  Result<std::optional<AckOutcome>> AcknowledgeBySms(std::string_view sender,
                                                     std::string_view code) override {
    const std::string digits = Digits(sender);
    if (digits.size() < 7 || code.size() != 4) return std::optional<AckOutcome>();
    std::vector<std::string> contacts;
    for (const ContactInfo& info : Contacts()) {
      for (const auto& ch : info.contact.channels) {
        if (ch.type == "sms" && Digits(ch.address) == digits) {
          contacts.push_back(info.contact.id);
          break;
        }
      }
    }
    // The newest notification with this code to one of them.
    std::string best;
    std::string best_contact;
    for (const std::string& contact : contacts) {
      storage::RecordScan scan;
      scan.prefix = CodeKey(contact, code, {});
      scan.reverse = true;
      scan.limit = kMaxCodeMatches;
      auto records = store_.ScanRecords(kCodesTable, scan);
      if (!records) return tl::unexpected(records.error());
      for (const auto& r : *records) {
        const std::string id = r.key.substr(scan.prefix.size());
        if (id > best) {
          best = id;
          best_contact = contact;
        }
      }
    }
    if (best.empty()) {
      spdlog::info("alerts: an SMS acknowledgement with code {} matched no alert of a known "
                   "contact; treated as a report",
                   code);
      return std::optional<AckOutcome>();
    }
    auto ack = Acknowledge({best, "contact:" + best_contact, "sms", ""});
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
      auto acks = ListAcks(detail.alert.group_key);
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
    return OnStateThread<Result<std::size_t>>([this, &verdict] { return DoFollowUp(verdict); });
  }

  std::size_t backlog() const override { return dispatcher_ ? dispatcher_->backlog() : 0; }

  std::vector<ContactInfo> Contacts() const override {
    std::lock_guard lock(directory_mu_);
    return directory_;
  }

  const AddressFilter& WebhookTargets() const override { return targets_; }

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

  Result<Silence> CreateSilence(Silence silence, std::string actor) override {
    return OnStateThread<Result<Silence>>(
        [this, &silence, &actor] { return DoCreateSilence(std::move(silence), actor); });
  }

  Result<Silence> ExpireSilence(std::string_view id, std::string actor) override {
    return OnStateThread<Result<Silence>>([this, id, &actor] { return DoExpireSilence(id, actor); });
  }

  std::vector<Silence> Silences() const override {
    std::lock_guard lock(directory_mu_);
    std::vector<Silence> out = silences_;
    std::sort(out.begin(), out.end(),
              [](const Silence& a, const Silence& b) { return a.id > b.id; });
    return out;
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
      auto contact = ContactFromJson(r.value, areas_, targets_);
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
    notifier_.SetContacts(AllContacts());
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
    notifier_.Acknowledge(group_key, ack.at);
    std::vector<storage::RecordWrite> writes = notifier_.TakeDirty();
    writes.push_back(storage::RecordWrite{std::string(kAcksTable), AckKey(ack), EncodeAck(ack)});
    writes.push_back(storage::AuditRecord(entry));
    if (auto st = store_.WriteRecords(writes); !st) return tl::unexpected(st.error());
    metrics_.GetCounter("sakchy_alerts_acked_total", "Alert groups acknowledged",
                        {{"via", ack.via}})
        .Inc();
    spdlog::info("alerts: group {} acknowledged via {} by {} (alert {})", group_key, ack.via,
                 ack.actor, alert.id);
    return AckOutcome{std::move(ack), false};
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
    auto silences = store_.ScanRecords(kSilencesTable, scan);
    if (!silences) return tl::unexpected(silences.error());
    const TimeMs now = clock_.NowMs();
    for (const auto& problem : notifier_.Restore(*groups, *rates, *inhibited, now)) {
      spdlog::error("alerts: {}", problem);
    }
    std::vector<Silence> loaded;
    for (const auto& r : *silences) {
      auto silence = DecodeSilence(r.value);
      if (!silence) {
        spdlog::error("alerts: silence record '{}' is damaged; skipped", r.key);
        continue;
      }
      if (silence->ends_at + kSilenceHistoryMs < now) continue;
      loaded.push_back(std::move(*silence));
    }
    notifier_.SetSilences(loaded);
    {
      std::lock_guard lock(directory_mu_);
      silences_ = std::move(loaded);
    }
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
        events_cache_[ticket.event_id] = std::move(ev);
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
    for (const Decision& d : result.notifications) created.push_back(Materialize(d, now));
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
    events_cache_.clear();
    if (!created.empty()) dispatcher_->Enqueue(std::move(created));
    return OkStatus();
  }

  storage::RecordWrite EscalationAudit(const Escalation& e, TimeMs now) {
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = now;
    entry.actor = "system";
    entry.action = "alert.escalate";
    entry.subject = e.group_key;
    boost::json::array contacts;
    for (const auto& c : e.contacts) contacts.emplace_back(c);
    entry.details = ToJsonText(boost::json::value(
        boost::json::object{{"step", e.step}, {"contacts", std::move(contacts)}}));
    if (e.contacts.empty()) {
      spdlog::warn("alerts: group {} is not acknowledged and has nobody left to escalate to (step "
                   "{})",
                   e.group_key, e.step);
    } else {
      spdlog::info("alerts: group {} escalated to step {}", e.group_key, e.step);
    }
    return storage::AuditRecord(entry);
  }

  std::optional<Event> LoadEvent(const std::string& id) {
    auto cached = events_cache_.find(id);
    if (cached != events_cache_.end()) return cached->second;
    auto event = store_.GetEvent(id);
    if (!event || !event->has_value()) return std::nullopt;
    events_cache_[id] = **event;
    return **event;
  }

  std::string AreaName(const AreaCode& code, std::string_view language) const {
    const config::Area* area = areas_.Find(code);
    if (area == nullptr) return {};
    const std::string& name =
        language == "ky"                      ? area->name_ky
        : language == "en" || language == "uz" ? area->name_en
                                               : area->name_ru;
    return name.empty() ? area->name_ru : name;
  }

  // A decision becomes an outbox entry with its payload rendered for its contact.
  Alert Materialize(const Decision& d, TimeMs now) {
    Alert a;
    a.id = ids_.Next();
    a.kind = d.kind;
    a.group_key = d.group_key;
    a.event_ids = d.event_ids;
    a.event_id = d.event_ids.empty() ? std::string() : d.event_ids.front();
    a.subject_id = d.subject;
    a.area = d.area;
    a.severity = d.severity;
    a.categories = d.categories;
    a.contact_id = d.contact_id;
    a.channel = d.channel;
    a.target = d.target;
    a.channel_index = d.channel_index;
    a.sequence = d.sequence;
    a.escalation_step = d.escalation_step;
    a.idempotency_key = NotificationKey(a.group_key, a.contact_id, a.channel, a.target,
                                        a.sequence);
    a.state = DeliveryState::kPending;
    a.created_at = now;
    a.next_attempt_at = std::max(now, d.not_before);
    const config::Contact* contact = CurrentContact(d.contact_id);
    RenderContext ctx;
    ctx.channels = &cfg_.channels;
    ctx.language = contact != nullptr ? contact->language : "ru";
    ctx.area_name = AreaName(a.area, ctx.language);
    ctx.events = std::max(d.events, 1);
    ctx.sources = std::max(d.sources, 1);
    ctx.now = now;
    std::optional<Event> event;
    if (d.kind == AlertKind::kEvent && !d.event_ids.empty()) {
      event = LoadEvent(d.event_ids.back());
      if (event) {
        ctx.event = &*event;
        AddEventVerdict(ctx, *event);
      }
    }
    if (d.kind == AlertKind::kSignal) {
      event = SignalEvent(a, d.summary, d.first_at);
      ctx.event = &*event;
      ctx.reason = d.signal_reason;
      AddSignalContext(ctx, a.subject_id, d.signal_reason, d.summary, d.sources, d.spread);
    }
    if (d.kind == AlertKind::kDigest) {
      boost::json::array items;
      for (const DigestItem& item : d.digest) {
        DigestLine line;
        line.severity = item.severity;
        line.area_name = item.area.empty() ? std::string() : AreaName(item.area, ctx.language);
        if (line.area_name.empty()) line.area_name = item.area;
        line.categories = item.categories;
        line.events = item.events;
        ctx.digest.push_back(std::move(line));
        boost::json::array cats;
        for (const auto& c : item.categories) cats.emplace_back(c);
        items.push_back(boost::json::object{{"group_key", item.group_key},
                                            {"area", item.area},
                                            {"severity", SeverityName(item.severity)},
                                            {"categories", std::move(cats)},
                                            {"events", item.events},
                                            {"event_id", item.event_id}});
      }
      ctx.extra_json = ToJsonText(boost::json::value(
          boost::json::object{{"type", "sakchy.digest"}, {"items", std::move(items)}}));
    }
    a.payload = RenderPayload(a, ctx);
    return a;
  }

  // ---- Signals and verdicts ----

  // The text of a signal as an event, so the event templates render it: the summary is the
  // report, observed when the signal's group started.
  static Event SignalEvent(const Alert& a, const std::string& summary, TimeMs first_seen) {
    Event e;
    e.report.id = a.subject_id;
    e.report.text = summary.empty() ? a.subject_id : summary;
    e.report.channel = "signal";
    e.report.observed_at = first_seen;
    e.scored = true;
    e.area = a.area;
    e.severity = a.severity;
    e.categories = a.categories;
    return e;
  }

  // What the webhook body and the templates say about a signal: its reason (for a cluster
  // spread, the figures in the contact's language as `why`) and the cluster's verdict.
  void AddSignalContext(RenderContext& ctx, const std::string& subject, const std::string& reason,
                        const std::string& summary, int sources,
                        const std::optional<SpreadWhy>& spread) {
    boost::json::object signal{
        {"subject_id", subject}, {"reason", reason}, {"summary", summary}, {"sources", sources}};
    if (spread) {
      ctx.spread = spread;
      for (const auto& code : spread->new_areas) {
        const std::string name = AreaName(code, ctx.language);
        ctx.new_area_names.push_back(name.empty() ? code : name);
      }
      boost::json::object figures = SpreadWhyJson(*spread);
      for (auto& [key, value] : figures) signal[key] = value;
      signal["why"] = SpreadWhyText(ctx.language, *spread, ctx.new_area_names);
    }
    boost::json::object body{{"signal", std::move(signal)}};
    if (verdict_lookup_.of_cluster) {
      ctx.verdict = Shown(verdict_lookup_.of_cluster(subject), "cluster " + subject);
    }
    if (ctx.verdict) body["verdict"] = VerdictJson(*ctx.verdict, ctx.language);
    ctx.extra_json = ToJsonText(boost::json::value(std::move(body)));
  }

  // An event that joined a rumour cluster judged false or misleading: the verdict, in the text
  // and in the webhook body.
  void AddEventVerdict(RenderContext& ctx, const Event& event) {
    if (!verdict_lookup_.of_event) return;
    const bool known = std::any_of(
        event.categories.begin(), event.categories.end(), [](const std::string& c) {
          return c == KnownRumourCategory(VerdictStatus::kFalse) ||
                 c == KnownRumourCategory(VerdictStatus::kMisleading);
        });
    if (!known) return;
    ctx.verdict = Shown(verdict_lookup_.of_event(event.report.id), "event " + event.report.id);
    if (ctx.verdict) {
      ctx.extra_json = ToJsonText(boost::json::value(
          boost::json::object{{"verdict", VerdictJson(*ctx.verdict, ctx.language)}}));
    }
  }

  // A looked-up verdict worth showing: decided (not unverified) and read without error.
  static std::optional<Verdict> Shown(Result<std::optional<Verdict>> looked,
                                      const std::string& what) {
    if (!looked) {
      spdlog::warn("alerts: the verdict of {} could not be read; the alert goes without it: {}",
                   what, looked.error().ToString());
      return std::nullopt;
    }
    if (!*looked || (*looked)->status == VerdictStatus::kUnverified) return std::nullopt;
    return std::move(*looked);
  }

  static boost::json::object VerdictJson(const Verdict& v, const std::string& language) {
    return boost::json::object{
        {"cluster_id", v.cluster_id},
        {"status", VerdictStatusName(v.status)},
        {"statement", v.statement},
        {"decided_by", v.decided_by},
        {"decided_at", v.decided_at},
        {"text", VerdictNoteText(language, v.status, v.statement, 1000)}};
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
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = now;
    entry.actor = "analytics";
    entry.action = "alert.signal";
    entry.subject = key;
    entry.details = ToJsonText(boost::json::value(boost::json::object{
        {"reason", signal.reason},
        {"severity", SeverityName(signal.severity)},
        {"sources", signal.sources},
        {"events", signal.event_ids.size()}}));
    extra.push_back(storage::AuditRecord(entry));
    return OkStatus();
  }

  // State thread.
  Result<std::size_t> DoFollowUp(const Verdict& verdict) {
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
    auto signal_alerts = store_.ListAlerts(by_subject, 1000, {});
    if (!signal_alerts) return tl::unexpected(signal_alerts.error());
    consider(*signal_alerts);
    for (std::size_t i = 0; i < verdict.event_ids.size() && i < kMaxFollowUpEvents; ++i) {
      storage::AlertFilter by_event;
      by_event.event_id = verdict.event_ids[i];
      auto listed = store_.ListAlerts(by_event, 100, {});
      if (!listed) return tl::unexpected(listed.error());
      consider(*listed);
    }
    // Once per contact and verdict.
    storage::AlertFilter done_filter;
    done_filter.group_key = group_key;
    auto done = store_.ListAlerts(done_filter, 1000, {});
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
      const config::Contact* contact = CurrentContact(contact_id);
      RenderContext ctx;
      ctx.channels = &cfg_.channels;
      ctx.language = contact != nullptr ? contact->language : "ru";
      ctx.area_name = AreaName(f.area, ctx.language);
      ctx.now = now;
      ctx.follow_up.status = verdict.status;
      ctx.follow_up.statement = verdict.statement;
      ctx.follow_up.decided_at = verdict.decided_at;
      ctx.extra_json = ToJsonText(boost::json::value(
          boost::json::object{{"type", "sakchy.follow_up"}, {"verdict", verdict_json}}));
      f.payload = RenderPayload(f, ctx);
      records.push_back(CodeRecord(f));
      created.push_back(std::move(f));
    }
    notifier_.Resolve(verdict.cluster_id, now);
    for (auto& r : notifier_.TakeDirty()) records.push_back(std::move(r));
    records.push_back({std::string(kVerdictsTable), verdict.cluster_id,
                       ToJsonText(boost::json::value(verdict_json))});
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = now;
    entry.actor = verdict.decided_by.empty() ? "analytics" : verdict.decided_by;
    entry.action = "alert.follow_up";
    entry.subject = verdict.cluster_id;
    entry.details = ToJsonText(boost::json::value(
        boost::json::object{{"status", VerdictStatusName(verdict.status)},
                            {"recipients", created.size()}}));
    records.push_back(storage::AuditRecord(entry));
    if (auto st = store_.UpdateAlerts(created, records); !st) return tl::unexpected(st.error());
    const std::size_t count = created.size();
    planned_.Inc(count);
    spdlog::info("alerts: verdict {} on {}: {} follow-ups", VerdictStatusName(verdict.status),
                 verdict.cluster_id, count);
    if (!created.empty()) dispatcher_->Enqueue(std::move(created));
    return count;
  }

  // ---- Telegram button ----

  void StartTelegramUpdates() {
    std::int64_t offset = 0;
    if (auto stored = store_.GetRecord(kTelegramTable, "offset"); stored && *stored) {
      offset = std::atoll((*stored)->c_str());
    }
    auto on_press = [this](const CallbackPress& press) { return OnPress(press); };
    auto save = [this](std::int64_t next) {
      std::vector<storage::RecordWrite> w{
          {std::string(kTelegramTable), "offset", std::to_string(next)}};
      if (auto st = store_.WriteRecords(w); !st) {
        spdlog::warn("alerts: cannot store the telegram updates offset: {}", st.error().ToString());
      }
    };
    telegram_ = std::make_unique<TelegramUpdates>(*cfg_.channels.telegram, offset, on_press, save);
    telegram_->Start();
  }

  // Poller thread: a press of "Acknowledge" under a notification.
  std::string OnPress(const CallbackPress& press) {
    auto parsed = ParseAckCallback(press.data);
    if (!parsed) return AckAnswer("ru", false);
    auto stored = store_.GetAlert(parsed->second);
    if (!stored || !stored->has_value()) return AckAnswer("ru", false);
    const Alert& alert = **stored;
    std::string language = "ru";
    if (auto info = FindContact(alert.contact_id)) language = info->contact.language;
    // Only the chat the notification went to can acknowledge it, with the code it showed (a
    // channel addressed as @name answers with its numeric id: not comparable).
    const bool same_chat =
        alert.target.starts_with("@") || Digits(alert.target) == Digits(press.chat_id);
    if (alert.channel != "telegram" || !same_chat || AlertCode(alert.id) != parsed->first) {
      spdlog::warn("alerts: a telegram button press for {} came from another chat or with a "
                   "wrong code; ignored",
                   alert.id);
      return AckAnswer(language, false);
    }
    auto ack = Acknowledge(
        {alert.id, "contact:" + alert.contact_id, "telegram", "telegram user " + press.from_id});
    if (!ack) {
      spdlog::error("alerts: acknowledging {} from telegram failed: {}", alert.id,
                    ack.error().ToString());
      return AckAnswer(language, false);
    }
    return AckAnswer(language, true);
  }

  // ---- Silences ----

  // State thread.
  Result<Silence> DoCreateSilence(Silence s, const std::string& actor) {
    s.id = ids_.Next();
    s.created_by = actor;
    s.created_at = clock_.NowMs();
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = s.created_at;
    entry.actor = actor;
    entry.action = "silence.create";
    entry.subject = s.id;
    entry.details = SilenceToJson(s);
    std::vector<storage::RecordWrite> writes{
        storage::RecordWrite{std::string(kSilencesTable), s.id, SilenceToJson(s)},
        storage::AuditRecord(entry)};
    if (auto st = store_.WriteRecords(writes); !st) return tl::unexpected(st.error());
    {
      std::lock_guard lock(directory_mu_);
      silences_.push_back(s);
      notifier_.SetSilences(silences_);
    }
    spdlog::info("alerts: silence {} created by {} until {}", s.id, actor,
                 FormatRfc3339(s.ends_at));
    return s;
  }

  // State thread.
  Result<Silence> DoExpireSilence(std::string_view id, const std::string& actor) {
    Silence s;
    {
      std::lock_guard lock(directory_mu_);
      auto it = std::find_if(silences_.begin(), silences_.end(),
                             [&](const Silence& x) { return x.id == id; });
      if (it == silences_.end()) {
        return MakeError(ErrorCode::kNotFound, "no silence with id '" + std::string(id) + "'");
      }
      s = *it;
    }
    const TimeMs now = clock_.NowMs();
    if (s.ends_at <= now) return s;  // already over: nothing to do
    s.ends_at = std::max(now, s.starts_at);
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = now;
    entry.actor = actor;
    entry.action = "silence.expire";
    entry.subject = s.id;
    entry.details = SilenceToJson(s);
    std::vector<storage::RecordWrite> writes{
        storage::RecordWrite{std::string(kSilencesTable), s.id, SilenceToJson(s)},
        storage::AuditRecord(entry)};
    if (auto st = store_.WriteRecords(writes); !st) return tl::unexpected(st.error());
    {
      std::lock_guard lock(directory_mu_);
      for (auto& x : silences_) {
        if (x.id == s.id) x = s;
      }
      notifier_.SetSilences(silences_);
    }
    notifier_.Unsilence(s.id, now);
    spdlog::info("alerts: silence {} expired by {}", s.id, actor);
    return s;
  }

  // ---- Delivery outcomes ----

  // State thread: a notification is about to change state (written with what this returns).
  Reaction OnChange(const Alert& alert, DeliveryState /*before*/) {
    Reaction reaction;
    const bool undelivered =
        alert.state == DeliveryState::kFailed || alert.state == DeliveryState::kDeadLetter;
    // A reply to a reporter has no other channel and no duty contact to tell: it stays failed.
    if (!undelivered || alert.kind == AlertKind::kNotice || alert.kind == AlertKind::kReply) {
      return reaction;
    }
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
      reaction.records.push_back(CodeRecord(*fallback));
      reaction.alerts.push_back(std::move(*fallback));
      return reaction;
    }
    // Every channel failed: tell the duty contact (visible as a notice and in the outbox state).
    std::vector<Alert> notices = Notices(alert);
    storage::AuditEntry entry;
    entry.id = ids_.Next();
    entry.at = clock_.NowMs();
    entry.actor = "system";
    entry.action = "alert.undeliverable";
    entry.subject = alert.id;
    boost::json::array told;
    for (const Alert& n : notices) told.emplace_back(n.contact_id);
    entry.details = ToJsonText(boost::json::value(boost::json::object{
        {"contact_id", alert.contact_id}, {"state", DeliveryStateName(alert.state)},
        {"error", alert.last_error}, {"duty", std::move(told)}}));
    reaction.records.push_back(storage::AuditRecord(entry));
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
    events_cache_.clear();
    return reaction;
  }

  // Who hears that a notification could not be delivered: alerts.duty, or the contacts with role
  // analyst_on_duty whose areas cover the alert's area; never the undelivered recipient.
  std::vector<const config::Contact*> DutyContacts(const Alert& alert) const {
    std::vector<const config::Contact*> out;
    auto usable = [&](const config::Contact& c) {
      return c.id != alert.contact_id && !UsableChannels(c, cfg_.channels).empty();
    };
    if (!cfg_.duty_contacts.empty()) {
      for (const auto& id : cfg_.duty_contacts) {
        const config::Contact* c = CurrentContact(id);
        if (c != nullptr && usable(*c)) out.push_back(c);
      }
      return out;
    }
    const AreaCode area = alert.area.empty() ? areas_.root() : alert.area;
    auto consider = [&](const config::Contact& c) {
      if (c.role != "analyst_on_duty" || !usable(c)) return;
      for (const auto& a : c.areas) {
        if (areas_.IsWithin(area, a)) {
          out.push_back(&c);
          return;
        }
      }
    };
    for (const auto& c : yaml_contacts_) consider(c);
    for (const auto& [id, c] : api_contacts_) consider(c);
    return out;
  }

  std::vector<Alert> Notices(const Alert& failed) {
    std::vector<Alert> out;
    const TimeMs now = clock_.NowMs();
    for (const config::Contact* duty : DutyContacts(failed)) {
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
      RenderStored(n, &failed);
      out.push_back(std::move(n));
    }
    return out;
  }

  // Renders `a` from what is stored (a fallback channel, a notice): the group's latest event,
  // digest lines from the covered events, the undelivered alert of a notice.
  void RenderStored(Alert& a, const Alert* failed = nullptr) {
    const config::Contact* contact = CurrentContact(a.contact_id);
    RenderContext ctx;
    ctx.channels = &cfg_.channels;
    ctx.language = contact != nullptr ? contact->language : "ru";
    ctx.area_name = AreaName(a.area, ctx.language);
    ctx.events = std::max<int>(1, static_cast<int>(a.event_ids.size()));
    ctx.now = clock_.NowMs();
    std::optional<Event> event;
    if (a.kind == AlertKind::kNotice) {
      std::optional<Alert> loaded;
      if (failed == nullptr) {
        auto stored = store_.GetAlert(a.subject_id);
        if (stored && stored->has_value()) loaded = **stored;
        failed = loaded ? &*loaded : nullptr;
      }
      if (failed != nullptr) {
        const config::Contact* recipient = CurrentContact(failed->contact_id);
        ctx.notice.code = AlertCode(failed->id);
        ctx.notice.severity = failed->severity;
        ctx.notice.area_name = ctx.area_name.empty() ? failed->area : ctx.area_name;
        ctx.notice.contact = recipient != nullptr && !recipient->name.empty() ? recipient->name
                                                                              : failed->contact_id;
        ctx.notice.channel = failed->channel;
        ctx.notice.error = failed->last_error;
        ctx.extra_json = ToJsonText(boost::json::value(boost::json::object{
            {"type", "sakchy.notice"},
            {"undelivered",
             boost::json::object{{"alert_id", failed->id},
                                 {"contact_id", failed->contact_id},
                                 {"channel", failed->channel},
                                 {"state", DeliveryStateName(failed->state)},
                                 {"attempts", failed->attempts},
                                 {"error", failed->last_error}}}}));
      }
      a.payload = RenderPayload(a, ctx);
      return;
    }
    if (a.kind == AlertKind::kSignal) {
      auto stored = store_.GetRecord(kSignalsTable, a.subject_id);
      boost::system::error_code ec;
      boost::json::value v = stored && *stored ? boost::json::parse(**stored, ec)
                                               : boost::json::value();
      std::string summary, reason;
      TimeMs first_seen = a.created_at;
      int sources = 1;
      std::optional<SpreadWhy> spread;
      if (!ec && v.is_object()) {
        spread = SpreadWhyFromJson(v.as_object().if_contains("spread"));
        const auto& o = v.as_object();
        if (auto* x = o.if_contains("summary"); x && x->is_string()) summary = x->as_string();
        if (auto* x = o.if_contains("reason"); x && x->is_string()) reason = x->as_string();
        if (auto* x = o.if_contains("first_seen"); x && x->is_int64()) first_seen = x->as_int64();
        if (auto* x = o.if_contains("sources"); x && x->is_int64()) {
          sources = static_cast<int>(x->as_int64());
        }
      }
      event = SignalEvent(a, summary, first_seen);
      ctx.event = &*event;
      ctx.reason = reason;
      ctx.sources = std::max(sources, 1);
      AddSignalContext(ctx, a.subject_id, reason, summary, sources, spread);
      a.payload = RenderPayload(a, ctx);
      return;
    }
    if (a.kind == AlertKind::kFollowUp) {
      auto stored = store_.GetRecord(kVerdictsTable, a.subject_id);
      if (stored && *stored) {
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(**stored, ec);
        if (!ec && v.is_object()) {
          const auto& o = v.as_object();
          if (auto* x = o.if_contains("status"); x && x->is_string()) {
            ctx.follow_up.status = ParseVerdictStatus(x->as_string()).value_or(
                VerdictStatus::kUnverified);
          }
          if (auto* x = o.if_contains("statement"); x && x->is_string()) {
            ctx.follow_up.statement = x->as_string();
          }
          if (auto* x = o.if_contains("decided_at"); x && x->is_int64()) {
            ctx.follow_up.decided_at = x->as_int64();
          }
          ctx.extra_json = ToJsonText(boost::json::value(boost::json::object{
              {"type", "sakchy.follow_up"}, {"verdict", v}}));
        }
      }
      a.payload = RenderPayload(a, ctx);
      return;
    }
    if (a.kind == AlertKind::kDigest) {
      for (const auto& id : a.event_ids) {
        auto e = LoadEvent(id);
        if (!e) continue;
        DigestLine line;
        line.severity = e->severity;
        line.area_name = AreaName(e->area, ctx.language);
        if (line.area_name.empty()) line.area_name = e->area;
        line.categories = e->categories;
        ctx.digest.push_back(std::move(line));
      }
    } else if (!a.event_ids.empty()) {
      event = LoadEvent(a.event_ids.back());
      if (event) {
        ctx.event = &*event;
        AddEventVerdict(ctx, *event);
      }
    }
    a.payload = RenderPayload(a, ctx);
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
      RenderStored(next);  // for its own channel
      events_cache_.clear();
      return next;
    }
    return std::nullopt;
  }

  storage::Store& store_;
  const config::AlertsConfig cfg_;
  const AddressFilter targets_ = WebhookFilter(cfg_);
  const std::vector<config::Contact> yaml_contacts_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  IdGenerator ids_;
  Notifier notifier_;  // state thread only (and Start)
  std::unique_ptr<Dispatcher> dispatcher_;
  Counter& unreachable_;
  Counter& fallbacks_;
  Counter& silenced_;
  Counter& held_;
  Counter& inhibited_;
  Counter& planned_;
  Counter& notices_;
  Counter& unnoticed_;
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
  std::unique_ptr<TelegramUpdates> telegram_;

  // State thread (and Start).
  std::map<std::string, config::Contact> api_contacts_;
  std::unordered_map<std::string, Event> events_cache_;  // events of one routing step
  VerdictLookup verdict_lookup_;  // set before Start
  std::unique_ptr<ReplyDesk> replies_;  // set before Start; used on the state thread

  mutable std::mutex directory_mu_;
  std::vector<ContactInfo> directory_;       // guarded
  std::vector<std::string> load_problems_;   // guarded
  std::vector<Silence> silences_;            // guarded; the notifier gets copies
};

}  // namespace

std::unique_ptr<Engine> Engine::Create(storage::Store& store, const config::AlertsConfig& cfg,
                                       std::vector<config::Contact> contacts,
                                       const config::AreaTree& areas, const Clock& clock,
                                       MetricsRegistry& metrics) {
  return std::make_unique<EngineImpl>(store, cfg, std::move(contacts), areas, clock, metrics);
}

}  // namespace sakchy::alerts
