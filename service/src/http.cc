#include "service/http.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

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

http::response<http::string_body> ToBeast(HttpResponse&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "sakchy");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.set(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Writes a streamed response (see BodyStream). Returns whether the connection may be reused.
net::awaitable<bool> WriteStreamed(beast::tcp_stream& stream, HttpResponse r, unsigned version,
                                   bool keep_alive, std::chrono::seconds timeout) {
  http::response<http::empty_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "sakchy");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.set(k, v);
  const bool chunked = version >= 11;
  if (chunked) {
    res.chunked(true);
  } else {
    keep_alive = false;  // HTTP/1.0: the end of the body is the end of the connection
  }
  res.keep_alive(keep_alive);
  http::response_serializer<http::empty_body> sr{res};
  beast::error_code ec;
  stream.expires_after(timeout);
  co_await http::async_write_header(stream, sr, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return false;
  for (;;) {
    auto piece = co_await r.stream->Next();
    if (!piece) {
      spdlog::error("http: streamed response aborted: {}", piece.error().ToString());
      co_return false;
    }
    if (piece->empty()) break;
    stream.expires_after(timeout);
    if (chunked) {
      co_await net::async_write(stream, http::make_chunk(net::buffer(*piece)),
                                net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await net::async_write(stream, net::buffer(*piece),
                                net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) co_return false;  // the client went away; the producer is dropped with `r`
  }
  if (chunked) {
    stream.expires_after(timeout);
    co_await net::async_write(stream, http::make_chunk_last(),
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
    tcp::socket socket(io_);
    co_await acceptor_.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted || stopping_) break;
      spdlog::warn("http: accept failed: {}", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(io_, Session(std::move(socket)), net::detached);
  }
}

net::awaitable<void> HttpServer::Session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  std::string remote;
  {
    beast::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(16 * 1024);
    stream.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    beast::error_code ec;
    std::size_t body_limit = options_.max_body_bytes;
    co_await http::async_read_header(stream, buffer, parser,
                                     net::redirect_error(net::use_awaitable, ec));
    if (!ec && !options_.bulk_paths.empty()) {
      std::string_view target = parser.get().target();
      target = target.substr(0, target.find('?'));
      for (const auto& p : options_.bulk_paths) {
        if (target == p) {
          body_limit = options_.max_bulk_body_bytes;
          parser.body_limit(body_limit);
        }
      }
    }
    if (!ec && !parser.is_done()) {
      co_await http::async_read(stream, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted) {
      break;
    }
    if (ec) {
      HttpResponse r;
      if (ec == http::error::body_limit) {
        r = handler_.Reject(413, "Payload Too Large",
                            "the request body exceeds the limit of " + std::to_string(body_limit) +
                                " bytes");
      } else if (ec == http::error::header_limit) {
        r = handler_.Reject(431, "Request Header Fields Too Large", "headers exceed 16 KiB");
      } else {
        r = handler_.Reject(400, "Bad Request", "malformed HTTP request: " + ec.message());
      }
      auto res = ToBeast(std::move(r), 11, false);
      beast::error_code wec;
      co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, wec));
      // Lingering close: the client may still be sending the body it was refused. Closing now
      // would reset the connection and the client could lose the answer; read and discard what
      // it still sends (at most 64 MiB, for at most 2 s) after our half-close.
      stream.socket().shutdown(tcp::socket::shutdown_send, wec);
      stream.expires_after(std::chrono::seconds(2));
      std::array<char, 16384> sink;
      std::size_t drained = 0;
      while (!wec && drained < (std::size_t{64} << 20)) {
        drained += co_await stream.async_read_some(net::buffer(sink),
                                                   net::redirect_error(net::use_awaitable, wec));
      }
      break;
    }
    auto msg = parser.release();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.remote = remote;
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    const bool keep_alive = msg.keep_alive() && !stopping_;
    HttpResponse r;
    if (!SplitTarget(req.target, req)) {
      r = handler_.Reject(400, "Bad Request", "malformed percent-encoding in the request target");
    } else {
      r = co_await handler_.Handle(std::move(req));
    }
    if (r.stream) {
      const bool reuse =
          co_await WriteStreamed(stream, std::move(r), msg.version(), keep_alive,
                                 std::chrono::seconds(options_.idle_timeout_seconds));
      if (!reuse) break;
      continue;
    }
    auto res = ToBeast(std::move(r), msg.version(), keep_alive);
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace sakchy::service
