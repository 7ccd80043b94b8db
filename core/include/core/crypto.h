#pragma once
// Hashes and MACs used across modules (OpenSSL underneath, private to core).

#include <string>
#include <string_view>

namespace sakchy {

// Lower-case hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);
// Lower-case hex of HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// Constant-time comparison of two strings (length may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// `n` bytes from the OS CSPRNG, as lower-case hex (2n chars).
std::string RandomHex(size_t n);

}  // namespace sakchy
