#pragma once
// Outbound channels: the one place that spells their names. Names appear only at the edges
// (configuration, contact JSON, the outbox record's `Alert::channel`, API output); code compares
// `ChannelKind` values. Pure; thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sakchy {

enum class ChannelKind : std::uint8_t { kWebhook, kSms, kTelegram, kEmail, kWhatsApp };

// "webhook", "sms", "telegram", "email", "whatsapp".
constexpr std::string_view ChannelName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kWebhook: return "webhook";
    case ChannelKind::kSms: return "sms";
    case ChannelKind::kTelegram: return "telegram";
    case ChannelKind::kEmail: return "email";
    case ChannelKind::kWhatsApp: return "whatsapp";
  }
  return "webhook";
}

// Every channel, in declaration order.
inline constexpr std::array<ChannelKind, 5> kAllChannels = {
    ChannelKind::kWebhook, ChannelKind::kSms, ChannelKind::kTelegram, ChannelKind::kEmail,
    ChannelKind::kWhatsApp};

// The channels a contact may list (replies to reporters also use WhatsApp), in the order the
// configuration documents them.
inline constexpr std::array<ChannelKind, 4> kContactChannels = {
    ChannelKind::kSms, ChannelKind::kTelegram, ChannelKind::kEmail, ChannelKind::kWebhook};

// std::nullopt for any other name (case-sensitive, as the configuration is).
constexpr std::optional<ChannelKind> ParseChannel(std::string_view name) {
  for (const ChannelKind kind : kAllChannels) {
    if (ChannelName(kind) == name) return kind;
  }
  return std::nullopt;
}

// True for the channels of kContactChannels.
constexpr bool IsContactChannel(ChannelKind kind) { return kind != ChannelKind::kWhatsApp; }

// "sms, telegram, email, webhook": the contact channels for messages that list them.
inline std::string ContactChannelList() {
  std::string out;
  for (const ChannelKind kind : kContactChannels) {
    if (!out.empty()) out += ", ";
    out += ChannelName(kind);
  }
  return out;
}

// The field of a contact's channel (YAML and JSON) that holds its address: "url" (webhook),
// "chat_id" (telegram), "to" (sms, email, whatsapp).
constexpr std::string_view ContactAddressKey(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kWebhook: return "url";
    case ChannelKind::kTelegram: return "chat_id";
    case ChannelKind::kSms:
    case ChannelKind::kEmail:
    case ChannelKind::kWhatsApp: return "to";
  }
  return "to";
}

// True when `name` is the name of `kind` (for the string fields at the edges).
constexpr bool IsChannel(std::string_view name, ChannelKind kind) {
  return ChannelName(kind) == name;
}

}  // namespace sakchy
