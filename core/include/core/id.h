#pragma once
// Time-ordered identifiers (ULID: 48-bit milliseconds + 80 random bits, Crockford base32, 26 chars).
// Lexicographic order of ids is creation order, so RocksDB keys built from them scan by time.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace sakchy {

// Thread safety: Next() may be called concurrently. Ids from one generator are strictly increasing,
// also within one millisecond.
class IdGenerator {
 public:
  explicit IdGenerator(const Clock& clock);
  std::string Next();

 private:
  const Clock& clock_;
  std::mutex mu_;
  TimeMs last_ms_ = -1;
  std::uint64_t hi_ = 0;  // 16 random bits
  std::uint64_t lo_ = 0;  // 64 random bits
};

// True when `id` has the ULID shape (26 Crockford base32 characters).
bool IsValidId(std::string_view id);
// Milliseconds encoded in a ULID; std::nullopt when not a ULID.
std::optional<TimeMs> IdTime(std::string_view id);
// The smallest ULID of millisecond `t` (clamped to 0 .. 2^48 - 1): every id made at t or later
// sorts at or after it, every earlier one before it.
std::string IdLowerBound(TimeMs t);

}  // namespace sakchy
