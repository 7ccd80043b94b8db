#include "ingest/validation.h"

#include <simdjson.h>

#include <cstdint>

#include "core/utf8.h"

namespace sakchy::ingest {
namespace {

// Code points that show nothing: Unicode White_Space, the zero-width format characters, and the
// blank "fillers" (Hangul, Braille) pasted to pass for text.
bool IsInvisible(std::uint32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp >= 0x2000 && cp <= 0x200F) return true;  // spaces, ZWSP, ZWNJ, ZWJ, LRM, RLM
  switch (cp) {
    case 0x85: case 0xA0: case 0xAD: case 0x115F: case 0x1160: case 0x1680: case 0x180E:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x2060: case 0x2800:
    case 0x3000: case 0x3164: case 0xFEFF: case 0xFFA0:
      return true;
    default:
      return false;
  }
}

// True when `s` (valid UTF-8) has no visible character.
bool IsBlank(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = b;
    std::size_t n = 1;
    if (b >= 0xF0) {
      cp = b & 0x07u;
      n = 4;
    } else if (b >= 0xE0) {
      cp = b & 0x0Fu;
      n = 3;
    } else if (b >= 0xC0) {
      cp = b & 0x1Fu;
      n = 2;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    }
    if (!IsInvisible(cp)) return false;
    i += n;
  }
  return true;
}

}  // namespace

std::optional<FieldError> ValidateReport(const Report& report, const config::AreaTree& areas,
                                         const ValidationLimits& limits) {
  // simdjson's SIMD check first; the byte scan only names the offset.
  if (!simdjson::validate_utf8(report.text.data(), report.text.size())) {
    if (auto bad = FindInvalidUtf8(report.text)) {
      return FieldError{"text", "is not valid UTF-8 (invalid byte sequence at offset " +
                                    std::to_string(*bad) + ")"};
    }
  }
  if (IsBlank(report.text)) return FieldError{"text", "must not be empty"};
  if (report.text.size() > limits.max_text_bytes) {
    return FieldError{"text", "is " + std::to_string(report.text.size()) +
                                  " bytes; the limit is " + std::to_string(limits.max_text_bytes) +
                                  " bytes"};
  }
  if (report.area && !areas.Find(*report.area)) {
    return FieldError{"area", "unknown area code '" + *report.area + "' (see GET /v1/areas)"};
  }
  if (report.source_ref.size() > 256) {
    return FieldError{"source_ref", "is longer than 256 bytes"};
  }
  if (!simdjson::validate_utf8(report.source_ref.data(), report.source_ref.size())) {
    return FieldError{"source_ref", "is not valid UTF-8"};
  }
  for (unsigned char c : report.source_ref) {
    if (c < 0x20 || c == 0x7F) return FieldError{"source_ref", "contains control characters"};
  }
  return std::nullopt;
}

bool SanitizeText(std::string& text, std::size_t max_bytes) {
  bool changed = false;
  if (FindInvalidUtf8(text)) {
    std::string out;
    out.reserve(text.size() + 16);
    std::string_view rest = text;
    while (!rest.empty()) {
      auto bad = FindInvalidUtf8(rest);
      if (!bad) {
        out.append(rest);
        break;
      }
      out.append(rest.substr(0, *bad));
      out.append("\xEF\xBF\xBD");  // U+FFFD
      rest.remove_prefix(*bad + 1);
    }
    text = std::move(out);
    changed = true;
  }
  if (text.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    changed = true;
  }
  return changed;
}

}  // namespace sakchy::ingest
