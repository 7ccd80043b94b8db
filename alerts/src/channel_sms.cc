// The SMS channel: Kannel's sendsms (GET), delivery reports by dlr-url.

#include <algorithm>

#include "alerts/dispatcher.h"
#include "channel.h"
#include "channels.h"
#include "core/crypto.h"

namespace sakchy::alerts {
namespace {

namespace http = boost::beast::http;

class Sms final : public Channel {
 public:
  ChannelKind kind() const override { return ChannelKind::kSms; }

  std::string Problem(const config::ContactChannel& /*channel*/,
                      const config::ChannelsConfig& channels) const override {
    return channels.sms ? "" : NotConfiguredProblem(kind());
  }

  std::string Render(const Alert& alert, const RenderContext& ctx) const override {
    return ShortText(alert, ctx);
  }

  std::optional<Outcome> Precheck(const Alert& /*alert*/, const SendContext& ctx) const override {
    if (!ctx.channels->sms) return Failed(NotConfiguredError(kind()));
    return std::nullopt;
  }

  // Accepted by Kannel = sent; the delivery report tells delivered or failed.
  boost::asio::awaitable<Outcome> Send(Alert alert, std::string payload,
                                       SendContext ctx) const override {
    auto endpoint = ParseEndpoint(SendSmsUrl(*ctx.channels->sms, alert, payload));
    if (!endpoint) co_return Failed("sendsms_url: " + endpoint.error().message);
    Outcome out = co_await SendOnce(*endpoint, OutboundRequest(http::verb::get, *endpoint),
                                    ctx.timeout_ms, ctx.tls);
    if (out.status != 0 && out.kind != Outcome::Kind::kDelivered) {
      // Kannel explains refusals in one line, e.g. "Authorization failed for sendsms".
      std::string reason = out.body.substr(0, std::min<std::size_t>(out.body.find('\n'), 120));
      if (!reason.empty()) out.error = "kannel: " + out.error + ": " + reason;
    }
    out.handed_off = out.kind == Outcome::Kind::kDelivered;
    co_return out;
  }

  boost::asio::awaitable<Outcome> SendReply(Alert alert, std::string address,
                                            SendContext ctx) const override {
    if (!ctx.channels->sms) co_return Failed(NotConfiguredError(kind()));
    Alert to = alert;
    to.target = std::move(address);
    auto endpoint = ParseEndpoint(SendSmsUrl(*ctx.channels->sms, to, alert.payload));
    if (!endpoint) co_return Failed("sendsms_url: " + endpoint.error().message);
    Outcome out = co_await SendOnce(*endpoint, OutboundRequest(http::verb::get, *endpoint),
                                    ctx.timeout_ms, ctx.tls);
    out.handed_off = out.kind == Outcome::Kind::kDelivered;
    co_return out;
  }

  bool HasReceipts() const override { return true; }
  std::string ReceiptError(int type) const override {
    return type == 2 ? "delivery report: not delivered to the phone"
                     : "delivery report: rejected by the SMS centre";
  }
};

}  // namespace

const Channel& SmsChannel() {
  static const Sms kSms;
  return kSms;
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

}  // namespace sakchy::alerts
