#pragma once
// UTF-8: the one decoder and the one encoder of the project.
//
// Decoding contract (all functions below): a well-formed sequence is at most 4 bytes, not
// overlong, not a surrogate (U+D800..U+DFFF) and at most U+10FFFF. Anything else is ill-formed;
// lenient readers (DecodeUtf8) turn each ill-formed *byte* into U+FFFD and move on by one byte.
// Encoding contract: AppendUtf8 writes surrogates and values above U+10FFFF as U+FFFD.
// All functions are pure and thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sakchy {

inline constexpr char32_t kUtf8Replacement = 0xFFFD;

// Length (1..4) of the well-formed sequence starting at s[pos] with its code point in `cp`;
// 0 (and `cp` untouched) when the sequence there is ill-formed or cut off. Requires pos < size.
std::size_t DecodeUtf8Sequence(std::string_view s, std::size_t pos, char32_t& cp);

// Decodes one code point at `pos` and advances `pos` past it; an ill-formed byte gives U+FFFD
// and advances by one byte. Requires pos < s.size(). ASCII and 2-byte sequences are inline (the
// classifier's hot loops call this once per character).
inline char32_t DecodeUtf8(std::string_view s, std::size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  if (b0 - 0xC2u < 0x1Eu && pos + 1 < s.size() &&
      (static_cast<unsigned char>(s[pos + 1]) & 0xC0) == 0x80) {
    const char32_t c =
        (static_cast<char32_t>(b0 & 0x1F) << 6) | (static_cast<unsigned char>(s[pos + 1]) & 0x3F);
    pos += 2;
    return c;
  }
  char32_t c = 0;
  const std::size_t len = DecodeUtf8Sequence(s, pos, c);
  if (len == 0) {
    ++pos;
    return kUtf8Replacement;
  }
  pos += len;
  return c;
}

// The code point ending just before `pos` (U+FFFD when the bytes there are ill-formed); 0 at
// the start of the text.
char32_t DecodeUtf8Before(std::string_view s, std::size_t pos);

// Returns std::nullopt when `s` is well-formed UTF-8; otherwise the byte offset of the first
// ill-formed sequence.
std::optional<std::size_t> FindInvalidUtf8(std::string_view s);
inline bool IsValidUtf8(std::string_view s) { return !FindInvalidUtf8(s).has_value(); }
// Number of code points in valid UTF-8.
std::size_t Utf8Length(std::string_view s);

// Appends code point `cp` as UTF-8; surrogates and values above U+10FFFF become U+FFFD.
void AppendUtf8(std::string& out, char32_t cp);

}  // namespace sakchy
