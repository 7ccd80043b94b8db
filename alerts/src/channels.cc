#include "channels.h"

#include <boost/json.hpp>

#include "core/json_text.h"

namespace sakchy::alerts {

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string WithRecipient(std::string_view payload,
                          const std::vector<std::pair<std::string, std::string>>& fields) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value parsed = json::parse(payload, ec);
  json::object body;
  if (!ec && parsed.is_object()) {
    body = std::move(parsed.as_object());
  } else {
    body["text"] = payload;
  }
  for (const auto& [key, value] : fields) body[key] = value;
  return ToJsonText(json::value(body));
}

}  // namespace sakchy::alerts
