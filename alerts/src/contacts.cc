#include "alerts/contacts.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "channel.h"
#include "core/channel.h"
#include "core/json_text.h"
#include "core/language.h"

namespace sakchy::alerts {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxText = 200;
constexpr std::size_t kMaxList = 100;

tl::unexpected<FieldProblem> Problem(std::string field, std::string detail) {
  return tl::unexpected<FieldProblem>(FieldProblem{std::move(field), std::move(detail)});
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

std::string Indexed(std::string_view field, std::size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// A string field of at most kMaxText bytes; `required` when it must be present.
tl::expected<std::optional<std::string>, FieldProblem> Text(const json::object& o,
                                                            std::string_view key,
                                                            std::string_view field,
                                                            bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (required) return Problem(std::string(field), "is required");
    return std::optional<std::string>();
  }
  if (!v->is_string()) return Problem(std::string(field), "must be a string");
  if (v->as_string().size() > kMaxText) {
    return Problem(std::string(field), "is longer than 200 bytes");
  }
  return std::optional<std::string>(std::string(v->as_string()));
}

tl::expected<std::vector<std::string>, FieldProblem> Strings(const json::object& o,
                                                             std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) return Problem(std::string(key), "must be a list of strings");
  if (v->as_array().size() > kMaxList) return Problem(std::string(key), "has more than 100 items");
  std::size_t i = 0;
  for (const json::value& item : v->as_array()) {
    if (!item.is_string() || item.as_string().empty() || item.as_string().size() > kMaxText) {
      return Problem(Indexed(key, i), "must be a non-empty string of at most 200 bytes");
    }
    out.emplace_back(item.as_string());
    ++i;
  }
  return out;
}

tl::expected<config::ContactChannel, FieldProblem> ChannelFromJson(const json::value& v,
                                                                   const std::string& field,
                                                                   const AddressFilter& targets) {
  if (!v.is_object()) return Problem(field, "must be an object");
  const json::object& o = v.as_object();
  auto type = Text(o, "type", field + ".type", true);
  if (!type) return tl::unexpected(type.error());
  config::ContactChannel ch;
  ch.type = **type;
  ch.origin = "api";
  const std::optional<ChannelKind> kind = ParseChannel(ch.type);
  if (!kind || !IsContactChannel(*kind)) {
    return Problem(field + ".type", "unknown channel type '" + ch.type +
                                        "' (expected: " + ContactChannelList() + ")");
  }
  const bool webhook = kind == ChannelKind::kWebhook;
  const std::string address_key(ContactAddressKey(*kind));
  for (const auto& [key, value] : o) {
    if (key != "type" && key != address_key && !(webhook && key == "secret_env")) {
      return Problem(field + "." + std::string(key),
                     "unknown field for a " + ch.type + " channel (expected: type, " + address_key +
                         (webhook ? ", secret_env)" : ")"));
    }
  }
  auto address = Text(o, address_key, field + "." + address_key, true);
  if (!address) return tl::unexpected(address.error());
  ch.address = **address;
  const std::string problem = webhook ? config::WebhookTargetProblem(ch.address, targets)
                                  : config::ChannelAddressProblem(ch.type, ch.address);
  if (!problem.empty()) return Problem(field + "." + address_key, problem);
  if (webhook) {
    auto env = Text(o, "secret_env", field + ".secret_env", true);
    if (!env) {
      return Problem(field + ".secret_env",
                     "is required: the name of the environment variable holding the signing key");
    }
    ch.secret_env = **env;
    // Checked before the environment is read: the answer never tells whether a variable exists.
    if (!config::IsWebhookSecretEnv(ch.secret_env)) {
      return Problem(field + ".secret_env", config::WebhookSecretEnvProblem());
    }
    const char* value = std::getenv(ch.secret_env.c_str());
    if (value != nullptr) ch.secret = value;
  }
  return ch;
}

}  // namespace

tl::expected<config::Contact, FieldProblem> ContactFromJson(std::string_view text,
                                                            const config::AreaTree& areas,
                                                            const AddressFilter& targets) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return Problem("body", "must be a JSON object");
  const json::object& o = parsed.as_object();
  static const std::set<std::string, std::less<>> kKnown = {
      "id",           "name",       "role",        "language", "areas",
      "min_severity", "categories", "quiet_hours", "channels"};
  for (const auto& [key, value] : o) {
    if (!kKnown.contains(key)) {
      return Problem(std::string(key),
                     "unknown field (expected: id, name, role, language, areas, min_severity, "
                     "categories, quiet_hours, channels)");
    }
  }
  config::Contact c;
  c.origin = "api";
  auto id = Text(o, "id", "id", true);
  if (!id) return tl::unexpected(id.error());
  if (!ValidId(**id)) return Problem("id", "must be 1..64 characters of a-z 0-9 . _ -");
  c.id = **id;
  auto name = Text(o, "name", "name", false);
  if (!name) return tl::unexpected(name.error());
  c.name = name->value_or("");
  auto role = Text(o, "role", "role", false);
  if (!role) return tl::unexpected(role.error());
  c.role = role->value_or("");
  auto language = Text(o, "language", "language", false);
  if (!language) return tl::unexpected(language.error());
  c.language = language->value_or(std::string(LanguageCode(Language::kRu)));
  if (!ParseLanguage(c.language)) {
    std::string expected;
    for (const Language l : kAllLanguages) {
      expected += (expected.empty() ? "" : ", ") + std::string(LanguageCode(l));
    }
    return Problem("language", "unknown language '" + c.language + "' (expected: " + expected + ")");
  }
  auto area_list = Strings(o, "areas");
  if (!area_list) return tl::unexpected(area_list.error());
  if (area_list->empty()) return Problem("areas", "a contact needs at least one area");
  for (std::size_t i = 0; i < area_list->size(); ++i) {
    if (areas.Find((*area_list)[i]) == nullptr) {
      return Problem(Indexed("areas", i),
                     "unknown area code '" + (*area_list)[i] + "' (see GET /v1/areas)");
    }
  }
  c.areas = std::move(*area_list);
  auto severity = Text(o, "min_severity", "min_severity", false);
  if (!severity) return tl::unexpected(severity.error());
  if (*severity) {
    auto parsed_severity = ParseSeverity(**severity);
    if (!parsed_severity) {
      return Problem("min_severity",
                     "unknown severity (expected: info, low, medium, high, critical)");
    }
    c.min_severity = *parsed_severity;
  }
  auto categories = Strings(o, "categories");
  if (!categories) return tl::unexpected(categories.error());
  c.categories = std::move(*categories);
  if (const json::value* q = o.if_contains("quiet_hours"); q != nullptr && !q->is_null()) {
    if (!q->is_object()) return Problem("quiet_hours", "must be {\"start\":\"HH:MM\",\"end\":\"HH:MM\"}");
    config::QuietHours quiet;
    for (const auto& [key, value] : q->as_object()) {
      if (key != "start" && key != "end") {
        return Problem("quiet_hours." + std::string(key), "unknown field (expected: start, end)");
      }
    }
    for (const char* key : {"start", "end"}) {
      const std::string field = std::string("quiet_hours.") + key;
      auto value = Text(q->as_object(), key, field, true);
      if (!value) return tl::unexpected(value.error());
      auto minutes = config::ParseClockMinutes(**value);
      if (!minutes) return Problem(field, "expected HH:MM (00:00..23:59)");
      (std::string_view(key) == "start" ? quiet.start_minute : quiet.end_minute) = *minutes;
    }
    if (quiet.start_minute == quiet.end_minute) {
      return Problem("quiet_hours", "start and end are equal");
    }
    c.quiet_hours = quiet;
  }
  const json::value* channels = o.if_contains("channels");
  if (channels == nullptr || !channels->is_array() || channels->as_array().empty()) {
    return Problem("channels", "a contact needs a list of at least one channel");
  }
  if (channels->as_array().size() > 10) return Problem("channels", "has more than 10 channels");
  std::size_t i = 0;
  for (const json::value& v : channels->as_array()) {
    auto ch = ChannelFromJson(v, Indexed("channels", i++), targets);
    if (!ch) return tl::unexpected(ch.error());
    c.channels.push_back(std::move(*ch));
  }
  return c;
}

std::string ContactToJson(const config::Contact& c) {
  json::object o{{"id", c.id},
                 {"name", c.name},
                 {"role", c.role},
                 {"language", c.language},
                 {"min_severity", SeverityName(c.min_severity)}};
  json::array areas;
  for (const auto& a : c.areas) areas.emplace_back(a);
  o["areas"] = std::move(areas);
  json::array categories;
  for (const auto& cat : c.categories) categories.emplace_back(cat);
  o["categories"] = std::move(categories);
  if (c.quiet_hours) {
    auto hhmm = [](int minutes) {
      std::string s(5, '0');
      s[0] = static_cast<char>('0' + minutes / 600);
      s[1] = static_cast<char>('0' + minutes / 60 % 10);
      s[2] = ':';
      s[3] = static_cast<char>('0' + minutes % 60 / 10);
      s[4] = static_cast<char>('0' + minutes % 10);
      return s;
    };
    o["quiet_hours"] = json::object{{"start", hhmm(c.quiet_hours->start_minute)},
                                    {"end", hhmm(c.quiet_hours->end_minute)}};
  }
  json::array channels;
  for (const auto& ch : c.channels) {
    json::object item{{"type", ch.type}};
    const std::optional<ChannelKind> kind = ParseChannel(ch.type);
    item[ContactAddressKey(kind.value_or(ChannelKind::kSms))] = ch.address;
    if (kind == ChannelKind::kWebhook && !ch.secret_env.empty()) {
      item["secret_env"] = ch.secret_env;
    }
    channels.push_back(std::move(item));
  }
  o["channels"] = std::move(channels);
  return ToJsonText(json::value(o));
}

AddressFilter WebhookFilter(const config::AlertsConfig& cfg) {
  std::vector<IpNetwork> allowed;
  for (const auto& cidr : cfg.allow_private_targets) {
    if (auto n = ParseIpNetwork(cidr)) allowed.push_back(*n);
  }
  return AddressFilter(std::move(allowed));
}

std::string ChannelProblem(const config::ContactChannel& channel,
                           const config::ChannelsConfig& channels) {
  const std::optional<ChannelKind> kind = ParseChannel(channel.type);
  if (!kind || !IsContactChannel(*kind)) return "unknown channel type '" + channel.type + "'";
  return ChannelFor(*kind).Problem(channel, channels);
}

std::vector<int> UsableChannels(const config::Contact& contact,
                                const config::ChannelsConfig& channels) {
  std::vector<int> out;
  for (std::size_t i = 0; i < contact.channels.size(); ++i) {
    if (ChannelProblem(contact.channels[i], channels).empty()) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::vector<std::string> ContactProblems(const config::Contact& contact,
                                         const config::ChannelsConfig& channels) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < contact.channels.size(); ++i) {
    std::string problem = ChannelProblem(contact.channels[i], channels);
    if (!problem.empty()) out.push_back(Indexed("channels", i) + ": " + problem);
  }
  if (UsableChannels(contact, channels).empty()) out.emplace_back("no usable channel");
  return out;
}

std::optional<TimeMs> QuietUntil(const config::Contact& contact, TimeMs now) {
  if (!contact.quiet_hours) return std::nullopt;
  constexpr TimeMs kDay = 24LL * 3600 * 1000;
  constexpr TimeMs kMinute = 60'000;
  const TimeMs local = now + kBishkekOffsetMs;
  TimeMs day_start = local / kDay * kDay;
  if (local < 0 && local % kDay != 0) day_start -= kDay;
  const TimeMs minute = (local - day_start) / kMinute;
  const int start = contact.quiet_hours->start_minute;
  const int end = contact.quiet_hours->end_minute;
  TimeMs end_local;
  if (start < end) {
    if (minute < start || minute >= end) return std::nullopt;
    end_local = day_start + end * kMinute;
  } else {  // spans midnight: [start, 24:00) and [00:00, end)
    if (minute >= start) {
      end_local = day_start + kDay + end * kMinute;
    } else if (minute < end) {
      end_local = day_start + end * kMinute;
    } else {
      return std::nullopt;
    }
  }
  return end_local - kBishkekOffsetMs;
}

bool WantsCategories(const config::Contact& contact, const std::vector<std::string>& categories) {
  if (contact.categories.empty()) return true;
  for (const auto& c : categories) {
    if (std::find(contact.categories.begin(), contact.categories.end(), c) !=
        contact.categories.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace sakchy::alerts
