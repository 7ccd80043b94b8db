#pragma once
// Request builders and answer classifiers of the channels (private to alerts), defined with their
// channel (channel_sms.cc, channel_telegram.cc, channel_whatsapp.cc; the shared ones in
// channels.cc). Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/dispatcher.h"
#include "http_client.h"
#include "config/config.h"
#include "core/types.h"

namespace sakchy::alerts {

// Percent-encodes everything but RFC 3986 unreserved characters (UTF-8 bytes as %XX).
std::string UrlEncode(std::string_view s);

// The full sendsms GET URL: sendsms_url?username&password&from&to&charset=UTF-8&coding=2&text
// &dlr-mask=31&dlr-url (dlr-url only when dlr_url_base is set:
// "<dlr_url_base>/v1/alerts/dlr?alert_id=<id>&sig=<DlrToken>&type=%d", Kannel fills %d).
// Contains the password: never log it.
std::string SendSmsUrl(const config::SmsChannelConfig& sms, const Alert& alert,
                       std::string_view text);

// The sendMessage JSON body: {"chat_id","text","reply_markup":{"inline_keyboard":[[{"text":
// <button>,"callback_data":"ack:<code>:<alert id>"}]]}}.
std::string TelegramBody(const Alert& alert, std::string_view text, std::string_view button);
// "ack:<code>:<alert id>" (at most 64 bytes, the Bot API limit for callback_data).
std::string TelegramCallbackData(const Alert& alert);

// What a sendMessage response means.
struct TelegramReply {
  enum class Kind { kOk, kRetry, kFailed };
  Kind kind = Kind::kRetry;
  std::string error;                           // "telegram: <description>" unless ok
  std::optional<std::int64_t> retry_after_ms;  // parameters.retry_after on 429
};
TelegramReply ClassifyTelegramReply(unsigned status, std::string_view body);

// `payload` (a JSON object) with `fields` added as strings (the recipient of a reply, which the
// outbox keeps sealed apart from the body). A payload that is not an object becomes {"text": it}.
std::string WithRecipient(std::string_view payload,
                          const std::vector<std::pair<std::string, std::string>>& fields);

// What a Graph API POST /<phone-number-id>/messages response means: 2xx with a message id:
// accepted (kDelivered here, `sent` in the outbox); 429, 5xx, 408 and non-JSON answers retry;
// other 4xx fail with error.message (e.g. 190 bad token, 131047 outside the 24-hour window).
struct WhatsAppReply {
  Outcome::Kind kind = Outcome::Kind::kRetry;
  std::string error;
};
WhatsAppReply ClassifyWhatsAppReply(unsigned status, std::string_view body);

}  // namespace sakchy::alerts
