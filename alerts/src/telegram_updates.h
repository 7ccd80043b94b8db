#pragma once
// Presses of the "Acknowledge" button (private to alerts): polls getUpdates of the alerts bot
// (alerts.channels.telegram) for callback queries, hands each to the engine and answers it with
// answerCallbackQuery. Its own io thread. The alerts bot must not also be an intake source
// (Telegram allows one getUpdates reader per bot).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"

namespace sakchy::alerts {

struct CallbackPress {
  std::string id;       // callback_query id (for answerCallbackQuery)
  std::string chat_id;  // the chat of the message with the button
  std::string from_id;  // the Telegram user who pressed it
  std::string data;     // callback_data, e.g. "ack:4821:<alert id>"
};

class TelegramUpdates {
 public:
  // `on_press` returns the answer shown to the user (may block briefly); `save_offset` stores the
  // next offset after the presses before it were handled. Polls at most every `min_interval_ms`.
  TelegramUpdates(config::TelegramChannelConfig cfg, std::int64_t offset,
                  std::function<std::string(const CallbackPress&)> on_press,
                  std::function<void(std::int64_t)> save_offset, std::int64_t min_interval_ms = 500);
  ~TelegramUpdates();
  TelegramUpdates(const TelegramUpdates&) = delete;
  TelegramUpdates& operator=(const TelegramUpdates&) = delete;

  void Start();
  // Stops polling; a request in flight is abandoned. Blocks until the thread ends.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sakchy::alerts
