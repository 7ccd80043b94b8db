#include "core/id.h"

#include <random>

#include "core/crypto.h"
#include "core/key_id.h"

namespace sakchy {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int DecodeChar(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

// 128 bits: 48 time | 16 hi | 64 lo -> 26 chars of 5 bits (130 bits, top 2 zero).
std::string Encode(TimeMs ms, std::uint64_t hi, std::uint64_t lo) {
  std::string out(26, '0');
  std::uint64_t t = static_cast<std::uint64_t>(ms) & 0xFFFFFFFFFFFFULL;
  // First 10 chars: 50 bits of time (top 2 bits zero).
  for (int i = 9; i >= 0; --i) {
    out[i] = kAlphabet[t & 31];
    t >>= 5;
  }
  // Last 16 chars: 80 bits of randomness (hi 16 bits, lo 64 bits).
  for (int k = 0; k < 16; ++k) {  // 5-bit group k of the 80-bit number hi:lo
    const int bit = 5 * k;
    std::uint64_t v;
    if (bit + 5 <= 64) {
      v = lo >> bit;
    } else if (bit >= 64) {
      v = hi >> (bit - 64);
    } else {
      v = (lo >> bit) | (hi << (64 - bit));
    }
    out[25 - k] = kAlphabet[v & 31];
  }
  return out;
}
}  // namespace

IdGenerator::IdGenerator(const Clock& clock) : clock_(clock) {}

std::string IdGenerator::Next() {
  std::uint64_t hi, lo;
  TimeMs ms;
  {
    std::lock_guard lock(mu_);
    ms = clock_.NowMs();
    if (ms <= last_ms_) {
      ms = last_ms_;
      // Monotonic within one millisecond: increment the 80-bit random part.
      if (++lo_ == 0) hi_ = (hi_ + 1) & 0xFFFF;
    } else {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      last_ms_ = ms;
      hi_ = rng() & 0x7FFF;  // leave headroom for increments
      lo_ = rng();
    }
    hi = hi_;
    lo = lo_;
  }
  return Encode(ms, hi, lo);
}

std::string IdFromKey(TimeMs t, std::string_view key) {
  constexpr TimeMs kMax = (TimeMs{1} << 48) - 1;
  const TimeMs ms = t < 0 ? 0 : (t > kMax ? kMax : t);
  const std::string hex = Sha256Hex(key);  // 80 bits: 4 + 16 hex digits
  const std::uint64_t hi = std::stoull(hex.substr(0, 4), nullptr, 16);
  const std::uint64_t lo = std::stoull(hex.substr(4, 16), nullptr, 16);
  return Encode(ms, hi, lo);
}

bool IsValidId(std::string_view id) {
  if (id.size() != 26) return false;
  for (char c : id) {
    if (DecodeChar(c) < 0) return false;
  }
  return id[0] <= '7';
}

std::optional<TimeMs> IdTime(std::string_view id) {
  if (!IsValidId(id)) return std::nullopt;
  std::uint64_t t = 0;
  for (int i = 0; i < 10; ++i) t = (t << 5) | static_cast<std::uint64_t>(DecodeChar(id[i]));
  return static_cast<TimeMs>(t);
}

std::string IdLowerBound(TimeMs t) {
  constexpr TimeMs kMax = (TimeMs{1} << 48) - 1;
  auto ms = static_cast<std::uint64_t>(t < 0 ? 0 : (t > kMax ? kMax : t));
  std::string id(26, '0');
  for (int i = 9; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  return id;
}

}  // namespace sakchy
