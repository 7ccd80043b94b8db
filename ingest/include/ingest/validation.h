#pragma once
// Validation of a report's fields, shared by every intake channel.

#include <optional>
#include <string>
#include <string_view>

#include "config/areas.h"
#include "core/time.h"
#include "core/types.h"

namespace sakchy::ingest {

// A field and what is wrong with it, phrased for the person who sent it.
struct FieldError {
  std::string field;
  std::string problem;
};

// Where an observed_at may lie around the time of receipt `now` (config pipeline.observed_at_*).
struct ObservedWindow {
  TimeMs max_past_ms = 30LL * 24 * 3600 * 1000;
  TimeMs max_future_ms = 5LL * 60 * 1000;
};

struct ValidationLimits {
  std::size_t max_text_bytes = 16384;
  TimeMs now = 0;  // time of receipt; 0: observed_at is not checked
  ObservedWindow observed = {};
};

// Checks text (valid UTF-8, not blank: only Unicode spaces, zero-width characters or blank
// fillers count as blank; at most max_text_bytes), area (known code), source_ref (<= 256 bytes,
// printable) and, with limits.now, observed_at (0 = not given, else within limits.observed around
// now). std::nullopt when the report is acceptable.
std::optional<FieldError> ValidateReport(const Report& report, const config::AreaTree& areas,
                                         const ValidationLimits& limits);

// Makes a pulled text acceptable instead of rejecting it (a feed cannot be asked to resend):
// invalid UTF-8 sequences become U+FFFD, and text beyond `max_bytes` is cut at a character
// boundary. Returns true when it changed anything.
bool SanitizeText(std::string& text, std::size_t max_bytes);

// For intake that cannot be asked to resend (SMS, pulled items): an observed_at outside `window`
// around `now` is moved to the nearest edge (the source's time stays in published_at). Returns
// true when it moved it.
bool ClampObservedAt(Report& report, TimeMs now, const ObservedWindow& window);

}  // namespace sakchy::ingest
