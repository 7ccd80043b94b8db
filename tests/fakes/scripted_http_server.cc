#include "fakes/scripted_http_server.h"

#include "testutil/testutil.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

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

}  // namespace

class ScriptedHttpServer::Impl {
 public:
  explicit Impl(Handler handler) : handler_(std::move(handler)), acceptor_(ioc_) {
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(ioc_, Accept(this), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Impl() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  static net::awaitable<void> Accept(Impl* self) {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await self->acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (!self->acceptor_.is_open() || ec == net::error::operation_aborted) co_return;
        continue;
      }
      net::co_spawn(self->ioc_, Session(self, std::move(socket)), net::detached);
    }
  }

  static net::awaitable<void> Session(Impl* self, tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      error_code ec;
      co_await http::async_read(socket, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      http::request<http::string_body> req = parser.release();
      RecordedRequest rec;
      rec.method = std::string(req.method_string());
      rec.target = std::string(req.target());
      rec.body = req.body();
      for (const auto& field : req) {
        rec.headers[AsciiLower(field.name_string())] = std::string(field.value());
      }
      {
        std::lock_guard lock(self->mu_);
        self->requests_.push_back(rec);
      }
      ScriptedResponse answer = self->handler_(rec);
      if (answer.hold_until && answer.after_hold) {
        const auto deadline = std::chrono::steady_clock::now() + answer.delay;
        while (!answer.hold_until() && std::chrono::steady_clock::now() < deadline) {
          net::steady_timer tick(socket.get_executor(), std::chrono::milliseconds(5));
          co_await tick.async_wait(net::redirect_error(net::use_awaitable, ec));
        }
        answer = answer.after_hold();
      } else if (answer.delay.count() > 0) {
        net::steady_timer timer(socket.get_executor(), answer.delay);
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      }
      http::response<http::string_body> res;
      res.version(req.version());
      res.result(static_cast<unsigned>(answer.status));
      res.set(http::field::server, "sakchy-scripted-fake");
      for (const auto& [name, value] : answer.headers) res.set(name, value);
      res.body() = std::move(answer.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(socket, res, net::redirect_error(net::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  Handler handler_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
};

ScriptedHttpServer::ScriptedHttpServer(Handler handler)
    : impl_(std::make_unique<Impl>(std::move(handler))) {}
ScriptedHttpServer::~ScriptedHttpServer() = default;
std::uint16_t ScriptedHttpServer::port() const { return impl_->port(); }
std::string ScriptedHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port()) + path;
}
std::vector<RecordedRequest> ScriptedHttpServer::requests() const { return impl_->requests(); }
std::size_t ScriptedHttpServer::count() const { return impl_->requests().size(); }

std::string QueryParam(const std::string& target, const std::string& name) {
  const auto q = target.find('?');
  if (q == std::string::npos) return "";
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    }
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return "";
}

}  // namespace sakchy::testing
