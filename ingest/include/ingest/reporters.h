#pragma once
// Who reported a report: a person or a public post. The one place that maps intake channels to
// classifier::ReporterKind (the rumour clusters count independent people apart from public
// feeds; docs/CLUSTERS.md "Independent reporters"). Pure; thread-safe.

#include <string_view>

#include "classifier/clusters.h"
#include "core/types.h"

namespace sakchy::ingest {

// The intake channels (Report::channel), named once.
enum class Channel : std::uint8_t {
  kApi,       // "api": a monitor's token (submitted_by = the token's name)
  kSms,       // "sms": an SMS sender through Kannel (pseudonymised)
  kWhatsApp,  // "whatsapp": a WhatsApp chat (pseudonymised)
  kTelegram,  // "telegram": a message the bot received (private chat, group or channel)
  kRss,       // "rss", "atom": a feed item
  kAtom,
  kMastodon,  // "mastodon": a status of a timeline
  kOther,     // any other name (e.g. a future channel): public until classified here
};
Channel ParseChannel(std::string_view name);

// kPerson: a monitor (API token), an SMS sender, a WhatsApp chat, or a Telegram private chat
// with the bot — someone who chose to tell the service. kPublic: a feed item, a Mastodon
// status, a post of a Telegram channel or group (read, not reported), and unknown channels.
// A Telegram report is private when its chat id (the first field of source_ref
// "<chat_id>:<message_id>", set by the Telegram poller) is positive: the Bot API gives users
// positive ids and groups and channels negative ones.
classifier::ReporterKind ReporterKindOf(const Report& report);

}  // namespace sakchy::ingest
