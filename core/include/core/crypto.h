#pragma once
// Hashes and MACs used across modules (OpenSSL underneath, private to core).

#include <optional>
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

// Authenticated encryption of a short secret (a reporter's reply address) under `key` (any
// length; AES-256-GCM with the SHA-256 of the key, a random 96-bit nonce): lower-case hex of
// nonce | ciphertext | tag. Different on every call.
std::string SealText(std::string_view key, std::string_view plaintext);
// The plaintext of SealText's output; std::nullopt when it was sealed under another key, altered
// or malformed.
std::optional<std::string> OpenText(std::string_view key, std::string_view sealed);

}  // namespace sakchy
