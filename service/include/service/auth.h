#pragma once
// Bearer-token authentication, roles and area scoping. Tokens are known only by their SHA-256
// hashes.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/areas.h"
#include "config/config.h"
#include "core/types.h"

namespace sakchy::service {

// Who is calling. Officials are scoped to areas: every handler that returns area data asks
// MaySee() (filter a list) or ScopeViolation() (refuse an explicitly requested area).
struct Principal {
  std::string name;  // token name from config (never the token)
  config::Role role = config::Role::kMonitor;
  // Official: the areas the token covers, each with everything below it. Empty: every area.
  std::vector<AreaCode> areas;

  bool scoped() const { return !areas.empty(); }
  // True when this principal may see data of `area` (an event's, alert's or trend's area).
  // Unscoped principals see everything. An official sees an area within one of its own; data
  // without an area (empty code) or of an unknown code is national-level: unscoped only.
  bool MaySee(const config::AreaTree& tree, std::string_view area) const;
  // For an area the caller asked for by name (query parameter, path): std::nullopt when allowed,
  // else the reason, for a 403 that names the parameter.
  std::optional<std::string> ScopeViolation(const config::AreaTree& tree,
                                            std::string_view area) const;
  // The top areas this principal sees: {root} when unscoped, else its own areas without those
  // that lie within another of them, in the order given.
  std::vector<AreaCode> TopAreas(const config::AreaTree& tree) const;
};

// Who submitted a report, as one reader is shown it. Analysts and admins see what is stored (a
// token name, a sender's or author's pseudonym; source_ref as given). Officials see keyed
// pseudonyms of both instead — "p-" + 16 hex digits of HMAC-SHA256(privacy.pseudonym_key, a
// domain tag, the channel and the value) — stable for one key, so one submitter's reports still
// group together without being named (monitors may report on local officials).
// Immutable; cheap to copy.
class SubmitterView {
 public:
  SubmitterView() = default;  // shows what is stored
  static SubmitterView For(const Principal& who, std::string_view pseudonym_key);
  bool masked() const { return masked_; }
  // "" stays "".
  std::string SubmittedBy(const Report& report) const;
  std::string SourceRef(const Report& report) const;

 private:
  bool masked_ = false;
  std::string key_;
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

// Whether a token of role `have` may call an endpoint that needs `need`. Admin may do everything;
// otherwise the role must match, except that an endpoint marked kOfficial (area-scoped reads)
// takes analysts and officials alike: such a handler filters by Principal::MaySee.
bool RoleAllows(config::Role have, config::Role need);
// "analyst or official" for kOfficial, else the role's name: for 403 messages.
std::string RequiredRoles(config::Role need);

}  // namespace sakchy::service
