#include "service/area_shapes.h"

#include <boost/json.hpp>

#include "config/files.h"
#include "core/json_text.h"

namespace sakchy::service {

namespace json = boost::json;

Result<AreaShapes> AreaShapes::Load(const std::string& path) {
  auto text = config::ReadTextFile(path);
  if (!text) return tl::unexpected(text.error());
  return Parse(*text, path);
}

Result<AreaShapes> AreaShapes::Parse(std::string_view geojson, const std::string& name) {
  auto fail = [&name](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument, name + ": " + what);
  };
  boost::system::error_code ec;
  json::value doc = json::parse(geojson, ec);
  if (ec) return fail("not JSON: " + ec.message());
  if (!doc.is_object() || !doc.as_object().contains("features") ||
      !doc.at("features").is_array()) {
    return fail("expected a GeoJSON FeatureCollection with \"features\"");
  }
  AreaShapes out;
  std::size_t i = 0;
  for (const auto& f : doc.at("features").as_array()) {
    const std::string where = "features[" + std::to_string(i++) + "]";
    if (!f.is_object()) return fail(where + ": expected an object");
    const auto& o = f.as_object();
    std::string code;
    if (auto it = o.find("id"); it != o.end() && it->value().is_string()) {
      code = std::string(it->value().as_string());
    } else if (auto p = o.find("properties"); p != o.end() && p->value().is_object() &&
                                              p->value().as_object().contains("code") &&
                                              p->value().at("code").is_string()) {
      code = std::string(p->value().at("code").as_string());
    }
    if (code.empty()) return fail(where + ": needs \"id\" or properties.code (an area code)");
    auto g = o.find("geometry");
    if (g == o.end() || !(g->value().is_object() || g->value().is_null())) {
      return fail(where + " (" + code + "): needs a \"geometry\" object");
    }
    if (g->value().is_object()) {
      const auto& type = g->value().as_object();
      if (!type.contains("type") || !type.at("type").is_string() || !type.contains("coordinates")) {
        return fail(where + " (" + code + "): geometry needs \"type\" and \"coordinates\"");
      }
      out.geometry_[code] = ToJsonText(g->value());
    }
  }
  return out;
}

Status AreaShapes::CheckCodes(const config::AreaTree& areas, const std::string& name) const {
  std::string unknown;
  for (const auto& [code, g] : geometry_) {
    if (areas.Find(code) == nullptr) unknown += (unknown.empty() ? "" : ", ") + code;
  }
  if (unknown.empty()) return OkStatus();
  return MakeError(ErrorCode::kInvalidArgument,
                   name + ": polygons of unknown area codes: " + unknown + " (see the areas file)");
}

const std::string* AreaShapes::Geometry(std::string_view code) const {
  auto it = geometry_.find(code);
  return it == geometry_.end() ? nullptr : &it->second;
}

}  // namespace sakchy::service
