#pragma once
// A fake Telegram Bot API speaking getUpdates (GET /bot<token>/getUpdates?offset=N&timeout=S) on
// loopback. Updates below the last offset a client sent are confirmed and never returned again,
// as in Telegram. Long polling as in Telegram: with timeout=S > 0 and nothing to return, the
// request is held until an update is added or S seconds pass (then an empty result).
// Failures can be scripted (429 with retry_after, 409 conflict). POST /bot<token>/sendMessage
// (JSON {chat_id, text}) is accepted and recorded, as the bot's replies in private chats.
// Thread safety: every method may be called from any thread.

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fakes/scripted_http_server.h"

namespace sakchy::testing {

class TelegramFake {
 public:
  explicit TelegramFake(std::string token);

  std::string api_url() const { return server_.url(); }  // "http://127.0.0.1:<port>"

  // Adds an update whose `kind` ("message", "channel_post", ...) holds `message_json` (a JSON
  // object). Returns its update_id (1, 2, ...).
  std::int64_t AddUpdate(const std::string& kind, const std::string& message_json);
  // A text message in a group chat from user `from_id`.
  std::int64_t AddText(std::int64_t chat_id, std::int64_t message_id, std::int64_t from_id,
                       const std::string& text, std::int64_t date = 1717243200);

  // A text in the private chat of user `user_id` with the bot (chat id = user id, type private).
  std::int64_t AddPrivateText(std::int64_t user_id, std::int64_t message_id,
                              const std::string& text, std::int64_t date = 1717243200);
  // sendMessage calls the bot made (replies to private chats): {chat_id, text} as sent.
  std::vector<std::pair<std::string, std::string>> sent() const;

  void FailNextWith429(int retry_after_s);
  void FailNextWith409();

  // The offset parameter of every getUpdates call in order ("" when absent).
  std::vector<std::string> offsets() const;
  std::size_t calls() const { return server_.count(); }
  // Long polls being held right now.
  int held() const;
  std::vector<RecordedRequest> requests() const { return server_.requests(); }

 private:
  ScriptedResponse Handle(const RecordedRequest& req);
  ScriptedResponse Updates();  // the unconfirmed updates; mu_ held

  std::string token_;
  mutable std::mutex mu_;
  int held_ = 0;
  std::vector<std::pair<std::int64_t, std::string>> updates_;  // id, JSON
  std::int64_t confirmed_below_ = 0;
  std::deque<ScriptedResponse> failures_;
  std::vector<std::pair<std::string, std::string>> sent_;  // chat_id, text
  ScriptedHttpServer server_;  // last: stops before the state it uses goes away
};

}  // namespace sakchy::testing
