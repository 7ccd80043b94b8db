#pragma once
// The alerts module as the service sees it. A scored event at or above alerts.min_severity becomes
// a routing ticket, committed with the event (Plan); the engine then routes it (Notifier: route
// tree, groups, dedup, silences, rate limit, inhibition, escalation), renders the notifications in
// each contact's language, writes them with the routing state and the ticket's removal in one
// atomic batch, and delivers them (Dispatcher). It applies delivery reports and
// acknowledgements and answers what happened to an alert. All state changes run on one state
// thread (the dispatcher's), in order; the blocking calls below wait for it.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/acks.h"
#include "alerts/notifier.h"
#include "alerts/replies.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/address_filter.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "alerts/store.h"

namespace sakchy::alerts {

struct AckRequest {
  std::string alert_id;  // any notification of the group
  std::string actor;     // token name, or "contact:<id>" for SMS / Telegram replies
  std::string via = "api";
  std::string note;
};

struct AckOutcome {
  Ack ack;                 // the acknowledgement stored (the earlier one for a duplicate)
  bool duplicate = false;  // this actor had already acknowledged the group
};

// One notification and its group: who was notified, on which channel, when, in which state, and
// who acknowledged.
struct AlertDetail {
  Alert alert;
  std::vector<Alert> group;  // every notification of alert.group_key, oldest first
  std::vector<Ack> acks;     // oldest first
  // The routing state of the group while it is open (silenced, escalation step, recipients).
  std::optional<Notifier::GroupView> state;
};

// A contact as the directory holds it.
struct ContactInfo {
  config::Contact contact;
  std::string source;                 // "config" (YAML, read-only here) or "api"
  std::vector<std::string> problems;  // unusable channels; "no usable channel"
  bool reachable = true;              // at least one usable channel
};

// Where alerts read what a person decided about a rumour (the latest verdict of its rumour
// cluster, owned by the clusters), to say it in the message: "already checked: false — …".
// Declared here, provided by the service. Called on the state thread; may block on the store.
// std::nullopt (or an error, logged) means none is shown.
struct VerdictLookup {
  // The verdict of an event's cluster. Asked only for events with a known_* category
  // (KnownRumourCategory).
  std::function<Result<std::optional<Verdict>>(std::string_view event_id)> of_event;
  // The verdict of a cluster (a cluster spread signal's subject id).
  std::function<Result<std::optional<Verdict>>(std::string_view cluster_id)> of_cluster;
};

// The ports below are what each user of the alerts module needs; the Engine implements them all
// (a caller that needs one part takes the port, and a fake of it implements only that part).
// Thread safety (every port): every method may be called from any thread, after Create and
// between Start and Stop. Blocking: the calls marked so wait for the store and the state thread;
// never call them on an io thread.

// Contacts and silences: the admin API's /v1/contacts and /v1/silences, /readyz.
class ContactDirectory {
 public:
  ContactDirectory(const ContactDirectory&) = delete;
  ContactDirectory& operator=(const ContactDirectory&) = delete;
  virtual ~ContactDirectory() = default;

  // Contacts: the YAML ones, then those created through the API, by id.
  virtual std::vector<ContactInfo> Contacts() const = 0;
  virtual std::optional<ContactInfo> FindContact(std::string_view id) const = 0;
  // The addresses webhooks may reach (alerts.allow_private_targets; core/address_filter.h):
  // checked for a new contact's URL (ContactFromJson) and at every delivery.
  virtual const AddressFilter& WebhookTargets() const = 0;
  // Creates (create = true: kAlreadyExists when the id is taken) or replaces an API contact.
  // kPermissionDenied for a contact of the config file. Stored in the record table "contacts"
  // and audited (contact.create / contact.update, actor). Queued notifications are unaffected.
  // Blocking.
  [[nodiscard]] virtual Result<ContactInfo> PutContact(config::Contact contact, std::string actor,
                                                       bool create) = 0;
  // Deletes an API contact: kNotFound, kPermissionDenied (config file). Audited. Blocking.
  [[nodiscard]] virtual Status DeleteContact(std::string_view id, std::string actor) = 0;
  // Problems /readyz shows: "contact 'x': no usable channel" ...
  virtual std::vector<std::string> ReadinessProblems() const = 0;

  // Silences (see silences.h): created with an id, expired (ends_at = now) rather than deleted;
  // both audited with `actor`. Blocking.
  [[nodiscard]] virtual Result<Silence> CreateSilence(Silence silence, std::string actor) = 0;
  [[nodiscard]] virtual Result<Silence> ExpireSilence(std::string_view id, std::string actor) = 0;
  // Newest first: the active ones and those that ended within the last 7 days.
  virtual std::vector<Silence> Silences() const = 0;

 protected:
  ContactDirectory() = default;
};

// What people and gateways say about a notification: the API's alert routes, Kannel's MO and
// delivery-report routes, WhatsApp statuses.
class AlertDesk {
 public:
  AlertDesk(const AlertDesk&) = delete;
  AlertDesk& operator=(const AlertDesk&) = delete;
  virtual ~AlertDesk() = default;

  // Acknowledges the group of notification request.alert_id: kNotFound for an unknown id.
  // Idempotent per actor. Audited. Blocking.
  [[nodiscard]] virtual Result<AckOutcome> Acknowledge(const AckRequest& request) = 0;
  // An SMS reply "OK <code>" from `sender` (Kannel's %p, with or without "+"): acknowledges the
  // newest notification with that code sent to a contact whose SMS number is `sender`.
  // std::nullopt when the number is no contact's or the code matches none of theirs (the text is
  // then an ordinary report). Actor "contact:<id>", via "sms". Blocking.
  [[nodiscard]] virtual Result<std::optional<AckOutcome>> AcknowledgeBySms(
      std::string_view sender, std::string_view code) = 0;
  // Applies a Kannel delivery report (type 1/2/4/8/16); returns the notification afterwards.
  // Also a WhatsApp status (delivered/read = 1, failed = 2, sent = 8) of a reply.
  // kNotFound, kInvalidArgument (unknown type, not an SMS or WhatsApp message). Blocking.
  [[nodiscard]] virtual Result<Alert> DeliveryReport(std::string_view alert_id, int type) = 0;
  // True when `token` is the dlr-url token of `alert_id` (constant-time); false when SMS is not
  // configured.
  virtual bool CheckDlrToken(std::string_view alert_id, std::string_view token) const = 0;
  // The notification, its group and acknowledgements; std::nullopt for an unknown id. Blocking.
  [[nodiscard]] virtual Result<std::optional<AlertDetail>> Describe(std::string_view alert_id) = 0;

 protected:
  AlertDesk() = default;
};

// What analytics and the rumour desk raise (contract types in core/types.h).
class SignalSink {
 public:
  SignalSink(const SignalSink&) = delete;
  SignalSink& operator=(const SignalSink&) = delete;
  virtual ~SignalSink() = default;

  // A cluster spread or area spike: routed like an event alert (kind signal; the route's
  // group_by applies, and a cluster's updates share a group, so contacts hear again only when it
  // grows in sources or severity), and the notifications of signal.event_ids that are still queued
  // are suppressed, later ones never created (inhibition). Durable when it returns: the
  // notifications, the routing state and the signal are written atomically. kInvalidArgument
  // without a subject id. Blocking.
  [[nodiscard]] virtual Status Raise(const Signal& signal) = 0;
  // The signals of one scoring batch, raised as Raise() does but together (one atomic write, one
  // sync) and without blocking the caller: scoring does not wait for alert routing. A signal
  // without a subject id, or a write that fails, is logged (the signal record written by the
  // scoring commit stays).
  virtual void RaiseAll(std::vector<Signal> signals) = 0;
  // The verdict on a rumour: every contact that was sent or delivered a notification about the
  // cluster (its signals) or one of verdict.event_ids gets one follow-up per verdict on the
  // channel that reached them, with the status and the official statement, in their language;
  // the cluster's groups stop reminding and escalating. Idempotent per verdict (cluster and
  // decided_at). Returns the number of follow-ups created. Blocking.
  [[nodiscard]] virtual Result<std::size_t> FollowUp(const Verdict& verdict) = 0;

 protected:
  SignalSink() = default;
};

// Replies to reporters (alerts/replies.h), as intake and the rumour desk use them.
class ReporterReplies {
 public:
  ReporterReplies(const ReporterReplies&) = delete;
  ReporterReplies& operator=(const ReporterReplies&) = delete;
  virtual ~ReporterReplies() = default;

  // Intake heard from a person on a reply-capable channel (after the report was stored):
  // remembers how to answer them, honours STOP, acknowledges a new report (rate-limited per
  // sender) or asks once for text after a media message. Never blocks: done on the state thread;
  // a failure is logged.
  virtual void Reported(ReporterMessage message) = 0;
  // The verified answer to every reporter of verdict.event_ids on the channel they used, in
  // their language, once per verdict and reporter, skipping those who said STOP; each audited
  // (`reply.answer`). With `public_area` (the verdict was published) and
  // replies.public_telegram_chat, also posted there. Returns the replies created. Blocking.
  [[nodiscard]] virtual Result<std::size_t> AnswerReporters(
      const Verdict& verdict, std::optional<std::string> public_area) = 0;

 protected:
  ReporterReplies() = default;
};

// The alerts module as the service wires it: its life cycle and the pipeline hooks, plus every
// port above. All state changes run on one state thread, in order.
class Engine : public ContactDirectory,
               public AlertDesk,
               public SignalSink,
               public ReporterReplies {
 public:
  // `store`, `areas`, `clock` and `metrics` must outlive the engine; `cfg` and `contacts` are
  // copied.
  static std::unique_ptr<Engine> Create(AlertStore store, const config::AlertsConfig& cfg,
                                        std::vector<config::Contact> contacts,
                                        const config::AreaTree& areas, const Clock& clock,
                                        MetricsRegistry& metrics);

  // Verdicts shown in event and signal alerts. Call before Start; without it none are shown.
  virtual void SetVerdictLookup(VerdictLookup lookup) = 0;
  // Replies to reporters: loads the message catalogues (replies.messages_dir, else the bundled
  // ones). Call before Start; without it Reported and AnswerReporters do nothing. The channels
  // replies use are alerts.channels plus whatsapp, source_bots and reply_key (set by the service
  // in the AlertsConfig given to Create).
  [[nodiscard]] virtual Status EnableReplies(const config::RepliesConfig& replies) = 0;
  // Loads what is pending and starts delivering. Blocking.
  [[nodiscard]] virtual Status Start() = 0;
  // Stops delivery; queued notifications stay in the store for the next Start. Blocking.
  virtual void Stop() = 0;

  // ingest::PipelineHooks::plan_alerts: the routing ticket to commit with `event` (none below
  // alerts.min_severity). Pure; called on scoring threads.
  virtual std::vector<Alert> Plan(const Event& event) = 0;
  // ingest::PipelineHooks::alerts_committed: tickets of Plan() are durable now; routed soon.
  virtual void Committed(std::vector<Alert> alerts) = 0;

  // Notifications held in memory for delivery.
  virtual std::size_t backlog() const = 0;

 protected:
  Engine() = default;
};

}  // namespace sakchy::alerts
