#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <map>

#include "cluster_config.h"
#include "clusters_config.h"
#include "reach_config.h"
#include "analytics_config.h"
#include "config/cluster.h"
#include "config/files.h"
#include "core/address_filter.h"
#include "core/channel.h"
#include "core/crypto.h"
#include "core/language.h"
#include "alerts_routing.h"
#include "config_sections.h"
#include "yaml_util.h"

namespace sakchy::config {
namespace {

using internal::Issues;
using internal::MapReader;
using internal::ReadBool;
using internal::ReadInt;
using internal::ReadString;
using internal::ReadStringList;

using internal::kMaxThreads;
using internal::kMinTokenLength;

}  // namespace

namespace internal {

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
std::string CheckWebhookUrl(const std::string& url, std::string* host_out) {
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

}  // namespace internal

namespace {

using internal::CheckWebhookUrl;
using internal::Indexed;
using internal::IsHex64;
using internal::ParseAlerts;
using internal::ParseContacts;
using internal::ParseListen;
using internal::ParseSms;
using internal::ParseSources;
using internal::ReadChoice;
using internal::ReadIntInto;
using internal::ReadSeverity;
using internal::IsPhoneNumber;
using internal::IsTelegramChatId;
using internal::IsEmailAddress;

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
    if (auto n = top.Get("cluster")) {  // checked here, read by LoadClusterConfig
      ClusterConfig cluster;
      internal::ParseCluster(*n, cluster, issues);
    }
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

Result<ClusterConfig> LoadClusterConfig(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return tl::unexpected(text.error());
  Issues issues(path);
  ClusterConfig cluster;
  auto root = internal::ParseYaml(*text, issues);
  if (!root) return tl::unexpected(issues.ToError());
  try {
    if (root->IsMap()) {
      if (auto n = (*root)["cluster"]; n) internal::ParseCluster(n, cluster, issues);
    }
  } catch (const std::exception& e) {
    issues.Add(0, "", std::string("cannot read config: ") + e.what());
  }
  if (!issues.empty()) return tl::unexpected(issues.ToError());
  return cluster;
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
  const auto kind = sakchy::ParseChannel(type);
  if (kind == ChannelKind::kSms) {
    return IsPhoneNumber(address) ? ""
                                  : "malformed sms address '" + address +
                                        "' (expected + and 7 to 15 digits, e.g. +996700123456)";
  }
  if (kind == ChannelKind::kTelegram) {
    return IsTelegramChatId(address) ? ""
                                     : "malformed telegram address '" + address +
                                           "' (expected a numeric chat id or @username)";
  }
  if (kind == ChannelKind::kEmail) {
    return IsEmailAddress(address)
               ? ""
               : "malformed email address '" + address + "' (expected name@example.org)";
  }
  if (kind == ChannelKind::kWebhook) return CheckWebhookUrl(address);
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
