// The WhatsApp channel (replies to reporters only): Graph API POST /<phone-number-id>/messages;
// statuses come back as delivery receipts.

#include <boost/json.hpp>

#include "channel.h"
#include "channels.h"

namespace sakchy::alerts {
namespace {

namespace http = boost::beast::http;

class WhatsApp final : public Channel {
 public:
  ChannelKind kind() const override { return ChannelKind::kWhatsApp; }

  // Not a contact channel: contacts never list it.
  std::string Problem(const config::ContactChannel& channel,
                      const config::ChannelsConfig& /*channels*/) const override {
    return "unknown channel type '" + channel.type + "'";
  }

  // Replies are rendered by the reply desk.
  std::string Render(const Alert& /*alert*/, const RenderContext& /*ctx*/) const override {
    return {};
  }

  std::optional<Outcome> Precheck(const Alert& alert, const SendContext& /*ctx*/) const override {
    return Failed("unknown channel '" + alert.channel + "'");
  }

  boost::asio::awaitable<Outcome> Send(Alert alert, std::string /*payload*/,
                                       SendContext /*ctx*/) const override {
    co_return Failed("unknown channel '" + alert.channel + "'");
  }

  boost::asio::awaitable<Outcome> SendReply(Alert alert, std::string address,
                                            SendContext ctx) const override {
    if (!ctx.channels->whatsapp) co_return Failed("WhatsApp is not configured (whatsapp:)");
    const config::WhatsAppConfig& wa = *ctx.channels->whatsapp;
    auto endpoint = ParseEndpoint(wa.api_base + "/" + wa.phone_number_id + "/messages");
    if (!endpoint) co_return Failed("whatsapp api_base: " + endpoint.error().message);
    // The outbox id comes back on the message's statuses (biz_opaque_callback_data).
    const std::vector<std::pair<std::string, std::string>> recipient = {
        {"to", address}, {"biz_opaque_callback_data", alert.id}};
    auto req = OutboundRequest(http::verb::post, *endpoint,
                               WithRecipient(alert.payload, recipient));
    req.set(http::field::authorization, "Bearer " + wa.access_token);
    Outcome out = co_await SendOnce(*endpoint, std::move(req), ctx.timeout_ms, ctx.tls);
    if (out.status != 0) {
      const WhatsAppReply reply = ClassifyWhatsAppReply(out.status, out.body);
      out.error = reply.error;
      out.kind = reply.kind;
    }
    // Accepted by the Graph API = sent; the statuses webhook tells delivered or failed.
    out.handed_off = out.kind == Outcome::Kind::kDelivered;
    co_return out;
  }

  bool HasReceipts() const override { return true; }
  std::string ReceiptError(int /*type*/) const override { return "whatsapp status: failed"; }
};

}  // namespace

const Channel& WhatsAppChannel() {
  static const WhatsApp kWhatsApp;
  return kWhatsApp;
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
