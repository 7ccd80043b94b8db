#include "analytics/tension.h"

#include <algorithm>
#include <cmath>

#include "analytics/counter_key.h"

namespace sakchy::analytics {

std::vector<double> TensionModel::Coefficients(const std::vector<std::string>& dims) const {
  std::vector<double> out(dims.size(), 0.0);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto key = CounterKey::Decode(dims[i]);
    if (!key) continue;
    const double w = config_.severity_weights[static_cast<std::size_t>(key->severity)];
    if (key->kind == CounterKey::Kind::kSeverity) {
      out[i] = w;
    } else if (key->kind == CounterKey::Kind::kSeverityCategory) {
      auto it = config_.category_weights.find(std::string(key->category));
      if (it != config_.category_weights.end()) out[i] = w * it->second;
    }
  }
  return out;
}

std::vector<double> DenseTension(const storage::CounterTable& table,
                                 const std::vector<double>& coefficients, TimeMs first,
                                 TimeMs step, std::size_t n) {
  std::vector<double> out(n, 0.0);
  for (std::size_t r = 0; r < table.rows(); ++r) {
    const TimeMs start = table.starts[r];
    if (start < first || (start - first) % step != 0) continue;  // not on this grid
    const auto idx = static_cast<std::size_t>((start - first) / step);
    if (idx >= n) continue;
    double t = 0;
    for (auto i = table.offsets[r]; i < table.offsets[r + 1]; ++i) {
      const auto& c = table.cells[i];
      if (c.dim < coefficients.size()) t += coefficients[c.dim] * static_cast<double>(c.value);
    }
    out[idx] = t;
  }
  return out;
}

BaselineWindow WindowFor(const config::BaselineConfig& config, TimeMs bucket_ms) {
  const double per_day = 86'400'000.0 / static_cast<double>(bucket_ms);
  BaselineWindow w;
  w.window = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(config.window_days * per_day)));
  const double half_life = std::max(1e-9, config.half_life_days * per_day);
  w.decay = std::pow(0.5, 1.0 / half_life);
  return w;
}

std::vector<Baseline> Baselines(std::span<const double> x, const BaselineWindow& w) {
  // Running sums over the window: S = sum d^k x, Q = sum d^k x^2, W = sum d^k (k = 0 newest).
  // Adding the newest: S = d*S + x_new; dropping the one that left the window: - d^window * x_old.
  std::vector<Baseline> out(x.size());
  const double d = w.decay;
  const double d_window = std::pow(d, static_cast<double>(w.window));
  double s = 0, q = 0, weight = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    Baseline& b = out[i];
    b.history = std::min(i, w.window);
    if (weight > 0) {
      b.mean = s / weight;
      const double var = std::max(0.0, q / weight - b.mean * b.mean);
      b.sd = std::sqrt(var);
    }
    // Slide: x[i] joins; x[i - window] leaves.
    s = d * s + x[i];
    q = d * q + x[i] * x[i];
    weight = d * weight + 1;
    if (i >= w.window) {
      const double old = x[i - w.window];
      s -= d_window * old;
      q -= d_window * old * old;
      weight -= d_window;
    }
  }
  return out;
}

double ZScore(double x, const Baseline& b, double min_sd) {
  return (x - b.mean) / std::sqrt(b.sd * b.sd + min_sd * min_sd);
}

bool IsSpike(double x, double z, const config::SpikeConfig& config) {
  return x >= config.min_tension && z >= config.z_threshold;
}

}  // namespace sakchy::analytics
