#pragma once
// A fake Telegram Bot API for the alerts bot, on loopback, answering in the Bot API's shapes:
// {"ok":true,"result":...} or {"ok":false,"error_code":N,"description":"..."[,"parameters":
// {"retry_after":S}]}.
// - POST /bot<token>/sendMessage (JSON): checks like Telegram: the token (401 Unauthorized), a
//   known chat_id (400 chat not found), a non-empty text of at most 4096 UTF-16 units.
// - GET|POST /bot<token>/getUpdates?offset=N: the queued updates (button presses added with
//   AddCallbackQuery) with update_id >= offset; updates below the offset are confirmed and never
//   returned again.
// - POST /bot<token>/answerCallbackQuery (JSON {callback_query_id, text}): recorded.
// Thread safety: every method may be called from any thread.

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes/scripted_http_server.h"

namespace sakchy::testing {

// One accepted sendMessage.
struct SentTelegramMessage {
  std::string chat_id;  // as sent (string or integer, printed)
  std::string text;
  std::string reply_markup;   // serialized JSON, "" when absent
  std::string button_text;    // inline_keyboard[0][0].text
  std::string callback_data;  // inline_keyboard[0][0].callback_data
};

class TelegramSendFake {
 public:
  // Chats that exist; sendMessage to any other chat_id fails with 400 "chat not found".
  TelegramSendFake(std::string token, std::set<std::string> chats);

  std::string api_base() const { return server_.url(); }  // "http://127.0.0.1:<port>"

  // The next `n` sendMessage calls answer 429 Too Many Requests with retry_after `seconds`.
  void FailNextWith429(int n, int seconds);
  // The next `n` calls answer `status` with a body that is not JSON (a broken proxy).
  void FailNextWithGarbage(int n, int status);

  std::vector<SentTelegramMessage> sent() const;
  std::size_t requests() const { return server_.count(); }

  // Queues a press of an inline button: a callback_query update from user `from_id` on the
  // message `message_id` in chat `chat_id`, with `data`. Returns the update_id (1, 2, ...).
  std::int64_t AddCallbackQuery(const std::string& chat_id, std::int64_t from_id,
                                const std::string& data, std::int64_t message_id = 1);
  // answerCallbackQuery calls: callback_query_id -> text.
  std::vector<std::pair<std::string, std::string>> answers() const;
  // The offset parameter of every getUpdates call ("" when absent).
  std::vector<std::string> offsets() const;

 private:
  ScriptedResponse Handle(const RecordedRequest& req);

  std::string token_;
  std::set<std::string> chats_;
  mutable std::mutex mu_;
  int fail_429_ = 0;
  int retry_after_ = 0;
  int fail_garbage_ = 0;
  int garbage_status_ = 502;
  std::int64_t next_message_id_ = 1;
  std::vector<SentTelegramMessage> sent_;
  std::vector<std::pair<std::int64_t, std::string>> updates_;  // update_id, JSON
  std::int64_t next_update_id_ = 1;
  std::int64_t confirmed_below_ = 0;
  std::vector<std::pair<std::string, std::string>> answers_;
  std::vector<std::string> offsets_;
  ScriptedHttpServer server_;  // last: stops before the members its handler uses
};

}  // namespace sakchy::testing
