#pragma once
// Area polygons for the GeoJSON export: a FeatureCollection whose features' `id` (or
// properties.code) is an area code, read once at start-up (config analytics.area_polygons).
// Immutable after Load; thread-safe to read.

#include <map>
#include <string>
#include <string_view>

#include "config/areas.h"
#include "core/result.h"

namespace sakchy::service {

class AreaShapes {
 public:
  // Reads `path` (a file or "embedded:areas.geojson"). kInvalidArgument names the file and the
  // feature at fault.
  [[nodiscard]] static Result<AreaShapes> Load(const std::string& path);
  [[nodiscard]] static Result<AreaShapes> Parse(std::string_view geojson, const std::string& name);
  // The geometry of `code` as JSON text, or nullptr when the area has no polygon.
  const std::string* Geometry(std::string_view code) const;
  std::size_t size() const { return geometry_.size(); }
  // Every feature's code must be an area of `areas`: kInvalidArgument naming the unknown ones.
  [[nodiscard]] Status CheckCodes(const config::AreaTree& areas, const std::string& name) const;

 private:
  std::map<std::string, std::string, std::less<>> geometry_;
};

}  // namespace sakchy::service
