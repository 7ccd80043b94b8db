#pragma once
// Contacts: who can be alerted, how (channels in order of preference), in which language, for
// which areas, severities and categories, and when not (quiet hours). Contacts come from the YAML
// config (read-only through the API) and from the admin API (record table "contacts", one JSON
// document per contact, the same shape as the API). Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "config/areas.h"
#include "config/config.h"
#include "core/types.h"

namespace sakchy::alerts {

inline constexpr std::string_view kContactsTable = "contacts";
inline constexpr TimeMs kBishkekOffsetMs = 6 * 3600 * 1000;  // Asia/Bishkek is UTC+6 all year

// A problem with a field of a contact document ("channels[1].to", "areas[0]", "body" ...).
struct FieldProblem {
  std::string field;
  std::string detail;
};

// Parses and validates a contact document:
//   {"id": "aravan-akim", "name": "...", "role": "akim", "language": "ky" | "ru" | "en",
//    "areas": ["KG-O-ARAVAN"], "min_severity": "medium", "categories": ["violence"],
//    "quiet_hours": {"start": "22:00", "end": "07:00"},
//    "channels": [{"type": "sms", "to": "+996..."}, {"type": "telegram", "chat_id": "123"},
//                 {"type": "email", "to": "a@b.kg"},
//                 {"type": "webhook", "url": "https://...", "secret_env": "NAME"}]}
// id: [a-z0-9._-], 1..64; areas must exist; unknown fields, unknown channel types and malformed
// addresses are problems. Webhook signing keys are only named (secret_env), never sent; the
// name must start with SAKCHY_WEBHOOK_ (config::kWebhookSecretEnvPrefix; the problem is the same
// whether or not a variable exists) and the variable is resolved here (unset: the channel is kept
// but unusable). A webhook URL whose host is an internal address that `targets` does not allow
// is a problem (config::WebhookTargetProblem; names are checked again once resolved).
tl::expected<config::Contact, FieldProblem> ContactFromJson(std::string_view text,
                                                            const config::AreaTree& areas,
                                                            const AddressFilter& targets);
// The filter of webhook targets: alerts.allow_private_targets (validated by the config loader;
// an invalid entry is skipped).
AddressFilter WebhookFilter(const config::AlertsConfig& cfg);
// The document of ContactFromJson (no secrets).
std::string ContactToJson(const config::Contact& contact);

// Why `channel` cannot be used with `channels` configured ("" = usable): its type has no
// alerts.channels section, or a webhook has no signing key.
std::string ChannelProblem(const config::ContactChannel& channel,
                           const config::ChannelsConfig& channels);
// Indexes of the usable channels of `contact`, in order of preference.
std::vector<int> UsableChannels(const config::Contact& contact,
                                const config::ChannelsConfig& channels);
// One line per unusable channel, and "no usable channel" when none is usable.
std::vector<std::string> ContactProblems(const config::Contact& contact,
                                         const config::ChannelsConfig& channels);

// When the quiet hours of `contact` that hold at `now` end; std::nullopt outside them.
std::optional<TimeMs> QuietUntil(const config::Contact& contact, TimeMs now);

// True when `contact` wants events of these categories (no categories of interest = all).
bool WantsCategories(const config::Contact& contact, const std::vector<std::string>& categories);

}  // namespace sakchy::alerts
