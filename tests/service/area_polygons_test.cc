// The bundled area polygons (config/defaults/areas.geojson) as RFC 7946 asks: a FeatureCollection
// of Features whose Polygon/MultiPolygon rings are closed, have at least four positions, run
// counter-clockwise (exterior) and clockwise (holes), and do not cross themselves; every area of
// the bundled hierarchy has a non-empty geometry (Bishkek and Osh included).

#include <boost/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "config/areas.h"
#include "config/files.h"
#include "service/area_shapes.h"
#include "testutil/testutil.h"

namespace sakchy::service::area_polygons_test {
namespace {

namespace json = boost::json;

struct Point {
  double x = 0;  // longitude
  double y = 0;  // latitude
};
using Ring = std::vector<Point>;

// Twice the signed area (shoelace): positive for a counter-clockwise ring.
double SignedArea2(const Ring& r) {
  double sum = 0;
  for (std::size_t i = 0; i + 1 < r.size(); ++i) sum += r[i].x * r[i + 1].y - r[i + 1].x * r[i].y;
  return sum;
}

double Cross(Point o, Point a, Point b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Proper crossing of segments ab and cd (touching at an end point does not count).
bool Cross(Point a, Point b, Point c, Point d) {
  const double d1 = Cross(c, d, a), d2 = Cross(c, d, b), d3 = Cross(a, b, c), d4 = Cross(a, b, d);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

bool SelfIntersects(const Ring& r) {
  const std::size_t n = r.size() - 1;  // segments
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 2; j < n; ++j) {
      if (i == 0 && j == n - 1) continue;  // neighbours through the closing point
      if (Cross(r[i], r[i + 1], r[j], r[j + 1])) return true;
    }
  }
  return false;
}

// The problems of one ring (empty when it is fine); `exterior` selects the orientation.
std::string RingProblems(const json::value& v, bool exterior) {
  if (!v.is_array()) return "a ring is not an array";
  Ring ring;
  for (const auto& p : v.as_array()) {
    if (!p.is_array() || p.as_array().size() < 2) return "a position is not [lon, lat]";
    const double lon = p.as_array()[0].to_number<double>();
    const double lat = p.as_array()[1].to_number<double>();
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90) return "a position is out of range";
    ring.push_back({lon, lat});
  }
  if (ring.size() < 4) return "a ring has fewer than 4 positions";
  if (ring.front().x != ring.back().x || ring.front().y != ring.back().y) return "a ring is open";
  const double area = SignedArea2(ring);
  if (exterior && area <= 0) return "an exterior ring is not counter-clockwise";
  if (!exterior && area >= 0) return "a hole is not clockwise";
  if (SelfIntersects(ring)) return "a ring crosses itself";
  return "";
}

// Problems of a Polygon's coordinates (an array of rings, the first the exterior).
std::string PolygonProblems(const json::value& rings) {
  if (!rings.is_array() || rings.as_array().empty()) return "a polygon has no rings";
  bool first = true;
  for (const auto& r : rings.as_array()) {
    if (auto p = RingProblems(r, first); !p.empty()) return p;
    first = false;
  }
  return "";
}

TEST(AreaPolygonsTest, BundledGeoJsonFollowsRfc7946AndCoversEveryArea) {
  auto text = config::ReadTextFile("embedded:areas.geojson");
  ASSERT_OK(text);
  json::value doc = json::parse(*text);
  ASSERT_EQ(doc.at("type"), "FeatureCollection");
  std::set<std::string> with_geometry;
  for (const auto& f : doc.at("features").as_array()) {
    const auto& feature = f.as_object();
    const std::string code(feature.at("id").as_string());
    EXPECT_EQ(feature.at("type"), "Feature") << code;
    const auto& geometry = feature.at("geometry").as_object();
    const auto& type = geometry.at("type").as_string();
    const auto& coordinates = geometry.at("coordinates").as_array();
    std::vector<const json::value*> polygons;
    if (type == "Polygon") {
      polygons.push_back(&geometry.at("coordinates"));
    } else {
      ASSERT_EQ(type, "MultiPolygon") << code;
      for (const auto& p : coordinates) polygons.push_back(&p);
    }
    EXPECT_FALSE(polygons.empty()) << code << ": empty geometry";
    for (const json::value* p : polygons) {
      EXPECT_EQ(PolygonProblems(*p), "") << code;
    }
    if (!polygons.empty()) with_geometry.insert(code);
  }
  auto tree = config::AreaTree::Load("embedded:areas.yaml");
  ASSERT_OK(tree);
  for (const auto& a : tree->areas()) EXPECT_TRUE(with_geometry.count(a.code)) << a.code;
  EXPECT_TRUE(with_geometry.count("KG-GB"));  // Bishkek
  EXPECT_TRUE(with_geometry.count("KG-GO"));  // Osh
}

TEST(AreaPolygonsTest, TheCheckerSeesClockwiseOpenAndCrossedRings) {
  const auto ring = [](const char* text) { return json::parse(text); };
  EXPECT_EQ(RingProblems(ring("[[0,0],[1,0],[1,1],[0,1],[0,0]]"), true), "");
  EXPECT_EQ(RingProblems(ring("[[0,0],[0,1],[1,1],[1,0],[0,0]]"), true),
            "an exterior ring is not counter-clockwise");
  EXPECT_EQ(RingProblems(ring("[[0,0],[1,0],[1,1],[0,1],[0,0]]"), false), "a hole is not clockwise");
  EXPECT_EQ(RingProblems(ring("[[0,0],[1,0],[1,1],[0,1]]"), true), "a ring is open");
  EXPECT_EQ(RingProblems(ring("[[0,0],[1,0],[0,0]]"), true), "a ring has fewer than 4 positions");
  // A bow tie: crosses itself (its signed area is 0, so make one lobe larger).
  EXPECT_EQ(RingProblems(ring("[[0,0],[2,0],[0,1],[1,-3],[0,0]]"), true), "a ring crosses itself");
}

TEST(AreaPolygonsTest, BishkekAndOshLieInsideTheirOwnPolygonsNotTheOblasts) {
  auto shapes = AreaShapes::Load("embedded:areas.geojson");
  ASSERT_OK(shapes);
  // Point in polygon (even-odd over every ring) of a MultiPolygon's JSON text.
  const auto contains = [&shapes](const char* code, Point pt) {
    const std::string* text = shapes->Geometry(code);
    if (text == nullptr) return false;
    bool inside = false;
    const json::value geometry = json::parse(*text);
    for (const auto& polygon : geometry.at("coordinates").as_array()) {
      for (const auto& r : polygon.as_array()) {
        const auto& ring = r.as_array();
        for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
          const double xi = ring[i].as_array()[0].to_number<double>();
          const double yi = ring[i].as_array()[1].to_number<double>();
          const double xj = ring[j].as_array()[0].to_number<double>();
          const double yj = ring[j].as_array()[1].to_number<double>();
          if ((yi > pt.y) != (yj > pt.y) && pt.x < (xj - xi) * (pt.y - yi) / (yj - yi) + xi) {
            inside = !inside;
          }
        }
      }
    }
    return inside;
  };
  const Point bishkek{74.59, 42.87}, osh{72.7985, 40.5283};  // GeoNames city centres
  EXPECT_TRUE(contains("KG-GB", bishkek));
  EXPECT_FALSE(contains("KG-C", bishkek));  // Chüy oblast has a hole there
  EXPECT_TRUE(contains("KG-GO", osh));
  EXPECT_FALSE(contains("KG-O", osh));
  EXPECT_TRUE(contains("KG", bishkek));
  EXPECT_TRUE(contains("KG", osh));
}

}  // namespace
}  // namespace sakchy::service::area_polygons_test
