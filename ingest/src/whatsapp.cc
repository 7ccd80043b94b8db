#include "ingest/whatsapp.h"

#include <simdjson.h>

#include <cctype>
#include <charconv>

#include "core/crypto.h"
#include "core/utf8.h"

namespace sakchy::ingest {
namespace {

using simdjson::dom::element;

constexpr std::int64_t kMinTs = 946684800;   // 2000-01-01T00:00:00Z
constexpr std::int64_t kMaxTs = 4102444800;  // 2100-01-01T00:00:00Z
constexpr std::size_t kMaxIdBytes = 200;

std::optional<element> Member(element obj, std::string_view key) {
  element value;
  if (obj.type() != simdjson::dom::element_type::OBJECT) return std::nullopt;
  if (obj[key].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

std::string Str(element obj, std::string_view key) {
  auto v = Member(obj, key);
  std::string_view s;
  if (!v || v->get_string().get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

std::vector<element> Array(element obj, std::string_view key) {
  std::vector<element> out;
  auto v = Member(obj, key);
  simdjson::dom::array arr;
  if (!v || v->get_array().get(arr) != simdjson::SUCCESS) return out;
  for (element e : arr) out.push_back(e);
  return out;
}

std::string Digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

bool PrintableId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

std::optional<WhatsAppMessage> ToMessage(element m, const WhatsAppSettings& settings) {
  const std::string from = Str(m, "from");
  const std::string id = Str(m, "id");
  if (from.empty() || !PrintableId(id)) return std::nullopt;
  WhatsAppMessage out;
  Report& r = out.report;
  r.channel = "whatsapp";
  r.source_ref = "wa:" + id;
  r.submitted_by = WhatsAppSenderPseudonym(settings.pseudonym_key, from);
  r.reply_address = Digits(from);
  if (settings.follow_up_window_ms > 0) {
    r.thread_key = r.submitted_by;
    r.thread_window_ms = settings.follow_up_window_ms;
  }
  const std::string ts = Str(m, "timestamp");
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), seconds);
  if (ec == std::errc() && end == ts.data() + ts.size() && seconds >= kMinTs && seconds < kMaxTs) {
    r.observed_at = seconds * 1000;
  }
  std::string type = Str(m, "type");
  if (type.empty()) type = "unknown";
  if (type == "text") {
    if (auto text = Member(m, "text")) r.text = Str(*text, "body");
    if (!IsValidUtf8(r.text)) r.text.clear();
    bool blank = true;
    for (unsigned char c : r.text) blank = blank && std::isspace(c) != 0;
    if (blank) {
      r.text.clear();
      out.media_type = "empty";
    }
  } else {
    out.media_type = type.substr(0, 32);
  }
  // The type is kept with the report: its source_ref says what it was ("wa:<id>:image").
  if (!out.media_type.empty()) r.source_ref += ":" + out.media_type;
  return out;
}

}  // namespace

std::string WhatsAppSenderPseudonym(std::string_view key, std::string_view wa_id) {
  return "whatsapp:" + HmacSha256Hex(key, "+" + Digits(wa_id)).substr(0, 16);
}

Result<std::string> WhatsAppHandshake(const std::map<std::string, std::string>& query,
                                      std::string_view verify_token) {
  auto get = [&](const char* name) -> std::string {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  if (get("hub.mode") != "subscribe") {
    return MakeError(ErrorCode::kInvalidArgument, "hub.mode must be 'subscribe'");
  }
  const std::string token = get("hub.verify_token");
  if (verify_token.empty() || token.empty() ||
      !ConstantTimeEquals(Sha256Hex(token), Sha256Hex(verify_token))) {
    return MakeError(ErrorCode::kUnauthenticated, "wrong or missing hub.verify_token");
  }
  std::string challenge = get("hub.challenge");
  if (challenge.empty() || challenge.size() > 256 || !IsValidUtf8(challenge)) {
    return MakeError(ErrorCode::kInvalidArgument, "missing hub.challenge");
  }
  return challenge;
}

Status VerifyWhatsAppSignature(std::string_view header, std::string_view body,
                               std::string_view app_secret) {
  if (app_secret.empty()) {
    return MakeError(ErrorCode::kUnauthenticated, "no WhatsApp app secret is configured");
  }
  if (header.empty()) return MakeError(ErrorCode::kUnauthenticated, "missing X-Hub-Signature-256");
  constexpr std::string_view kPrefix = "sha256=";
  if (!header.starts_with(kPrefix) || header.size() != kPrefix.size() + 64) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "X-Hub-Signature-256 must be 'sha256=' and 64 hex digits");
  }
  std::string given(header.substr(kPrefix.size()));
  for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!ConstantTimeEquals(given, HmacSha256Hex(app_secret, body))) {
    return MakeError(ErrorCode::kUnauthenticated, "X-Hub-Signature-256 does not match the body");
  }
  return OkStatus();
}

Result<WhatsAppWebhook> ParseWhatsAppWebhook(std::string_view body,
                                             const WhatsAppSettings& settings) {
  if (settings.pseudonym_key.empty()) {
    return MakeError(ErrorCode::kInternal, "no pseudonym key for WhatsApp senders is configured");
  }
  simdjson::dom::parser parser;
  element doc;
  const simdjson::padded_string padded(body);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS ||
      doc.type() != simdjson::dom::element_type::OBJECT) {
    return MakeError(ErrorCode::kInvalidArgument, "the body is not a JSON object");
  }
  if (Str(doc, "object") != "whatsapp_business_account") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "expected \"object\":\"whatsapp_business_account\"");
  }
  WhatsAppWebhook out;
  for (element entry : Array(doc, "entry")) {
    for (element change : Array(entry, "changes")) {
      if (Str(change, "field") != "messages") continue;
      auto value = Member(change, "value");
      if (!value) continue;
      for (element m : Array(*value, "messages")) {
        if (auto msg = ToMessage(m, settings)) out.messages.push_back(std::move(*msg));
      }
      for (element s : Array(*value, "statuses")) {
        WhatsAppStatus st;
        st.message_id = Str(s, "id");
        st.status = Str(s, "status");
        st.alert_id = Str(s, "biz_opaque_callback_data");
        for (element e : Array(s, "errors")) {
          std::int64_t code = 0;
          if (auto c = Member(e, "code"); c && c->get_int64().get(code) != simdjson::SUCCESS) {
            code = 0;
          }
          st.error = std::to_string(code) + ": " + Str(e, "title").substr(0, 120);
          break;
        }
        if (st.message_id.empty() || st.status.empty()) continue;
        out.statuses.push_back(std::move(st));
      }
    }
  }
  return out;
}

}  // namespace sakchy::ingest
