#pragma once
// Acknowledgements over three channels (private to alerts): the API, an SMS reply "OK 4821" from
// a contact's number, and the Telegram "Acknowledge" button (its own poller thread). One
// acknowledgement per group and actor, stored in `alert_acks`, audited `alert.ack`; it stops the
// group's reminders and escalation.
//
// Thread safety: Acknowledge runs on the engine's state thread; List, FromSms and the poller's
// presses on any thread. Blocking: every method may wait on the store.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/acks.h"
#include "alerts/engine.h"
#include "alerts/notifier.h"
#include "config/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "directory.h"
#include "alerts/store.h"
#include "telegram_updates.h"

namespace sakchy::alerts {

class Acknowledgements {
 public:
  // Acknowledges on the state thread and waits (the engine's Acknowledge).
  using Acknowledger = std::function<Result<AckOutcome>(const AckRequest&)>;

  // Every reference must outlive this object.
  Acknowledgements(AlertStore store, const config::AlertsConfig& cfg, const Clock& clock,
                   IdGenerator& ids, Notifier& notifier, MetricsRegistry& metrics,
                   const Directory& directory)
      : store_(store),
        cfg_(cfg),
        clock_(clock),
        ids_(ids),
        notifier_(notifier),
        metrics_(metrics),
        directory_(directory) {}
  ~Acknowledgements() { Stop(); }
  Acknowledgements(const Acknowledgements&) = delete;
  Acknowledgements& operator=(const Acknowledgements&) = delete;

  // The acknowledgements of a group, oldest first (at most 1000).
  [[nodiscard]] Result<std::vector<Ack>> List(const std::string& group_key) const;
  // State thread. Acknowledges the group of request.alert_id: kNotFound for an unknown id (or a
  // routing ticket); the earlier acknowledgement (duplicate) when this actor already did.
  [[nodiscard]] Result<AckOutcome> Acknowledge(const AckRequest& request);
  // The acknowledgement an SMS "OK <code>" from `sender` stands for: the newest notification with
  // that code to a contact whose SMS number is `sender`; std::nullopt when there is none.
  [[nodiscard]] Result<std::optional<AckRequest>> FromSms(std::string_view sender,
                                                          std::string_view code) const;
  // Starts polling the alerts bot for button presses (alerts.channels.telegram must be set);
  // each valid press is acknowledged through `acknowledge`.
  void StartTelegram(Acknowledger acknowledge);
  // Stops the poller (idempotent). Blocks until its thread ends.
  void Stop();

 private:
  // Poller thread: a press of "Acknowledge" under a notification; the answer shown to the user.
  std::string OnPress(const CallbackPress& press);

  AlertStore store_;
  const config::AlertsConfig& cfg_;
  const Clock& clock_;
  IdGenerator& ids_;
  Notifier& notifier_;
  MetricsRegistry& metrics_;
  const Directory& directory_;
  Acknowledger acknowledge_;
  std::unique_ptr<TelegramUpdates> telegram_;
};

}  // namespace sakchy::alerts
