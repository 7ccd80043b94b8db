#include "channels.h"

#include <boost/json.hpp>

#include "alerts/templates.h"
#include "core/crypto.h"
#include "core/json_text.h"

namespace sakchy::alerts {

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string SendSmsUrl(const config::SmsChannelConfig& sms, const Alert& alert,
                       std::string_view text) {
  std::string url = sms.sendsms_url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "username=" + UrlEncode(sms.username);
  url += "&password=" + UrlEncode(sms.password);
  url += "&from=" + UrlEncode(sms.from);
  url += "&to=" + UrlEncode(alert.target);
  url += "&charset=UTF-8&coding=2";
  url += "&text=" + UrlEncode(text);
  if (!sms.dlr_url_base.empty()) {
    std::string base = sms.dlr_url_base;
    while (base.ends_with("/")) base.pop_back();
    const std::string dlr = base + "/v1/alerts/dlr?alert_id=" + UrlEncode(alert.id) +
                            "&sig=" + DlrToken(sms, alert.id) + "&type=%d";
    url += "&dlr-mask=31&dlr-url=" + UrlEncode(dlr);
  }
  return url;
}

std::string DlrToken(const config::SmsChannelConfig& sms, std::string_view alert_id) {
  const std::string key = HmacSha256Hex(sms.password, "sakchy-dlr");
  return HmacSha256Hex(key, alert_id).substr(0, 32);
}

std::string TelegramCallbackData(const Alert& alert) {
  std::string data = "ack:" + AlertCode(alert.id) + ":" + alert.id;
  if (data.size() > 64) data.resize(64);
  return data;
}

std::string TelegramBody(const Alert& alert, std::string_view text, std::string_view button) {
  namespace json = boost::json;
  json::object body;
  body["chat_id"] = alert.target;
  body["text"] = text;
  json::object key{{"text", button}, {"callback_data", TelegramCallbackData(alert)}};
  body["reply_markup"] = json::object{{"inline_keyboard", json::array{json::array{key}}}};
  return ToJsonText(json::value(body));
}

TelegramReply ClassifyTelegramReply(unsigned status, std::string_view body) {
  namespace json = boost::json;
  TelegramReply out;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  const json::object* obj = (!ec && parsed.is_object()) ? &parsed.as_object() : nullptr;
  std::string description;
  if (obj != nullptr) {
    if (auto* d = obj->if_contains("description"); d != nullptr && d->is_string()) {
      description = std::string(d->as_string().subview().substr(0, 200));
    }
    if (auto* p = obj->if_contains("parameters"); p != nullptr && p->is_object()) {
      if (auto* r = p->as_object().if_contains("retry_after");
          r != nullptr && r->is_int64() && r->as_int64() >= 0) {
        out.retry_after_ms = r->as_int64() * 1000;
      }
    }
  }
  const bool ok_true = obj != nullptr && obj->if_contains("ok") != nullptr &&
                       obj->at("ok").is_bool() && obj->at("ok").as_bool();
  if (status >= 200 && status < 300 && ok_true) {
    out.kind = TelegramReply::Kind::kOk;
    return out;
  }
  out.error = "telegram: HTTP " + std::to_string(status);
  if (!description.empty()) out.error += ": " + description;
  if (obj == nullptr) out.error += " (not a Bot API response)";
  if (status == 429 || status >= 500 || status == 408 || obj == nullptr) {
    out.kind = TelegramReply::Kind::kRetry;
  } else {
    out.kind = TelegramReply::Kind::kFailed;  // {"ok":false} with 4xx: bad chat id, blocked bot
    out.retry_after_ms.reset();
  }
  return out;
}

std::string WithRecipient(std::string_view payload,
                          const std::vector<std::pair<std::string, std::string>>& fields) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value parsed = json::parse(payload, ec);
  json::object body;
  if (!ec && parsed.is_object()) {
    body = std::move(parsed.as_object());
  } else {
    body["text"] = payload;
  }
  for (const auto& [key, value] : fields) body[key] = value;
  return ToJsonText(json::value(body));
}

WhatsAppReply ClassifyWhatsAppReply(unsigned status, std::string_view body) {
  namespace json = boost::json;
  WhatsAppReply out;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  const json::object* obj = (!ec && parsed.is_object()) ? &parsed.as_object() : nullptr;
  if (status >= 200 && status < 300 && obj != nullptr && obj->if_contains("messages")) {
    out.kind = Outcome::Kind::kDelivered;
    return out;
  }
  out.error = "whatsapp: HTTP " + std::to_string(status);
  if (obj != nullptr) {
    if (const auto* e = obj->if_contains("error"); e != nullptr && e->is_object()) {
      const auto& err = e->as_object();
      if (const auto* c = err.if_contains("code"); c != nullptr && c->is_int64()) {
        out.error += ": " + std::to_string(c->as_int64());
      }
      if (const auto* m = err.if_contains("message"); m != nullptr && m->is_string()) {
        out.error += " " + std::string(m->as_string().subview().substr(0, 200));
      }
    }
  } else {
    out.error += " (not a Graph API response)";
  }
  const bool retry = obj == nullptr || status == 429 || status == 408 || status >= 500 ||
                     (status >= 200 && status < 300);
  out.kind = retry ? Outcome::Kind::kRetry : Outcome::Kind::kFailed;
  return out;
}

}  // namespace sakchy::alerts
