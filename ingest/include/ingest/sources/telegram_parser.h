#pragma once
// Telegram Bot API getUpdates responses (simdjson). Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sakchy::ingest::sources {

struct TelegramMessage {
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

struct TelegramResponse {
  bool ok = false;
  // ok == false:
  int error_code = 0;  // e.g. 401, 409 (another getUpdates/webhook is active), 429
  std::string description;
  std::optional<std::int64_t> retry_after_s;  // parameters.retry_after
  // ok == true: messages with text, in update order. Updates without text are not listed but
  // still count for next_offset.
  std::vector<TelegramMessage> messages;
  std::optional<std::int64_t> next_offset;  // last update_id + 1; absent when no updates
};

// kInvalidArgument when `json` is not JSON or not a getUpdates response.
[[nodiscard]] Result<TelegramResponse> ParseTelegramResponse(std::string_view json);

// Replaces the bot token in "/bot<token>/" (and access_token=... query values) by "<redacted>".
// Every URL that might carry a secret goes through this before it is logged or put in an error.
std::string RedactSecrets(std::string_view text);

}  // namespace sakchy::ingest::sources
