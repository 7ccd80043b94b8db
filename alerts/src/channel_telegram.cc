// The Telegram channel: Bot API sendMessage with an "Acknowledge" button; replies to reporters
// through the bot of the source they wrote to.

#include <boost/json.hpp>

#include "alerts/templates.h"
#include "channel.h"
#include "channels.h"
#include "core/json_text.h"

namespace sakchy::alerts {
namespace {

namespace http = boost::beast::http;

// POSTs `body` to the bot's sendMessage and classifies the Bot API answer.
boost::asio::awaitable<Outcome> PostToBot(const config::TelegramChannelConfig* bot,
                                          std::string body, SendContext ctx) {
  auto endpoint = ParseEndpoint(bot->api_base + "/bot" + bot->token + "/sendMessage");
  if (!endpoint) co_return Failed("telegram api_base: " + endpoint.error().message);
  Outcome out = co_await SendOnce(*endpoint,
                                  OutboundRequest(http::verb::post, *endpoint, std::move(body)),
                                  ctx.timeout_ms, ctx.tls);
  if (out.status == 0) co_return out;  // no response: network error, retried
  const TelegramReply reply = ClassifyTelegramReply(out.status, out.body);
  out.error = reply.error;
  out.retry_after_ms = reply.retry_after_ms;
  out.kind = reply.kind == TelegramReply::Kind::kOk      ? Outcome::Kind::kDelivered
             : reply.kind == TelegramReply::Kind::kRetry ? Outcome::Kind::kRetry
                                                         : Outcome::Kind::kFailed;
  co_return out;
}

class Telegram final : public Channel {
 public:
  ChannelKind kind() const override { return ChannelKind::kTelegram; }

  std::string Problem(const config::ContactChannel& /*channel*/,
                      const config::ChannelsConfig& channels) const override {
    return channels.telegram ? "" : NotConfiguredProblem(kind());
  }

  std::string Render(const Alert& alert, const RenderContext& ctx) const override {
    const std::string text = LongText(alert, ctx, kTelegramMaxUnits);
    if (text.empty()) return {};
    return TelegramBody(alert, text, AckButtonLabel(LanguageCode(ctx.language)));
  }

  std::optional<Outcome> Precheck(const Alert& /*alert*/, const SendContext& ctx) const override {
    if (!ctx.channels->telegram) return Failed(NotConfiguredError(kind()));
    return std::nullopt;
  }

  boost::asio::awaitable<Outcome> Send(Alert /*alert*/, std::string payload,
                                       SendContext ctx) const override {
    co_return co_await PostToBot(&*ctx.channels->telegram, std::move(payload), ctx);
  }

  // The opened address is "<source>:<chat>" for a source's own bot, else the chat of the
  // alerts bot.
  boost::asio::awaitable<Outcome> SendReply(Alert alert, std::string address,
                                            SendContext ctx) const override {
    const config::ChannelsConfig& channels = *ctx.channels;
    const config::TelegramChannelConfig* bot = nullptr;
    std::string chat = std::move(address);
    if (const auto colon = chat.find(':'); colon != std::string::npos) {
      auto it = channels.source_bots.find(chat.substr(0, colon));
      if (it != channels.source_bots.end()) bot = &it->second;
      chat = chat.substr(colon + 1);
    } else if (channels.telegram) {
      bot = &*channels.telegram;
    }
    if (bot == nullptr) co_return Failed("no Telegram bot for this chat is configured");
    const std::vector<std::pair<std::string, std::string>> recipient = {{"chat_id", chat}};
    std::string body = WithRecipient(alert.payload, recipient);
    co_return co_await PostToBot(bot, std::move(body), ctx);
  }
};

}  // namespace

const Channel& TelegramChannel() {
  static const Telegram kTelegram;
  return kTelegram;
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

}  // namespace sakchy::alerts
