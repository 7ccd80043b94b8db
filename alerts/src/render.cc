#include "render.h"

#include "channels.h"
#include "smtp_client.h"
#include "webhook_body.h"

namespace sakchy::alerts {

std::string RenderPayload(const Alert& alert, const RenderContext& ctx) {
  const std::string code = AlertCode(alert.id);
  if (alert.kind == AlertKind::kDigest) {
    if (alert.channel == "webhook") {
      return NotificationBody(alert, nullptr, ctx.events, ctx.sources, ctx.extra_json);
    }
    if (alert.channel == "sms") return DigestShort(ctx.language, ctx.digest, code);
    const std::string text = DigestLong(ctx.language, ctx.digest, code);
    if (alert.channel == "telegram") {
      return TelegramBody(alert, text, AckButtonLabel(ctx.language));
    }
    if (alert.channel == "email" && ctx.channels->email) {
      return EmailMessage(*ctx.channels->email, alert,
                          DigestSubject(ctx.language, ctx.digest.size(), code),
                          DigestLong(ctx.language, ctx.digest, code, 64 * 1024), ctx.now);
    }
    return {};
  }
  if (alert.kind == AlertKind::kNotice) {
    NoticeInput notice = ctx.notice;
    notice.language = ctx.language;
    if (alert.channel == "webhook") {
      return NotificationBody(alert, nullptr, ctx.events, ctx.sources, ctx.extra_json);
    }
    if (alert.channel == "sms") return NoticeShort(notice);
    if (alert.channel == "telegram") {
      return TelegramBody(alert, NoticeLong(notice), AckButtonLabel(ctx.language));
    }
    if (alert.channel == "email" && ctx.channels->email) {
      return EmailMessage(*ctx.channels->email, alert, NoticeSubject(notice), NoticeLong(notice),
                          ctx.now);
    }
    return {};
  }
  if (alert.kind == AlertKind::kFollowUp) {
    FollowUpInput f = ctx.follow_up;
    f.language = ctx.language;
    f.area_name = ctx.area_name;
    if (alert.channel == "webhook") {
      return NotificationBody(alert, nullptr, ctx.events, ctx.sources, ctx.extra_json);
    }
    if (alert.channel == "sms") return FollowUpShort(f);
    if (alert.channel == "telegram") {
      return TelegramBody(alert, FollowUpLong(f), AckButtonLabel(ctx.language));
    }
    if (alert.channel == "email" && ctx.channels->email) {
      return EmailMessage(*ctx.channels->email, alert, FollowUpSubject(f),
                          FollowUpLong(f, 64 * 1024), ctx.now);
    }
    return {};
  }
  if (ctx.event == nullptr) return {};
  if (alert.channel == "webhook") {
    return NotificationBody(alert, ctx.event, ctx.events, ctx.sources, ctx.extra_json);
  }
  MessageInput in;
  in.alert = &alert;
  in.event = ctx.event;
  in.language = ctx.language;
  in.area_name = ctx.area_name;
  in.events = ctx.events;
  in.sources = ctx.sources;
  in.escalation_step = alert.escalation_step;
  in.reason = ctx.reason;
  in.spread = ctx.spread;
  in.new_area_names = ctx.new_area_names;
  in.verdict = ctx.verdict;
  if (alert.channel == "sms") return ShortMessage(in);
  if (alert.channel == "telegram") {
    return TelegramBody(alert, LongMessage(in, kTelegramMaxUnits), AckButtonLabel(ctx.language));
  }
  if (alert.channel == "email" && ctx.channels->email) {
    return EmailMessage(*ctx.channels->email, alert, Subject(in), LongMessage(in, 64 * 1024),
                        ctx.now);
  }
  return {};
}

}  // namespace sakchy::alerts
