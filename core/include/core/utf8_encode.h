#pragma once
// UTF-8: the encoder of core/utf8.h as inline code that writes into a buffer, for loops that encode
// every code point of a text (the classifier's normaliser). AppendUtf8 (core/utf8.h) is this
// encoder appending to a string: one encoder, one contract — surrogates and values above
// U+10FFFF are written as U+FFFD.

#include <cstddef>

#include "core/utf8.h"

namespace sakchy {

// Bytes (1..4) that EncodeUtf8 and AppendUtf8 write for `cp`.
inline constexpr std::size_t Utf8EncodedSize(char32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : (cp < 0x10000 || cp > 0x10FFFF) ? 3 : 4;
}

// Writes `cp` as UTF-8 to `out` (room for 4 bytes) and returns the bytes written.
inline std::size_t EncodeUtf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kUtf8Replacement;
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace sakchy
