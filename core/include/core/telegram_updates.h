#pragma once
// The Telegram Bot API's getUpdates answer, read with simdjson. One reader for the two bots that
// poll it: intake (messages and channel posts, ingest's Telegram source) and alerts (presses of
// the "Acknowledge" button: callback queries). Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sakchy::telegram {

struct Message {
  std::int64_t update_id = 0;
  std::string kind;  // "message" | "edited_message" | "channel_post" | "edited_channel_post"
  std::int64_t chat_id = 0;
  std::string chat_type;  // "private" | "group" | "supergroup" | "channel"
  std::string chat_title;
  std::string chat_username;
  std::int64_t message_id = 0;
  std::int64_t date = 0;                 // Unix seconds
  std::optional<std::int64_t> edit_date;  // Unix seconds; set for edits
  std::optional<std::int64_t> from_id;    // user id; absent for channel posts
  std::optional<std::int64_t> sender_chat_id;
  std::string text;  // "text" or "caption"
};

// A press of an inline keyboard button. Fields the answer lacks are empty.
struct CallbackQuery {
  std::int64_t update_id = 0;
  std::string id;       // for answerCallbackQuery
  std::string chat_id;  // the chat of the message with the button
  std::string from_id;  // the user who pressed it
  std::string data;     // the button's callback_data
};

struct Updates {
  bool ok = false;
  // ok == false:
  int error_code = 0;  // e.g. 401, 409 (another getUpdates/webhook is active), 429
  std::string description;
  std::optional<std::int64_t> retry_after_s;  // parameters.retry_after
  // ok == true, in update order: messages with text, and callback queries. Other updates (and
  // messages without text) are not listed but still count for next_offset.
  std::vector<Message> messages;
  std::vector<CallbackQuery> callback_queries;
  std::optional<std::int64_t> next_offset;  // last update_id + 1; absent when no updates
};

// kInvalidArgument when `json` is not JSON or not a getUpdates answer (no boolean "ok", a
// "result" that is not an array, an update without an integer "update_id", a message without
// message_id or chat.id).
[[nodiscard]] Result<Updates> ParseUpdates(std::string_view json);

}  // namespace sakchy::telegram
