#include "ingest/reporters.h"

#include <charconv>

namespace sakchy::ingest {

Channel ParseChannel(std::string_view name) {
  if (name == "api") return Channel::kApi;
  if (name == "sms") return Channel::kSms;
  if (name == "whatsapp") return Channel::kWhatsApp;
  if (name == "telegram") return Channel::kTelegram;
  if (name == "rss") return Channel::kRss;
  if (name == "atom") return Channel::kAtom;
  if (name == "mastodon") return Channel::kMastodon;
  return Channel::kOther;
}

namespace {

// A private chat: the chat id before the first ':' of the source_ref is a positive integer.
bool TelegramPrivateChat(std::string_view source_ref) {
  const std::string_view chat = source_ref.substr(0, source_ref.find(':'));
  long long id = 0;
  auto [ptr, ec] = std::from_chars(chat.data(), chat.data() + chat.size(), id);
  return ec == std::errc() && ptr == chat.data() + chat.size() && id > 0;
}

}  // namespace

classifier::ReporterKind ReporterKindOf(const Report& report) {
  using classifier::ReporterKind;
  switch (ParseChannel(report.channel)) {
    case Channel::kApi:
    case Channel::kSms:
    case Channel::kWhatsApp:
      return ReporterKind::kPerson;
    case Channel::kTelegram:
      return TelegramPrivateChat(report.source_ref) ? ReporterKind::kPerson
                                                    : ReporterKind::kPublic;
    case Channel::kRss:
    case Channel::kAtom:
    case Channel::kMastodon:
    case Channel::kOther:
      return ReporterKind::kPublic;
  }
  return ReporterKind::kPublic;
}

}  // namespace sakchy::ingest
