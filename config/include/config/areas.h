#pragma once
// The area hierarchy: country > oblast / city of republican significance > raion / city > aiyl aimak.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::config {

struct Area {
  AreaCode code;        // "KG", "KG-O", "KG-O-ARAVAN"
  AreaCode parent;      // empty for the root
  std::string level;    // country | oblast | city | raion | aiyl_aimak | settlement
  std::string pcode;    // SOATE-based pcode when known
  std::string name_en;
  std::string name_ru;
  std::string name_ky;
  // Place-name forms found in texts that point at this area (inflected forms, translit, towns).
  std::vector<std::string> aliases;
  double lat = 0;
  double lon = 0;
};

// Immutable after load. Thread safety: const methods may be called concurrently.
class AreaTree {
 public:
  // Loads "areas.yaml" (see config/defaults/areas.yaml). Path may be "embedded:areas.yaml".
  [[nodiscard]] static Result<AreaTree> Load(const std::string& path);
  [[nodiscard]] static Result<AreaTree> Parse(std::string_view yaml, const std::string& display_name);

  const Area* Find(std::string_view code) const;
  // `code` itself first, then its parent, up to the root. Empty if unknown.
  std::vector<AreaCode> Ancestors(std::string_view code) const;
  // True when `code` == `ancestor` or lies below it.
  bool IsWithin(std::string_view code, std::string_view ancestor) const;
  const std::vector<Area>& areas() const { return areas_; }
  const AreaCode& root() const { return root_; }

 private:
  std::vector<Area> areas_;
  std::unordered_map<std::string, std::size_t> index_;
  AreaCode root_;
};

}  // namespace sakchy::config
