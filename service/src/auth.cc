#include "service/auth.h"

#include "core/crypto.h"

namespace sakchy::service {

Authenticator::Authenticator(const std::vector<config::TokenConfig>& tokens) {
  for (const auto& t : tokens) by_hash_[t.sha256] = Principal{t.name, t.role};
}

std::optional<Principal> Authenticator::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > 4096) return std::nullopt;
  auto it = by_hash_.find(Sha256Hex(token));
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

bool RoleAllows(config::Role have, config::Role need) {
  return have == config::Role::kAdmin || have == need;
}

}  // namespace sakchy::service
