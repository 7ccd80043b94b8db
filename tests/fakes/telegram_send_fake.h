#pragma once
// A fake Telegram Bot API for the sending side: POST /bot<token>/sendMessage with a JSON body, on
// loopback, answering in the Bot API's shapes: {"ok":true,"result":{Message}} or
// {"ok":false,"error_code":N,"description":"..."[,"parameters":{"retry_after":S}]}.
// Checks like Telegram: the token (401 Unauthorized), a known chat_id (400 chat not found),
// a non-empty text of at most 4096 UTF-16 units (400 message is too long).
// Thread safety: every method may be called from any thread.

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
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
  ScriptedHttpServer server_;  // last: stops before the members its handler uses
};

}  // namespace sakchy::testing
