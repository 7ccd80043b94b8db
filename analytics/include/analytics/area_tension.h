#pragma once
// Area tension for the API and the spike check: series with baselines, the current bucket of
// every area, and raising Signal{kAreaSpike} once per area and hour when the tension of the
// current (or just finished) hour spikes above its baseline. Counters only: no raw events are
// read. Every area of the hierarchy is checked (its counters roll up everything below it).
//
// Thread safety: all methods may be called concurrently. Blocking: every method except
// Start/Stop reads the store; call them off the io threads.

#include <concepts>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "config/analytics.h"
#include "config/areas.h"
#include "core/metrics.h"
#include "core/periodic_worker.h"
#include "core/result.h"
#include "core/time.h"
#include "analytics/tension.h"
#include "storage/ports.h"

namespace sakchy::analytics {

struct TensionPoint {
  TimeMs start = 0;
  double tension = 0;
  Baseline baseline;
  double z = 0;
  bool spike = false;
};

// A spike that raised a signal (records table "area_spikes").
struct RaisedSpike {
  AreaCode area;
  TimeMs bucket = 0;  // start of the hour
  TimeMs raised_at = 0;
  double tension = 0;
  double mean = 0;
  double sd = 0;
  double z = 0;
};

inline constexpr std::string_view kAreaSpikesTable = "area_spikes";

// What area tension keeps in storage, as two of storage's ports: the counters it reads and the
// spike records it writes (table area_spikes).
struct AreaTensionStore {
  storage::CounterReader& counters;
  storage::RecordStore& records;

  // From any object that implements both ports (storage::Store).
  template <class S>
    requires std::derived_from<S, storage::CounterReader> &&
             std::derived_from<S, storage::RecordStore>
  AreaTensionStore(S& s)  // NOLINT(google-explicit-constructor): a Store& is one
      : counters(s), records(s) {}
};

class AreaTension {
 public:
  using SignalHook = std::function<void(const Signal&)>;

  // `store`, `areas`, `clock` and `metrics` must outlive this object. `on_spike` runs on the
  // checking thread (or the caller of CheckSpikes).
  AreaTension(AreaTensionStore store, const config::AreaTree& areas,
              config::AnalyticsConfig config, const Clock& clock, MetricsRegistry& metrics,
              SignalHook on_spike);
  ~AreaTension();
  AreaTension(const AreaTension&) = delete;
  AreaTension& operator=(const AreaTension&) = delete;

  // Buckets of [first bucket of `from`, to) at `resolution` (hour or day) with baselines.
  [[nodiscard]] Result<std::vector<TensionPoint>> Series(const AreaCode& area,
                                                         storage::Resolution resolution,
                                                         TimeMs from, TimeMs to) const;
  // The current hour of `area` (clock time) with its baseline.
  [[nodiscard]] Result<TensionPoint> Current(const AreaCode& area) const;
  // Spikes raised for `area` with from <= bucket < to, oldest first.
  [[nodiscard]] Result<std::vector<RaisedSpike>> Raised(const AreaCode& area, TimeMs from,
                                                        TimeMs to) const;

  // Checks the current and the previous hour of every area; raises each new spike once (hook,
  // log line, metric, record). Returns the spikes raised by this call.
  Result<std::vector<RaisedSpike>> CheckSpikes();

  // A thread that calls CheckSpikes every spikes.check_interval_ms (none when 0).
  void Start();
  void Stop();

  const config::AnalyticsConfig& config() const { return config_; }
  const TensionModel& model() const { return model_; }

 private:
  Result<std::vector<TensionPoint>> Points(const AreaCode& area, storage::Resolution resolution,
                                           TimeMs first, std::size_t n) const;
  Signal MakeSignal(const RaisedSpike& spike, const TensionPoint& point) const;

  AreaTensionStore store_;
  const config::AreaTree& areas_;
  const config::AnalyticsConfig config_;
  const TensionModel model_;
  const Clock& clock_;
  SignalHook on_spike_;
  Counter& checks_;
  Counter& check_errors_;
  MetricsRegistry& metrics_;

  std::mutex mu_;  // serialises CheckSpikes

  PeriodicWorker worker_;  // last: stopped before the members its task uses go
};

}  // namespace sakchy::analytics
