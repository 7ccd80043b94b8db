#include "ingest/sources/telegram_parser.h"

#include <simdjson.h>

#include "json_util.h"

namespace sakchy::ingest::sources {
namespace {

using internal::Int;
using internal::Member;
using internal::Str;

constexpr std::string_view kKinds[] = {"message", "edited_message", "channel_post",
                                       "edited_channel_post"};

Error Invalid(std::string what) {
  return Error{ErrorCode::kInvalidArgument, "not a Telegram getUpdates response: " + what};
}

}  // namespace

Result<TelegramResponse> ParseTelegramResponse(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    return tl::unexpected(Invalid(std::string("invalid JSON: ") + simdjson::error_message(err)));
  }
  if (doc.type() != simdjson::dom::element_type::OBJECT) return tl::unexpected(Invalid("not an object"));
  TelegramResponse out;
  auto ok = Member(doc, "ok");
  bool ok_value = false;
  if (!ok || ok->get_bool().get(ok_value) != simdjson::SUCCESS) {
    return tl::unexpected(Invalid("missing boolean \"ok\""));
  }
  out.ok = ok_value;
  if (!out.ok) {
    out.error_code = static_cast<int>(Int(doc, "error_code").value_or(0));
    out.description = Str(doc, "description").value_or("");
    if (auto params = Member(doc, "parameters")) out.retry_after_s = Int(*params, "retry_after");
    return out;
  }
  auto result = Member(doc, "result");
  simdjson::dom::array updates;
  if (!result || result->get_array().get(updates) != simdjson::SUCCESS) {
    return tl::unexpected(Invalid("\"result\" is not an array"));
  }
  for (simdjson::dom::element update : updates) {
    auto update_id = Int(update, "update_id");
    if (!update_id) return tl::unexpected(Invalid("an update has no integer \"update_id\""));
    if (!out.next_offset || *update_id + 1 > *out.next_offset) out.next_offset = *update_id + 1;
    for (std::string_view kind : kKinds) {
      auto msg = Member(update, kind);
      if (!msg) continue;
      TelegramMessage m;
      m.update_id = *update_id;
      m.kind = std::string(kind);
      auto chat = Member(*msg, "chat");
      auto chat_id = chat ? Int(*chat, "id") : std::nullopt;
      auto message_id = Int(*msg, "message_id");
      if (!chat_id || !message_id) {
        return tl::unexpected(Invalid("update " + std::to_string(*update_id) + ": " +
                                      std::string(kind) + " lacks message_id or chat.id"));
      }
      m.chat_id = *chat_id;
      m.chat_type = Str(*chat, "type").value_or("");
      m.chat_title = Str(*chat, "title").value_or("");
      m.chat_username = Str(*chat, "username").value_or("");
      m.message_id = *message_id;
      m.date = Int(*msg, "date").value_or(0);
      m.edit_date = Int(*msg, "edit_date");
      if (auto from = Member(*msg, "from")) m.from_id = Int(*from, "id");
      if (auto sender = Member(*msg, "sender_chat")) m.sender_chat_id = Int(*sender, "id");
      if (auto text = Str(*msg, "text")) {
        m.text = std::move(*text);
      } else if (auto caption = Str(*msg, "caption")) {
        m.text = std::move(*caption);
      }
      if (!m.text.empty()) out.messages.push_back(std::move(m));
      break;
    }
  }
  return out;
}

std::string RedactSecrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 4) == "/bot") {
      const std::size_t end = text.find_first_of("/?# ", i + 4);
      if (end != std::string_view::npos && end > i + 4 && text[end] == '/') {
        out += "/bot<redacted>";
        i = end;
        continue;
      }
    }
    if (text.substr(i, 13) == "access_token=") {
      out += "access_token=<redacted>";
      i = text.find_first_of("&# ", i + 13);
      if (i == std::string_view::npos) i = text.size();
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace sakchy::ingest::sources
