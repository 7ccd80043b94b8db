#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <map>

#include "clusters_config.h"
#include "reach_config.h"
#include "analytics_config.h"
#include "config/files.h"
#include "core/address_filter.h"
#include "core/crypto.h"
#include "alerts_routing.h"
#include "yaml_util.h"

namespace sakchy::config {
namespace {

using internal::Issues;
using internal::MapReader;
using internal::ReadBool;
using internal::ReadInt;
using internal::ReadString;
using internal::ReadStringList;

constexpr std::int64_t kMaxThreads = 1024;
constexpr std::size_t kMinTokenLength = 16;

std::string Indexed(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// Reads a string that must be one of `choices`; `what` names it in the message ("language").
std::optional<std::string> ReadChoice(const YAML::Node& node, const std::string& field,
                                      Issues& issues, std::string_view what,
                                      const std::vector<std::string>& choices) {
  auto value = ReadString(node, field, issues);
  if (!value) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *value) == choices.end()) {
    issues.Add(node, field,
               "unknown " + std::string(what) + " '" + *value +
                   "' (expected: " + internal::JoinNames(choices) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<Severity> ReadSeverity(const YAML::Node& node, const std::string& field,
                                     Issues& issues) {
  auto value =
      ReadChoice(node, field, issues, "severity", {"info", "low", "medium", "high", "critical"});
  if (!value) return std::nullopt;
  return ParseSeverity(*value);
}

template <typename T>
void ReadIntInto(MapReader& map, std::string_view key, Issues& issues, std::int64_t min,
                 std::int64_t max, T& out) {
  if (auto node = map.Get(key)) {
    if (auto value = ReadInt(*node, map.Field(key), issues, min, max)) {
      out = static_cast<T>(*value);
    }
  }
}

// "host:port" or "[v6]:port". Returns a problem, or empty on success.
std::string ParseListen(const std::string& s, std::string& host, std::uint16_t& port) {
  std::string port_text;
  if (s.starts_with("[")) {
    const auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return "expected [ipv6]:port, got '" + s + "'";
    }
    host = s.substr(1, close - 1);
    port_text = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos) return "expected host:port, got '" + s + "'";
    host = s.substr(0, colon);
    port_text = s.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return "an IPv6 host needs brackets, e.g. [::1]:8080, got '" + s + "'";
    }
  }
  if (host.empty()) return "host is empty in '" + s + "'";
  unsigned value = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    return "port must be a number in '" + s + "'";
  }
  if (value > 65535) return "port must be between 0 and 65535, got " + port_text;
  port = static_cast<std::uint16_t>(value);
  return "";
}

// Checks an http(s) URL with a host. Returns a problem, or empty on success (then `*host_out`,
// when given, is the host, without brackets).
std::string CheckWebhookUrl(const std::string& url, std::string* host_out = nullptr) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = std::string_view(url).substr(7);
  } else if (url.starts_with("https://")) {
    rest = std::string_view(url).substr(8);
  } else {
    return "url must start with http:// or https://, got '" + url + "'";
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "url has an unclosed '[' in '" + url + "'";
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "url has junk after the host in '" + url + "'";
      port = after.substr(1);
      has_port = true;
    }
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return "url has no host: '" + url + "'";
  if (host.find_first_of(" \t") != std::string_view::npos) {
    return "url host contains spaces: '" + url + "'";
  }
  if (has_port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return "url has an invalid port in '" + url + "'";
    }
  }
  if (host_out != nullptr) *host_out = std::string(host);
  return "";
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

void ParseServerTls(const YAML::Node& node, ServerConfig& out, Issues& issues) {
  MapReader map(node, "server.tls", issues);
  if (!map.ok()) return;
  ServerTlsConfig tls;
  if (auto cert = map.Require("cert_file")) {
    if (auto value = ReadString(*cert, map.Field("cert_file"), issues)) tls.cert_file = *value;
  }
  if (auto key = map.Require("key_file")) {
    if (auto value = ReadString(*key, map.Field("key_file"), issues)) tls.key_file = *value;
  }
  if (auto version = map.Get("min_version")) {
    if (auto value = ReadString(*version, map.Field("min_version"), issues)) {
      if (*value == "1.2" || *value == "1.3") {
        tls.min_version = *value;
      } else {
        issues.Add(*version, map.Field("min_version"),
                   "must be \"1.2\" or \"1.3\" (older TLS versions are never offered), got '" +
                       *value + "'");
      }
    }
  }
  map.Finish();
  out.tls = std::move(tls);
}

void ParseServer(const YAML::Node& node, ServerConfig& out, Issues& issues) {
  MapReader map(node, "server", issues);
  if (auto listen = map.Get("listen")) {
    if (auto value = ReadString(*listen, map.Field("listen"), issues)) {
      std::string host;
      std::uint16_t port = 0;
      const std::string problem = ParseListen(*value, host, port);
      if (problem.empty()) {
        out.listen_host = host;
        out.listen_port = port;
      } else {
        issues.Add(*listen, map.Field("listen"), problem);
      }
    }
  }
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  ReadIntInto(map, "max_body_bytes", issues, 1, kMax, out.max_body_bytes);
  ReadIntInto(map, "io_threads", issues, 1, kMaxThreads, out.io_threads);
  ReadIntInto(map, "max_body_bytes_in_flight", issues, 1, kMax, out.max_body_bytes_in_flight);
  ReadIntInto(map, "max_connections", issues, 1, 1'000'000, out.max_connections);
  ReadIntInto(map, "max_connections_per_ip", issues, 0, 1'000'000, out.max_connections_per_ip);
  constexpr int kDaySeconds = 86400;
  ReadIntInto(map, "idle_timeout_seconds", issues, 1, kDaySeconds, out.idle_timeout_seconds);
  ReadIntInto(map, "header_timeout_seconds", issues, 1, kDaySeconds, out.header_timeout_seconds);
  ReadIntInto(map, "body_timeout_seconds", issues, 1, kDaySeconds, out.body_timeout_seconds);
  ReadIntInto(map, "export_threads", issues, 1, kMaxThreads, out.export_threads);
  ReadIntInto(map, "max_exports_per_token", issues, 1, 1000, out.max_exports_per_token);
  if (auto tls = map.Get("tls")) ParseServerTls(*tls, out, issues);
  map.Finish();
}

void ParseStorage(const YAML::Node& node, StorageConfig& out, Issues& issues) {
  MapReader map(node, "storage", issues);
  if (auto dir = map.Get("data_dir")) {
    if (auto value = ReadString(*dir, map.Field("data_dir"), issues)) out.data_dir = *value;
  }
  if (auto sync = map.Get("sync_writes")) {
    if (auto value = ReadBool(*sync, map.Field("sync_writes"), issues)) out.sync_writes = *value;
  }
  ReadIntInto(map, "background_write_mb_per_s", issues, 0, 100'000, out.background_write_mb_per_s);
  ReadIntInto(map, "delete_mb_per_s", issues, 0, 100'000, out.delete_mb_per_s);
  map.Finish();
}

void ParsePipeline(const YAML::Node& node, PipelineConfig& out, Issues& issues) {
  MapReader map(node, "pipeline", issues);
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  ReadIntInto(map, "queue_capacity", issues, 1, kMax, out.queue_capacity);
  ReadIntInto(map, "scoring_threads", issues, 1, kMaxThreads, out.scoring_threads);
  ReadIntInto(map, "scoring_nice", issues, 0, 19, out.scoring_nice);
  ReadIntInto(map, "max_text_bytes", issues, 1, kMax, out.max_text_bytes);
  constexpr std::int64_t kTenYearsMs = 10LL * 366 * 24 * 3600 * 1000;
  ReadIntInto(map, "observed_at_max_past_ms", issues, 0, kTenYearsMs, out.observed_at_max_past_ms);
  ReadIntInto(map, "observed_at_max_future_ms", issues, 0, kTenYearsMs,
              out.observed_at_max_future_ms);
  map.Finish();
}

void ParseModels(const YAML::Node& node, std::vector<ModelConfig>& out, Issues& issues) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    issues.Add(node, "classifier.models", "expected a list of models");
    return;
  }
  std::size_t i = 0;
  for (const YAML::Node& item : node) {
    MapReader map(item, Indexed("classifier.models", i++), issues);
    if (!map.ok()) continue;
    ModelConfig m;
    m.origin = issues.Origin(item);
    if (auto n = map.Require("dir")) {
      if (auto v = ReadString(*n, map.Field("dir"), issues)) m.dir = *v;
    }
    if (auto n = map.Require("label")) {
      if (auto v = ReadString(*n, map.Field("label"), issues)) m.label = *v;
    }
    if (auto n = map.Require("category")) {
      if (auto v = ReadString(*n, map.Field("category"), issues)) m.category = *v;
    }
    if (auto n = map.Get("weight")) {
      if (auto v = ReadDouble(*n, map.Field("weight"), issues, 0, 1000)) m.weight = *v;
    }
    if (auto n = map.Get("min_probability")) {
      if (auto v = ReadDouble(*n, map.Field("min_probability"), issues, 0, 1)) {
        m.min_probability = *v;
      }
    }
    map.Finish();
    out.push_back(std::move(m));
  }
}

void ParseClassifier(const YAML::Node& node, ClassifierConfig& out, Issues& issues) {
  MapReader map(node, "classifier", issues);
  if (auto models = map.Get("models")) ParseModels(*models, out.models, issues);
  if (auto rules = map.Get("rules")) {
    if (auto value = ReadString(*rules, map.Field("rules"), issues)) out.rules_dir = *value;
  }
  if (auto areas = map.Get("areas")) {
    if (auto value = ReadString(*areas, map.Field("areas"), issues)) out.areas_file = *value;
  }
  map.Finish();
}

// Reads the name of an environment variable at `node` and returns its (non-empty) value.
std::optional<std::string> ReadEnvSecret(const YAML::Node& node, const std::string& field,
                                         Issues& issues, std::string& name_out) {
  auto name = ReadString(node, field, issues);
  if (!name) return std::nullopt;
  name_out = *name;
  const char* env = std::getenv(name->c_str());
  if (env == nullptr) {
    issues.Add(node, field, "environment variable " + *name + " is not set");
    return std::nullopt;
  }
  if (*env == '\0') {
    issues.Add(node, field, "environment variable " + *name + " is empty");
    return std::nullopt;
  }
  return std::string(env);
}

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
    if (auto value = ReadEnvSecret(*n, map.Field("password_env"), issues, out.password_env)) {
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
    if (auto value = ReadEnvSecret(*n, map.Field("token_env"), issues, out.token_env)) {
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
            ReadEnvSecret(*password_env, map.Field("password_env"), issues, out.password_env)) {
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
  if (auto n = map.Get("sms")) ParseSmsChannel(*n, out.sms.emplace(), issues);
  if (auto n = map.Get("telegram")) ParseTelegramChannel(*n, out.telegram.emplace(), issues);
  if (auto n = map.Get("email")) ParseEmailChannel(*n, out.email.emplace(), issues);
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
                                               std::string(type == "email" ? "n " : " ") + type +
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
                                {"sms", "telegram", "email", "webhook"})) {
      ch.type = *value;
      const bool configured = ch.type == "webhook" ||
                              (ch.type == "sms" && channels.sms.has_value()) ||
                              (ch.type == "telegram" && channels.telegram.has_value()) ||
                              (ch.type == "email" && channels.email.has_value());
      if (!configured) {
        issues.Add(*type, map.Field("type"),
                   "channel '" + ch.type + "' is not configured (add alerts.channels." + ch.type +
                       ")");
      }
    }
  }
  if (ch.type == "sms") {
    ReadAddress(map, "to", ch.type, IsPhoneNumber, "+ and 7 to 15 digits, e.g. +996700123456",
                ch, issues);
  } else if (ch.type == "telegram") {
    ReadAddress(map, "chat_id", ch.type, IsTelegramChatId,
                "a numeric chat id or @username", ch, issues);
  } else if (ch.type == "email") {
    ReadAddress(map, "to", ch.type, IsEmailAddress, "name@example.org", ch, issues);
  }
  std::optional<YAML::Node> url, secret, secret_env;
  if (ch.type == "webhook") {
    url = map.Get("url");
    secret = map.Get("secret");
    secret_env = map.Get("secret_env");
  }
  map.Finish();
  if (ch.type == "webhook") {
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
              ReadChoice(*lang, map.Field("language"), issues, "language", {"ky", "ru", "uz", "en"})) {
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

// `areas` of a token: required (a non-empty list) for officials, refused for every other role.
void ParseTokenAreas(const YAML::Node& item, MapReader& map, TokenConfig& t, Issues& issues) {
  auto areas = map.Get("areas");
  if (t.role != Role::kOfficial) {
    if (areas) issues.Add(*areas, map.Field("areas"), "only tokens of role official have areas");
    return;
  }
  if (!areas) {
    issues.Add(item, map.Field("areas"),
               "required for role official (the areas it covers, e.g. [KG-O, KG-GO])");
    return;
  }
  if (auto value = ReadStringList(*areas, map.Field("areas"), issues)) {
    if (value->empty()) issues.Add(*areas, map.Field("areas"), "must name at least one area");
    t.areas = std::move(*value);
  }
}

// "official@KG-O+KG-GO" -> role_name "official", areas {KG-O, KG-GO}. Returns a problem or "".
std::string SplitOfficialAreas(std::string& role_name, std::vector<AreaCode>& areas) {
  const auto at = role_name.find('@');
  if (at == std::string::npos) return "";
  std::string_view list = std::string_view(role_name).substr(at + 1);
  while (true) {
    const auto plus = list.find('+');
    std::string code(list.substr(0, plus));
    if (code.empty()) return "empty area code in '" + role_name + "' (expected official@KG-O+KG-GO)";
    areas.push_back(std::move(code));
    if (plus == std::string_view::npos) break;
    list.remove_prefix(plus + 1);
  }
  role_name.resize(at);
  if (role_name != "official") {
    return "only official tokens name areas ('" + role_name + "@...' is not allowed)";
  }
  return "";
}

void ParseTokens(const YAML::Node& node, std::vector<TokenConfig>& out, Issues& issues) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    issues.Add(node, "tokens", "expected a list of tokens");
    return;
  }
  std::map<std::string, std::string> seen_names;  // name -> origin
  std::size_t i = 0;
  for (const YAML::Node& item : node) {
    const std::string path = Indexed("tokens", i++);
    MapReader map(item, path, issues);
    if (!map.ok()) continue;
    TokenConfig t;
    if (auto name = map.Require("name")) {
      if (auto value = ReadString(*name, map.Field("name"), issues)) {
        auto [it, inserted] = seen_names.emplace(*value, issues.Origin(item));
        if (!inserted) {
          issues.Add(*name, map.Field("name"),
                     "duplicate token name '" + *value + "' (first defined at " + it->second + ")");
        }
        t.name = *value;
      }
    }
    t.origin = issues.Origin(item);
    if (auto role = map.Require("role")) {
      if (auto value = ReadChoice(*role, map.Field("role"), issues, "role",
                                  {"monitor", "analyst", "admin", "official"})) {
        t.role = *ParseRole(*value);
      }
    }
    ParseTokenAreas(item, map, t, issues);
    if (auto sha = map.Require("sha256")) {
      if (auto value = ReadString(*sha, map.Field("sha256"), issues)) {
        if (IsHex64(*value)) {
          std::transform(value->begin(), value->end(), value->begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          t.sha256 = *value;
        } else {
          issues.Add(*sha, map.Field("sha256"),
                     "must be 64 hex characters (the SHA-256 of the token: "
                     "echo -n TOKEN | sha256sum), got " +
                         std::to_string(value->size()) + " characters");
        }
      }
    }
    map.Finish();
    out.push_back(std::move(t));
  }
}

void ParseLogging(const YAML::Node& node, LoggingConfig& out, Issues& issues) {
  MapReader map(node, "logging", issues);
  if (auto level = map.Get("level")) {
    if (auto value = ReadChoice(*level, map.Field("level"), issues, "log level",
                                {"trace", "debug", "info", "warn", "error"})) {
      out.level = *value;
    }
  }
  if (auto format = map.Get("format")) {
    if (auto value =
            ReadChoice(*format, map.Field("format"), issues, "log format", {"text", "json"})) {
      out.format = *value;
    }
  }
  map.Finish();
}

// Reads the value of the environment variable named at `node`; reports unset or empty variables.
std::optional<std::string> ReadEnvValue(const YAML::Node& node, const std::string& field,
                                        Issues& issues) {
  auto name = ReadString(node, field, issues);
  if (!name) return std::nullopt;
  const char* env = std::getenv(name->c_str());
  if (env == nullptr) {
    issues.Add(node, field, "environment variable " + *name + " is not set");
    return std::nullopt;
  }
  if (*env == '\0') {
    issues.Add(node, field, "environment variable " + *name + " is empty");
    return std::nullopt;
  }
  return std::string(env);
}

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

void ParsePrivacy(const YAML::Node& node, PrivacyConfig& out, Issues& issues) {
  MapReader map(node, "privacy", issues);
  if (auto key_env = map.Get("pseudonym_key_env")) {
    if (auto name = ReadString(*key_env, map.Field("pseudonym_key_env"), issues)) {
      out.pseudonym_key_env = *name;
      if (auto value = ReadEnvValue(*key_env, map.Field("pseudonym_key_env"), issues)) {
        if (value->size() < 16) {
          issues.Add(*key_env, map.Field("pseudonym_key_env"),
                     "the key in " + *name + " is too short (min 16 characters)");
        } else {
          out.pseudonym_key = std::move(*value);
        }
      }
    }
  }
  map.Finish();
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

Result<Config> ParseConfig(std::string_view text, const std::string& path) {
  Issues issues(path);
  Config config;
  config.source = path;
  config.classifier.rules_dir = "rules";
  config.classifier.areas_file = "areas.yaml";
  auto root = internal::ParseYaml(text, issues);
  if (!root) return tl::unexpected(issues.ToError());
  try {
    MapReader top(*root, "", issues);
    if (auto n = top.Get("server")) ParseServer(*n, config.server, issues);
    if (auto n = top.Get("storage")) ParseStorage(*n, config.storage, issues);
    if (auto n = top.Get("pipeline")) ParsePipeline(*n, config.pipeline, issues);
    if (auto n = top.Get("classifier")) ParseClassifier(*n, config.classifier, issues);
    if (auto n = top.Get("alerts")) ParseAlerts(*n, config.alerts, issues);
    // After alerts: contact channels are checked against alerts.channels.
    if (auto n = top.Get("contacts")) {
      ParseContacts(*n, config.alerts, config.contacts, issues);
    }
    if (auto n = top.Get("tokens")) ParseTokens(*n, config.tokens, issues);
    if (auto n = top.Get("logging")) ParseLogging(*n, config.logging, issues);
    if (auto n = top.Get("sources")) ParseSources(*n, config.sources, issues);
    if (auto n = top.Get("privacy")) ParsePrivacy(*n, config.privacy, issues);
    if (auto n = top.Get("sms")) ParseSms(*n, config.sms, issues);
    if (auto n = top.Get("whatsapp")) internal::ParseWhatsApp(*n, config.whatsapp, issues);
    if (auto n = top.Get("replies")) internal::ParseReplies(*n, config.replies, issues);
    if (auto n = top.Get("clusters")) internal::ParseClusters(*n, config.clusters, issues);
    if (auto n = top.Get("analytics")) internal::ParseAnalytics(*n, config.analytics, issues);
    if (auto n = top.Get("retention")) internal::ParseRetention(*n, config.retention, issues);
    top.Finish();
  } catch (const std::exception& e) {
    // yaml-cpp should not throw on a parsed tree; keep the promise of no exceptions anyway.
    issues.Add(0, "", std::string("cannot read config: ") + e.what());
  }
  if (!issues.empty()) return tl::unexpected(issues.ToError());

  config.classifier.rules_dir = ResolvePath(path, config.classifier.rules_dir);
  config.classifier.areas_file = ResolvePath(path, config.classifier.areas_file);
  for (auto& m : config.classifier.models) m.dir = ResolvePath(path, m.dir);
  config.analytics.area_polygons = ResolvePath(path, config.analytics.area_polygons);
  if (!config.replies.messages_dir.empty()) {
    config.replies.messages_dir = ResolvePath(path, config.replies.messages_dir);
  }
  if (config.server.tls) {
    config.server.tls->cert_file = ResolvePath(path, config.server.tls->cert_file);
    config.server.tls->key_file = ResolvePath(path, config.server.tls->key_file);
  }
  // The embedded default's data lives relative to the working directory; a file's next to it.
  if (!path.starts_with(kEmbeddedPrefix)) {
    config.storage.data_dir = ResolvePath(path, config.storage.data_dir);
  }
  return config;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kMonitor:
      return "monitor";
    case Role::kAnalyst:
      return "analyst";
    case Role::kAdmin:
      return "admin";
    case Role::kOfficial:
      return "official";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "monitor") return Role::kMonitor;
  if (name == "analyst") return Role::kAnalyst;
  if (name == "admin") return Role::kAdmin;
  if (name == "official") return Role::kOfficial;
  return std::nullopt;
}

Result<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return tl::unexpected(text.error());
  return ParseConfig(*text, path);
}

Result<Config> LoadDefaultConfig() {
  return LoadConfigFile(std::string(kEmbeddedPrefix) + "sakchy.yaml");
}

Status AddTokensFromEnv(std::string_view spec, Config& config) {
  std::vector<std::string> problems;
  std::vector<TokenConfig> added;
  std::map<Role, int> next_index;
  auto next_for = [&](Role role) {
    auto it = next_index.find(role);
    if (it == next_index.end()) {
      const std::string prefix = "env-" + std::string(RoleName(role)) + "-";
      int count = 0;
      for (const auto& t : config.tokens) count += t.name.starts_with(prefix) ? 1 : 0;
      it = next_index.emplace(role, count + 1).first;
    }
    return it->second++;
  };
  std::size_t entry = 0;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string item = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;  // tolerate "a:b," and ",,"
    ++entry;
    const std::string where = "SAKCHY_TOKENS entry " + std::to_string(entry) + ": ";
    const auto colon = item.find(':');
    if (colon == std::string::npos) {
      problems.push_back(where +
                         "expected role:token (roles: monitor, analyst, admin, official@AREA+AREA)");
      continue;
    }
    std::string role_name = Trim(std::string_view(item).substr(0, colon));
    const std::string token = Trim(std::string_view(item).substr(colon + 1));
    std::vector<AreaCode> token_areas;
    if (auto problem = SplitOfficialAreas(role_name, token_areas); !problem.empty()) {
      problems.push_back(where + problem);
      continue;
    }
    const auto role = ParseRole(role_name);
    if (!role) {
      problems.push_back(where + "unknown role '" + role_name +
                         "' (expected: monitor, analyst, admin, official@AREA+AREA)");
      continue;
    }
    if (*role == Role::kOfficial && token_areas.empty()) {
      problems.push_back(where + "an official token needs its areas: official@KG-O+KG-GO:TOKEN");
      continue;
    }
    if (token.empty()) {
      problems.push_back(where + "empty token for role " + role_name);
      continue;
    }
    if (token.size() < kMinTokenLength) {
      problems.push_back(where + "token for role " + role_name + " is too short (min " +
                         std::to_string(kMinTokenLength) + " characters)");
      continue;
    }
    TokenConfig t;
    t.role = *role;
    t.name = "env-" + role_name + "-" + std::to_string(next_for(*role));
    t.sha256 = Sha256Hex(token);
    t.areas = std::move(token_areas);
    t.origin = "SAKCHY_TOKENS entry " + std::to_string(entry);
    added.push_back(std::move(t));
  }
  if (!problems.empty()) {
    std::string joined;
    for (const auto& p : problems) joined += (joined.empty() ? "" : "\n") + p;
    return MakeError(ErrorCode::kInvalidArgument, std::move(joined));
  }
  for (auto& t : added) config.tokens.push_back(std::move(t));
  return OkStatus();
}

bool IsWebhookSecretEnv(std::string_view name) {
  return name.size() > kWebhookSecretEnvPrefix.size() && name.starts_with(kWebhookSecretEnvPrefix);
}

std::string WebhookSecretEnvProblem() {
  return "must name an environment variable whose name starts with " +
         std::string(kWebhookSecretEnvPrefix) + " (e.g. " + std::string(kWebhookSecretEnvPrefix) +
         "OSH_DUTY)";
}

std::string WebhookTargetProblem(const std::string& url, const AddressFilter& targets) {
  std::string host;
  std::string problem = CheckWebhookUrl(url, &host);
  if (!problem.empty()) return problem;
  if (auto why = targets.CheckHost(host)) {
    return "url points to an internal address: " + *why +
           "; a deployment with a local receiver lists it in alerts.allow_private_targets";
  }
  return "";
}

std::string ChannelAddressProblem(std::string_view type, const std::string& address) {
  if (type == "sms") {
    return IsPhoneNumber(address) ? ""
                                  : "malformed sms address '" + address +
                                        "' (expected + and 7 to 15 digits, e.g. +996700123456)";
  }
  if (type == "telegram") {
    return IsTelegramChatId(address) ? ""
                                     : "malformed telegram address '" + address +
                                           "' (expected a numeric chat id or @username)";
  }
  if (type == "email") {
    return IsEmailAddress(address)
               ? ""
               : "malformed email address '" + address + "' (expected name@example.org)";
  }
  if (type == "webhook") return CheckWebhookUrl(address);
  return "unknown channel type '" + std::string(type) +
         "' (expected: sms, telegram, email, webhook)";
}

std::optional<int> ParseClockMinutes(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

Status ValidateAreas(const Config& config, const AreaTree& areas) {
  std::string message;
  for (std::size_t i = 0; i < config.contacts.size(); ++i) {
    const Contact& c = config.contacts[i];
    for (const auto& code : c.areas) {
      if (areas.Find(code) != nullptr) continue;
      if (!message.empty()) message += '\n';
      message += (c.origin.empty() ? config.source : c.origin) + ": " + Indexed("contacts", i) +
                 ".areas: unknown area code '" + code + "'";
    }
  }
  internal::AppendRouteAreaProblems(config.alerts.route, "alerts.route", areas, message);
  for (std::size_t i = 0; i < config.sources.size(); ++i) {
    const SourceConfig& s = config.sources[i];
    if (!s.area || areas.Find(*s.area) != nullptr) continue;
    if (!message.empty()) message += '\n';
    message += (s.origin.empty() ? config.source : s.origin) + ": " + Indexed("sources", i) +
               ".area: unknown area code '" + *s.area + "'";
  }
  for (std::size_t i = 0; i < config.tokens.size(); ++i) {
    const TokenConfig& t = config.tokens[i];
    for (const auto& code : t.areas) {
      if (areas.Find(code) != nullptr) continue;
      if (!message.empty()) message += '\n';
      message += (t.origin.empty() ? config.source : t.origin) + ": " + Indexed("tokens", i) +
                 ".areas: unknown area code '" + code + "' (token '" + t.name + "')";
    }
  }
  if (!message.empty()) return MakeError(ErrorCode::kInvalidArgument, std::move(message));
  return OkStatus();
}

}  // namespace sakchy::config
