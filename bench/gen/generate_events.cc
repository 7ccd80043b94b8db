// Writes N synthetic scored events (with their counters, exactly as the pipeline commits them)
// straight into a Sakchy data directory, for the trend and export benchmarks. Fast: big batches
// through Store::CommitScored with sync off, events in time order over a span of days.
//
//   sakchy_generate_events --data-dir DIR [--events 10000000] [--days 365]
//                          [--start 2025-01-01T00:00:00+06:00] [--seed 1] [--batch 20000]
//
// Areas: the bundled Kyrgyz raions and cities (5% of events without an area); severities info 50%,
// low 20%, medium 15%, high 10%, critical 5%; 0-3 categories of the bundled rules; a diurnal
// cycle; texts of about 120 characters from Russian/Kyrgyz fragments, some with a phone number
// (exports must redact them).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "config/areas.h"
#include "core/id.h"
#include "core/time.h"
#include "analytics/event_counters.h"
#include "storage/store.h"

namespace {

using namespace sakchy;

const char* kFragments[] = {
    "Говорят, на базаре", "в селе ночью", "передайте всем", "срочно!", "видели людей с палками",
    "у границы собираются", "закрыли дорогу", "вода кончилась", "Айылда кечээ", "базарда чатак болду",
    "баарына айткыла", "милиция келди", "цены на муку выросли", "слухи о драке", "школу закрыли",
    "на собрании кричали", "из соседнего района", "не верьте", "кто-то поджёг", "жаштар чогулду"};
const char* kCategories[] = {"rumour_marker", "call_to_action", "violence", "threat",
                             "group_reference", "group_attack", "hate", "insult"};
const char* kChannels[] = {"api", "api", "api", "sms", "telegram", "rss"};

int Usage() {
  std::fprintf(stderr,
               "usage: sakchy_generate_events --data-dir DIR [--events N] [--days D] "
               "[--start RFC3339] [--seed S] [--batch B]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  long long events = 10'000'000;
  double days = 365;
  TimeMs start = *ParseRfc3339("2025-01-01T00:00:00+06:00");
  std::uint64_t seed = 1;
  std::size_t batch_size = 20000;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* a = argv[i];
    const char* v = nullptr;
    if (!std::strcmp(a, "--data-dir") && (v = next())) {
      data_dir = v;
    } else if (!std::strcmp(a, "--events") && (v = next())) {
      events = std::atoll(v);
    } else if (!std::strcmp(a, "--days") && (v = next())) {
      days = std::atof(v);
    } else if (!std::strcmp(a, "--start") && (v = next())) {
      auto t = ParseRfc3339(v);
      if (!t) return Usage();
      start = *t;
    } else if (!std::strcmp(a, "--seed") && (v = next())) {
      seed = std::strtoull(v, nullptr, 10);
    } else if (!std::strcmp(a, "--batch") && (v = next())) {
      batch_size = std::strtoull(v, nullptr, 10);
    } else {
      return Usage();
    }
  }
  if (data_dir.empty() || events <= 0 || days <= 0 || batch_size == 0) return Usage();

  auto areas = config::AreaTree::Load("embedded:areas.yaml");
  if (!areas) {
    std::fprintf(stderr, "%s\n", areas.error().message.c_str());
    return 1;
  }
  std::vector<AreaCode> leaves;
  for (const auto& a : areas->areas()) {
    if (a.level == "raion" || (a.level == "city" && a.parent != areas->root())) leaves.push_back(a.code);
  }
  leaves.push_back("KG-GB");
  leaves.push_back("KG-GO");
  auto store = storage::Store::Open({data_dir, /*sync=*/false});
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }

  std::mt19937_64 rng(seed);
  ManualClock clock(start);
  IdGenerator ids(clock);
  const double span_ms = days * 86'400'000.0;
  const double step = span_ms / static_cast<double>(events);
  std::vector<storage::ScoredBatchItem> batch;
  batch.reserve(batch_size);
  const auto began = std::chrono::steady_clock::now();
  long long done = 0;
  for (long long i = 0; i < events; ++i) {
    // Time order with a diurnal cycle: more reports in the local afternoon.
    const double base = static_cast<double>(i) * step;
    const double local_hour = std::fmod((static_cast<double>(start) + base) / 3'600'000.0 + 6, 24.0);
    const double jitter = step * 0.5 * std::sin(local_hour / 24.0 * 2 * M_PI);
    const TimeMs observed = start + static_cast<TimeMs>(base + jitter);
    const TimeMs received = observed + static_cast<TimeMs>(rng() % 60000);
    clock.Set(received);

    storage::ScoredBatchItem item;
    Event& e = item.event;
    e.report.id = ids.Next();
    e.report.channel = kChannels[rng() % 6];
    e.report.observed_at = observed;
    e.report.received_at = received;
    e.report.submitted_by = e.report.channel == "api" ? "monitor-" + std::to_string(rng() % 40)
                                                      : e.report.channel + ":" + std::to_string(rng());
    e.report.source_ref = "gen-" + std::to_string(i);
    std::string& text = e.report.text;
    while (text.size() < 120) {
      if (!text.empty()) text += ' ';
      text += kFragments[rng() % 20];
    }
    if (rng() % 10 == 0) text += " звоните +996 700 " + std::to_string(100000 + rng() % 900000);
    const auto roll = rng() % 100;
    e.severity = roll < 50 ? Severity::kInfo
                           : roll < 70 ? Severity::kLow
                                       : roll < 85 ? Severity::kMedium
                                                   : roll < 95 ? Severity::kHigh : Severity::kCritical;
    e.score = static_cast<double>(e.severity) * 2.5 + static_cast<double>(rng() % 100) / 100.0;
    const std::size_t ncat = e.severity == Severity::kInfo ? rng() % 2 : 1 + rng() % 3;
    for (std::size_t c = 0; c < ncat; ++c) {
      std::string cat = kCategories[rng() % 8];
      if (std::find(e.categories.begin(), e.categories.end(), cat) == e.categories.end()) {
        e.categories.push_back(cat);
        e.matches.push_back(Match{"gen-rule", cat, "term", 0, 8});
      }
    }
    std::sort(e.categories.begin(), e.categories.end());
    if (rng() % 20 != 0) {
      e.area = leaves[rng() % leaves.size()];
      e.area_source = AreaSource::kRequest;
    }
    e.scored = true;
    e.scored_at = received + 5;
    e.ruleset_version = "generated";
    item.counters = analytics::CountersFor(e, *areas);
    batch.push_back(std::move(item));
    if (batch.size() == batch_size || i + 1 == events) {
      if (auto st = (*store)->CommitScored(batch); !st) {
        std::fprintf(stderr, "commit failed: %s\n", st.error().message.c_str());
        return 1;
      }
      done += static_cast<long long>(batch.size());
      batch.clear();
      if (done % 1'000'000 < static_cast<long long>(batch_size) || done == events) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        std::fprintf(stderr, "%lld events (%.0f/s)\n", done, static_cast<double>(done) / s);
      }
    }
  }
  if (auto st = (*store)->Flush(); !st) {
    std::fprintf(stderr, "flush failed: %s\n", st.error().message.c_str());
    return 1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf("generated %lld events over %.0f days from %s in %.1f s (%.0f events/s)\n", events,
              days, FormatRfc3339(start).c_str(), s, static_cast<double>(events) / s);
  return 0;
}
