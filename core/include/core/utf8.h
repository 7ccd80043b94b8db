#pragma once
// UTF-8 validation.

#include <cstddef>
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>

namespace sakchy {

// Returns std::nullopt when `s` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF);
// otherwise the byte offset of the first invalid sequence.
std::optional<size_t> FindInvalidUtf8(std::string_view s);
inline bool IsValidUtf8(std::string_view s) { return !FindInvalidUtf8(s).has_value(); }
// Number of code points in valid UTF-8.
size_t Utf8Length(std::string_view s);
// Appends code point `cp` as UTF-8; surrogates and values above U+10FFFF become U+FFFD.
void AppendUtf8(std::string& out, std::uint32_t cp);

}  // namespace sakchy
