#pragma once
// Time: an injectable clock and RFC 3339 conversions.

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace sakchy {

// Source of the current time. Every timer and timestamp goes through a Clock so tests control time.
// Thread safety: implementations are safe to call concurrently.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
};

// Wall-clock time (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override;
  static SystemClock& Instance();
};

// A clock tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 0) : now_(start) {}
  TimeMs NowMs() const override { return now_.load(); }
  void Set(TimeMs t) { now_.store(t); }
  void Advance(TimeMs d) { now_.fetch_add(d); }

 private:
  std::atomic<TimeMs> now_;
};

// Parses an RFC 3339 timestamp ("2024-06-01T12:00:00Z", "2024-06-01T18:00:00.250+06:00").
// std::nullopt when malformed.
std::optional<TimeMs> ParseRfc3339(std::string_view text);
// Formats as "2024-06-01T12:00:00.250Z" (UTC, milliseconds).
std::string FormatRfc3339(TimeMs t);

}  // namespace sakchy
