#pragma once
// Private to config/: the readers of config.cc shared with the files that parse one section each
// (alerts_contacts.cc: `alerts` and `contacts`; intake_config.cc: `sources` and `sms`). Every
// reader reports problems as "file:line: field: problem" issues and leaves defaults in place.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/types.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

inline constexpr std::int64_t kMaxThreads = 1024;
inline constexpr std::size_t kMinTokenLength = 16;

// "<path>[i]".
std::string Indexed(std::string_view path, std::size_t i);
// The names of `kinds` (channels or languages), in order, for ReadChoice.
template <typename Kinds, typename NameOf>
std::vector<std::string> NamesOf(const Kinds& kinds, NameOf name_of) {
  std::vector<std::string> out;
  for (const auto kind : kinds) out.emplace_back(name_of(kind));
  return out;
}
// Reads a string that must be one of `choices`; `what` names it in the message ("language").
std::optional<std::string> ReadChoice(const YAML::Node& node, const std::string& field,
                                      Issues& issues, std::string_view what,
                                      const std::vector<std::string>& choices);
std::optional<Severity> ReadSeverity(const YAML::Node& node, const std::string& field,
                                     Issues& issues);
// Reads `key` of `map` into `out` when present, within [min, max].
template <typename T>
void ReadIntInto(MapReader& map, std::string_view key, Issues& issues, std::int64_t min,
                 std::int64_t max, T& out) {
  if (auto node = map.Get(key)) {
    if (auto value = ReadInt(*node, map.Field(key), issues, min, max)) {
      out = static_cast<T>(*value);
    }
  }
}
// "host:port" into `host` and `port`; the problem, or "" when valid.
std::string ParseListen(const std::string& s, std::string& host, std::uint16_t& port);
// The problem with a webhook URL, or "" when valid (`host_out`: its host).
std::string CheckWebhookUrl(const std::string& url, std::string* host_out = nullptr);
bool IsHex64(const std::string& s);
// "+" and 7..15 digits (E.164).
bool IsPhoneNumber(const std::string& s);
bool IsTelegramChatId(const std::string& s);
bool IsEmailAddress(const std::string& s);

// Sections (alerts_contacts.cc, intake_config.cc).
void ParseAlerts(const YAML::Node& node, AlertsConfig& out, Issues& issues);
void ParseContacts(const YAML::Node& node, const AlertsConfig& alerts, std::vector<Contact>& out,
                   Issues& issues);
void ParseSources(const YAML::Node& node, std::vector<SourceConfig>& out, Issues& issues);
void ParseSms(const YAML::Node& node, SmsConfig& out, Issues& issues);

}  // namespace sakchy::config::internal
