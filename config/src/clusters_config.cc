#include "clusters_config.h"

#include <limits>

namespace sakchy::config::internal {
namespace {

template <typename T>
void ReadIntField(MapReader& map, std::string_view key, Issues& issues, std::int64_t min,
                  std::int64_t max, T& out) {
  if (auto node = map.Get(key)) {
    if (auto value = ReadInt(*node, map.Field(key), issues, min, max)) {
      out = static_cast<T>(*value);
    }
  }
}

// Reads a severity name into `out`; returns the key's node when present.
std::optional<YAML::Node> ReadSeverityField(MapReader& map, std::string_view key, Issues& issues,
                                            Severity& out) {
  auto node = map.Get(key);
  if (!node) return node;
  auto name = ReadString(*node, map.Field(key), issues);
  if (!name) return node;
  if (auto severity = ParseSeverity(*name)) {
    out = *severity;
  } else {
    issues.Add(*node, map.Field(key),
               "unknown severity '" + *name + "' (expected: info, low, medium, high, critical)");
  }
  return node;
}

void ParseSpread(const YAML::Node& node, ClusterSpreadConfig& out, Issues& issues) {
  MapReader map(node, "clusters.spread", issues);
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  ReadIntField(map, "min_sources", issues, 2, 1'000'000, out.min_sources);
  ReadIntField(map, "sources_window_ms", issues, 60'000, 7 * kDay, out.sources_window_ms);
  if (auto n = map.Get("new_area")) {
    if (auto value = ReadBool(*n, map.Field("new_area"), issues)) out.new_area = *value;
  }
  ReadIntField(map, "accel_min_recent", issues, 2, 1'000'000, out.accel_min_recent);
  if (auto n = map.Get("accel_factor")) {
    if (auto value = ReadDouble(*n, map.Field("accel_factor"), issues, 1.0, 1000.0)) {
      out.accel_factor = *value;
    }
  }
  auto people = ReadSeverityField(map, "people_floor", issues, out.people_floor);
  auto public_node = ReadSeverityField(map, "public_floor", issues, out.public_floor);
  if (out.public_floor > out.people_floor) {
    issues.Add(public_node ? *public_node : people ? *people : node, "clusters.spread.public_floor",
               "is above people_floor (" + std::string(SeverityName(out.people_floor)) +
                   "): public posts would count for more than independent people");
  }
  map.Finish();
}

}  // namespace

void ParseClusters(const YAML::Node& node, ClustersConfig& out, Issues& issues) {
  MapReader map(node, "clusters", issues);
  out.origin = issues.Origin(node);
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  if (auto n = map.Get("enabled")) {
    if (auto value = ReadBool(*n, map.Field("enabled"), issues)) out.enabled = *value;
  }
  ReadIntField(map, "window_ms", issues, 60'000, 30 * kDay, out.window_ms);
  ReadIntField(map, "min_matching_hashes", issues, 4, 16, out.min_matching_hashes);
  ReadIntField(map, "min_tokens", issues, 1, 100, out.min_tokens);
  ReadIntField(map, "cache_clusters", issues, 100, 100'000'000, out.cache_clusters);
  ReadIntField(map, "max_index_reports", issues, 1000, 1'000'000'000, out.max_index_reports);
  if (auto n = map.Get("spread")) ParseSpread(*n, out.spread, issues);
  map.Finish();
}

}  // namespace sakchy::config::internal
