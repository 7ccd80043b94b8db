// Rumour clustering micro-benchmarks (issue 6 targets, one thread: >= 100,000 reports/s;
// cluster index <= 100 bytes per report).
//
// Stream: synthetic normalised texts of 12-40 words (~100-300 bytes) drawn from a vocabulary of
// 20,000 pseudo-Cyrillic words; 40% of the reports are near-duplicates of one of the last 5,000
// (1-3 words replaced), the rest are new. Reports are 5 ms apart, so with the default 6 h window
// every report of a run stays indexed (the worst case for memory). Deterministic (fixed seed).
// Run: build-clusters/bench/clusters_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "classifier/clusters.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "ingest/clustering.h"
#include "storage/store.h"

namespace {

using sakchy::classifier::ClusterInput;
using sakchy::classifier::RumourClusterer;

std::vector<std::string> MakeVocabulary(std::mt19937_64& rng, int n) {
  static const char* kSyllables[] = {"ка", "ло", "ми", "на", "ру", "се", "ты", "жа", "кө", "бү",
                                     "ды", "ге", "ош", "ар", "ул", "ни", "та", "чы", "ба", "ре"};
  std::uniform_int_distribution<int> syl(0, 19);
  std::uniform_int_distribution<int> len(2, 4);
  std::vector<std::string> words;
  words.reserve(n);
  for (int i = 0; i < n; ++i) {
    std::string w;
    for (int k = len(rng); k > 0; --k) w += kSyllables[syl(rng)];
    words.push_back(std::move(w));
  }
  return words;
}

std::vector<std::string> MakeStream(int n) {
  std::mt19937_64 rng(20261125);
  auto vocab = MakeVocabulary(rng, 20000);
  std::uniform_int_distribution<int> word(0, 19999);
  std::uniform_int_distribution<int> length(12, 40);
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<std::vector<int>> texts;
  std::vector<std::string> out;
  texts.reserve(n);
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    std::vector<int> words;
    if (i > 0 && coin(rng) < 0.4) {
      int back = std::uniform_int_distribution<int>(1, std::min(i, 5000))(rng);
      words = texts[i - back];
      int edits = std::uniform_int_distribution<int>(1, 3)(rng);
      for (int e = 0; e < edits; ++e) {
        words[std::uniform_int_distribution<std::size_t>(0, words.size() - 1)(rng)] = word(rng);
      }
    } else {
      for (int k = length(rng); k > 0; --k) words.push_back(word(rng));
    }
    std::string s;
    for (int w : words) {
      if (!s.empty()) s.push_back(' ');
      s += vocab[w];
    }
    texts.push_back(std::move(words));
    out.push_back(std::move(s));
  }
  return out;
}

const std::vector<std::string>& Stream() {
  static const auto* stream = new std::vector<std::string>(MakeStream(200000));
  return *stream;
}

// Assignment throughput: tokenise + MinHash + LSH lookup + cluster update, one thread.
// Each iteration feeds the whole stream into a fresh clusterer.
void BM_ClusterAssign(benchmark::State& state) {
  const auto& stream = Stream();
  const int n = static_cast<int>(state.range(0));
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) bytes += stream[i].size();
  std::vector<std::string> ids(n), sources(n);
  for (int i = 0; i < n; ++i) {
    ids[i] = "01JD";
    ids[i] += std::to_string(1000000 + i);
    sources[i] = "user";
    sources[i] += std::to_string(i % 5000);
  }
  std::size_t clusters = 0;
  RumourClusterer::MemoryStats mem;
  for (auto _ : state) {
    RumourClusterer clusterer;
    for (int i = 0; i < n; ++i) {
      ClusterInput in;
      in.report_id = ids[i];
      in.text = stream[i];
      in.time = 1'700'000'000'000 + static_cast<std::int64_t>(i) * 5;
      in.area = (i % 7) ? "KG-O" : "KG-B";
      in.channel = "sms";
      in.submitted_by = sources[i];
      benchmark::DoNotOptimize(clusterer.Add(in));
    }
    state.PauseTiming();
    mem = clusterer.Memory();
    clusters = mem.clusters;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["clusters"] = static_cast<double>(clusters);
  state.counters["index_B/report"] =
      static_cast<double>(mem.index_bytes) / static_cast<double>(mem.indexed_reports);
  state.counters["cluster_B/report"] =
      static_cast<double>(mem.cluster_bytes) / static_cast<double>(n);
}
BENCHMARK(BM_ClusterAssign)->Arg(20000)->Arg(200000)->Unit(benchmark::kMillisecond);

// The same in bounded mode, as the service runs it: at most 20,000 cluster states in memory
// (trimmed every 256 reports, like a scoring batch); a report that joins a trimmed cluster reads
// it back through load_cluster (here a map standing for the store, not counted as memory).
void BM_ClusterAssignBounded(benchmark::State& state) {
  const auto& stream = Stream();
  const int n = static_cast<int>(state.range(0));
  std::vector<std::string> ids(n), sources(n);
  for (int i = 0; i < n; ++i) {
    ids[i] = "01JD" + std::to_string(1000000 + i);
    sources[i] = "user" + std::to_string(i % 5000);
  }
  RumourClusterer::MemoryStats mem;
  for (auto _ : state) {
    state.PauseTiming();
    std::unordered_map<sakchy::classifier::ClusterId, sakchy::classifier::ClusterInfo> disk;
    sakchy::classifier::ClusterOptions o;
    o.max_cached_clusters = 20000;
    o.load_cluster = [&disk](sakchy::classifier::ClusterId id)
        -> sakchy::Result<std::optional<sakchy::classifier::ClusterInfo>> {
      auto it = disk.find(id);
      if (it == disk.end()) return std::optional<sakchy::classifier::ClusterInfo>();
      return std::optional<sakchy::classifier::ClusterInfo>(it->second);
    };
    RumourClusterer clusterer(o);
    std::vector<sakchy::classifier::ClusterId> touched;
    state.ResumeTiming();
    for (int i = 0; i < n; ++i) {
      ClusterInput in;
      in.report_id = ids[i];
      in.text = stream[i];
      in.time = 1'700'000'000'000 + static_cast<std::int64_t>(i) * 5;
      in.area = (i % 7) ? "KG-O" : "KG-B";
      in.channel = "sms";
      in.submitted_by = sources[i];
      auto a = clusterer.Add(in);
      if (!a.detached) touched.push_back(a.cluster);
      if (i % 256 == 255) {  // the end of a batch: states persisted, then the cache trimmed
        state.PauseTiming();
        for (auto id : touched) {
          clusterer.Visit(id,
                          [&disk](const sakchy::classifier::ClusterInfo& c) { disk[c.id] = c; });
        }
        touched.clear();
        state.ResumeTiming();
        clusterer.Trim();
      }
    }
    state.PauseTiming();
    mem = clusterer.Memory();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["index_B/report"] =
      static_cast<double>(mem.index_bytes) / static_cast<double>(mem.indexed_reports);
  state.counters["cache_clusters"] = static_cast<double>(mem.clusters);
  state.counters["cache_MB"] = static_cast<double>(mem.cluster_bytes) / 1e6;
  state.counters["loads"] = static_cast<double>(mem.loads);
}
BENCHMARK(BM_ClusterAssignBounded)->Arg(200000)->Unit(benchmark::kMillisecond);

// The service's stage: ClusterStage::Annotate on scoring batches of 256 events with raw texts
// (normalised here), records encoded, against a real RocksDB store in a temp dir; the commit of
// each batch (CommitScored, storage's cost) is outside the timing.
void BM_ClusterStage(benchmark::State& state) {
  const auto& stream = Stream();
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir = "/tmp/sakchy-clusters-bench-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    auto store = sakchy::storage::Store::Open({dir, false});
    if (!store) {
      state.SkipWithError("cannot open the store");
      return;
    }
    sakchy::ManualClock clock(1'700'000'000'000);
    sakchy::MetricsRegistry metrics;
    sakchy::config::ClustersConfig cfg;
    auto stage = sakchy::ingest::ClusterStage::Open(**store, cfg, clock, metrics);
    sakchy::IdGenerator ids(clock);
    state.ResumeTiming();
    for (int i = 0; i < n; i += 256) {
      state.PauseTiming();
      std::vector<sakchy::storage::ScoredBatchItem> items;
      for (int k = i; k < std::min(n, i + 256); ++k) {
        clock.Set(1'700'000'000'000 + static_cast<std::int64_t>(k) * 5);
        sakchy::storage::ScoredBatchItem item;
        item.event.report.id = ids.Next();
        item.event.report.text = stream[k];
        item.event.report.channel = "sms";
        item.event.report.submitted_by = "sms:" + std::to_string(k % 5000);
        item.event.report.observed_at = clock.NowMs();
        item.event.report.received_at = clock.NowMs();
        item.event.scored = true;
        item.event.area = (k % 7) ? "KG-O" : "KG-B";
        item.event.severity = sakchy::Severity::kMedium;
        item.event.categories = {"rumour_marker"};
        items.push_back(std::move(item));
      }
      state.ResumeTiming();
      benchmark::DoNotOptimize((*stage)->Annotate(items));
      state.PauseTiming();
      if (!(*store)->CommitScored(items)) state.SkipWithError("commit failed");
      state.ResumeTiming();
    }
    state.PauseTiming();
    stage->reset();
    store->reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ClusterStage)->Arg(50000)->Unit(benchmark::kMillisecond)->Iterations(1);

// Signature only (tokenise + MinHash), the per-report floor.
void BM_ClusterFingerprint(benchmark::State& state) {
  const auto& stream = Stream();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sakchy::classifier::ComputeFingerprint(stream[i]));
    i = (i + 1) % 20000;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClusterFingerprint);

}  // namespace

BENCHMARK_MAIN();
