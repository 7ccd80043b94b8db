#include "service/http.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <chrono>
#include <memory>

namespace sakchy::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool SplitTarget(std::string_view target, HttpRequest& req) {
  auto q = target.find('?');
  auto raw_path = target.substr(0, q);
  auto path = PercentDecode(raw_path, false);
  if (!path) return false;
  req.path = std::move(*path);
  if (q == std::string_view::npos) return true;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) return false;
    if (req.query.count(*key)) req.duplicate_query.push_back(*key);
    req.query[*key] = std::move(*value);
  }
  return true;
}

// Parses one request straight into an HttpRequest: Beast's parser for the HTTP grammar, chunked
// bodies and limits, without Beast's message containers.
// The body limit follows from the path, known with the request line (before the header is
// complete, when Beast checks Content-Length against it).
class RequestParser final : public http::basic_parser<true> {
 public:
  RequestParser(HttpRequest& request, const HttpServerOptions& options)
      : req_(request), options_(options), body_limit_(options.max_body_bytes) {
    body_limit(body_limit_);
    header_limit(16 * 1024);
  }
  bool expects_continue() const { return expect_continue_; }
  unsigned version() const { return version_; }
  std::size_t limit() const { return body_limit_; }

 private:
  void on_request_impl(http::verb, beast::string_view method, beast::string_view target, int version,
                       beast::error_code&) override {
    req_.method.assign(method.data(), method.size());
    req_.target.assign(target.data(), target.size());
    version_ = static_cast<unsigned>(version);
    std::string_view path = req_.target;
    path = path.substr(0, path.find('?'));
    for (const auto& p : options_.bulk_paths) {
      if (path == p) body_limit_ = options_.max_bulk_body_bytes;
    }
    body_limit(body_limit_);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    switch (field) {
      case http::field::expect:
        expect_continue_ = beast::iequals(value, "100-continue");
        return;
      // Framing is the server's business (the parser reads these itself): not listed.
      case http::field::content_length:
      case http::field::transfer_encoding:
      case http::field::connection:
      case http::field::keep_alive:
        return;
      default:
        break;
    }
    std::string key(name);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req_.headers.insert_or_assign(std::move(key), std::string(value));  // the last one wins
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) req_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  HttpRequest& req_;
  const HttpServerOptions& options_;
  std::size_t body_limit_;
  bool expect_continue_ = false;
  unsigned version_ = 11;
};

// Appends `value` without CR or LF (a header value can never split the head).
void AppendHeaderValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c != '\r' && c != '\n') out += c;
  }
}

// The status line and headers of `r`, written by hand (no Beast serializer).
// `streamed`: the body follows as chunks (HTTP/1.1) or until the connection closes (HTTP/1.0).
void FormatHead(const HttpResponse& r, unsigned version, bool keep_alive, std::string& out,
                bool streamed = false) {
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: sakchy\r\n";
  if (!r.content_type.empty()) {
    out += "Content-Type: ";
    AppendHeaderValue(out, r.content_type);
    out += "\r\n";
  }
  if (!streamed) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  } else if (version >= 11) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  for (const auto& [name, value] : r.headers) {
    AppendHeaderValue(out, name);
    out += ": ";
    AppendHeaderValue(out, value);
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (version == 10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
}

// One connection: its socket and idle watchdog live on one strand.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), watchdog(socket.get_executor()) {}
  tcp::socket socket;
  net::steady_timer watchdog;
  // The connection is closed once idle past this; moved forward per request, checked lazily
  // (the watchdog wakes at the old deadline and re-arms), so a request costs one clock read.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool done = false;
};

void Watch(const std::shared_ptr<Connection>& c) {
  if (c->done) return;
  // No deadline while a handler or a streamed body's producer works: look again later, so the
  // deadline set after it is enforced.
  if (c->deadline == std::chrono::steady_clock::time_point::max()) {
    c->watchdog.expires_after(std::chrono::seconds(5));
  } else {
    c->watchdog.expires_at(c->deadline);
  }
  c->watchdog.async_wait([c](beast::error_code ec) {
    if (ec || c->done) return;
    if (std::chrono::steady_clock::now() >= c->deadline) {
      c->done = true;
      beast::error_code ignored;
      c->socket.shutdown(tcp::socket::shutdown_both, ignored);
      c->socket.close(ignored);
      return;
    }
    Watch(c);
  });
}

// Writes a streamed response (see BodyStream): the head, then each piece as an HTTP/1.1 chunk
// (HTTP/1.0: as it is, and the end of the body is the end of the connection). The next piece is
// asked for only when the previous one was written (backpressure). Returns whether the
// connection may be reused.
net::awaitable<bool> WriteStreamed(Connection& c, HttpResponse r, unsigned version,
                                   bool keep_alive, bool head_only,
                                   std::chrono::steady_clock::duration idle) {
  const bool chunked = version >= 11;
  if (!chunked) keep_alive = false;
  std::string head;
  FormatHead(r, version, keep_alive, head, /*streamed=*/true);
  beast::error_code ec;
  c.deadline = std::chrono::steady_clock::now() + idle;
  co_await net::async_write(c.socket, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return false;
  if (head_only) co_return keep_alive;
  char size_line[24];
  for (;;) {
    c.deadline = std::chrono::steady_clock::time_point::max();  // reading may take its time
    auto piece = co_await r.stream->Next();
    if (!piece) {
      // Never a clean end: the client sees a truncated body, not a complete short one.
      spdlog::error("http: streamed response aborted: {}", piece.error().ToString());
      co_return false;
    }
    if (piece->empty()) break;
    c.deadline = std::chrono::steady_clock::now() + idle;
    if (chunked) {
      const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece->size());
      std::array<net::const_buffer, 3> out{net::buffer(size_line, static_cast<std::size_t>(n)),
                                           net::buffer(*piece), net::buffer("\r\n", 2)};
      co_await net::async_write(c.socket, out, net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await net::async_write(c.socket, net::buffer(*piece),
                                net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) co_return false;  // the client went away; the producer is dropped with `r`
  }
  if (chunked) {
    c.deadline = std::chrono::steady_clock::now() + idle;
    co_await net::async_write(c.socket, net::buffer("0\r\n\r\n", 5),
                              net::redirect_error(net::use_awaitable, ec));
  }
  co_return !ec && keep_alive;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = HexVal(in[i + 1]);
      int lo = HexVal(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

HttpServer::HttpServer(net::io_context& io, HttpServerOptions options, RequestHandler& handler)
    : io_(io), options_(std::move(options)), handler_(handler), acceptor_(io) {}

Status HttpServer::Start() {
  beast::error_code ec;
  auto address = net::ip::make_address(options_.host, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid listen address '" + options_.host + "': " + ec.message());
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                                  std::to_string(options_.port) + ": " +
                                                  ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  net::co_spawn(acceptor_.get_executor(), AcceptLoop(), net::detached);
  return OkStatus();
}

void HttpServer::StopAccepting() {
  stopping_ = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
}

net::awaitable<void> HttpServer::AcceptLoop() {
  while (!stopping_) {
    beast::error_code ec;
    // Each connection gets its own strand: its socket, watchdog and handler never run at once.
    tcp::socket socket(net::make_strand(io_));
    co_await acceptor_.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted || stopping_) break;
      spdlog::warn("http: accept failed: {}", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    net::co_spawn(executor, Session(std::move(socket)), net::detached);
  }
}

net::awaitable<void> HttpServer::Session(tcp::socket socket) {
  auto c = std::make_shared<Connection>(std::move(socket));
  const auto idle = std::chrono::seconds(options_.idle_timeout_seconds);
  {
    beast::error_code ec;
    c->socket.non_blocking(true, ec);  // reads are tried first, then waited for (see below)
  }
  std::string remote;
  {
    beast::error_code ec;
    auto ep = c->socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  beast::flat_buffer buffer;
  std::string head;
  c->deadline = std::chrono::steady_clock::now() + idle;
  Watch(c);
  for (;;) {
    HttpRequest req;
    RequestParser parser(req, options_);
    parser.eager(false);  // stop after the header (to answer Expect: 100-continue)
    bool header_seen = false;
    c->deadline = std::chrono::steady_clock::now() + idle;
    beast::error_code ec;
    bool closed = false;  // the peer is gone (or went quiet) before a complete request
    for (;;) {
      if (buffer.size() > 0) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) {
          ec = {};
        } else if (ec) {
          break;
        }
        if (parser.is_done()) break;
        if (parser.is_header_done() && !header_seen) {
          header_seen = true;
          parser.eager(true);
          if (parser.expects_continue()) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            co_await net::async_write(c->socket, net::buffer(kContinue.data(), kContinue.size()),
                                      net::redirect_error(net::use_awaitable, ec));
            if (ec) {
              closed = true;
              break;
            }
          }
          continue;  // parse what is buffered of the body
        }
        if (used > 0) continue;
      }
      // Between requests of a keep-alive connection the next one is rarely there yet: wait for
      // readiness first (an async read would try a recv that fails: a wasted system call per
      // request). Inside a request, read what is there and wait only when nothing is.
      auto space = buffer.prepare(std::max<std::size_t>(4096, buffer.capacity() - buffer.size()));
      std::size_t n = 0;
      if (buffer.size() == 0 && !parser.got_some()) {
        ec = net::error::would_block;
      } else {
        n = c->socket.read_some(space, ec);
      }
      if (ec == net::error::would_block || ec == net::error::try_again) {
        co_await c->socket.async_wait(tcp::socket::wait_read,
                                      net::redirect_error(net::use_awaitable, ec));
        if (!ec) n = c->socket.read_some(space, ec);
        if (ec == net::error::would_block || ec == net::error::try_again) {
          ec = {};
          continue;  // spurious readiness
        }
      }
      if (ec) {
        closed = true;
        break;
      }
      buffer.commit(n);
    }
    if (closed) break;
    if (ec) {
      HttpResponse r;
      if (ec == http::error::body_limit) {
        r = handler_.Reject(413, "Payload Too Large",
                            "the request body exceeds the limit of " + std::to_string(parser.limit()) +
                                " bytes");
      } else if (ec == http::error::header_limit) {
        r = handler_.Reject(431, "Request Header Fields Too Large", "headers exceed 16 KiB");
      } else {
        r = handler_.Reject(400, "Bad Request", "malformed HTTP request: " + ec.message());
      }
      FormatHead(r, 11, false, head);
      std::array<net::const_buffer, 2> out{net::buffer(head), net::buffer(r.body)};
      beast::error_code wec;
      c->deadline = std::chrono::steady_clock::now() + idle;
      co_await net::async_write(c->socket, out, net::redirect_error(net::use_awaitable, wec));
      // Lingering close: the client may still be sending the body it was refused; reading it
      // (up to a limit, for a short while) lets it read the answer instead of a reset.
      c->socket.shutdown(tcp::socket::shutdown_send, wec);
      c->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      std::size_t drained = 0;
      std::array<char, 16384> sink;
      while (!wec && drained < (std::size_t{64} << 20)) {
        drained += co_await c->socket.async_read_some(
            net::buffer(sink), net::redirect_error(net::use_awaitable, wec));
      }
      break;
    }
    req.remote = remote;
    const unsigned version = parser.version();
    const bool keep_alive = parser.keep_alive() && !stopping_;
    const bool head_only = req.method == "HEAD";
    HttpResponse r;
    c->deadline = std::chrono::steady_clock::time_point::max();  // the handler may take its time
    if (!SplitTarget(req.target, req)) {
      r = handler_.Reject(400, "Bad Request", "malformed percent-encoding in the request target");
    } else {
      r = co_await handler_.Handle(std::move(req));
    }
    if (r.stream) {
      const bool reuse = co_await WriteStreamed(*c, std::move(r), version, keep_alive, head_only, idle);
      if (!reuse) break;
      continue;
    }
    FormatHead(r, version, keep_alive, head);
    std::array<net::const_buffer, 2> out{net::buffer(head),
                                         head_only ? net::const_buffer() : net::buffer(r.body)};
    c->deadline = std::chrono::steady_clock::now() + idle;
    co_await net::async_write(c->socket, out, net::redirect_error(net::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  c->done = true;
  beast::error_code ec;
  c->watchdog.cancel();
  c->socket.shutdown(tcp::socket::shutdown_send, ec);
  c->socket.close(ec);
}

}  // namespace sakchy::service
