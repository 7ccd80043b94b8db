#include "ingest/validation.h"

#include <simdjson.h>

#include "core/utf8.h"

namespace sakchy::ingest {
namespace {

bool IsBlank(std::string_view s) {
  for (unsigned char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
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
  if (limits.now != 0 && report.observed_at != 0) {
    const TimeMs earliest = limits.now - limits.observed.max_past_ms;
    const TimeMs latest = limits.now + limits.observed.max_future_ms;
    if (report.observed_at < earliest || report.observed_at > latest) {
      return FieldError{"observed_at", "is " + FormatRfc3339(report.observed_at) +
                                           "; it must lie between " + FormatRfc3339(earliest) +
                                           " and " + FormatRfc3339(latest) +
                                           " (the time of receipt minus " +
                                           std::to_string(limits.observed.max_past_ms / 1000) +
                                           " s, plus " +
                                           std::to_string(limits.observed.max_future_ms / 1000) +
                                           " s)"};
    }
  }
  return std::nullopt;
}

bool ClampObservedAt(Report& report, TimeMs now, const ObservedWindow& window) {
  if (report.observed_at == 0) return false;
  const TimeMs earliest = now - window.max_past_ms;
  const TimeMs latest = now + window.max_future_ms;
  if (report.observed_at < earliest) {
    report.observed_at = earliest;
    return true;
  }
  if (report.observed_at > latest) {
    report.observed_at = latest;
    return true;
  }
  return false;
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
