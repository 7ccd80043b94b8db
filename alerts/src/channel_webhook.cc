// The webhook channel: a signed JSON POST to the contact's URL, connected only to addresses the
// webhook filter allows.

#include "alerts/dispatcher.h"
#include "channel.h"
#include "webhook_body.h"

namespace sakchy::alerts {
namespace {

namespace http = boost::beast::http;

class Webhook final : public Channel {
 public:
  ChannelKind kind() const override { return ChannelKind::kWebhook; }

  std::string Problem(const config::ContactChannel& channel,
                      const config::ChannelsConfig& /*channels*/) const override {
    if (!channel.secret.empty()) return "";
    if (!channel.secret_env.empty()) {
      return "webhook signing key: environment variable " + channel.secret_env + " is not set";
    }
    return "webhook has no signing key";
  }

  std::string Render(const Alert& alert, const RenderContext& ctx) const override {
    return WebhookPayload(alert, ctx);
  }

  std::string RenderStored(const Alert& alert, const RenderContext& ctx) const override {
    return WebhookBody(alert, *ctx.event);
  }

  std::optional<Outcome> Precheck(const Alert& alert, const SendContext& ctx) const override {
    if (!ctx.secret) {
      return Failed("no signing secret for the webhook of contact '" + alert.contact_id +
                    "' (contact or channel not configured)");
    }
    auto endpoint = ParseEndpoint(alert.target);
    if (!endpoint) return Failed(endpoint.error().message);
    return std::nullopt;
  }

  boost::asio::awaitable<Outcome> Send(Alert alert, std::string payload,
                                       SendContext ctx) const override {
    auto endpoint = ParseEndpoint(alert.target);
    if (!endpoint) co_return Failed(endpoint.error().message);
    const std::string timestamp = std::to_string(ctx.now / 1000);
    const std::string signature = WebhookSignature(ctx.secret.value_or(""), timestamp, payload);
    auto req = OutboundRequest(http::verb::post, *endpoint, std::move(payload));
    req.set("X-Sakchy-Timestamp", timestamp);
    req.set("Idempotency-Key", alert.idempotency_key);
    req.set("X-Sakchy-Signature", signature);
    co_return co_await SendOnce(*endpoint, std::move(req), ctx.timeout_ms, ctx.tls,
                                ctx.webhook_targets);
  }
};

}  // namespace

const Channel& WebhookChannel() {
  static const Webhook kWebhook;
  return kWebhook;
}

}  // namespace sakchy::alerts
