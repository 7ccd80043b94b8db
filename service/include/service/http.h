#pragma once
// A small HTTP/1.1 server on Boost.Beast with C++20 coroutines: one coroutine per connection,
// keep-alive, body size limit (413), header/read timeouts. Requests go to one RequestHandler.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"

namespace sakchy::service {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target
  std::string path;    // decoded path without query
  std::map<std::string, std::string> query;  // decoded query parameters (last one wins)
  std::vector<std::string> duplicate_query;  // parameter names given more than once
  // Lower-case names; the framing fields (Content-Length, Transfer-Encoding, Connection,
  // Keep-Alive, Expect) are handled by the server and not listed.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string remote;  // peer address

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A response body produced piece by piece (exports of any size). HTTP/1.1 clients get it with
// chunked transfer encoding; HTTP/1.0 clients get the bytes unframed and the connection closes
// at the end. The server asks for the next piece only after the previous one was written to the
// socket, so a slow reader slows the producer down (backpressure) instead of piling up memory.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece; an empty string ends the body. An error aborts the response: the connection
  // is closed without the final chunk, so the client sees an incomplete body rather than a
  // complete-looking short one. Runs on an io thread: must not block (co_await work posted to a
  // pool instead).
  virtual boost::asio::awaitable<Result<std::string>> Next() = 0;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<BodyStream> stream;  // when set, the body comes from it (`body` is ignored)
};

// Implemented by the API. Handle() runs on an io thread; it must not block (post blocking work).
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual boost::asio::awaitable<HttpResponse> Handle(HttpRequest request) = 0;
  // Response for a request rejected before routing (malformed HTTP, body too large).
  virtual HttpResponse Reject(unsigned status, const std::string& title, const std::string& detail) = 0;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t max_body_bytes = 1 << 20;
  // Paths (without query) that accept bulk bodies up to max_bulk_body_bytes.
  std::vector<std::string> bulk_paths;
  std::size_t max_bulk_body_bytes = 32 << 20;
  int idle_timeout_seconds = 60;
};

// Thread safety: Start/Stop from the owner thread; the io_context may run on many threads.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, RequestHandler& handler);
  // Binds and starts accepting. Fails with a clear message (address in use, bad address).
  [[nodiscard]] Status Start();
  // Stops accepting new connections; open connections finish their current request.
  void StopAccepting();
  std::uint16_t port() const { return port_; }

 private:
  boost::asio::awaitable<void> AcceptLoop();
  boost::asio::awaitable<void> Session(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  HttpServerOptions options_;
  RequestHandler& handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

// Percent-decodes a URL component ('+' stays '+' in paths). std::nullopt for malformed escapes.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace sakchy::service
