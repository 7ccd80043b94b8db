#pragma once
// Delivers outbox entries over their channel (alert.channel): webhook, sms (Kannel sendsms),
// telegram (Bot API sendMessage) or email (SMTP). Owns one io thread for delivery and runs store
// updates off it. A receiver that is down never blocks intake: the dispatcher only reads and
// updates alerts.

#include <memory>
#include <span>
#include <vector>

#include "config/areas.h"
#include "config/config.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "core/types.h"
#include "storage/store.h"

namespace sakchy::alerts {

// Webhook wire format (see docs/ARCHITECTURE.md):
//   POST <url>, Content-Type: application/json, body = the alert JSON
//   X-Sakchy-Timestamp: <unix seconds>
//   X-Sakchy-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//   Idempotency-Key: <alert.idempotency_key>
// Receivers reject timestamps older than a few minutes (replay protection).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

// Thread safety: Enqueue() may be called from any thread; Start()/Stop() from one owner thread.
class Dispatcher {
 public:
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;
  virtual ~Dispatcher() = default;

  // `contacts` is copied (secrets for signing and languages are looked up by contact id).
  // `areas`, when given, is read during Create only: the display names of every area (ky/ru/en)
  // are copied for the SMS/Telegram/e-mail texts; without it messages name the area code alone.
  static std::unique_ptr<Dispatcher> Create(storage::Store& store, const config::AlertsConfig& cfg,
                                            std::vector<config::Contact> contacts,
                                            const Clock& clock, MetricsRegistry& metrics,
                                            const config::AreaTree* areas = nullptr);

  // Loads every pending alert from the store and starts delivering. Returns after the io thread runs.
  [[nodiscard]] virtual Status Start() = 0;
  // Alerts just committed to the store by scoring; delivered as soon as possible.
  virtual void Enqueue(std::vector<Alert> alerts) = 0;
  // Stops: no new attempts; waits for attempts in flight (bounded by the timeout); pending alerts
  // stay pending in the store and resume on the next Start().
  virtual void Stop() = 0;
  // Alerts waiting for an attempt (in memory).
  virtual std::size_t backlog() const = 0;

 protected:
  Dispatcher() = default;
};

}  // namespace sakchy::alerts
