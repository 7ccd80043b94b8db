#include "fakes/telegram_send_fake.h"

#include <boost/json.hpp>

namespace sakchy::testing {
namespace {

namespace json = boost::json;

ScriptedResponse Json(int status, const json::value& body) {
  ScriptedResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = json::serialize(body);
  return r;
}

ScriptedResponse Error(int code, const std::string& description) {
  return Json(code,
              json::object{{"ok", false}, {"error_code", code}, {"description", description}});
}

std::size_t Utf16Units(const std::string& s) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;
    units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

}  // namespace

TelegramSendFake::TelegramSendFake(std::string token, std::set<std::string> chats)
    : token_(std::move(token)),
      chats_(std::move(chats)),
      server_([this](const RecordedRequest& req) { return Handle(req); }) {}

void TelegramSendFake::FailNextWith429(int n, int seconds) {
  std::lock_guard lock(mu_);
  fail_429_ = n;
  retry_after_ = seconds;
}

void TelegramSendFake::FailNextWithGarbage(int n, int status) {
  std::lock_guard lock(mu_);
  fail_garbage_ = n;
  garbage_status_ = status;
}

std::vector<SentTelegramMessage> TelegramSendFake::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

std::int64_t TelegramSendFake::AddCallbackQuery(const std::string& chat_id, std::int64_t from_id,
                                                const std::string& data,
                                                std::int64_t message_id) {
  std::lock_guard lock(mu_);
  const std::int64_t id = next_update_id_++;
  json::object chat{{"type", chat_id.starts_with("-") ? "supergroup" : "private"}};
  try {
    chat["id"] = std::stoll(chat_id);
  } catch (const std::exception&) {
    chat["id"] = chat_id;
  }
  json::object update{
      {"update_id", id},
      {"callback_query",
       json::object{{"id", "cbq-" + std::to_string(id)},
                    {"from", json::object{{"id", from_id}, {"is_bot", false}, {"first_name", "A"}}},
                    {"message", json::object{{"message_id", message_id},
                                             {"chat", chat},
                                             {"date", 1717243200},
                                             {"text", "..."}}},
                    {"chat_instance", "1"},
                    {"data", data}}}};
  updates_.emplace_back(id, json::serialize(update));
  return id;
}

std::vector<std::pair<std::string, std::string>> TelegramSendFake::answers() const {
  std::lock_guard lock(mu_);
  return answers_;
}

std::vector<std::string> TelegramSendFake::offsets() const {
  std::lock_guard lock(mu_);
  return offsets_;
}

ScriptedResponse TelegramSendFake::Handle(const RecordedRequest& req) {
  std::lock_guard lock(mu_);
  const std::string prefix = "/bot" + token_ + "/";
  if (!req.target.starts_with("/bot")) return Error(404, "Not Found");
  if (!req.target.starts_with(prefix)) return Error(401, "Unauthorized");
  const std::string method = req.target.substr(prefix.size(), req.target.find('?') - prefix.size());
  if (method == "getUpdates") {
    const std::string offset = QueryParam(req.target, "offset");
    offsets_.push_back(offset);
    if (!offset.empty()) confirmed_below_ = std::max<std::int64_t>(confirmed_below_, std::stoll(offset));
    json::array result;
    for (const auto& [id, text] : updates_) {
      if (id >= confirmed_below_) result.push_back(json::parse(text));
    }
    return Json(200, json::object{{"ok", true}, {"result", std::move(result)}});
  }
  if (method == "answerCallbackQuery") {
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object()) return Error(400, "Bad Request: can't parse JSON object");
    const json::object& o = body.as_object();
    const json::value* id = o.if_contains("callback_query_id");
    if (id == nullptr || !id->is_string()) return Error(400, "Bad Request: query is too old");
    const json::value* text = o.if_contains("text");
    answers_.emplace_back(std::string(id->as_string()),
                          text != nullptr && text->is_string() ? std::string(text->as_string())
                                                               : std::string());
    return Json(200, json::object{{"ok", true}, {"result", true}});
  }
  if (method != "sendMessage") return Error(404, "Not Found: method not found");
  if (req.method != "POST") return Error(400, "Bad Request: expected POST");
  if (fail_garbage_ > 0) {
    --fail_garbage_;
    ScriptedResponse r;
    r.status = garbage_status_;
    r.headers = {{"Content-Type", "text/html"}};
    r.body = "<html><body>Bad Gateway</body></html>";
    return r;
  }
  if (fail_429_ > 0) {
    --fail_429_;
    return Json(429, json::object{{"ok", false},
                                  {"error_code", 429},
                                  {"description", "Too Many Requests: retry after " +
                                                      std::to_string(retry_after_)},
                                  {"parameters", json::object{{"retry_after", retry_after_}}}});
  }
  auto ct = req.headers.find("content-type");
  if (ct == req.headers.end() || !ct->second.starts_with("application/json")) {
    return Error(400, "Bad Request: message text is empty");
  }
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object()) return Error(400, "Bad Request: can't parse JSON object");
  const json::object& obj = body.as_object();
  SentTelegramMessage msg;
  if (const json::value* chat = obj.if_contains("chat_id")) {
    if (chat->is_string()) msg.chat_id = std::string(chat->as_string());
    if (chat->is_int64()) msg.chat_id = std::to_string(chat->as_int64());
  }
  if (msg.chat_id.empty()) return Error(400, "Bad Request: chat_id is empty");
  if (!chats_.contains(msg.chat_id)) return Error(400, "Bad Request: chat not found");
  if (const json::value* text = obj.if_contains("text"); text && text->is_string()) {
    msg.text = std::string(text->as_string());
  }
  if (msg.text.empty()) return Error(400, "Bad Request: message text is empty");
  if (Utf16Units(msg.text) > 4096) return Error(400, "Bad Request: message is too long");
  if (const json::value* markup = obj.if_contains("reply_markup")) {
    msg.reply_markup = json::serialize(*markup);
    const json::value* rows =
        markup->is_object() ? markup->as_object().if_contains("inline_keyboard") : nullptr;
    if (rows == nullptr || !rows->is_array() || rows->as_array().empty() ||
        !rows->as_array()[0].is_array() || rows->as_array()[0].as_array().empty() ||
        !rows->as_array()[0].as_array()[0].is_object()) {
      return Error(400, "Bad Request: can't parse inline keyboard button");
    }
    const json::object& button = rows->as_array()[0].as_array()[0].as_object();
    if (auto* t = button.if_contains("text"); t && t->is_string()) {
      msg.button_text = std::string(t->as_string());
    }
    if (auto* d = button.if_contains("callback_data"); d && d->is_string()) {
      msg.callback_data = std::string(d->as_string());
    }
    if (msg.button_text.empty()) return Error(400, "Bad Request: text buttons are unallowed");
    if (msg.callback_data.size() > 64) return Error(400, "Bad Request: BUTTON_DATA_INVALID");
  }
  const std::int64_t message_id = next_message_id_++;
  json::object chat{{"type", msg.chat_id.starts_with("-") ? "supergroup" : "private"}};
  try {
    chat["id"] = std::stoll(msg.chat_id);  // Telegram answers with the numeric id
  } catch (const std::exception&) {
    chat["id"] = msg.chat_id;  // "@channel"
  }
  json::object result{
      {"message_id", message_id}, {"chat", chat}, {"date", 1717243200}, {"text", msg.text}};
  sent_.push_back(std::move(msg));
  return Json(200, json::object{{"ok", true}, {"result", result}});
}

}  // namespace sakchy::testing
