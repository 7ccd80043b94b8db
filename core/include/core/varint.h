#pragma once
// Building blocks of the small versioned binary values the modules above storage keep in record
// tables: LEB128 varints, zig-zag signed varints, length-prefixed strings, fixed-width integers,
// and a bounds-checked reader that never throws and never over-allocates.
// Header-only. Thread safety: free functions and a reader on caller-owned data.

#include <cstdint>
#include <string>
#include <string_view>

namespace sakchy::varint {

inline void Put(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline void PutSigned(std::string& out, std::int64_t v) {
  Put(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
inline void PutFixed64(std::string& out, std::uint64_t v) {  // little-endian
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void PutString(std::string& out, std::string_view s) {
  Put(out, s.size());
  out.append(s);
}
// Big-endian, so that keys sort numerically; a signed value has its sign bit flipped first so
// that negative values sort before positive ones.
inline void PutKey64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void PutKeySigned(std::string& out, std::int64_t v) {
  PutKey64(out, static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63));
}
inline bool ReadKey64(std::string_view in, std::uint64_t* v) {
  if (in.size() < 8) return false;
  std::uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = (x << 8) | static_cast<std::uint8_t>(in[i]);
  *v = x;
  return true;
}
inline bool ReadKeySigned(std::string_view in, std::int64_t* v) {
  std::uint64_t x = 0;
  if (!ReadKey64(in, &x)) return false;
  *v = static_cast<std::int64_t>(x ^ (std::uint64_t{1} << 63));
  return true;
}

// Reads what the Put functions wrote. After the first error every read returns 0 or empty and
// ok() stays false.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }

  std::uint64_t Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      auto b = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  std::int64_t Signed() {
    std::uint64_t u = Varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::uint8_t Byte() {
    if (pos_ >= in_.size()) return static_cast<std::uint8_t>(Fail());
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint64_t Fixed64() {
    if (in_.size() - pos_ < 8) return Fail();
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return v;
  }
  std::string_view Bytes(std::size_t n) {
    if (n > in_.size() - pos_) {
      Fail();
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string String() {
    std::uint64_t n = Varint();
    if (!ok_) return {};
    return std::string(Bytes(n));
  }
  // A count of elements that each take at least one byte (so a corrupt count cannot make the
  // caller allocate more than the input's size).
  std::uint64_t Count() {
    std::uint64_t n = Varint();
    if (n > in_.size() - pos_) return Fail();
    return n;
  }

 private:
  std::uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace sakchy::varint
