// In-process alert benchmarks against the real RocksDB store (fsync on) and a loopback webhook
// receiver (BenchSink). Not a test: prints figures for docs/PERFORMANCE.md.
//
//   alerts_load handoff [RATE=1000] [SECONDS=20]
//     Scored events committed with their routing tickets in 10 ms group commits (as the
//     pipeline does), at RATE per second; each routes to one webhook contact. Latency = from the
//     commit of the event to the arrival of its notification at the receiver (an upper bound of
//     the hand-off to the channel). Prints p50/p90/p99/max.
//   alerts_load throughput [COUNT=50000] [MAX_IN_FLIGHT=64]
//     COUNT queued notifications (rendered payloads) in the outbox; time until the receiver has
//     them all, with every state change and its audit entry written. Prints notifications/s.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>

#include "alerts/dispatcher.h"
#include "alerts/engine.h"
#include "bench_sink.h"
#include "config/areas.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "storage/store.h"

namespace sakchy::bench {
namespace {

constexpr char kAreas[] = R"(areas:
  - {code: "KG", parent: "", level: country, name_ru: "Кыргызстан"}
  - {code: "KG-O", parent: "KG", level: oblast, name_ru: "Ошская область"}
  - {code: "KG-O-ARAVAN", parent: "KG-O", level: raion, name_ru: "Араванский район"}
)";
constexpr char kSecret[] = "bench-webhook-secret";

std::int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<storage::Store> OpenStore(const std::string& dir) {
  std::filesystem::remove_all(dir);
  auto store = storage::Store::Open({dir, true});
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", dir.c_str(), store.error().ToString().c_str());
    std::exit(1);
  }
  return std::move(*store);
}

config::Contact Contact(const std::string& url) {
  config::Contact c;
  c.id = "bench-duty";
  c.areas = {"KG-O"};
  config::ContactChannel ch;
  ch.type = "webhook";
  ch.address = url;
  ch.secret = kSecret;
  c.channels.push_back(ch);
  return c;
}

Event MakeEvent(IdGenerator& ids, std::int64_t n, TimeMs now) {
  Event e;
  e.report.id = ids.Next();
  e.report.text = "Говорят, в Араване отравили воду, передайте всем! BENCH-" + std::to_string(n);
  e.report.channel = "api";
  e.report.submitted_by = "monitor-" + std::to_string(n % 7);
  e.report.observed_at = now;
  e.report.received_at = now;
  e.scored = true;
  e.matches.push_back({"health.poison", "health", "отравили", 30, 46});
  e.categories = {"health", "rumour_marker"};
  e.score = 9;
  e.severity = Severity::kHigh;
  e.area = "KG-O-ARAVAN";
  e.area_source = AreaSource::kText;
  e.scored_at = now;
  return e;
}

int Handoff(int rate, int seconds) {
  const std::string dir = std::filesystem::temp_directory_path() / "sakchy-bench-handoff";
  auto store = OpenStore(dir);
  auto areas = config::AreaTree::Parse(kAreas, "bench").value();
  BenchSink sink(0, 2);
  config::AlertsConfig cfg;
  cfg.min_severity = Severity::kHigh;
  cfg.timeout_ms = 5000;
  cfg.max_in_flight = 64;
  cfg.allow_private_targets = {"127.0.0.1/32"};  // the sink listens on loopback
  const auto& clock = SystemClock::Instance();
  MetricsRegistry metrics;
  auto engine = alerts::Engine::Create(*store, cfg,
                                       {Contact("http://127.0.0.1:" + std::to_string(sink.port()) +
                                                "/hook")},
                                       areas, clock, metrics);
  if (auto st = engine->Start(); !st) {
    std::fprintf(stderr, "engine: %s\n", st.error().ToString().c_str());
    return 1;
  }
  IdGenerator ids(clock);
  const std::int64_t total = static_cast<std::int64_t>(rate) * seconds;
  std::vector<std::int64_t> stored(static_cast<std::size_t>(total), 0);
  const auto tick = std::chrono::milliseconds(10);
  const auto start = std::chrono::steady_clock::now();
  std::int64_t next = 0;
  for (int t = 0; next < total; ++t) {
    std::this_thread::sleep_until(start + t * tick);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const std::int64_t due = std::min<std::int64_t>(
        total, static_cast<std::int64_t>(
                   std::chrono::duration<double>(elapsed).count() * rate) + 1);
    if (due <= next) continue;
    std::vector<Report> reports;
    std::vector<storage::ScoredBatchItem> items;
    std::vector<Alert> tickets;
    for (; next < due; ++next) {
      Event e = MakeEvent(ids, next, clock.NowMs());
      storage::ScoredBatchItem item;
      item.alerts = engine->Plan(e);
      for (const Alert& a : item.alerts) tickets.push_back(a);
      reports.push_back(e.report);
      item.event = std::move(e);
      items.push_back(std::move(item));
    }
    if (!store->AppendReports(reports) || !store->CommitScored(items)) {
      std::fprintf(stderr, "commit failed\n");
      return 1;
    }
    const std::int64_t now = SteadyNs();
    for (std::int64_t i = next - static_cast<std::int64_t>(items.size()); i < next; ++i) {
      stored[static_cast<std::size_t>(i)] = now;
    }
    engine->Committed(std::move(tickets));
  }
  const double fed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sink.count() < static_cast<std::uint64_t>(total) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<double> latency_ms;
  for (const Arrival& a : sink.arrivals()) {
    if (a.id < 0 || a.id >= total) continue;
    latency_ms.push_back(static_cast<double>(a.steady_ns - stored[static_cast<std::size_t>(a.id)]) /
                         1e6);
  }
  engine->Stop();
  const std::size_t got = latency_ms.size();
  std::printf("handoff: %lld events at %d/s fed in %.1f s (%.0f/s); %zu notifications arrived\n",
              static_cast<long long>(total), rate, fed_s, static_cast<double>(total) / fed_s, got);
  std::printf("latency event stored -> notification at the receiver (ms): p50 %.2f  p90 %.2f  "
              "p99 %.2f  max %.2f\n",
              Percentile(latency_ms, 50), Percentile(latency_ms, 90), Percentile(latency_ms, 99),
              Percentile(latency_ms, 100));
  std::filesystem::remove_all(dir);
  return got == static_cast<std::size_t>(total) ? 0 : 1;
}

int Throughput(int count, int max_in_flight) {
  const std::string dir = std::filesystem::temp_directory_path() / "sakchy-bench-outbox";
  auto store = OpenStore(dir);
  BenchSink sink(0, 2);
  const std::string url = "http://127.0.0.1:" + std::to_string(sink.port()) + "/hook";
  IdGenerator ids(SystemClock::Instance());
  const TimeMs now = SystemClock::Instance().NowMs();
  std::vector<Alert> batch;
  for (int i = 0; i < count; ++i) {
    Alert a;
    a.id = ids.Next();
    a.kind = AlertKind::kEvent;
    a.event_id = ids.Next();
    a.event_ids = {a.event_id};
    a.group_key = "root/event=" + a.event_id;
    a.area = "KG-O-ARAVAN";
    a.severity = Severity::kHigh;
    a.categories = {"health"};
    a.contact_id = "bench-duty";
    a.channel = "webhook";
    a.target = url;
    a.sequence = 1;
    a.idempotency_key = Sha256Hex(a.id).substr(0, 32);
    a.created_at = now;
    a.next_attempt_at = now;
    a.payload = "{\"type\":\"sakchy.alert\",\"alert_id\":\"" + a.id +
                "\",\"text\":\"Говорят, в Араване отравили воду, передайте всем! BENCH-" +
                std::to_string(i) + "\",\"severity\":\"high\",\"area\":\"KG-O-ARAVAN\"}";
    batch.push_back(std::move(a));
    if (batch.size() == 1000) {
      if (!store->UpdateAlerts(batch)) return 1;
      batch.clear();
    }
  }
  if (!batch.empty() && !store->UpdateAlerts(batch)) return 1;
  config::AlertsConfig cfg;
  cfg.timeout_ms = 5000;
  cfg.max_in_flight = max_in_flight;
  cfg.allow_private_targets = {"127.0.0.1/32"};  // the sink listens on loopback
  MetricsRegistry metrics;
  auto dispatcher = alerts::Dispatcher::Create(*store, cfg, {Contact(url)},
                                               SystemClock::Instance(), metrics);
  const auto start = std::chrono::steady_clock::now();
  if (auto st = dispatcher->Start(); !st) return 1;
  while (sink.count() < static_cast<std::uint64_t>(count)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double delivered_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  while (dispatcher->backlog() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  dispatcher->Stop();  // every state change written
  const double written_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  storage::AlertFilter queued;
  queued.state = DeliveryState::kPending;
  const auto left = store->ListAlerts(queued, 10, {});
  std::printf("throughput: %d notifications, max_in_flight %d: at the receiver in %.2f s "
              "(%.0f/s); states written in %.2f s (%.0f/s); still queued: %zu\n",
              count, max_in_flight, delivered_s, count / delivered_s, written_s,
              count / written_s, left ? left->size() : 0);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace sakchy::bench

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "handoff") {
    return sakchy::bench::Handoff(argc > 2 ? std::atoi(argv[2]) : 1000,
                                  argc > 3 ? std::atoi(argv[3]) : 20);
  }
  if (mode == "throughput") {
    return sakchy::bench::Throughput(argc > 2 ? std::atoi(argv[2]) : 50000,
                                     argc > 3 ? std::atoi(argv[3]) : 64);
  }
  std::fprintf(stderr, "usage: %s handoff [RATE] [SECONDS] | throughput [COUNT] [MAX_IN_FLIGHT]\n",
               argv[0]);
  return 2;
}
