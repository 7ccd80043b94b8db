#include "core/telegram_updates.h"

#include <simdjson.h>

#include "core/json_dom.h"

namespace sakchy::telegram {
namespace {

using json_dom::IdString;
using json_dom::Int;
using json_dom::Member;
using json_dom::Str;

constexpr std::string_view kMessageKinds[] = {"message", "edited_message", "channel_post",
                                              "edited_channel_post"};

Error Invalid(std::string what) {
  return Error{ErrorCode::kInvalidArgument, "not a Telegram getUpdates response: " + what};
}

CallbackQuery ReadCallbackQuery(std::int64_t update_id, simdjson::dom::element q) {
  CallbackQuery out;
  out.update_id = update_id;
  out.id = IdString(q, "id").value_or("");
  if (auto from = Member(q, "from")) out.from_id = IdString(*from, "id").value_or("");
  if (auto msg = Member(q, "message")) {
    if (auto chat = Member(*msg, "chat")) out.chat_id = IdString(*chat, "id").value_or("");
  }
  out.data = Str(q, "data").value_or("");
  return out;
}

}  // namespace

Result<Updates> ParseUpdates(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    return tl::unexpected(Invalid(std::string("invalid JSON: ") + simdjson::error_message(err)));
  }
  if (doc.type() != simdjson::dom::element_type::OBJECT) return tl::unexpected(Invalid("not an object"));
  Updates out;
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
    if (auto q = Member(update, "callback_query")) {
      out.callback_queries.push_back(ReadCallbackQuery(*update_id, *q));
      continue;
    }
    for (std::string_view kind : kMessageKinds) {
      auto msg = Member(update, kind);
      if (!msg) continue;
      Message m;
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

}  // namespace sakchy::telegram
