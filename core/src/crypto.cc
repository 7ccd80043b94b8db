#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace sakchy {
namespace {
std::string ToHex(const unsigned char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}
// SHA-256 fetched once: OpenSSL 3's implicit fetch behind EVP_sha256() costs a provider lookup
// on every call (it showed up per request, as tokens are hashed on each one).
const EVP_MD* Sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, Sha256(), nullptr);
  return ToHex(md, len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(Sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return ToHex(md, len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomHex(size_t n) {
  std::vector<unsigned char> buf(n);
  if (RAND_bytes(buf.data(), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");  // start-up only; the OS CSPRNG is gone
  }
  return ToHex(buf.data(), n);
}

namespace {
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

std::vector<unsigned char> AesKey(std::string_view key) {
  std::vector<unsigned char> out(32);
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), out.data(), &len, Sha256(), nullptr);
  return out;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = value(hex[2 * i]);
    const int lo = value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}
}  // namespace

std::string SealText(std::string_view key, std::string_view plaintext) {
  const auto k = AesKey(key);
  unsigned char nonce[kNonceBytes];
  if (RAND_bytes(nonce, kNonceBytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::vector<unsigned char> out(kNonceBytes + plaintext.size() + kTagBytes);
  std::copy(nonce, nonce + kNonceBytes, out.begin());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, k.data(), nonce);
  EVP_EncryptUpdate(ctx, out.data() + kNonceBytes, &len,
                    reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  int tail = 0;
  EVP_EncryptFinal_ex(ctx, out.data() + kNonceBytes + len, &tail);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes,
                      out.data() + kNonceBytes + plaintext.size());
  EVP_CIPHER_CTX_free(ctx);
  return ToHex(out.data(), out.size());
}

std::optional<std::string> OpenText(std::string_view key, std::string_view sealed) {
  auto bytes = FromHex(sealed);
  if (!bytes || bytes->size() < kNonceBytes + kTagBytes) return std::nullopt;
  const auto k = AesKey(key);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes->data());
  const int text_len = static_cast<int>(bytes->size()) - kNonceBytes - kTagBytes;
  std::string out(static_cast<size_t>(text_len), '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, k.data(), data);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, data + kNonceBytes,
                    text_len);
  std::vector<unsigned char> tag(data + kNonceBytes + text_len,
                                 data + kNonceBytes + text_len + kTagBytes);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  int tail = 0;
  const bool ok = EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + len,
                                      &tail) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace sakchy
