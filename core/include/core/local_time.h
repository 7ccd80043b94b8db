#pragma once
// Kyrgyzstan's local time for display and day buckets: Asia/Bishkek is UTC+06:00 all year (no
// daylight saving since 2005), so a fixed offset is exact for every time the service stores.
// Header-only; thread-safe (pure functions).

#include <cstdint>
#include <string>

#include "core/types.h"

namespace sakchy {

inline constexpr TimeMs kBishkekUtcOffsetMs = 6LL * 3600 * 1000;
inline constexpr const char* kBishkekTimeZone = "Asia/Bishkek";

// Appends `t` as RFC 3339 / ISO 8601 in Asia/Bishkek time: "2026-11-25T14:00:00+06:00", with
// ".250" milliseconds only when they are not zero.
inline void AppendLocalTime(std::string& out, TimeMs t) {
  const TimeMs local = t + kBishkekUtcOffsetMs;
  TimeMs days = local / 86'400'000;
  TimeMs ms_of_day = local % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    --days;
  }
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  const auto ms = static_cast<unsigned>(ms_of_day % 1000);
  const auto s = static_cast<unsigned>(ms_of_day / 1000 % 60);
  const auto mi = static_cast<unsigned>(ms_of_day / 60'000 % 60);
  const auto h = static_cast<unsigned>(ms_of_day / 3'600'000);
  char buf[40];
  char* p = buf;
  auto two = [&p](unsigned v) {
    *p++ = static_cast<char>('0' + v / 10);
    *p++ = static_cast<char>('0' + v % 10);
  };
  if (y >= 0 && y <= 9999) {
    const auto yy = static_cast<unsigned>(y);
    two(yy / 100);
    two(yy % 100);
  } else {
    out += std::to_string(y);  // outside RFC 3339's range; still readable
  }
  *p++ = '-';
  two(m);
  *p++ = '-';
  two(d);
  *p++ = 'T';
  two(h);
  *p++ = ':';
  two(mi);
  *p++ = ':';
  two(s);
  if (ms != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + ms / 100);
    two(ms % 100);
  }
  for (const char* z6 = "+06:00"; *z6; ++z6) *p++ = *z6;
  out.append(buf, static_cast<std::size_t>(p - buf));
}

inline std::string FormatLocalTime(TimeMs t) {
  std::string out;
  AppendLocalTime(out, t);
  return out;
}

}  // namespace sakchy
