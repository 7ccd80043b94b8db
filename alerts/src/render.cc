#include "render.h"

#include "channel.h"
#include "webhook_body.h"

namespace sakchy::alerts {
namespace {

bool IsEventKind(const Alert& alert) {
  return alert.kind != AlertKind::kDigest && alert.kind != AlertKind::kNotice &&
         alert.kind != AlertKind::kFollowUp;
}

NoticeInput Notice(const RenderContext& ctx) {
  NoticeInput notice = ctx.notice;
  notice.language = LanguageCode(ctx.language);
  return notice;
}

FollowUpInput FollowUp(const RenderContext& ctx) {
  FollowUpInput f = ctx.follow_up;
  f.language = LanguageCode(ctx.language);
  f.area_name = ctx.area_name;
  return f;
}

MessageInput Message(const Alert& alert, const RenderContext& ctx) {
  MessageInput in;
  in.alert = &alert;
  in.event = ctx.event;
  in.language = LanguageCode(ctx.language);
  in.area_name = ctx.area_name;
  in.events = ctx.events;
  in.sources = ctx.sources;
  in.escalation_step = alert.escalation_step;
  in.reason = ctx.reason;
  in.spread = ctx.spread;
  in.new_area_names = ctx.new_area_names;
  in.verdict = ctx.verdict;
  return in;
}

}  // namespace

std::string ShortText(const Alert& alert, const RenderContext& ctx) {
  const std::string_view language = LanguageCode(ctx.language);
  switch (alert.kind) {
    case AlertKind::kDigest: return DigestShort(language, ctx.digest, AlertCode(alert.id));
    case AlertKind::kNotice: return NoticeShort(Notice(ctx));
    case AlertKind::kFollowUp: return FollowUpShort(FollowUp(ctx));
    default: break;
  }
  return ctx.event == nullptr ? std::string() : ShortMessage(Message(alert, ctx));
}

std::string LongText(const Alert& alert, const RenderContext& ctx, std::size_t max_units) {
  const std::string_view language = LanguageCode(ctx.language);
  switch (alert.kind) {
    case AlertKind::kDigest:
      return DigestLong(language, ctx.digest, AlertCode(alert.id), max_units);
    case AlertKind::kNotice: return NoticeLong(Notice(ctx));
    case AlertKind::kFollowUp: return FollowUpLong(FollowUp(ctx), max_units);
    default: break;
  }
  return ctx.event == nullptr ? std::string() : LongMessage(Message(alert, ctx), max_units);
}

std::string SubjectText(const Alert& alert, const RenderContext& ctx) {
  const std::string_view language = LanguageCode(ctx.language);
  switch (alert.kind) {
    case AlertKind::kDigest:
      return DigestSubject(language, ctx.digest.size(), AlertCode(alert.id));
    case AlertKind::kNotice: return NoticeSubject(Notice(ctx));
    case AlertKind::kFollowUp: return FollowUpSubject(FollowUp(ctx));
    default: break;
  }
  return ctx.event == nullptr ? std::string() : Subject(Message(alert, ctx));
}

std::string WebhookPayload(const Alert& alert, const RenderContext& ctx) {
  if (!IsEventKind(alert)) {
    return NotificationBody(alert, nullptr, ctx.events, ctx.sources, ctx.extra_json);
  }
  if (ctx.event == nullptr) return {};
  return NotificationBody(alert, ctx.event, ctx.events, ctx.sources, ctx.extra_json);
}

std::string RenderPayload(const Alert& alert, const RenderContext& ctx) {
  const Channel* channel = FindChannel(alert.channel);
  return channel == nullptr ? std::string() : channel->Render(alert, ctx);
}

}  // namespace sakchy::alerts
