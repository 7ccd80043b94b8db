// Storage micro-benchmarks: intake group commit and scored commit on a real RocksDB in /tmp.
//   build-release/bench/storage_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "core/id.h"
#include "core/time.h"
#include "storage/store.h"

namespace sakchy::storage {
namespace {

std::string TempDir() {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() / ("sakchy-bench-" + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p.string();
}

constexpr const char* kText =
    "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу! Жалал-Абадда базарда "
    "мушташ болуптур деп айтышат, баарына жеткиргиле. Срочно! На границе стрельба.";

// Appends batches of `range(0)` reports with unique source_refs; range(1) = fsync on/off.
void BM_AppendReports(benchmark::State& state) {
  const auto dir = TempDir();
  auto store = Store::Open({dir, state.range(1) != 0});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  IdGenerator ids(SystemClock::Instance());
  std::vector<Report> batch(static_cast<size_t>(state.range(0)));
  std::uint64_t n = 0;
  for (auto _ : state) {
    for (auto& r : batch) {
      r.id = ids.Next();
      r.text = kText;
      r.channel = "api";
      r.source_ref = "bench-" + std::to_string(n++);
      r.received_at = r.observed_at = SystemClock::Instance().NowMs();
    }
    auto res = (*store)->AppendReports(batch);
    if (!res) state.SkipWithError(res.error().message.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendReports)->ArgsProduct({{1, 32, 256}, {0, 1}})->UseRealTime();

// Scored commits of `range(0)` events, each with the counters of a raion event (3 areas).
void BM_CommitScored(benchmark::State& state) {
  const auto dir = TempDir();
  auto store = Store::Open({dir, true});
  IdGenerator ids(SystemClock::Instance());
  std::vector<ScoredBatchItem> items(static_cast<size_t>(state.range(0)));
  std::uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Report> reports;
    for (auto& it : items) {
      it.event = Event{};
      it.event.report.id = ids.Next();
      it.event.report.text = kText;
      it.event.report.channel = "api";
      it.event.report.observed_at = SystemClock::Instance().NowMs();
      it.event.scored = true;
      it.event.severity = Severity::kHigh;
      it.event.categories = {"place", "rumour_marker", "violence"};
      it.event.area = "KG-O-ARAVAN";
      it.counters.clear();
      for (const char* area : {"KG", "KG-O", "KG-O-ARAVAN"}) {
        for (const char* dim : {"total", "severity:high", "category:place", "category:rumour_marker",
                                "category:violence", "tension"}) {
          it.counters.push_back({area, dim, it.event.report.observed_at, 1});
        }
      }
      reports.push_back(it.event.report);
    }
    (void)(*store)->AppendReports(reports);
    state.ResumeTiming();
    auto s = (*store)->CommitScored(items);
    if (!s) state.SkipWithError(s.error().message.c_str());
    n += items.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CommitScored)->Arg(1)->Arg(64)->Arg(256)->UseRealTime();

}  // namespace
}  // namespace sakchy::storage

BENCHMARK_MAIN();
