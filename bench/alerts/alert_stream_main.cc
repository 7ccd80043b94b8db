// bench_alert_stream: sends the benchmark's alert stream at a fixed rate over keep-alive HTTP/1.1.
//   bench_alert_stream alertmanager|sakchy HOST PORT COUNT RATE OUT.csv [TOKEN]
// Alert n carries the marker "BENCH-<n>": to Alertmanager as POST /api/v2/alerts (one alert with
// label id=BENCH-<n>), to Sakchy as POST /v1/reports (a rumour text ending in BENCH-<n>). Writes
// "n,send_realtime_ns,status" per alert to OUT.csv.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

std::int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string Rfc3339(std::int64_t ns) {
  const std::time_t s = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ns / 1'000'000 % 1000));
  return buf;
}

struct Sent {
  std::int64_t n;
  std::int64_t ns;
  int status;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s alertmanager|sakchy HOST PORT COUNT RATE OUT.csv [TOKEN]\n",
                 argv[0]);
    return 2;
  }
  const std::string target = argv[1], host = argv[2], port = argv[3];
  const std::int64_t count = std::atoll(argv[4]);
  const double rate = std::atof(argv[5]);
  const std::string out_path = argv[6];
  const std::string token = argc > 7 ? argv[7] : "";
  const bool am = target == "alertmanager";
  constexpr int kThreads = 8;
  std::atomic<std::int64_t> next{0};
  std::mutex mu;
  std::vector<Sent> sent;
  sent.reserve(static_cast<std::size_t>(count));
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(host, port);
    std::unique_ptr<tcp::socket> socket;
    boost::beast::flat_buffer buffer;
    for (;;) {
      const std::int64_t n = next.fetch_add(1);
      if (n >= count) break;
      std::this_thread::sleep_until(
          start + std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 * n / rate)));
      const std::int64_t now = RealtimeNs();
      http::request<http::string_body> req;
      req.version(11);
      req.method(http::verb::post);
      req.set(http::field::host, host + ":" + port);
      req.set(http::field::content_type, "application/json");
      if (am) {
        req.target("/api/v2/alerts");
        req.body() = "[{\"labels\":{\"alertname\":\"SakchyBench\",\"id\":\"BENCH-" +
                     std::to_string(n) +
                     "\",\"area\":\"KG-GO\",\"severity\":\"high\"},\"annotations\":{\"text\":"
                     "\"Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!\"},"
                     "\"startsAt\":\"" +
                     Rfc3339(now) + "\"}]";
      } else {
        req.target("/v1/reports");
        req.set(http::field::authorization, "Bearer " + token);
        req.body() = "{\"text\":\"Говорят, в Оше начались беспорядки, передайте всем, выходите на "
                     "улицу! BENCH-" +
                     std::to_string(n) + "\",\"source_ref\":\"bench-" + std::to_string(n) + "\"}";
      }
      req.prepare_payload();
      int status = 0;
      for (int attempt = 0; attempt < 2 && status == 0; ++attempt) {
        try {
          if (!socket) {
            socket = std::make_unique<tcp::socket>(ioc);
            net::connect(*socket, endpoints);
          }
          http::write(*socket, req);
          http::response<http::string_body> res;
          http::read(*socket, buffer, res);
          status = static_cast<int>(res.result_int());
          if (!res.keep_alive()) socket.reset();
        } catch (const std::exception&) {
          socket.reset();  // a closed keep-alive connection: once more on a fresh one
        }
      }
      std::lock_guard lock(mu);
      sent.push_back({n, now, status});
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ofstream out(out_path);
  std::int64_t ok = 0;
  for (const Sent& s : sent) {
    out << s.n << "," << s.ns << "," << s.status << "\n";
    ok += s.status >= 200 && s.status < 300;
  }
  std::fprintf(stderr, "bench_alert_stream: %lld alerts to %s in %.1f s (%.0f/s), %lld accepted\n",
               static_cast<long long>(count), target.c_str(), seconds,
               static_cast<double>(count) / seconds, static_cast<long long>(ok));
  return 0;
}
