// Parsing of the `analytics:` and `retention:` sections (config/analytics.h).

#include "analytics_config.h"

namespace sakchy::config::internal {

namespace {

constexpr double kMaxWeight = 1e6;

void ReadDoubleInto(MapReader& map, std::string_view key, Issues& issues, double min, double max,
                    double& out) {
  if (auto node = map.Get(key)) {
    if (auto v = ReadDouble(*node, map.Field(key), issues, min, max)) out = *v;
  }
}

void ParseTension(const YAML::Node& node, const std::string& path, TensionConfig& out,
                  Issues& issues) {
  MapReader map(node, path, issues);
  if (!map.ok()) return;
  if (auto sev = map.Get("severity_weights")) {
    MapReader weights(*sev, map.Field("severity_weights"), issues);
    if (weights.ok()) {
      for (int i = 0; i < kSeverityCount; ++i) {
        ReadDoubleInto(weights, SeverityName(static_cast<Severity>(i)), issues, 0, kMaxWeight,
                       out.severity_weights[static_cast<std::size_t>(i)]);
      }
      weights.Finish();
    }
  }
  if (auto cat = map.Get("category_weights")) {
    const std::string field = map.Field("category_weights");
    if (cat->IsNull()) {
      // no weights
    } else if (!cat->IsMap()) {
      issues.Add(*cat, field, "expected a mapping of category: weight");
    } else {
      for (const auto& kv : *cat) {
        auto name = ReadString(kv.first, field, issues);
        if (!name) continue;
        if (auto w = ReadDouble(kv.second, field + "." + *name, issues, 0, kMaxWeight)) {
          out.category_weights[*name] = *w;
        }
      }
    }
  }
  map.Finish();
}

}  // namespace

void ParseAnalytics(const YAML::Node& node, AnalyticsConfig& out, Issues& issues) {
  MapReader map(node, "analytics", issues);
  if (!map.ok()) return;
  if (auto n = map.Get("tension")) ParseTension(*n, map.Field("tension"), out.tension, issues);
  if (auto n = map.Get("baseline")) {
    MapReader b(*n, map.Field("baseline"), issues);
    if (b.ok()) {
      ReadDoubleInto(b, "half_life_days", issues, 0.01, 3650, out.baseline.half_life_days);
      ReadDoubleInto(b, "window_days", issues, 0.1, 3650, out.baseline.window_days);
      b.Finish();
      if (out.baseline.window_days < out.baseline.half_life_days) {
        issues.Add(*n, b.Field("window_days"),
                   "must be at least half_life_days (" +
                       std::to_string(out.baseline.half_life_days) + ")");
      }
    }
  }
  if (auto n = map.Get("area_polygons")) {
    if (auto v = ReadString(*n, map.Field("area_polygons"), issues)) out.area_polygons = *v;
  }
  if (auto n = map.Get("spikes")) {
    MapReader s(*n, map.Field("spikes"), issues);
    if (s.ok()) {
      ReadDoubleInto(s, "z_threshold", issues, 0.1, 1000, out.spikes.z_threshold);
      ReadDoubleInto(s, "min_tension", issues, 0, 1e12, out.spikes.min_tension);
      ReadDoubleInto(s, "min_sd", issues, 0.001, 1e9, out.spikes.min_sd);
      if (auto v = s.Get("check_interval_ms")) {
        if (auto ms = ReadInt(*v, s.Field("check_interval_ms"), issues, 0, 86'400'000)) {
          out.spikes.check_interval_ms = *ms;
        }
      }
      s.Finish();
    }
  }
  map.Finish();
}

void ParseRetention(const YAML::Node& node, RetentionConfig& out, Issues& issues) {
  MapReader map(node, "retention", issues);
  if (!map.ok()) return;
  if (auto v = map.Get("raw_text_days")) {
    if (auto d = ReadInt(*v, map.Field("raw_text_days"), issues, 0, 36500)) out.raw_text_days = *d;
  }
  if (auto v = map.Get("sweep_interval_ms")) {
    if (auto ms = ReadInt(*v, map.Field("sweep_interval_ms"), issues, 1000, 86'400'000)) {
      out.sweep_interval_ms = *ms;
    }
  }
  map.Finish();
}

}  // namespace sakchy::config::internal
