#include "fakes/http_sink.h"

#include "testutil/testutil.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>
#include <utility>

namespace sakchy::testing {
namespace {
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kMaxRequestBody = 8 * 1024 * 1024;

}  // namespace

class HttpSink::Impl {
 public:
  explicit Impl(std::uint16_t port) : acceptor_(ioc_) {
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(ioc_, Accept(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~Impl() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }

  void SetStatus(int status, std::map<std::string, std::string> extra_headers) {
    std::lock_guard lock(mu_);
    status_ = status;
    extra_headers_ = std::move(extra_headers);
  }

  void SetDelay(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  std::size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }

  std::size_t max_concurrent() const {
    std::lock_guard lock(mu_);
    return max_concurrent_;
  }

  void Clear() {
    std::lock_guard lock(mu_);
    requests_.clear();
  }

 private:
  net::awaitable<void> Accept() {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open() || ec == net::error::operation_aborted) co_return;
        continue;
      }
      net::co_spawn(ioc_, Session(std::move(socket)), net::detached);
    }
  }

  // One connection: requests in sequence (keep-alive) until the client closes or asks to close.
  net::awaitable<void> Session(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;  // a fresh parser per request
      parser.body_limit(kMaxRequestBody);
      error_code ec;
      co_await http::async_read(socket, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) break;  // end_of_stream (client closed) or a broken connection: done either way
      http::request<http::string_body> req = parser.release();

      int status;
      std::map<std::string, std::string> extra;
      std::chrono::milliseconds delay;
      {
        std::lock_guard lock(mu_);
        RecordedRequest rec;
        rec.method = std::string(req.method_string());
        rec.target = std::string(req.target());
        rec.body = req.body();
        for (const auto& field : req) {
          rec.headers[AsciiLower(field.name_string())] = std::string(field.value());
        }
        requests_.push_back(std::move(rec));
        max_concurrent_ = std::max(max_concurrent_, ++concurrent_);
        status = status_;
        extra = extra_headers_;
        delay = delay_;
      }
      if (delay.count() > 0) {
        net::steady_timer timer(socket.get_executor(), delay);
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      }

      http::response<http::string_body> res;
      res.version(req.version());
      res.result(static_cast<unsigned>(status));
      res.set(http::field::server, "sakchy-http-sink");
      res.set(http::field::content_type, "text/plain");
      for (const auto& [name, value] : extra) res.set(name, value);
      res.body() = "ok\n";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(socket, res, net::redirect_error(net::use_awaitable, ec));
      {
        std::lock_guard lock(mu_);
        --concurrent_;
      }
      if (ec || !res.keep_alive()) break;
    }
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;

  mutable std::mutex mu_;
  int status_ = 200;
  std::map<std::string, std::string> extra_headers_;
  std::chrono::milliseconds delay_{0};
  std::vector<RecordedRequest> requests_;
  std::size_t concurrent_ = 0;
  std::size_t max_concurrent_ = 0;
};

HttpSink::HttpSink(std::uint16_t port) : impl_(std::make_unique<Impl>(port)) {}
HttpSink::~HttpSink() = default;

std::uint16_t HttpSink::port() const { return impl_->port(); }

std::string HttpSink::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port()) + path;
}

void HttpSink::SetStatus(int status, std::map<std::string, std::string> extra_headers) {
  impl_->SetStatus(status, std::move(extra_headers));
}

void HttpSink::SetDelay(std::chrono::milliseconds d) { impl_->SetDelay(d); }

std::vector<RecordedRequest> HttpSink::requests() const { return impl_->requests(); }

std::size_t HttpSink::count() const { return impl_->count(); }

std::size_t HttpSink::max_concurrent() const { return impl_->max_concurrent(); }

void HttpSink::Clear() { impl_->Clear(); }

}  // namespace sakchy::testing
