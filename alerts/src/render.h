#pragma once
// The payload of a notification on its channel (private to alerts): the SMS text, the Telegram
// sendMessage body, the e-mail message or the webhook JSON, in the contact's language. Rendered
// once when the notification is created and stored with it, so every attempt (also after a
// restart) sends the same bytes.

#include <optional>
#include <string>
#include <vector>

#include "alerts/templates.h"
#include "config/config.h"
#include "core/channel.h"
#include "core/language.h"
#include "core/types.h"

namespace sakchy::alerts {

struct RenderContext {
  const config::ChannelsConfig* channels = nullptr;  // required
  Language language = Language::kRu;
  std::string area_name;           // of alert.area, in `language`
  const Event* event = nullptr;    // event kinds: the latest event of the group
  int events = 1;                  // group size
  int sources = 1;
  std::vector<DigestLine> digest;  // digests
  NoticeInput notice;              // notices (language set from `language`)
  FollowUpInput follow_up;         // follow-ups (language set from `language`)
  std::string reason;              // signals: why analytics raised it
  std::optional<SpreadWhy> spread;  // cluster spread signals: the figures behind the reason
  std::vector<std::string> new_area_names;  // display names of spread->new_areas
  std::optional<Verdict> verdict;   // events and signals: the rumour was already checked
  std::string extra_json;          // webhook: more members of the body (a JSON object)
  TimeMs now = 0;
};

// The texts of a notification by its kind (event and signal, digest, notice, follow-up); "" for
// an event kind without ctx.event. The short form (SMS, <= kSmsMaxUnits) ...
std::string ShortText(const Alert& alert, const RenderContext& ctx);
// ... the long form (Telegram, e-mail) of at most `max_units` UTF-16 units (a notice has one
// length) ...
std::string LongText(const Alert& alert, const RenderContext& ctx, std::size_t max_units);
// ... and the e-mail subject.
std::string SubjectText(const Alert& alert, const RenderContext& ctx);
// The webhook JSON body (NotificationBody with the event for event kinds).
std::string WebhookPayload(const Alert& alert, const RenderContext& ctx);

// The payload on the notification's channel (Channel::Render). "" when the notification cannot
// be rendered here (an event kind without its event, an unknown channel): the dispatcher then
// renders it from the store at send time.
std::string RenderPayload(const Alert& alert, const RenderContext& ctx);

}  // namespace sakchy::alerts
