#include "reach_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/language.h"

namespace sakchy::config::internal {
namespace {

constexpr std::size_t kMinSecretLength = 16;

// Reads the variable named at `key` into `name` and, when `resolve`, its value into `value`
// (unset, empty or shorter than `min_length` is reported).
void ReadSecret(MapReader& map, const YAML::Node& section, std::string_view key, bool resolve,
                std::size_t min_length, std::string& name, std::string& value, Issues& issues) {
  auto node = map.Get(key);
  if (!node) {
    if (resolve) issues.Add(section, map.Field(key), "required when enabled");
    return;
  }
  auto env = ReadString(*node, map.Field(key), issues);
  if (!env) return;
  name = *env;
  if (!resolve) return;  // a disabled channel may name a variable this environment lacks
  const char* v = std::getenv(env->c_str());
  if (v == nullptr || *v == '\0') {
    issues.Add(*node, map.Field(key), "environment variable " + *env + " is not set or empty");
  } else if (std::string_view(v).size() < min_length) {
    issues.Add(*node, map.Field(key), "the value of " + *env + " is too short (min " +
                                          std::to_string(min_length) + " characters)");
  } else {
    value = v;
  }
}

void ReadStringField(MapReader& map, std::string_view key, Issues& issues, std::string& out,
                     bool allow_empty = false) {
  if (auto n = map.Get(key)) {
    if (auto value = ReadString(*n, map.Field(key), issues, allow_empty)) out = *value;
  }
}

bool IsLanguage(const std::string& s) { return ParseLanguage(s).has_value(); }

}  // namespace

void ParseWhatsApp(const YAML::Node& node, WhatsAppConfig& out, Issues& issues) {
  MapReader map(node, "whatsapp", issues);
  if (!map.ok()) return;
  out.origin = issues.Origin(node);
  if (auto n = map.Get("enabled")) {
    if (auto value = ReadBool(*n, map.Field("enabled"), issues)) out.enabled = *value;
  }
  const bool on = out.enabled;
  ReadSecret(map, node, "verify_token_env", on, kMinSecretLength, out.verify_token_env,
             out.verify_token, issues);
  ReadSecret(map, node, "app_secret_env", on, kMinSecretLength, out.app_secret_env,
             out.app_secret, issues);
  ReadSecret(map, node, "access_token_env", on, 1, out.access_token_env, out.access_token,
             issues);
  if (auto n = map.Get("phone_number_id")) {
    if (auto value = ReadString(*n, map.Field("phone_number_id"), issues)) {
      if (!std::all_of(value->begin(), value->end(),
                       [](unsigned char c) { return std::isdigit(c) != 0; })) {
        issues.Add(*n, map.Field("phone_number_id"),
                   "expected the digits of the business phone number's id, got '" + *value + "'");
      } else {
        out.phone_number_id = *value;
      }
    }
  } else if (on) {
    issues.Add(node, map.Field("phone_number_id"), "required when enabled");
  }
  if (auto n = map.Get("api_base")) {
    if (auto value = ReadString(*n, map.Field("api_base"), issues)) {
      if (!value->starts_with("https://") && !value->starts_with("http://")) {
        issues.Add(*n, map.Field("api_base"), "expected an http(s) URL, got '" + *value + "'");
      } else {
        out.api_base = *value;
        while (out.api_base.ends_with("/")) out.api_base.pop_back();
      }
    }
  }
  if (auto n = map.Get("template")) {
    MapReader t(*n, "whatsapp.template", issues);
    ReadStringField(t, "name", issues, out.template_name);
    ReadStringField(t, "language", issues, out.template_language);
    t.Finish();
  }
  if (auto n = map.Get("follow_up_window_ms")) {
    constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
    if (auto value = ReadInt(*n, map.Field("follow_up_window_ms"), issues, 0, kDayMs)) {
      out.follow_up_window_ms = *value;
    }
  }
  map.Finish();
}

void ParseReplies(const YAML::Node& node, RepliesConfig& out, Issues& issues) {
  MapReader map(node, "replies", issues);
  if (!map.ok()) return;
  out.origin = issues.Origin(node);
  if (auto n = map.Get("enabled")) {
    if (auto value = ReadBool(*n, map.Field("enabled"), issues)) out.enabled = *value;
  }
  if (auto n = map.Get("acknowledge")) {
    if (auto value = ReadBool(*n, map.Field("acknowledge"), issues)) out.acknowledge = *value;
  }
  if (auto n = map.Get("default_language")) {
    if (auto value = ReadString(*n, map.Field("default_language"), issues)) {
      if (IsLanguage(*value)) {
        out.default_language = *value;
      } else {
        issues.Add(*n, map.Field("default_language"),
                   "unknown language '" + *value + "' (expected: ky, ru, uz, en)");
      }
    }
  }
  if (auto n = map.Get("rate_limit")) {
    MapReader r(*n, "replies.rate_limit", issues);
    if (auto m = r.Get("max")) {
      if (auto value = ReadInt(*m, r.Field("max"), issues, 0, 1000)) {
        out.ack_max = static_cast<int>(*value);
      }
    }
    if (auto m = r.Get("per_ms")) {
      if (auto value = ReadInt(*m, r.Field("per_ms"), issues, 1000, 7LL * 24 * 3600 * 1000)) {
        out.ack_per_ms = *value;
      }
    }
    r.Finish();
  }
  ReadStringField(map, "public_telegram_chat", issues, out.public_telegram_chat);
  ReadStringField(map, "messages_dir", issues, out.messages_dir);
  map.Finish();
}

}  // namespace sakchy::config::internal
