#include "bench_sink.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <thread>

namespace sakchy::bench {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

std::int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t Marker(std::string_view body) {
  const auto at = body.find("BENCH-");
  if (at == std::string_view::npos) return -1;
  std::int64_t v = 0;
  bool any = false;
  for (std::size_t i = at + 6; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i) {
    v = v * 10 + (body[i] - '0');
    any = true;
  }
  return any ? v : -1;
}

}  // namespace

class BenchSink::Impl {
 public:
  Impl(std::uint16_t port, int threads) : ioc_(threads), acceptor_(ioc_) {
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(1024);
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(ioc_, Accept(), net::detached);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~Impl() {
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

  std::uint16_t port() const { return port_; }
  std::uint64_t count() const { return count_.load(); }
  std::vector<Arrival> arrivals() const {
    std::lock_guard lock(mu_);
    return arrivals_;
  }

 private:
  net::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      net::co_spawn(acceptor_.get_executor(), Session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> Session(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      boost::system::error_code ec;
      http::request_parser<http::string_body> parser;
      parser.body_limit(16 * 1024 * 1024);
      co_await http::async_read(socket, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      const auto& req = parser.get();
      Arrival a;
      a.realtime_ns = RealtimeNs();
      a.steady_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
      a.id = Marker(req.body());
      {
        std::lock_guard lock(mu_);
        arrivals_.push_back(a);
      }
      ++count_;
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      res.body() = "{}";
      res.prepare_payload();
      co_await http::async_write(socket, res, net::redirect_error(net::use_awaitable, ec));
      if (ec || !req.keep_alive()) co_return;
    }
  }

  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<Arrival> arrivals_;
  std::atomic<std::uint64_t> count_{0};
};

BenchSink::BenchSink(std::uint16_t port, int threads)
    : impl_(std::make_unique<Impl>(port, threads)) {}
BenchSink::~BenchSink() = default;
std::uint16_t BenchSink::port() const { return impl_->port(); }
std::uint64_t BenchSink::count() const { return impl_->count(); }
std::vector<Arrival> BenchSink::arrivals() const { return impl_->arrivals(); }

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  return values[static_cast<std::size_t>(std::llround(rank))];
}

}  // namespace sakchy::bench
