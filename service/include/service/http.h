#pragma once
// A small HTTP/1.1 server on Boost.Beast with C++20 coroutines: one coroutine per connection,
// keep-alive, optional TLS, body size limits (413) and a budget for bodies in flight (503),
// admission on the header (Admit) before the body is read, header/body/idle deadlines, a cap on
// connections (total and per address) that closes idle ones first, and an accept loop that
// backs off when descriptors run out. Requests go to one RequestHandler.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <functional>
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
  // Called on an io thread once a request's header is complete, before any of its body is read
  // (`request` has method, target, path, query, headers and remote; no body). A response here is
  // sent instead of Handle()'s and the connection is closed without reading the body: refuse
  // unauthenticated or forbidden requests before they cost memory. Must not block.
  virtual std::optional<HttpResponse> Admit(const HttpRequest& request) {
    (void)request;
    return std::nullopt;
  }
  virtual boost::asio::awaitable<HttpResponse> Handle(HttpRequest request) = 0;
  // Response for a request rejected before routing (malformed HTTP, body too large).
  virtual HttpResponse Reject(unsigned status, const std::string& title, const std::string& detail) = 0;
};

// TLS on the listener: PEM files of the certificate chain and its private key.
struct HttpTlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string min_version = "1.2";  // "1.2" or "1.3"; older versions are never offered
};

// Limits and deadlines: docs/SECURITY.md, "Limits".
struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t max_body_bytes = 1 << 20;
  // Paths (without query) that accept bulk bodies up to max_bulk_body_bytes.
  std::vector<std::string> bulk_paths;
  std::size_t max_bulk_body_bytes = 32 << 20;
  // Bytes of request bodies held at once, all connections together; past it 503 + Retry-After.
  std::size_t max_body_bytes_in_flight = 256 << 20;
  // Open connections. At the limit the connection idle the longest is closed to make room; with
  // none idle, new ones get 503 and are closed. Start() lowers it to half the descriptor limit.
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_ip = 256;  // 0 = only max_connections
  int idle_timeout_seconds = 60;    // a keep-alive connection between requests
  int header_timeout_seconds = 10;  // from accept or a request's first byte to its full header
  int body_timeout_seconds = 60;    // from the end of the header to the end of the body
  std::optional<HttpTlsOptions> tls;  // none: plain HTTP
  MetricsRegistry* metrics = nullptr;  // the server's series (null: kept to itself)
};

namespace internal {
struct ServerState;
}

// Thread safety: Start/Stop/ReloadTls from the owner thread; the io_context may run on many
// threads.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, RequestHandler& handler);
  ~HttpServer();
  // Binds and starts accepting. Fails with a clear message (address in use, bad address,
  // unreadable or mismatched TLS files).
  [[nodiscard]] Status Start();
  // Stops accepting new connections; open connections finish their current request.
  void StopAccepting();
  // Reads the TLS certificate and key again (blocking: file reads); new connections use them,
  // open ones keep theirs. On error the current ones stay. No-op without TLS.
  [[nodiscard]] Status ReloadTls();
  // "CN=..., expires ..." of the served certificate; empty without TLS.
  std::string TlsDescription() const;
  std::uint16_t port() const { return port_; }
  // The connection limit in force (max_connections, possibly lowered by Start()).
  std::size_t max_connections() const;

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<internal::ServerState> state_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
};

// Percent-decodes a URL component ('+' stays '+' in paths). std::nullopt for malformed escapes.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);
// The one decoder of query strings and form bodies ("a=1&b=x+y"): calls `each` with every
// decoded key and value, in order ('+' is a space; a pair without '=' has an empty value; an empty
// pair is skipped with `skip_empty`, else it is the key "" with value ""). False (after calling
// `each` for the pairs before it) at the first malformed escape.
bool ForEachQueryParam(std::string_view query, bool skip_empty,
                       const std::function<void(std::string key, std::string value)>& each);

}  // namespace sakchy::service
