// config: the `sources` (pull sources) and `sms` (Kannel intake) sections.

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "config_sections.h"
#include "core/address_filter.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

bool IsSourceId(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.';
  });
}

// "public", "tag:NAME" or "account:ID" with a non-empty, URL-safe NAME/ID. Returns a problem.
std::string CheckTimeline(const std::string& t) {
  if (t == "public") return "";
  std::string_view rest;
  if (t.starts_with("tag:")) {
    rest = std::string_view(t).substr(4);
  } else if (t.starts_with("account:")) {
    rest = std::string_view(t).substr(8);
  } else {
    return "expected public, tag:NAME or account:ID, got '" + t + "'";
  }
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '_' || c >= 0x80;
      })) {
    return "expected public, tag:NAME or account:ID (letters, digits, _), got '" + t + "'";
  }
  return "";
}

// The keys of one source that only VK walls (owner, api_version, comments_posts) or Mastodon
// (timeline) read, in that order.
void ReadVkAndMastodonKeys(const YAML::Node& item, MapReader& map, SourceConfig& s,
                           Issues& issues) {
  if (auto owner = map.Get("owner")) {
    if (s.type != "vk" && !s.type.empty()) {
      issues.Add(*owner, map.Field("owner"), "only used by a vk source");
    } else if (auto value = ReadString(*owner, map.Field("owner"), issues)) {
      const bool ok = value->size() <= 64 && std::all_of(value->begin(), value->end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '-';
      });
      if (ok) {
        s.vk_owner = *value;
      } else {
        issues.Add(*owner, map.Field("owner"),
                   "expected a community id (-123456) or short name (osh_news), got '" + *value +
                       "'");
      }
    }
  } else if (s.type == "vk") {
    issues.Add(item, map.Field("owner"), "a vk source needs the wall's owner (-123456 or a short name)");
  }
  if (auto version = map.Get("api_version")) {
    if (s.type != "vk" && !s.type.empty()) {
      issues.Add(*version, map.Field("api_version"), "only used by a vk source");
    } else if (auto value = ReadString(*version, map.Field("api_version"), issues)) {
      s.api_version = *value;
    }
  }
  if (auto comments = map.Get("comments_posts")) {
    if (s.type != "vk" && !s.type.empty()) {
      issues.Add(*comments, map.Field("comments_posts"), "only used by a vk source");
    } else if (auto value = ReadInt(*comments, map.Field("comments_posts"), issues, 0, 20)) {
      s.comments_posts = static_cast<int>(*value);
    }
  }
  if (auto timeline = map.Get("timeline")) {
    if (s.type != "mastodon" && !s.type.empty()) {
      issues.Add(*timeline, map.Field("timeline"), "only used by a mastodon source");
    } else if (auto value = ReadString(*timeline, map.Field("timeline"), issues)) {
      const std::string problem = CheckTimeline(*value);
      if (problem.empty()) {
        s.timeline = *value;
      } else {
        issues.Add(*timeline, map.Field("timeline"), problem);
      }
    }
  }
}

void ParseSources(const YAML::Node& node, std::vector<SourceConfig>& out, Issues& issues) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    issues.Add(node, "sources", "expected a list of sources");
    return;
  }
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::map<std::string, std::string> seen_ids;  // id -> origin
  std::size_t i = 0;
  for (const YAML::Node& item : node) {
    const std::string path = Indexed("sources", i++);
    MapReader map(item, path, issues);
    if (!map.ok()) continue;
    SourceConfig s;
    s.origin = issues.Origin(item);
    if (auto id = map.Require("id")) {
      if (auto value = ReadString(*id, map.Field("id"), issues)) {
        if (!IsSourceId(*value)) {
          issues.Add(*id, map.Field("id"),
                     "must be 1-64 letters, digits, '-', '_' or '.', got '" + *value + "'");
        } else if (auto [it, inserted] = seen_ids.emplace(*value, s.origin); !inserted) {
          issues.Add(*id, map.Field("id"),
                     "duplicate source id '" + *value + "' (first defined at " + it->second + ")");
        }
        s.id = *value;
      }
    }
    if (auto type = map.Require("type")) {
      if (auto value = ReadChoice(*type, map.Field("type"), issues, "source type",
                                  {"telegram", "rss", "atom", "mastodon", "vk"})) {
        s.type = *value;
      }
    }
    if (auto enabled = map.Get("enabled")) {
      if (auto value = ReadBool(*enabled, map.Field("enabled"), issues)) s.enabled = *value;
    }
    auto url = map.Get("url");
    if (url) {
      if (auto value = ReadString(*url, map.Field("url"), issues)) {
        const std::string problem = CheckWebhookUrl(*value);
        if (problem.empty()) {
          s.url = *value;
        } else {
          issues.Add(*url, map.Field("url"), problem);
        }
      }
    } else if (s.type == "telegram") {
      s.url = "https://api.telegram.org";
    } else if (s.type == "vk") {
      s.url = "https://api.vk.com/method";
    } else if (!s.type.empty()) {
      issues.Add(item, map.Field("url"), "required for a " + s.type + " source");
    }
    auto token_env = map.Get("token_env");
    if (token_env) {
      if (s.type == "rss" || s.type == "atom") {
        issues.Add(*token_env, map.Field("token_env"), "not used by a " + s.type + " source");
      } else if (auto name = ReadString(*token_env, map.Field("token_env"), issues)) {
        s.token_env = *name;
        // A disabled source may name a variable that is not set in this environment.
        if (s.enabled) {
          if (auto value = ReadEnvValue(*token_env, map.Field("token_env"), issues)) {
            s.token = std::move(*value);
          }
        }
      }
    } else if (s.type == "telegram") {
      issues.Add(item, map.Field("token_env"),
                 "a telegram source needs token_env (the variable holding the bot token)");
    } else if (s.type == "vk") {
      issues.Add(item, map.Field("token_env"),
                 "a vk source needs token_env (the variable holding the service token)");
    }
    ReadVkAndMastodonKeys(item, map, s, issues);
    ReadIntInto(map, "interval_ms", issues, 10, kMax, s.interval_ms);
    ReadIntInto(map, "timeout_ms", issues, 1, kMax, s.timeout_ms);
    ReadIntInto(map, "max_body_bytes", issues, 1024, kMax, s.max_body_bytes);
    ReadIntInto(map, "backoff_max_ms", issues, 1, kMax, s.backoff_max_ms);
    if (auto long_poll = map.Get("long_poll_timeout_s")) {
      if (s.type != "telegram" && !s.type.empty()) {
        issues.Add(*long_poll, map.Field("long_poll_timeout_s"), "only used by a telegram source");
      } else if (auto value = ReadInt(*long_poll, map.Field("long_poll_timeout_s"), issues, 0, 50)) {
        s.long_poll_timeout_s = static_cast<int>(*value);
      }
    }
    if (auto area = map.Get("area")) {
      if (auto value = ReadString(*area, map.Field("area"), issues)) s.area = *value;
    }
    if (auto n = map.Get("allow_private_targets")) {
      if (auto v = ReadStringList(*n, map.Field("allow_private_targets"), issues)) {
        for (const auto& cidr : *v) {
          if (auto net = ParseIpNetwork(cidr); !net) {
            issues.Add(*n, map.Field("allow_private_targets"), net.error().message);
          }
        }
        s.allow_private_targets = std::move(*v);
      }
    }
    map.Finish();
    out.push_back(std::move(s));
  }
}

// An IPv4/IPv6 address, optionally with a CIDR prefix length ("10.0.0.0/8").
bool IsIpPattern(const std::string& s) {
  const auto slash = s.find('/');
  const std::string addr = s.substr(0, slash);
  unsigned char buf[16];
  int bits = 0;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    bits = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    bits = 128;
  } else {
    return false;
  }
  if (slash == std::string::npos) return true;
  const std::string prefix = s.substr(slash + 1);
  int value = 0;
  const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), value);
  return !prefix.empty() && ec == std::errc() && end == prefix.data() + prefix.size() &&
         value >= 0 && value <= bits;
}

void ParseKannel(const YAML::Node& node, SmsConfig& out, Issues& issues) {
  MapReader map(node, "sms.kannel", issues);
  if (!map.ok()) return;
  out.origin = issues.Origin(node);
  auto enabled = map.Get("enabled");
  auto secret_env = map.Get("secret_env");
  auto ips = map.Get("allowed_ips");
  auto keep = map.Get("keep_raw_numbers");
  auto window = map.Get("follow_up_window_ms");
  map.Finish();
  if (window) {
    constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
    if (auto value = ReadInt(*window, map.Field("follow_up_window_ms"), issues, 0, kDayMs)) {
      out.follow_up_window_ms = *value;
    }
  }
  if (enabled) {
    if (auto value = ReadBool(*enabled, map.Field("enabled"), issues)) out.kannel_enabled = *value;
  }
  if (secret_env) {
    if (auto name = ReadString(*secret_env, map.Field("secret_env"), issues)) {
      out.kannel_secret_env = *name;
      // A disabled gateway may name a variable that is not set in this environment.
      if (out.kannel_enabled) {
        if (auto value = ReadEnvValue(*secret_env, map.Field("secret_env"), issues)) {
          if (value->size() < kMinTokenLength) {
            issues.Add(*secret_env, map.Field("secret_env"),
                       "the secret in " + *name + " is too short (min " +
                           std::to_string(kMinTokenLength) + " characters)");
          } else {
            out.kannel_secret = std::move(*value);
          }
        }
      }
    }
  } else if (out.kannel_enabled) {
    issues.Add(node, map.Field("secret_env"),
               "required when enabled (the variable holding the secret Kannel sends in its "
               "get-url)");
  }
  if (ips) {
    if (auto value = ReadStringList(*ips, map.Field("allowed_ips"), issues)) {
      for (std::size_t i = 0; i < value->size(); ++i) {
        if (!IsIpPattern((*value)[i])) {
          issues.Add((*ips)[i], Indexed(map.Field("allowed_ips"), i),
                     "expected an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8), got '" +
                         (*value)[i] + "'");
        }
      }
      out.kannel_allowed_ips = std::move(*value);
    }
  }
  if (out.kannel_enabled && out.kannel_allowed_ips.empty()) {
    // The secret travels in Kannel's URL (and its logs): the source address is the second key.
    issues.Add(ips ? *ips : node, map.Field("allowed_ips"),
               "required when enabled: the addresses Kannel's smsbox calls from (e.g. "
               "[127.0.0.1])");
  }
  if (keep) {
    if (auto value = ReadBool(*keep, map.Field("keep_raw_numbers"), issues)) {
      out.keep_raw_numbers = *value;
    }
  }
}

void ParseSms(const YAML::Node& node, SmsConfig& out, Issues& issues) {
  MapReader map(node, "sms", issues);
  if (!map.ok()) return;
  if (auto kannel = map.Get("kannel")) ParseKannel(*kannel, out, issues);
  map.Finish();
}

}  // namespace sakchy::config::internal
