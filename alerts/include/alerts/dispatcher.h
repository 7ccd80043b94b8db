#pragma once
// Delivers outbox entries over their channel (alert.channel): webhook, sms (Kannel sendsms),
// telegram (Bot API sendMessage) or email (SMTP). Owns one io thread for delivery and runs store
// updates off it. A receiver that is down never blocks intake: the dispatcher only reads and
// updates alerts.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "alerts/delivery_queue.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "alerts/store.h"

namespace sakchy::alerts {

// Webhook wire format (see docs/ARCHITECTURE.md):
//   POST <url>, Content-Type: application/json, body = the alert JSON
//   X-Sakchy-Timestamp: <unix seconds>
//   X-Sakchy-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//   Idempotency-Key: <alert.idempotency_key>
// Receivers reject timestamps older than a few minutes (replay protection).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

// What the owner of a dispatcher (the engine) adds to a state change: new notifications (e.g. a
// fallback channel, a notice to the duty contact) and records, written in the same atomic batch
// as the change; the new notifications are then queued for delivery.
struct Reaction {
  std::vector<Alert> alerts;
  std::vector<storage::RecordWrite> records;
};

// What the owner of a dispatcher (the engine) hears. Runs on the state thread (see Post()).
struct DispatcherHooks {
  // For every state change of a notification (sent, delivered, failed, dead_letter, suppressed;
  // retries that stay queued are not changes), before it is written. `before` is the state it
  // left.
  std::function<Reaction(const Alert& alert, DeliveryState before)> on_change;
  // Ids of audit entries (shared with the owner so entries of one millisecond stay in order);
  // none: the dispatcher's own generator.
  IdGenerator* ids = nullptr;
  // Cluster mode (alerts/delivery_queue.h): notifications are published to this queue instead of
  // being attempted here (pending ones again at Start, those created within give_up_after_ms),
  // and this node attempts the ones it takes from the queue (Take). None: single node, every
  // notification is attempted here.
  NotificationQueue* queue = nullptr;
};

// The token in a dlr-url that shows a delivery report comes from the gateway we sent to: the first
// 32 hex digits of HMAC-SHA256(HMAC-SHA256(sms.password, "sakchy-dlr") as hex, alert_id).
std::string DlrToken(const config::SmsChannelConfig& sms, std::string_view alert_id);

// Kannel delivery report types (dlr-mask bits): 1 delivered to the phone, 2 not delivered to the
// phone, 4 queued on the SMS centre, 8 accepted by the SMS centre, 16 rejected by it.
// The state a report moves a notification to from `current`; std::nullopt = no change.
// kInvalidArgument for an unknown type.
[[nodiscard]] Result<std::optional<DeliveryState>> DlrTransition(DeliveryState current, int type);

// Thread safety: Enqueue(), Post(), DeliveryReport(), Suppress(), UpdateContacts() may be called
// from any thread; Start()/Stop() from one owner thread.
//
// States: a notification is queued until an attempt settles it. Webhook 2xx and Telegram ok:
// delivered. SMS accepted by Kannel and e-mail accepted by the SMTP server: sent (an SMS becomes
// delivered or failed by its delivery report). 4xx / permanent errors: failed. Retryable errors
// past give_up_after_ms: dead_letter. Every change is written together with an audit entry
// ("alert.<state>", actor "system") from the state thread.
class Dispatcher {
 public:
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;
  virtual ~Dispatcher() = default;

  // `contacts` is copied (secrets for signing and languages are looked up by contact id).
  // `areas`, when given, is read during Create only: the display names of every area (ky/ru/en)
  // are copied for the SMS/Telegram/e-mail texts; without it messages name the area code alone.
  static std::unique_ptr<Dispatcher> Create(AlertStore store, const config::AlertsConfig& cfg,
                                            std::vector<config::Contact> contacts,
                                            const Clock& clock, MetricsRegistry& metrics,
                                            const config::AreaTree* areas = nullptr,
                                            DispatcherHooks hooks = {});

  // Loads every pending alert from the store and starts delivering. Returns after the io thread runs.
  [[nodiscard]] virtual Status Start() = 0;
  // Alerts just committed to the store by scoring; delivered as soon as possible.
  virtual void Enqueue(std::vector<Alert> alerts) = 0;
  // Stops: no new attempts; waits for attempts in flight (bounded by the timeout); pending alerts
  // stay pending in the store and resume on the next Start().
  virtual void Stop() = 0;
  // Alerts waiting for an attempt (in memory).
  virtual std::size_t backlog() const = 0;

  // Runs `task` on the state thread: one thread that writes every state change, in order, and may
  // block on the store. A task posted after a state change sees it written.
  virtual void Post(std::function<void()> task) = 0;
  // Applies a Kannel delivery report to SMS notification `alert_id` (see DlrTransition) and calls
  // `done` on the state thread with the notification as stored afterwards, or kNotFound /
  // kInvalidArgument. A report that arrives while the attempt's answer is still being read is
  // applied right after it.
  virtual void DeliveryReport(std::string alert_id, int type,
                              std::function<void(Result<Alert>)> done) = 0;
  // Withdraws queued notifications that are not being attempted right now: state suppressed,
  // last_error = `reason`. Others are left alone. `done` (state thread) gets the suppressed ones.
  virtual void Suppress(std::vector<std::string> alert_ids, std::string reason,
                        std::function<void(std::vector<Alert>)> done) = 0;
  // Cluster mode (hooks.queue set): one attempt of a notification taken from the cluster's queue,
  // outside this node's own schedule (the queue keeps the schedule: a retry is handed out again
  // after TakeResult::retry_in_ms, the backoff or Retry-After of the attempt; a notification due
  // later, e.g. after quiet hours, is handed back at once with the time left). Its result is
  // written like any attempt's (state, audit, the owner's reaction) before `done` runs.
  virtual void Take(Alert alert, int deliveries, TakeCallback done) = 0;
  // New or changed contacts (webhook signing secrets, languages). Notifications already queued
  // keep going to the address they were created for, even when their contact is gone.
  virtual void UpdateContacts(std::vector<config::Contact> contacts) = 0;

 protected:
  Dispatcher() = default;
};

}  // namespace sakchy::alerts
