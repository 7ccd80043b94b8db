// The e-mail channel: one SMTP exchange per message (smtp_client.h); accepted = sent (e-mail has
// no delivery reports).

#include "channel.h"
#include "smtp_client.h"

namespace sakchy::alerts {
namespace {

constexpr std::size_t kEmailMaxUnits = 64 * 1024;

class Email final : public Channel {
 public:
  ChannelKind kind() const override { return ChannelKind::kEmail; }

  std::string Problem(const config::ContactChannel& /*channel*/,
                      const config::ChannelsConfig& channels) const override {
    return channels.email ? "" : NotConfiguredProblem(kind());
  }

  std::string Render(const Alert& alert, const RenderContext& ctx) const override {
    if (!ctx.channels->email) return {};
    const std::string body = LongText(alert, ctx, kEmailMaxUnits);
    if (body.empty()) return {};
    return EmailMessage(*ctx.channels->email, alert, SubjectText(alert, ctx), body, ctx.now);
  }

  std::optional<Outcome> Precheck(const Alert& /*alert*/, const SendContext& ctx) const override {
    if (!ctx.channels->email) return Failed(NotConfiguredError(kind()));
    return std::nullopt;
  }

  boost::asio::awaitable<Outcome> Send(Alert alert, std::string payload,
                                       SendContext ctx) const override {
    SmtpResult r = co_await SendMail(*ctx.channels->email, alert.target, std::move(payload),
                                     ctx.timeout_ms, ctx.tls);
    Outcome out;
    out.sent = r.connected;
    out.error = r.error;
    out.handed_off = r.kind == SmtpResult::Kind::kOk;  // e-mail has no delivery reports
    out.kind = r.kind == SmtpResult::Kind::kOk      ? Outcome::Kind::kDelivered
               : r.kind == SmtpResult::Kind::kRetry ? Outcome::Kind::kRetry
                                                    : Outcome::Kind::kFailed;
    co_return out;
  }
};

}  // namespace

const Channel& EmailChannel() {
  static const Email kEmail;
  return kEmail;
}

}  // namespace sakchy::alerts
