#pragma once
// Retention of raw texts (config `retention`): a thread that removes the text of events received
// more than raw_text_days ago, every sweep_interval_ms (storage::Maintenance::ExpireTexts). Scores, counters,
// alerts, verdicts and the audit log are kept.
//
// Thread safety: SweepOnce may be called from any thread (calls are serialised); Start/Stop by
// the owner. Blocking: SweepOnce reads and writes the store.

#include <mutex>

#include "config/analytics.h"
#include "core/metrics.h"
#include "core/periodic_worker.h"
#include "core/result.h"
#include "core/time.h"
#include "storage/store.h"

namespace sakchy::service {

class RetentionSweeper {
 public:
  RetentionSweeper(storage::Maintenance& store, config::RetentionConfig config, const Clock& clock,
                   MetricsRegistry& metrics);
  ~RetentionSweeper();
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // Removes every text due now (in steps of 10,000 events); returns how many. 0 when retention
  // is off (raw_text_days = 0). Stops early at an unscored event (the next sweep goes on).
  Result<std::size_t> SweepOnce();

  void Start();  // no thread when raw_text_days is 0
  void Stop();

 private:
  storage::Maintenance& store_;
  const config::RetentionConfig config_;
  const Clock& clock_;
  Counter& expired_;
  Counter& errors_;

  std::mutex sweep_mu_;
  PeriodicWorker worker_;  // last: stopped before the members its task uses go
};

}  // namespace sakchy::service
