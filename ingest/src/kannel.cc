#include "ingest/kannel.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "core/crypto.h"
#include "core/utf8.h"

namespace sakchy::ingest {
namespace {

constexpr std::size_t kMaxIdBytes = 200;     // "kannel:" + id stays within source_ref's 256 bytes
constexpr std::int64_t kMinTs = 946684800;   // 2000-01-01T00:00:00Z
constexpr std::int64_t kMaxTs = 4102444800;  // 2100-01-01T00:00:00Z

const std::string* Find(const std::map<std::string, std::string>& params, const char* name) {
  auto it = params.find(name);
  return it == params.end() ? nullptr : &it->second;
}

tl::unexpected<Error> Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}


int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHexText(std::string_view s) {
  return !s.empty() && s.size() % 4 == 0 &&
         std::all_of(s.begin(), s.end(), [](char c) { return HexValue(c) >= 0; });
}

std::string HexDecode(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(HexValue(hex[i]) * 16 + HexValue(hex[i + 1]));
  }
  return out;
}

// UTF-16 (big-endian unless a byte-order mark says otherwise) to UTF-8.
Result<std::string> DecodeUtf16(std::string_view bytes) {
  if (bytes.size() % 2 != 0) {
    return Invalid("text is not valid UCS-2 (odd number of bytes: " + std::to_string(bytes.size()) +
                   ")");
  }
  bool little_endian = false;
  std::size_t i = 0;
  auto unit_at = [&](std::size_t k) -> std::uint32_t {
    const auto a = static_cast<unsigned char>(bytes[k]);
    const auto b = static_cast<unsigned char>(bytes[k + 1]);
    return little_endian ? (b << 8 | a) : (a << 8 | b);
  };
  if (bytes.size() >= 2) {
    const auto first = unit_at(0);
    if (first == 0xFEFF) {
      i = 2;
    } else if (first == 0xFFFE) {
      little_endian = true;
      i = 2;
    }
  }
  std::string out;
  out.reserve(bytes.size() * 3 / 2);
  for (; i < bytes.size(); i += 2) {
    std::uint32_t cp = unit_at(i);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 3 >= bytes.size() || unit_at(i + 2) < 0xDC00 || unit_at(i + 2) > 0xDFFF) {
        return Invalid("text is not valid UCS-2 (unpaired surrogate at byte " + std::to_string(i) +
                       ")");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (unit_at(i + 2) - 0xDC00);
      i += 2;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return Invalid("text is not valid UCS-2 (unpaired surrogate at byte " + std::to_string(i) +
                     ")");
    }
    AppendUtf8(out, cp);
  }
  return out;
}

std::string DecodeLatin1(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) AppendUtf8(out, c);
  return out;
}

Result<std::string> CheckUtf8(std::string text) {
  if (auto bad = FindInvalidUtf8(text)) {
    return Invalid("text is not valid UTF-8 (byte " + std::to_string(*bad) + ")");
  }
  return text;
}

// Decodes `raw` (already percent-decoded) according to Kannel's coding (%c) and charset (%C).
Result<std::string> DecodeText(const std::string& raw, const std::string* coding_param,
                               const std::string* charset_param) {
  const std::string coding = coding_param ? *coding_param : "";
  if (!coding.empty() && coding != "0" && coding != "1" && coding != "2") {
    return Invalid("parameter 'coding' must be 0, 1 or 2, got '" + coding.substr(0, 16) + "'");
  }
  if (coding == "1") return Invalid("binary SMS (coding=1) are not supported");
  std::string charset = charset_param ? Lower(*charset_param) : "";
  if (charset == "utf8") charset = "utf-8";
  const bool utf16_charset = charset == "utf-16be" || charset == "utf-16" || charset == "ucs-2" ||
                             charset == "ucs2" || charset == "ucs-2be" || charset == "unicode";
  if (coding == "2" && charset != "utf-8") {
    // smsbox without mo-recode: UCS-2 bytes, sometimes forwarded as hex digits.
    return DecodeUtf16(IsHexText(raw) ? HexDecode(raw) : std::string_view(raw));
  }
  if (utf16_charset) return DecodeUtf16(IsHexText(raw) ? HexDecode(raw) : std::string_view(raw));
  if (charset.empty() || charset == "utf-8") return CheckUtf8(raw);
  if (charset == "iso-8859-1" || charset == "latin1" || charset == "iso8859-1") {
    return DecodeLatin1(raw);
  }
  return Invalid("unsupported charset '" + charset.substr(0, 32) +
                 "' (expected UTF-8, UTF-16BE, UCS-2 or ISO-8859-1)");
}

// Address bytes (4 for IPv4, including IPv4-mapped IPv6; 16 for IPv6), or empty.
std::string ParseAddress(std::string_view text) {
  const std::string s(text);
  std::array<unsigned char, 16> buf{};
  if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
    return std::string(reinterpret_cast<const char*>(buf.data()), 4);
  }
  if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::equal(buf.begin(), buf.begin() + 12, kMapped)) {
      return std::string(reinterpret_cast<const char*>(buf.data()) + 12, 4);
    }
    return std::string(reinterpret_cast<const char*>(buf.data()), 16);
  }
  return "";
}

bool Matches(const std::string& addr, std::string_view pattern) {
  std::size_t prefix_bits = addr.size() * 8;
  const auto slash = pattern.find('/');
  const std::string net = ParseAddress(pattern.substr(0, slash));
  if (net.empty() || net.size() != addr.size()) return false;
  if (slash != std::string_view::npos) {
    const auto bits = pattern.substr(slash + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() ||
        value > addr.size() * 8) {
      return false;
    }
    prefix_bits = value;
  }
  for (std::size_t i = 0; i < addr.size() && prefix_bits > 0; ++i) {
    const unsigned take = prefix_bits >= 8 ? 8 : static_cast<unsigned>(prefix_bits);
    const auto mask = static_cast<unsigned char>(0xFF00u >> take);
    if ((static_cast<unsigned char>(addr[i]) & mask) !=
        (static_cast<unsigned char>(net[i]) & mask)) {
      return false;
    }
    prefix_bits -= take;
  }
  return true;
}

bool IsPrintableId(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 0x20 && c < 0x7F; });
}

}  // namespace

std::optional<std::string> NormalizePhoneNumber(std::string_view raw,
                                                std::string_view default_country_code) {
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (std::isdigit(c)) {
      digits += static_cast<char>(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.') {
      continue;
    } else {
      return std::nullopt;  // letters: an alphanumeric sender id
    }
  }
  if (!plus) {
    if (digits.starts_with("00")) {
      digits.erase(0, 2);
    } else if (digits.size() == 10 && digits.starts_with("0") && !default_country_code.empty()) {
      digits = std::string(default_country_code) + digits.substr(1);
    }
  }
  if (digits.size() < 8 || digits.size() > 15 || digits.starts_with("0")) return std::nullopt;
  return "+" + digits;
}

std::string SmsSenderPseudonym(std::string_view key, std::string_view sender) {
  return "sms:" + HmacSha256Hex(key, sender).substr(0, 16);
}

bool IpAllowed(std::string_view ip, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  const std::string addr = ParseAddress(ip);
  if (addr.empty()) return false;
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& pattern) { return Matches(addr, pattern); });
}

Result<Report> ParseKannelMo(const std::map<std::string, std::string>& params,
                             std::string_view remote_ip, const KannelSettings& settings) {
  if (!IpAllowed(remote_ip, settings.allowed_ips)) {
    return MakeError(ErrorCode::kUnauthenticated, "remote address " +
                                                      std::string(remote_ip.substr(0, 64)) +
                                                      " is not in sms.kannel.allowed_ips");
  }
  if (settings.secret.empty()) {
    return MakeError(ErrorCode::kUnauthenticated, "no Kannel secret is configured");
  }
  const std::string* secret = Find(params, "secret");
  if (secret == nullptr || secret->empty()) {
    return MakeError(ErrorCode::kUnauthenticated, "missing parameter 'secret'");
  }
  // Hash both sides so neither the content nor the length of the secret leaks through timing.
  if (!ConstantTimeEquals(Sha256Hex(*secret), Sha256Hex(settings.secret))) {
    return MakeError(ErrorCode::kUnauthenticated, "bad secret");
  }

  const std::string* id = Find(params, "id");
  const std::string* from = Find(params, "from");
  const std::string* text = Find(params, "text");
  if (id == nullptr || id->empty()) return Invalid("missing parameter 'id'");
  if (from == nullptr || IsBlank(*from)) return Invalid("missing parameter 'from'");
  if (text == nullptr) return Invalid("missing parameter 'text'");
  if (id->size() > kMaxIdBytes) {
    return Invalid("parameter 'id' is longer than " + std::to_string(kMaxIdBytes) + " bytes");
  }
  if (!IsPrintableId(*id)) {
    return Invalid("parameter 'id' must be printable ASCII without spaces");
  }

  auto decoded = DecodeText(*text, Find(params, "coding"), Find(params, "charset"));
  if (!decoded) return tl::unexpected(decoded.error());
  if (IsBlank(*decoded)) return Invalid("empty text");

  Report report;
  report.text = std::move(*decoded);
  report.channel = "sms";
  report.source_ref = "kannel:" + *id;

  const auto number = NormalizePhoneNumber(*from, settings.default_country_code);
  if (number) report.reply_address = *number;  // transient: for a reply, never stored
  if (settings.keep_raw_numbers) {
    if (number) {
      report.submitted_by = "sms:" + *number;
    } else if (IsValidUtf8(*from)) {
      report.submitted_by = "sms:" + from->substr(0, 64);
    } else {
      return Invalid("parameter 'from' is not valid UTF-8");
    }
  } else {
    if (settings.pseudonym_key.empty()) {
      return MakeError(ErrorCode::kInternal, "no pseudonym key for SMS senders is configured");
    }
    report.submitted_by = SmsSenderPseudonym(settings.pseudonym_key, number ? *number : *from);
  }
  if (settings.follow_up_window_ms > 0) {
    report.thread_key = report.submitted_by;
    report.thread_window_ms = settings.follow_up_window_ms;
  }

  if (const std::string* ts = Find(params, "ts")) {
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(ts->data(), ts->data() + ts->size(), seconds);
    if (ec == std::errc() && end == ts->data() + ts->size() && seconds >= kMinTs &&
        seconds < kMaxTs) {
      report.observed_at = seconds * 1000;
    }
  }
  return report;
}

}  // namespace sakchy::ingest
