#include "core/metrics.h"
#include "core/version.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sakchy {
namespace {

std::string EscapeLabel(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string RenderLabels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    out += EscapeLabel(labels[i].second);
    out += '"';
  }
  out += '}';
  return out;
}

// Adds `extra` (e.g. le="0.5") into a rendered label string.
std::string WithLabel(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

void AtomicAdd(std::atomic<double>& a, double d) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(value_, d); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  s.count = acc;
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), {}, {}, {}, {}}).first;
  }
  return it->second;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam = FamilyFor(name, help, Kind::kCounter);
  auto& slot = fam.counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam = FamilyFor(name, help, Kind::kGauge);
  auto& slot = fam.gauges[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const Labels& labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& fam = FamilyFor(name, help, Kind::kHistogram);
  auto& slot = fam.histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

void MetricsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                       const Labels& labels, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto& fam = FamilyFor(name, help, Kind::kGauge);
  fam.callbacks[RenderLabels(labels)] = std::move(fn);
}

void MetricsRegistry::AddCallbackCounter(std::string_view name, std::string_view help,
                                         const Labels& labels, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto& fam = FamilyFor(name, help, Kind::kCounter);
  fam.callbacks[RenderLabels(labels)] = std::move(fn);
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& [name, fam] : families_) {
    const char* type = fam.kind == Kind::kCounter ? "counter"
                       : fam.kind == Kind::kGauge ? "gauge"
                                                  : "histogram";
    out += "# HELP " + name + " " + fam.help + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, c] : fam.counters) {
      out += name + labels + " " + std::to_string(c->Value()) + "\n";
    }
    for (const auto& [labels, g] : fam.gauges) {
      out += name + labels + " " + FormatDouble(g->Value()) + "\n";
    }
    for (const auto& [labels, fn] : fam.callbacks) {
      out += name + labels + " " + FormatDouble(fn()) + "\n";
    }
    for (const auto& [labels, h] : fam.histograms) {
      auto s = h->Read();
      for (size_t i = 0; i < s.cumulative.size(); ++i) {
        std::string le = i < s.bounds.size() ? FormatDouble(s.bounds[i]) : "+Inf";
        out += name + "_bucket" + WithLabel(labels, "le=\"" + le + "\"") + " " +
               std::to_string(s.cumulative[i]) + "\n";
      }
      out += name + "_sum" + labels + " " + FormatDouble(s.sum) + "\n";
      out += name + "_count" + labels + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

namespace {

// Fields of /proc/self/statm: total program size and resident set, in pages.
std::pair<double, double> StatmBytes() {
  std::ifstream statm("/proc/self/statm");
  double pages = 0, resident = 0;
  statm >> pages >> resident;
  const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));
  return {pages * page, resident * page};
}

// Seconds since the epoch when this process started: /proc/self/stat field 22 (clock ticks after
// boot) plus the boot time of /proc/stat.
double StartTimeSeconds() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));  // from field 3 (state) on
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  double boot = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (line.starts_with("btime ")) boot = std::strtod(line.c_str() + 6, nullptr);
  }
  return boot + std::strtod(field.c_str(), nullptr) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::string_view SakchyVersion() { return kVersion; }

void RegisterStandardProcessMetrics(MetricsRegistry& metrics) {
  metrics.AddCallbackCounter("process_cpu_seconds_total", "User and system CPU time spent", {},
                             [] {
                               rusage u{};
                               getrusage(RUSAGE_SELF, &u);
                               return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
                                      static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) /
                                          1e6;
                             });
  metrics.AddCallbackGauge("process_resident_memory_bytes", "Resident memory of the process", {},
                           [] { return StatmBytes().second; });
  metrics.AddCallbackGauge("process_virtual_memory_bytes", "Virtual memory size of the process",
                           {}, [] { return StatmBytes().first; });
  metrics.AddCallbackGauge("process_open_fds", "Open file descriptors", {}, [] {
    std::error_code ec;
    double n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
      ++n;
    }
    return n;
  });
  metrics.AddCallbackGauge("process_max_fds", "The limit of open file descriptors", {}, [] {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    return static_cast<double>(limit.rlim_cur);
  });
  const double started = StartTimeSeconds();
  metrics.AddCallbackGauge("process_start_time_seconds",
                           "Start time of the process since the epoch, in seconds", {},
                           [started] { return started; });
  metrics
      .GetGauge("sakchy_build_info", "The version of this build (value 1)",
                {{"version", std::string(SakchyVersion())}, {"compiler", __VERSION__}})
      .Set(1);
}

}  // namespace sakchy
