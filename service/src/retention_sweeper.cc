#include "service/retention_sweeper.h"

#include <spdlog/spdlog.h>

#include "core/local_time.h"

namespace sakchy::service {

namespace {
constexpr std::size_t kStep = 10000;
constexpr TimeMs kDayMs = 86'400'000;
}  // namespace

RetentionSweeper::RetentionSweeper(storage::Maintenance& store, config::RetentionConfig config,
                                   const Clock& clock, MetricsRegistry& metrics)
    : store_(store),
      config_(config),
      clock_(clock),
      expired_(metrics.GetCounter("sakchy_texts_expired_total",
                                  "Raw texts removed by retention (retention.raw_text_days)")),
      errors_(metrics.GetCounter("sakchy_retention_errors_total", "Retention sweeps that failed")) {}

RetentionSweeper::~RetentionSweeper() { Stop(); }

Result<std::size_t> RetentionSweeper::SweepOnce() {
  if (config_.raw_text_days <= 0) return std::size_t{0};
  std::lock_guard lock(sweep_mu_);
  const TimeMs before = clock_.NowMs() - config_.raw_text_days * kDayMs;
  std::size_t total = 0;
  for (;;) {
    auto r = store_.ExpireTexts(before, kStep);
    if (!r) {
      errors_.Inc();
      return tl::unexpected(r.error());
    }
    total += r->expired;
    expired_.Inc(r->expired);
    if (r->done || r->scanned < kStep) break;  // done, or waiting for an unscored event
  }
  if (total > 0) {
    spdlog::info("retention: removed the raw text of {} events received before {}", total,
                 FormatLocalTime(before));
  }
  return total;
}

void RetentionSweeper::Start() {
  if (config_.raw_text_days <= 0) return;
  worker_.Start("sakchy-retain", std::chrono::milliseconds(config_.sweep_interval_ms),
                PeriodicWorker::FirstRun::kAtStart, [this] {
                  if (auto r = SweepOnce(); !r) {
                    spdlog::error("retention sweep failed: {}", r.error().ToString());
                  }
                });
}

void RetentionSweeper::Stop() { worker_.Stop(); }

}  // namespace sakchy::service
