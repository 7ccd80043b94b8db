#pragma once
// Area tension from counters: the index per bucket (severity and category weights), baselines
// (exponentially weighted mean and standard deviation over a window of earlier buckets) and the
// spike rule. Pure functions over storage::CounterTable; no raw events are read.
// Thread safety: pure (TensionModel is immutable).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/analytics.h"
#include "storage/ports.h"

namespace sakchy::analytics {

// Maps counter dims (analytics/counter_key.h) to their tension per count (config::TensionConfig):
//   severity s                -> w[s]                 (the "1 +" part of each event)
//   severity s, category c    -> w[s] * category_w[c] (each weighted category of the event)
//   anything else             -> 0
class TensionModel {
 public:
  explicit TensionModel(config::TensionConfig config) : config_(std::move(config)) {}
  std::vector<double> Coefficients(const std::vector<std::string>& dims) const;
  const config::TensionConfig& config() const { return config_; }

 private:
  config::TensionConfig config_;
};

// Tension per bucket of [first, first + n * step) from `table` (buckets absent there are 0).
std::vector<double> DenseTension(const storage::CounterTable& table,
                                 const std::vector<double>& coefficients, TimeMs first,
                                 TimeMs step, std::size_t n);

struct Baseline {
  double mean = 0;
  double sd = 0;
  std::size_t history = 0;  // buckets it was computed from (< window near the start of data)
};

// Baseline parameters in buckets of one resolution.
struct BaselineWindow {
  std::size_t window = 1;  // buckets looked back
  double decay = 0.5;      // weight of a bucket relative to the next newer one
};
BaselineWindow WindowFor(const config::BaselineConfig& config, TimeMs bucket_ms);

// out[i] is the baseline of x[i]: weighted mean and sd of x[max(0, i - window) .. i), the newest
// with weight 1, each older one `decay` times the next. O(x.size()).
std::vector<Baseline> Baselines(std::span<const double> x, const BaselineWindow& w);

// z = (x - mean) / sqrt(sd^2 + min_sd^2).
double ZScore(double x, const Baseline& b, double min_sd);
bool IsSpike(double x, double z, const config::SpikeConfig& config);

}  // namespace sakchy::analytics
