// bench_webhook_sink: the benchmarks' webhook receiver as a process.
//   bench_webhook_sink PORT OUT.csv [THREADS]
// Prints "listening on PORT", answers 200 to everything, and on SIGTERM/SIGINT writes one
// "id,arrival_realtime_ns" line per request (id -1: no BENCH-<n> marker) to OUT.csv.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "bench_sink.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT OUT.csv [THREADS]\n", argv[0]);
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the sink's threads inherit the mask
  sakchy::bench::BenchSink sink(static_cast<std::uint16_t>(std::atoi(argv[1])),
                                argc > 3 ? std::atoi(argv[3]) : 2);
  std::printf("listening on %u\n", sink.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  std::ofstream out(argv[2]);
  for (const auto& a : sink.arrivals()) out << a.id << "," << a.realtime_ns << "\n";
  std::fprintf(stderr, "bench_webhook_sink: %llu requests\n",
               static_cast<unsigned long long>(sink.count()));
  return 0;
}
