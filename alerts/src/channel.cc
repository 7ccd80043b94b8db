#include "channel.h"

namespace sakchy::alerts {

namespace http = boost::beast::http;

// Defined in channel_<name>.cc.
const Channel& WebhookChannel();
const Channel& SmsChannel();
const Channel& TelegramChannel();
const Channel& EmailChannel();
const Channel& WhatsAppChannel();

const Channel& ChannelFor(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kWebhook: return WebhookChannel();
    case ChannelKind::kSms: return SmsChannel();
    case ChannelKind::kTelegram: return TelegramChannel();
    case ChannelKind::kEmail: return EmailChannel();
    case ChannelKind::kWhatsApp: return WhatsAppChannel();
  }
  return WebhookChannel();
}

const Channel* FindChannel(std::string_view name) {
  const std::optional<ChannelKind> kind = ParseChannel(name);
  return kind ? &ChannelFor(*kind) : nullptr;
}

std::string Channel::RenderStored(const Alert& alert, const RenderContext& ctx) const {
  Alert as_event = alert;
  as_event.kind = AlertKind::kEvent;
  as_event.escalation_step = 0;
  return Render(as_event, ctx);
}

boost::asio::awaitable<Outcome> Channel::SendReply(Alert alert, std::string /*address*/,
                                                   SendContext /*ctx*/) const {
  co_return Failed("unknown channel '" + alert.channel + "'");
}

std::string Channel::ReceiptError(int /*type*/) const { return {}; }

std::string NotConfiguredProblem(ChannelKind kind) {
  const std::string name(ChannelName(kind));
  return "channel '" + name + "' is not configured (alerts.channels." + name + ")";
}

std::string NotConfiguredError(ChannelKind kind) {
  return "channel " + std::string(ChannelName(kind)) + " is not configured (alerts.channels)";
}

http::request<http::string_body> OutboundRequest(http::verb verb, const Endpoint& endpoint,
                                                 std::string body) {
  http::request<http::string_body> req{verb, endpoint.target, 11};
  req.set(http::field::host, endpoint.host_header);
  req.set(http::field::user_agent, kUserAgent);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.set(http::field::connection, "close");
  if (!body.empty()) {
    req.body() = std::move(body);
    req.prepare_payload();
  }
  return req;
}

}  // namespace sakchy::alerts
