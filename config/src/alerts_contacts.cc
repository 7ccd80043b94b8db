// config: the `alerts` section (channels) and `contacts`.

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "alerts_routing.h"
#include "config_sections.h"
#include "core/channel.h"
#include "core/language.h"
#include "core/address_filter.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

// "+" and 7..15 digits (E.164).
bool IsPhoneNumber(const std::string& s) {
  if (s.size() < 8 || s.size() > 16 || s.front() != '+') return false;
  return std::all_of(s.begin() + 1, s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A Telegram chat id: an integer (groups and channels are negative) or "@username".
bool IsTelegramChatId(const std::string& s) {
  if (s.starts_with("@")) {
    return s.size() >= 6 && s.size() <= 33 &&
           std::all_of(s.begin() + 1, s.end(),
                       [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
  }
  const std::size_t digits_from = s.starts_with("-") ? 1 : 0;
  return s.size() > digits_from && s.size() - digits_from <= 20 &&
         std::all_of(s.begin() + static_cast<std::ptrdiff_t>(digits_from), s.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

// local@domain.tld with no spaces, controls, brackets or quotes (what we put in SMTP commands
// and headers unquoted).
bool IsEmailAddress(const std::string& s) {
  const auto at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos) return false;
  const std::string domain = s.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string::npos) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != '(' && c != ')' &&
           c != ',' && c != ';' && c != ':' && c != '\\' && c != '[' && c != ']';
  });
}

void ParseSmsChannel(const YAML::Node& node, SmsChannelConfig& out, Issues& issues) {
  MapReader map(node, "alerts.channels.sms", issues);
  if (!map.ok()) return;
  if (auto n = map.Require("sendsms_url")) {
    if (auto value = ReadString(*n, map.Field("sendsms_url"), issues)) {
      const std::string problem = CheckWebhookUrl(*value);
      if (problem.empty()) {
        out.sendsms_url = *value;
      } else {
        issues.Add(*n, map.Field("sendsms_url"), problem);
      }
    }
  }
  if (auto n = map.Require("username")) {
    if (auto value = ReadString(*n, map.Field("username"), issues)) out.username = *value;
  }
  if (auto n = map.Require("password_env")) {
    if (auto value = ReadEnvValue(*n, map.Field("password_env"), issues, &out.password_env)) {
      out.password = *value;
    }
  }
  if (auto n = map.Require("from")) {
    if (auto value = ReadString(*n, map.Field("from"), issues)) out.from = *value;
  }
  if (auto n = map.Get("dlr_url_base")) {
    if (auto value = ReadString(*n, map.Field("dlr_url_base"), issues)) {
      const std::string problem = CheckWebhookUrl(*value);
      if (problem.empty()) {
        out.dlr_url_base = *value;
      } else {
        issues.Add(*n, map.Field("dlr_url_base"), problem);
      }
    }
  }
  map.Finish();
}

void ParseTelegramChannel(const YAML::Node& node, TelegramChannelConfig& out, Issues& issues) {
  MapReader map(node, "alerts.channels.telegram", issues);
  if (!map.ok()) return;
  if (auto n = map.Get("api_base")) {
    if (auto value = ReadString(*n, map.Field("api_base"), issues)) {
      const std::string problem = CheckWebhookUrl(*value);
      if (problem.empty()) {
        out.api_base = *value;
        while (out.api_base.ends_with("/")) out.api_base.pop_back();
      } else {
        issues.Add(*n, map.Field("api_base"), problem);
      }
    }
  }
  if (auto n = map.Require("token_env")) {
    if (auto value = ReadEnvValue(*n, map.Field("token_env"), issues, &out.token_env)) {
      out.token = *value;
    }
  }
  map.Finish();
}

void ParseEmailChannel(const YAML::Node& node, EmailChannelConfig& out, Issues& issues) {
  MapReader map(node, "alerts.channels.email", issues);
  if (!map.ok()) return;
  if (auto n = map.Require("host")) {
    if (auto value = ReadString(*n, map.Field("host"), issues)) out.host = *value;
  }
  ReadIntInto(map, "port", issues, 1, 65535, out.port);
  if (auto n = map.Require("from")) {
    if (auto value = ReadString(*n, map.Field("from"), issues)) {
      if (IsEmailAddress(*value)) {
        out.from = *value;
      } else {
        issues.Add(*n, map.Field("from"), "malformed e-mail address '" + *value + "'");
      }
    }
  }
  if (auto n = map.Get("starttls")) {
    if (auto value = ReadBool(*n, map.Field("starttls"), issues)) out.starttls = *value;
  }
  out.implicit_tls = out.port == 465 && !out.starttls;  // RFC 8314: 465 speaks TLS at once
  if (auto n = map.Get("implicit_tls")) {
    if (auto value = ReadBool(*n, map.Field("implicit_tls"), issues)) out.implicit_tls = *value;
    if (out.implicit_tls && out.starttls) {
      issues.Add(*n, map.Field("implicit_tls"), "conflicts with starttls: choose one");
    }
  }
  if (auto n = map.Get("helo_name")) {
    if (auto value = ReadString(*n, map.Field("helo_name"), issues)) out.helo_name = *value;
  }
  if (auto n = map.Get("auth")) {
    static const std::pair<std::string_view, SmtpAuth> kAuth[] = {
        {"any", SmtpAuth::kAny}, {"plain", SmtpAuth::kPlain}, {"login", SmtpAuth::kLogin},
        {"xoauth2", SmtpAuth::kXoauth2}};
    auto value = ReadString(*n, map.Field("auth"), issues);
    auto* it = std::find_if(std::begin(kAuth), std::end(kAuth),
                            [&](const auto& a) { return value && a.first == *value; });
    if (it != std::end(kAuth)) out.auth = it->second;
    if (value && it == std::end(kAuth)) {
      issues.Add(*n, map.Field("auth"), "must be any, plain, login or xoauth2");
    }
  }
  auto username = map.Get("username");
  auto password_env = map.Get("password_env");
  if (username) {
    if (auto value = ReadString(*username, map.Field("username"), issues)) out.username = *value;
  }
  if (password_env) {
    if (auto value =
            ReadEnvValue(*password_env, map.Field("password_env"), issues, &out.password_env)) {
      out.password = *value;
    }
  }
  if (username && !password_env) {
    issues.Add(*username, map.Field("password_env"), "required when username is given");
  } else if (password_env && !username) {
    issues.Add(*password_env, map.Field("username"), "required when password_env is given");
  }
  map.Finish();
}

void ParseChannels(const YAML::Node& node, ChannelsConfig& out, Issues& issues) {
  MapReader map(node, "alerts.channels", issues);
  if (!map.ok()) return;
  // A section that is present counts as configured even when it has problems, so contacts that
  // use it are not reported a second time.
  if (auto n = map.Get(ChannelName(ChannelKind::kSms))) {
    ParseSmsChannel(*n, out.sms.emplace(), issues);
  }
  if (auto n = map.Get(ChannelName(ChannelKind::kTelegram))) {
    ParseTelegramChannel(*n, out.telegram.emplace(), issues);
  }
  if (auto n = map.Get(ChannelName(ChannelKind::kEmail))) {
    ParseEmailChannel(*n, out.email.emplace(), issues);
  }
  map.Finish();
}

void ParseAlerts(const YAML::Node& node, AlertsConfig& out, Issues& issues) {
  MapReader map(node, "alerts", issues);
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (auto sev = map.Get("min_severity")) {
    if (auto value = ReadSeverity(*sev, map.Field("min_severity"), issues)) {
      out.min_severity = *value;
    }
  }
  ReadIntInto(map, "timeout_ms", issues, 1, kMax, out.timeout_ms);
  ReadIntInto(map, "backoff_initial_ms", issues, 1, kMax, out.backoff_initial_ms);
  ReadIntInto(map, "backoff_max_ms", issues, 1, kMax, out.backoff_max_ms);
  ReadIntInto(map, "give_up_after_ms", issues, 1, kMax, out.give_up_after_ms);
  ReadIntInto(map, "max_in_flight", issues, 1, 1'000'000, out.max_in_flight);
  if (auto n = map.Get("channels")) ParseChannels(*n, out.channels, issues);
  if (auto n = map.Get("route")) internal::ParseRootRoute(*n, out.route, issues);
  if (auto n = map.Get("rate_limit")) internal::ParseRateLimit(*n, out.rate_limit, issues);
  ReadIntInto(map, "resolve_after_ms", issues, 1, kMax, out.resolve_after_ms);
  ReadIntInto(map, "max_open_groups", issues, 100, 100'000'000, out.max_open_groups);
  if (auto n = map.Get("duty")) {
    if (auto v = ReadStringList(*n, map.Field("duty"), issues)) out.duty_contacts = std::move(*v);
  }
  if (auto n = map.Get("allow_private_targets")) {
    if (auto v = ReadStringList(*n, map.Field("allow_private_targets"), issues)) {
      for (const auto& cidr : *v) {
        if (auto net = ParseIpNetwork(cidr); !net) {
          issues.Add(*n, map.Field("allow_private_targets"), net.error().message);
        }
      }
      out.allow_private_targets = std::move(*v);
    }
  }
  map.Finish();
  if (out.backoff_max_ms < out.backoff_initial_ms) {
    auto at = map.Get("backoff_max_ms");
    issues.Add(at ? *at : node, map.Field("backoff_max_ms"),
               "must be at least backoff_initial_ms (" + std::to_string(out.backoff_initial_ms) +
                   "), got " + std::to_string(out.backoff_max_ms));
  }
}

// Reads the address key of a non-webhook channel and checks its form.
void ReadAddress(MapReader& map, std::string_view key, const std::string& type,
                 bool (*valid)(const std::string&), std::string_view expected,
                 ContactChannel& ch, Issues& issues) {
  auto n = map.Get(key);
  if (!n) {
    issues.Add(map.node(), map.Field(key), "required for a" +
                                               std::string(IsChannel(type, ChannelKind::kEmail) ? "n " : " ") + type +
                                               " channel");
    return;
  }
  auto value = ReadString(*n, map.Field(key), issues);
  if (!value) return;
  if (!valid(*value)) {
    issues.Add(*n, map.Field(key),
               "malformed " + type + " address '" + *value + "' (expected " +
                   std::string(expected) + ")");
    return;
  }
  ch.address = *value;
}

std::optional<ContactChannel> ParseChannel(const YAML::Node& node, const std::string& path,
                                           const ChannelsConfig& channels,
                                           const AddressFilter& targets, Issues& issues) {
  MapReader map(node, path, issues);
  if (!map.ok()) return std::nullopt;
  const std::size_t issues_before = issues.lines().size();
  ContactChannel ch;
  ch.origin = issues.Origin(node);
  if (auto type = map.Require("type")) {
    if (auto value = ReadChoice(*type, map.Field("type"), issues, "channel type",
                                NamesOf(kContactChannels, ChannelName))) {
      ch.type = *value;
      const auto kind = sakchy::ParseChannel(ch.type);
      const bool configured = kind == ChannelKind::kWebhook ||
                              (kind == ChannelKind::kSms && channels.sms.has_value()) ||
                              (kind == ChannelKind::kTelegram && channels.telegram.has_value()) ||
                              (kind == ChannelKind::kEmail && channels.email.has_value());
      if (!configured) {
        issues.Add(*type, map.Field("type"),
                   "channel '" + ch.type + "' is not configured (add alerts.channels." + ch.type +
                       ")");
      }
    }
  }
  const auto kind = sakchy::ParseChannel(ch.type);
  if (kind == ChannelKind::kSms) {
    ReadAddress(map, "to", ch.type, IsPhoneNumber, "+ and 7 to 15 digits, e.g. +996700123456",
                ch, issues);
  } else if (kind == ChannelKind::kTelegram) {
    ReadAddress(map, "chat_id", ch.type, IsTelegramChatId,
                "a numeric chat id or @username", ch, issues);
  } else if (kind == ChannelKind::kEmail) {
    ReadAddress(map, "to", ch.type, IsEmailAddress, "name@example.org", ch, issues);
  }
  std::optional<YAML::Node> url, secret, secret_env;
  if (kind == ChannelKind::kWebhook) {
    url = map.Get("url");
    secret = map.Get("secret");
    secret_env = map.Get("secret_env");
  }
  map.Finish();
  if (kind == ChannelKind::kWebhook) {
    if (!url) {
      issues.Add(node, map.Field("url"), "required for a webhook channel");
    } else if (auto value = ReadString(*url, map.Field("url"), issues)) {
      std::string problem = WebhookTargetProblem(*value, targets);
      if (problem.empty()) {
        ch.address = *value;
      } else {
        issues.Add(*url, map.Field("url"), problem);
      }
    }
    if (secret && secret_env) {
      issues.Add(*secret_env, map.Field("secret_env"),
                 "give either secret or secret_env, not both");
    } else if (secret) {
      if (auto value = ReadString(*secret, map.Field("secret"), issues)) ch.secret = *value;
    } else if (secret_env) {
      if (auto name = ReadString(*secret_env, map.Field("secret_env"), issues)) {
        ch.secret_env = *name;
        const char* env = IsWebhookSecretEnv(*name) ? std::getenv(name->c_str()) : nullptr;
        if (!IsWebhookSecretEnv(*name)) {
          issues.Add(*secret_env, map.Field("secret_env"), WebhookSecretEnvProblem());
        } else if (env == nullptr) {
          issues.Add(*secret_env, map.Field("secret_env"),
                     "environment variable " + *name + " is not set");
        } else if (*env == '\0') {
          issues.Add(*secret_env, map.Field("secret_env"),
                     "environment variable " + *name + " is empty");
        } else {
          ch.secret = env;
        }
      }
    } else {
      issues.Add(node, map.Field("secret"),
                 "a webhook channel needs secret or secret_env (the HMAC signing key)");
    }
  }
  if (issues.lines().size() != issues_before) return std::nullopt;
  return ch;
}

// quiet_hours: {start: "22:00", end: "07:00"} (Asia/Bishkek time).
void ParseQuietHours(const YAML::Node& node, const std::string& path, Contact& c, Issues& issues) {
  MapReader map(node, path, issues);
  if (!map.ok()) return;
  QuietHours quiet;
  bool ok = true;
  for (const char* key : {"start", "end"}) {
    auto n = map.Require(key);
    if (!n) {
      ok = false;
      continue;
    }
    auto value = ReadString(*n, map.Field(key), issues);
    const auto minutes = value ? ParseClockMinutes(*value) : std::nullopt;
    if (!minutes) {
      if (value) issues.Add(*n, map.Field(key), "expected HH:MM (00:00..23:59), got '" + *value + "'");
      ok = false;
      continue;
    }
    (std::string_view(key) == "start" ? quiet.start_minute : quiet.end_minute) = *minutes;
  }
  map.Finish();
  if (ok && quiet.start_minute == quiet.end_minute) {
    issues.Add(node, path, "start and end are equal (give a real interval or leave it out)");
    ok = false;
  }
  if (ok) c.quiet_hours = quiet;
}

void ParseContacts(const YAML::Node& node, const AlertsConfig& alerts, std::vector<Contact>& out,
                   Issues& issues) {
  if (node.IsNull()) return;
  const ChannelsConfig& configured = alerts.channels;
  // An invalid allow-list was reported with alerts: check against the valid entries.
  std::vector<IpNetwork> allowed;
  for (const auto& cidr : alerts.allow_private_targets) {
    if (auto n = ParseIpNetwork(cidr)) allowed.push_back(*n);
  }
  const AddressFilter targets(std::move(allowed));
  if (!node.IsSequence()) {
    issues.Add(node, "contacts", "expected a list of contacts");
    return;
  }
  std::map<std::string, std::string> seen_ids;  // id -> origin
  std::size_t i = 0;
  for (const YAML::Node& item : node) {
    const std::string path = Indexed("contacts", i++);
    MapReader map(item, path, issues);
    if (!map.ok()) continue;
    Contact c;
    c.origin = issues.Origin(item);
    if (auto id = map.Require("id")) {
      if (auto value = ReadString(*id, map.Field("id"), issues)) {
        auto [it, inserted] = seen_ids.emplace(*value, c.origin);
        if (!inserted) {
          issues.Add(*id, map.Field("id"),
                     "duplicate contact id '" + *value + "' (first defined at " + it->second + ")");
        }
        c.id = *value;
      }
    }
    if (auto name = map.Get("name")) {
      if (auto value = ReadString(*name, map.Field("name"), issues)) c.name = *value;
    }
    if (auto role = map.Get("role")) {
      if (auto value = ReadString(*role, map.Field("role"), issues)) c.role = *value;
    }
    if (auto lang = map.Get("language")) {
      if (auto value =
              ReadChoice(*lang, map.Field("language"), issues, "language",
                         NamesOf(kAllLanguages, LanguageCode))) {
        c.language = *value;
      }
    }
    if (auto areas = map.Get("areas")) {
      if (auto value = ReadStringList(*areas, map.Field("areas"), issues)) {
        if (value->empty()) {
          issues.Add(*areas, map.Field("areas"), "a contact needs at least one area");
        }
        c.areas = std::move(*value);
      }
    } else {
      issues.Add(item, map.Field("areas"), "a contact needs at least one area");
    }
    if (auto sev = map.Get("min_severity")) {
      if (auto value = ReadSeverity(*sev, map.Field("min_severity"), issues)) {
        c.min_severity = *value;
      }
    }
    if (auto cats = map.Get("categories")) {
      if (auto value = ReadStringList(*cats, map.Field("categories"), issues)) {
        c.categories = std::move(*value);
      }
    }
    if (auto quiet = map.Get("quiet_hours")) ParseQuietHours(*quiet, map.Field("quiet_hours"), c,
                                                            issues);
    auto channels = map.Get("channels");
    if (!channels || channels->IsNull() || (channels->IsSequence() && channels->size() == 0)) {
      issues.Add(channels ? *channels : item, map.Field("channels"),
                 "a contact needs at least one channel");
    } else if (!channels->IsSequence()) {
      issues.Add(*channels, map.Field("channels"), "expected a list of channels");
    } else {
      std::size_t j = 0;
      for (const YAML::Node& ch_node : *channels) {
        if (auto ch =
                ParseChannel(ch_node, Indexed(map.Field("channels"), j++), configured, targets,
                             issues)) {
          c.channels.push_back(std::move(*ch));
        }
      }
    }
    map.Finish();
    out.push_back(std::move(c));
  }
}

}  // namespace sakchy::config::internal
