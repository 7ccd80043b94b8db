#include "analytics/area_tension.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analytics/counter_key.h"
#include "core/json_text.h"
#include "core/local_time.h"

namespace sakchy::analytics {

namespace json = boost::json;

namespace {

constexpr TimeMs kHourMs = 3'600'000;

std::string SpikeKey(std::string_view area, TimeMs bucket) {
  std::string key(area);
  key.push_back('\0');
  const auto biased = static_cast<std::uint64_t>(bucket) ^ (std::uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<char>((biased >> (8 * i)) & 0xff));
  return key;
}

bool ParseSpike(std::string_view key, std::string_view value, RaisedSpike* out) {
  const auto nul = key.find('\0');
  if (nul == std::string_view::npos || key.size() != nul + 9) return false;
  out->area = std::string(key.substr(0, nul));
  std::uint64_t biased = 0;
  for (std::size_t i = nul + 1; i < key.size(); ++i) {
    biased = (biased << 8) | static_cast<std::uint8_t>(key[i]);
  }
  out->bucket = static_cast<TimeMs>(biased ^ (std::uint64_t{1} << 63));
  boost::system::error_code ec;
  auto v = json::parse(value, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.as_object();
  auto num = [&o](const char* k) {
    auto it = o.find(k);
    return it == o.end() || !it->value().is_number() ? 0.0 : it->value().to_number<double>();
  };
  out->raised_at = static_cast<TimeMs>(num("raised_at"));
  out->tension = num("tension");
  out->mean = num("mean");
  out->sd = num("sd");
  out->z = num("z");
  return true;
}

std::string EncodeSpike(const RaisedSpike& s) {
  return ToJsonText(json::value(json::object{{"raised_at", s.raised_at},
                                             {"tension", s.tension},
                                             {"mean", s.mean},
                                             {"sd", s.sd},
                                             {"z", s.z}}));
}

std::string Fixed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

}  // namespace

AreaTension::AreaTension(AreaTensionStore store, const config::AreaTree& areas,
                         config::AnalyticsConfig config, const Clock& clock,
                         MetricsRegistry& metrics, SignalHook on_spike)
    : store_(store),
      areas_(areas),
      config_(std::move(config)),
      model_(config_.tension),
      clock_(clock),
      on_spike_(std::move(on_spike)),
      checks_(metrics.GetCounter("sakchy_area_spike_checks_total",
                                 "Checks of every area's current hour for tension spikes")),
      check_errors_(metrics.GetCounter("sakchy_area_spike_check_errors_total",
                                       "Spike checks that failed (store read or write)")),
      metrics_(metrics) {}

AreaTension::~AreaTension() { Stop(); }

Result<std::vector<TensionPoint>> AreaTension::Points(const AreaCode& area,
                                                      storage::Resolution resolution,
                                                      TimeMs first, std::size_t n) const {
  const TimeMs step = storage::ResolutionMs(resolution);
  const BaselineWindow w = WindowFor(config_.baseline, step);
  const TimeMs read_from = first - static_cast<TimeMs>(w.window) * step;
  const TimeMs read_to = first + static_cast<TimeMs>(n) * step;
  auto table = store_.counters.ReadCounterTable(area, resolution, read_from, read_to);
  if (!table) return tl::unexpected(table.error());
  const auto coefficients = model_.Coefficients(*table->dims);
  const auto x = DenseTension(*table, coefficients, read_from, step, w.window + n);
  const auto baselines = Baselines(x, w);
  std::vector<TensionPoint> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = w.window + i;
    TensionPoint& p = out[i];
    p.start = first + static_cast<TimeMs>(i) * step;
    p.tension = x[j];
    p.baseline = baselines[j];
    p.z = ZScore(p.tension, p.baseline, config_.spikes.min_sd);
    p.spike = IsSpike(p.tension, p.z, config_.spikes);
  }
  return out;
}

Result<std::vector<TensionPoint>> AreaTension::Series(const AreaCode& area,
                                                      storage::Resolution resolution, TimeMs from,
                                                      TimeMs to) const {
  const TimeMs step = storage::ResolutionMs(resolution);
  const TimeMs first = storage::BucketStart(resolution, from);
  if (to <= first) return std::vector<TensionPoint>{};
  const auto n = static_cast<std::size_t>((to - first + step - 1) / step);
  return Points(area, resolution, first, n);
}

Result<TensionPoint> AreaTension::Current(const AreaCode& area) const {
  auto points =
      Points(area, storage::Resolution::kHour,
             storage::BucketStart(storage::Resolution::kHour, clock_.NowMs()), 1);
  if (!points) return tl::unexpected(points.error());
  return points->front();
}

Result<std::vector<RaisedSpike>> AreaTension::Raised(const AreaCode& area, TimeMs from,
                                                     TimeMs to) const {
  std::vector<RaisedSpike> out;
  storage::RecordScan scan;
  scan.prefix = area + std::string(1, '\0');
  scan.start_after = SpikeKey(area, from - 1);
  scan.limit = 1000;
  for (;;) {
    auto page = store_.records.ScanRecords(kAreaSpikesTable, scan);
    if (!page) return tl::unexpected(page.error());
    for (const auto& r : *page) {
      RaisedSpike s;
      if (!ParseSpike(r.key, r.value, &s)) {
        return MakeError(ErrorCode::kCorruption, "area spike record of " + area + " is unreadable");
      }
      if (s.bucket >= to) return out;
      out.push_back(std::move(s));
    }
    if (page->size() < scan.limit) return out;
    scan.start_after = page->back().key;
  }
}

Signal AreaTension::MakeSignal(const RaisedSpike& spike, const TensionPoint& point) const {
  Signal s;
  s.kind = Signal::Kind::kAreaSpike;
  s.subject_id = spike.area;
  s.area = spike.area;
  s.areas = {spike.area};
  s.severity = point.z >= 2 * config_.spikes.z_threshold ? Severity::kCritical : Severity::kHigh;
  s.reason = "z=" + Fixed(point.z) + ": tension " + Fixed(point.tension) + " in the hour from " +
             FormatLocalTime(spike.bucket) + " against a baseline of " +
             Fixed(point.baseline.mean) + " ± " + Fixed(point.baseline.sd);
  const config::Area* a = areas_.Find(spike.area);
  s.summary = "Tension spike in " + (a && !a->name_en.empty() ? a->name_en : spike.area) + " (" +
              spike.area + ")";
  s.first_seen = spike.bucket;
  s.at = spike.raised_at;
  // The categories seen in that hour, most frequent first (from counters; no events read).
  auto table = store_.counters.ReadCounterTable(spike.area, storage::Resolution::kHour, spike.bucket,
                                       spike.bucket + kHourMs);
  if (table && table->rows() == 1) {
    std::vector<std::pair<std::int64_t, std::string>> cats;
    for (auto i = table->offsets[0]; i < table->offsets[1]; ++i) {
      const auto key = CounterKey::Decode((*table->dims)[table->cells[i].dim]);
      if (key && key->kind == CounterKey::Kind::kCategory && table->cells[i].value > 0) {
        cats.emplace_back(-table->cells[i].value, std::string(key->category));
      }
    }
    std::sort(cats.begin(), cats.end());
    for (auto& [count, name] : cats) s.categories.push_back(std::move(name));
  }
  return s;
}

Result<std::vector<RaisedSpike>> AreaTension::CheckSpikes() {
  std::lock_guard lock(mu_);
  checks_.Inc();
  const TimeMs now = clock_.NowMs();
  const TimeMs current = storage::BucketStart(storage::Resolution::kHour, now);
  std::vector<RaisedSpike> raised;
  for (const auto& area : areas_.areas()) {
    auto points = Points(area.code, storage::Resolution::kHour, current - kHourMs, 2);
    if (!points) {
      check_errors_.Inc();
      return tl::unexpected(points.error());
    }
    for (const auto& p : *points) {
      if (!p.spike) continue;
      const std::string key = SpikeKey(area.code, p.start);
      auto seen = store_.records.GetRecord(kAreaSpikesTable, key);
      if (!seen) {
        check_errors_.Inc();
        return tl::unexpected(seen.error());
      }
      if (*seen) continue;  // raised before (also across restarts)
      RaisedSpike spike{area.code, p.start, now, p.tension, p.baseline.mean, p.baseline.sd, p.z};
      Signal signal = MakeSignal(spike, p);
      spdlog::warn("area spike: {} {}", area.code, signal.reason);
      metrics_
          .GetCounter("sakchy_area_spikes_total", "Tension spikes raised, by area level",
                      {{"level", area.level}})
          .Inc();
      // The hook first: a crash before the record is written repeats the signal rather than
      // losing it.
      if (on_spike_) on_spike_(signal);
      storage::RecordWrite w{std::string(kAreaSpikesTable), key, EncodeSpike(spike)};
      if (auto st = store_.records.WriteRecords({&w, 1}); !st) {
        check_errors_.Inc();
        return tl::unexpected(st.error());
      }
      raised.push_back(std::move(spike));
    }
  }
  return raised;
}

void AreaTension::Start() {
  if (config_.spikes.check_interval_ms <= 0) return;
  worker_.Start("sakchy-tension", std::chrono::milliseconds(config_.spikes.check_interval_ms),
                PeriodicWorker::FirstRun::kAtStart, [this] {
                  if (auto r = CheckSpikes(); !r) {
                    spdlog::error("area spike check failed: {}", r.error().ToString());
                  }
                });
}

void AreaTension::Stop() { worker_.Stop(); }

}  // namespace sakchy::analytics
