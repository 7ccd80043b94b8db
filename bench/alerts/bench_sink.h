#pragma once
// A webhook receiver for the alert benchmarks: HTTP/1.1 with keep-alive on 127.0.0.1, answers
// every request 200, and records when each arrived with the first "BENCH-<n>" marker of its body
// (the alert stream puts one in every alert). Shared by the in-process benchmark (alerts_load) and
// the Sakchy / Alertmanager comparison (bench_webhook_sink, run_alert_bench.sh).
//
// Thread safety: every method may be called from any thread while it runs.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sakchy::bench {

struct Arrival {
  std::int64_t id = -1;          // the BENCH-<n> marker, -1 when none
  std::int64_t realtime_ns = 0;  // CLOCK_REALTIME (comparable across processes of one machine)
  std::int64_t steady_ns = 0;    // std::chrono::steady_clock
};

class BenchSink {
 public:
  // Listens on 127.0.0.1:`port` (0: any) with `threads` io threads.
  explicit BenchSink(std::uint16_t port = 0, int threads = 1);
  ~BenchSink();
  BenchSink(const BenchSink&) = delete;
  BenchSink& operator=(const BenchSink&) = delete;

  std::uint16_t port() const;
  std::uint64_t count() const;
  std::vector<Arrival> arrivals() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// p-th percentile (0..100) of `values` (sorted in place); 0 when empty.
double Percentile(std::vector<double>& values, double p);

}  // namespace sakchy::bench
