// Rumour clustering micro-benchmarks (issue 6 targets, one thread: >= 100,000 reports/s;
// cluster index <= 100 bytes per report).
//
// Stream: synthetic normalised texts of 12-40 words (~100-300 bytes) drawn from a vocabulary of
// 20,000 pseudo-Cyrillic words; 40% of the reports are near-duplicates of one of the last 5,000
// (1-3 words replaced), the rest are new. Reports are 5 ms apart, so with the default 6 h window
// every report of a run stays indexed (the worst case for memory). Deterministic (fixed seed).
// Run: build-clusters/bench/clusters_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "classifier/clusters.h"

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
