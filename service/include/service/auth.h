#pragma once
// Bearer-token authentication. Tokens are known only by their SHA-256 hashes.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace sakchy::service {

struct Principal {
  std::string name;  // token name from config (never the token)
  config::Role role = config::Role::kMonitor;
};

// Immutable. Thread safety: Authenticate() may be called concurrently.
class Authenticator {
 public:
  explicit Authenticator(const std::vector<config::TokenConfig>& tokens);
  // `authorization` is the raw Authorization header. std::nullopt: missing, malformed or unknown.
  std::optional<Principal> Authenticate(std::string_view authorization) const;
  std::size_t size() const { return by_hash_.size(); }

 private:
  std::unordered_map<std::string, Principal> by_hash_;
};

// Admin may do everything; otherwise the role must match.
bool RoleAllows(config::Role have, config::Role need);

}  // namespace sakchy::service
