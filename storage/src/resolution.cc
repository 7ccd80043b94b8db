#include <limits>

#include "core/local_time.h"
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
  // Days start at local midnight (Asia/Bishkek, UTC+6): the bucket grid is shifted by -6 h.
  const TimeMs shift = r == Resolution::kDay ? kBishkekUtcOffsetMs : 0;
  // Floor division (buckets of negative times start before them). Times within two buckets of
  // either end of TimeMs have no representable bucket start; they clamp to the nearest whole one.
  constexpr TimeMs kMin = std::numeric_limits<TimeMs>::min();
  constexpr TimeMs kMax = std::numeric_limits<TimeMs>::max();
  if (t < kMin + 2 * width) t = kMin + 2 * width;
  if (t > kMax - 2 * width) t = kMax - 2 * width;
  const TimeMs local = t + shift;
  TimeMs rem = local % width;
  if (rem < 0) rem += width;
  return local - rem - shift;
}

}  // namespace sakchy::storage
