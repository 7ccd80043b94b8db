#pragma once
// Validation of a report's fields, shared by every intake channel.

#include <optional>
#include <string>
#include <string_view>

#include "config/areas.h"
#include "core/types.h"

namespace sakchy::ingest {

// A field and what is wrong with it, phrased for the person who sent it.
struct FieldError {
  std::string field;
  std::string problem;
};

struct ValidationLimits {
  std::size_t max_text_bytes = 16384;
};

// Checks text (valid UTF-8, not blank: only Unicode spaces, zero-width characters or blank
// fillers count as blank; at most max_text_bytes), area (known code), source_ref (<= 256 bytes,
// printable). std::nullopt when the report is acceptable.
std::optional<FieldError> ValidateReport(const Report& report, const config::AreaTree& areas,
                                         const ValidationLimits& limits);

// Makes a pulled text acceptable instead of rejecting it (a feed cannot be asked to resend):
// invalid UTF-8 sequences become U+FFFD, and text beyond `max_bytes` is cut at a character
// boundary. Returns true when it changed anything.
bool SanitizeText(std::string& text, std::size_t max_bytes);

}  // namespace sakchy::ingest
