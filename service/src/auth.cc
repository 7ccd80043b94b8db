#include "service/auth.h"

#include <algorithm>

#include "core/crypto.h"

namespace sakchy::service {

SubmitterView SubmitterView::For(const Principal& who, std::string_view pseudonym_key) {
  SubmitterView v;
  v.masked_ = who.role == config::Role::kOfficial;
  if (v.masked_) v.key_ = std::string(pseudonym_key);
  return v;
}

namespace {
std::string MaskedValue(std::string_view key, std::string_view tag, const Report& r,
                        std::string_view value) {
  if (value.empty()) return {};
  std::string data(tag);
  data += '\0';
  data += r.channel;
  data += '\0';
  data += value;
  return "p-" + HmacSha256Hex(key, data).substr(0, 16);
}
}  // namespace

std::string SubmitterView::SubmittedBy(const Report& r) const {
  if (!masked_) return r.submitted_by;
  return MaskedValue(key_, "official-view:submitted_by", r, r.submitted_by);
}

std::string SubmitterView::SourceRef(const Report& r) const {
  if (!masked_) return r.source_ref;
  // The submitter is part of it: two monitors' equal refs stay apart.
  return MaskedValue(key_, "official-view:source_ref", r, r.submitted_by + '\0' + r.source_ref);
}

bool Principal::MaySee(const config::AreaTree& tree, std::string_view area) const {
  if (areas.empty()) return true;
  if (area.empty()) return false;
  return std::any_of(areas.begin(), areas.end(),
                     [&](const AreaCode& mine) { return tree.IsWithin(area, mine); });
}

std::optional<std::string> Principal::ScopeViolation(const config::AreaTree& tree,
                                                     std::string_view area) const {
  if (MaySee(tree, area)) return std::nullopt;
  std::string list;
  for (const auto& a : areas) list += (list.empty() ? "" : ", ") + a;
  return "token '" + name + "' covers only " + list + " (and the areas below them), not '" +
         std::string(area) + "'";
}

std::vector<AreaCode> Principal::TopAreas(const config::AreaTree& tree) const {
  if (areas.empty()) return {tree.root()};
  std::vector<AreaCode> out;
  for (std::size_t i = 0; i < areas.size(); ++i) {
    bool covered = false;
    for (std::size_t j = 0; j < areas.size() && !covered; ++j) {
      if (i == j) continue;
      // Within another one; of two equal codes keep the first.
      covered = tree.IsWithin(areas[i], areas[j]) && (areas[i] != areas[j] || j < i);
    }
    if (!covered) out.push_back(areas[i]);
  }
  return out;
}

Authenticator::Authenticator(const std::vector<config::TokenConfig>& tokens) {
  for (const auto& t : tokens) by_hash_[t.sha256] = Principal{t.name, t.role, t.areas};
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
  if (have == config::Role::kAdmin || have == need) return true;
  return need == config::Role::kOfficial && have == config::Role::kAnalyst;
}

std::string RequiredRoles(config::Role need) {
  if (need == config::Role::kOfficial) return "analyst or official";
  return std::string(config::RoleName(need));
}

}  // namespace sakchy::service
