#include "render.h"

#include "channels.h"
#include "smtp_client.h"
#include "webhook_body.h"

namespace sakchy::alerts {

std::string RenderPayload(const Alert& alert, const RenderContext& ctx) {
  const std::string code = AlertCode(alert.id);
  const std::optional<ChannelKind> channel = ParseChannel(alert.channel);
  const std::string language(LanguageCode(ctx.language));
  if (alert.kind == AlertKind::kDigest) {
    if (channel == ChannelKind::kWebhook) {
      return NotificationBody(alert, nullptr, ctx.events, ctx.sources, ctx.extra_json);
    }
    if (channel == ChannelKind::kSms) return DigestShort(language, ctx.digest, code);
    const std::string text = DigestLong(language, ctx.digest, code);
    if (channel == ChannelKind::kTelegram) {
      return TelegramBody(alert, text, AckButtonLabel(language));
    }
    if (channel == ChannelKind::kEmail && ctx.channels->email) {
      return EmailMessage(*ctx.channels->email, alert,
                          DigestSubject(language, ctx.digest.size(), code),
                          DigestLong(language, ctx.digest, code, 64 * 1024), ctx.now);
    }
    return {};
  }
  if (alert.kind == AlertKind::kNotice) {
    NoticeInput notice = ctx.notice;
    notice.language = language;
    if (channel == ChannelKind::kWebhook) {
      return NotificationBody(alert, nullptr, ctx.events, ctx.sources, ctx.extra_json);
    }
    if (channel == ChannelKind::kSms) return NoticeShort(notice);
    if (channel == ChannelKind::kTelegram) {
      return TelegramBody(alert, NoticeLong(notice), AckButtonLabel(language));
    }
    if (channel == ChannelKind::kEmail && ctx.channels->email) {
      return EmailMessage(*ctx.channels->email, alert, NoticeSubject(notice), NoticeLong(notice),
                          ctx.now);
    }
    return {};
  }
  if (alert.kind == AlertKind::kFollowUp) {
    FollowUpInput f = ctx.follow_up;
    f.language = language;
    f.area_name = ctx.area_name;
    if (channel == ChannelKind::kWebhook) {
      return NotificationBody(alert, nullptr, ctx.events, ctx.sources, ctx.extra_json);
    }
    if (channel == ChannelKind::kSms) return FollowUpShort(f);
    if (channel == ChannelKind::kTelegram) {
      return TelegramBody(alert, FollowUpLong(f), AckButtonLabel(language));
    }
    if (channel == ChannelKind::kEmail && ctx.channels->email) {
      return EmailMessage(*ctx.channels->email, alert, FollowUpSubject(f),
                          FollowUpLong(f, 64 * 1024), ctx.now);
    }
    return {};
  }
  if (ctx.event == nullptr) return {};
  if (channel == ChannelKind::kWebhook) {
    return NotificationBody(alert, ctx.event, ctx.events, ctx.sources, ctx.extra_json);
  }
  MessageInput in;
  in.alert = &alert;
  in.event = ctx.event;
  in.language = language;
  in.area_name = ctx.area_name;
  in.events = ctx.events;
  in.sources = ctx.sources;
  in.escalation_step = alert.escalation_step;
  in.reason = ctx.reason;
  in.spread = ctx.spread;
  in.new_area_names = ctx.new_area_names;
  in.verdict = ctx.verdict;
  if (channel == ChannelKind::kSms) return ShortMessage(in);
  if (channel == ChannelKind::kTelegram) {
    return TelegramBody(alert, LongMessage(in, kTelegramMaxUnits), AckButtonLabel(language));
  }
  if (channel == ChannelKind::kEmail && ctx.channels->email) {
    return EmailMessage(*ctx.channels->email, alert, Subject(in), LongMessage(in, 64 * 1024),
                        ctx.now);
  }
  return {};
}

}  // namespace sakchy::alerts
