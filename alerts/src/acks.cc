#include "alerts/acks.h"

#include <boost/json.hpp>

#include <cctype>

#include "core/json_text.h"

namespace sakchy::alerts {
namespace json = boost::json;

std::string AckKey(const Ack& ack) {
  std::string key = ack.group_key;
  key.push_back('\0');
  key += ack.id;
  return key;
}

std::string EncodeAck(const Ack& ack) {
  json::object o{{"id", ack.id},       {"group_key", ack.group_key}, {"alert_id", ack.alert_id},
                 {"contact_id", ack.contact_id}, {"actor", ack.actor}, {"via", ack.via},
                 {"note", ack.note},   {"at", ack.at}};
  return ToJsonText(json::value(o));
}

Result<Ack> DecodeAck(std::string_view value) {
  boost::system::error_code ec;
  json::value v = json::parse(value, ec);
  if (ec || !v.is_object()) return MakeError(ErrorCode::kCorruption, "ack record is not JSON");
  const json::object& o = v.as_object();
  Ack ack;
  auto str = [&](const char* key, std::string& out) {
    const json::value* f = o.if_contains(key);
    if (f == nullptr || !f->is_string()) return false;
    out = std::string(f->as_string());
    return true;
  };
  const json::value* at = o.if_contains("at");
  if (!str("id", ack.id) || !str("group_key", ack.group_key) || !str("alert_id", ack.alert_id) ||
      !str("contact_id", ack.contact_id) || !str("actor", ack.actor) || !str("via", ack.via) ||
      !str("note", ack.note) || at == nullptr || !at->is_int64()) {
    return MakeError(ErrorCode::kCorruption, "ack record misses fields");
  }
  ack.at = at->as_int64();
  return ack;
}

std::optional<std::string> ParseSmsAck(std::string_view text) {
  auto skip_space = [&] {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    }
  };
  skip_space();
  if (text.size() < 2) return std::nullopt;
  const char o = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  const char k = static_cast<char>(std::tolower(static_cast<unsigned char>(text[1])));
  if (o != 'o' || k != 'k') return std::nullopt;
  text.remove_prefix(2);
  skip_space();
  std::string code;
  while (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
    code += text.front();
    text.remove_prefix(1);
  }
  skip_space();
  if (code.size() != 4 || !text.empty()) return std::nullopt;
  return code;
}

std::optional<std::pair<std::string, std::string>> ParseAckCallback(std::string_view data) {
  if (!data.starts_with("ack:")) return std::nullopt;
  data.remove_prefix(4);
  const auto colon = data.find(':');
  if (colon != 4) return std::nullopt;
  const std::string code(data.substr(0, 4));
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const std::string id(data.substr(5));
  if (id.size() != 26) return std::nullopt;
  return std::make_pair(code, id);
}

}  // namespace sakchy::alerts
