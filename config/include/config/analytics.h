#pragma once
// Configuration of area tension, baselines and spikes (`analytics:`) and of data retention
// (`retention:`). Part of config::Config; parsed with the rest of the file.

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "core/types.h"

namespace sakchy::config {

// Tension index of a bucket = sum over its events of
//   severity_weights[severity] * (1 + sum of category_weights of the event's categories).
// Categories without a weight add nothing. Applied when counters are read, so a change of
// weights applies to all history at the next query.
struct TensionConfig {
  std::array<double, kSeverityCount> severity_weights = {0, 1, 3, 7, 15};
  std::map<std::string, double> category_weights;
};

// Baseline of a bucket's tension: an exponentially weighted mean and standard deviation of the
// buckets before it (the last window_days of them, weights halving every half_life_days).
struct BaselineConfig {
  double half_life_days = 7;
  double window_days = 28;
};

// A spike: tension >= min_tension and z = (tension - mean) / sqrt(sd^2 + min_sd^2) >= z_threshold.
// Checked every check_interval_ms on the current hour (roll-up at every level of the hierarchy).
struct SpikeConfig {
  double z_threshold = 4;
  double min_tension = 20;
  double min_sd = 1;
  std::int64_t check_interval_ms = 60000;  // 0 = no periodic check
};

struct AnalyticsConfig {
  TensionConfig tension;
  BaselineConfig baseline;
  SpikeConfig spikes;
  // GeoJSON FeatureCollection of area polygons (feature id = area code) for
  // GET /v1/export/areas.geojson; resolved against the config file. Default: the bundled
  // Kyrgyz polygons (config/defaults/areas.geojson).
  std::string area_polygons = "embedded:areas.geojson";
};

// Raw texts are removed from events older than raw_text_days (by received time); scores,
// categories, areas, counters, alerts, verdicts and the audit log are kept.
struct RetentionConfig {
  std::int64_t raw_text_days = 0;               // 0 = keep texts forever
  std::int64_t sweep_interval_ms = 3'600'000;   // how often expired texts are removed
};

}  // namespace sakchy::config
