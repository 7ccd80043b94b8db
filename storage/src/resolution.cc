#include <limits>

#include "storage/store.h"

namespace sakchy::storage {

std::string_view ResolutionName(Resolution r) {
  switch (r) {
    case Resolution::kMinute:
      return "minute";
    case Resolution::kHour:
      return "hour";
    case Resolution::kDay:
      return "day";
  }
  return "minute";
}

std::optional<Resolution> ParseResolution(std::string_view name) {
  if (name == "minute") return Resolution::kMinute;
  if (name == "hour") return Resolution::kHour;
  if (name == "day") return Resolution::kDay;
  return std::nullopt;
}

TimeMs ResolutionMs(Resolution r) {
  switch (r) {
    case Resolution::kMinute:
      return 60'000;
    case Resolution::kHour:
      return 3'600'000;
    case Resolution::kDay:
      return 86'400'000;
  }
  return 60'000;
}

TimeMs BucketStart(Resolution r, TimeMs t) {
  const TimeMs width = ResolutionMs(r);
  // Floor division (buckets of negative times start before them). Times within one bucket of the
  // smallest TimeMs have no representable bucket start; they clamp to the first whole bucket.
  constexpr TimeMs kMin = std::numeric_limits<TimeMs>::min();
  if (t < kMin + width) t = kMin + width;
  TimeMs rem = t % width;
  if (rem < 0) rem += width;
  return t - rem;
}

}  // namespace sakchy::storage
