#pragma once
// Presses of the "Acknowledge" button (private to alerts): polls getUpdates of the alerts bot
// (alerts.channels.telegram) for callback queries, hands each to the engine and answers it with
// answerCallbackQuery. Its own io thread. The answer is read by core/telegram_updates.h, as
// intake's Telegram source reads its own. The alerts bot must not also be an intake source
// (Telegram allows one getUpdates reader per bot).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/telegram_updates.h"

namespace sakchy::alerts {

// A press of the button: its callback query id (for answerCallbackQuery), the chat of the
// message with the button, the user who pressed it and the callback_data ("ack:4821:<alert id>").
using CallbackPress = telegram::CallbackQuery;

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
