#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/url/parse.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

namespace sakchy::alerts {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

std::optional<TimeMs> ParseRetryAfter(std::string_view value) {
  if (value.empty() || value.size() > 9) return std::nullopt;
  TimeMs seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;  // HTTP-dates are not honoured
    seconds = seconds * 10 + (c - '0');
  }
  return seconds * 1000;
}

Outcome ClassifyStatus(const http::response<http::string_body>& res) {
  const unsigned code = res.result_int();
  Outcome out;
  out.sent = true;
  out.error = "HTTP " + std::to_string(code);
  if (code >= 200 && code < 300) {
    out.kind = Outcome::Kind::kDelivered;
    out.error.clear();
  } else if (code == 408 || code == 429 || code >= 500) {
    out.kind = Outcome::Kind::kRetry;
    if (code == 429 || code == 503) {
      auto it = res.find(http::field::retry_after);
      if (it != res.end()) out.retry_after_ms = ParseRetryAfter(it->value());
    }
  } else if (code >= 300 && code < 400) {
    out.kind = Outcome::Kind::kFailed;
    out.error += " (redirects are not followed)";
  } else if (code >= 400) {
    out.kind = Outcome::Kind::kFailed;
  } else {
    out.kind = Outcome::Kind::kRetry;  // 1xx as a final answer: odd receiver, try again later
  }
  return out;
}

// Sockets of one attempt. Shared with the deadline handler, which closes them on timeout.
struct Connection {
  Connection(const net::any_io_executor& ex, ssl::context* tls_ctx) : resolver(ex), socket(ex) {
    if (tls_ctx != nullptr) tls.emplace(ex, *tls_ctx);
  }
  tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }

  tcp::resolver resolver;
  tcp::socket socket;                           // plain http
  std::optional<ssl::stream<tcp::socket>> tls;  // https
  bool timed_out = false;
};

std::string DescribeError(const error_code& ec, const Connection& conn, std::int64_t timeout_ms,
                          std::string_view stage) {
  if (conn.timed_out) return "timeout after " + std::to_string(timeout_ms) + " ms";
  if (ec == net::error::connection_refused) return "connection refused";
  if (ec == net::error::connection_reset) return "connection reset";
  if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again) {
    return "cannot resolve host";
  }
  return std::string(stage) + ": " + ec.message();
}

template <typename Stream>
net::awaitable<Outcome> Exchange(Stream* stream, Connection* conn,
                                 http::request<http::string_body>* req, std::int64_t timeout_ms) {
  error_code ec;
  co_await http::async_write(*stream, *req, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    Outcome out = Retry(DescribeError(ec, *conn, timeout_ms, "write"));
    out.sent = true;
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  co_await http::async_read(*stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec == http::error::body_limit && parser.is_header_done()) ec = {};  // status is enough
  if (ec) {
    Outcome out = Retry(DescribeError(ec, *conn, timeout_ms, "read"));
    out.sent = true;
    co_return out;
  }
  Outcome out = ClassifyStatus(parser.get());
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  co_return out;
}

}  // namespace

IpBytes ToIpBytes(const net::ip::address& address) {
  IpBytes out{};
  if (address.is_v4()) {
    const auto v4 = address.to_v4().to_bytes();
    out[10] = 0xff;
    out[11] = 0xff;
    std::copy(v4.begin(), v4.end(), out.begin() + 12);
  } else {
    const auto v6 = address.to_v6().to_bytes();
    std::copy(v6.begin(), v6.end(), out.begin());
  }
  return out;
}

Result<Endpoint> ParseEndpoint(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return MakeError(ErrorCode::kInvalidArgument, "invalid URL");
  Endpoint ep;
  const auto scheme = parsed->scheme_id();
  if (scheme == boost::urls::scheme::https) {
    ep.tls = true;
  } else if (scheme != boost::urls::scheme::http) {
    return MakeError(ErrorCode::kInvalidArgument, "URL must be http or https");
  }
  ep.host = parsed->host_address();
  if (ep.host.empty()) return MakeError(ErrorCode::kInvalidArgument, "URL has no host");
  ep.port = parsed->has_port() ? std::string(parsed->port()) : (ep.tls ? "443" : "80");
  ep.host_header = parsed->encoded_host_and_port();
  ep.target = parsed->encoded_target();
  if (ep.target.empty()) ep.target = "/";
  return ep;
}

Outcome Retry(std::string error) {
  Outcome out;
  out.kind = Outcome::Kind::kRetry;
  out.error = std::move(error);
  return out;
}
Outcome Failed(std::string error) {
  Outcome out;
  out.kind = Outcome::Kind::kFailed;
  out.error = std::move(error);
  return out;
}

// One HTTP/1.1 POST on a fresh connection; `timeout_ms` covers resolve, connect, TLS handshake,
// write and read. Never throws for network errors.
net::awaitable<Outcome> SendOnce(Endpoint ep, http::request<http::string_body> req,
                                 std::int64_t timeout_ms, ssl::context* tls_ctx,
                                 const AddressFilter* targets) {
  auto ex = co_await net::this_coro::executor;
  auto conn = std::make_shared<Connection>(ex, ep.tls ? tls_ctx : nullptr);

  net::steady_timer deadline(ex, std::chrono::milliseconds(timeout_ms));
  auto on_deadline = [conn](const error_code& ec) {
    if (ec) return;  // cancelled: the attempt finished in time
    conn->timed_out = true;
    conn->resolver.cancel();
    error_code ignored;
    conn->lowest().close(ignored);
  };
  deadline.async_wait(on_deadline);

  error_code ec;
  auto endpoints = co_await conn->resolver.async_resolve(
      ep.host, ep.port, net::redirect_error(net::use_awaitable, ec));
  if (!ec && conn->timed_out) ec = net::error::timed_out;
  if (ec) co_return Retry(DescribeError(ec, *conn, timeout_ms, "resolve"));
  std::vector<tcp::endpoint> allowed;
  std::string refused;
  for (const auto& entry : endpoints) {
    const tcp::endpoint& endpoint = entry.endpoint();
    if (targets != nullptr) {
      if (auto why = targets->Check(ToIpBytes(endpoint.address()))) {
        refused = *why;
        continue;
      }
    }
    allowed.push_back(endpoint);
  }
  if (allowed.empty()) {
    deadline.cancel();
    co_return Failed("refused: " + (refused.empty() ? std::string("no address") : refused));
  }

  co_await net::async_connect(conn->lowest(), allowed,
                              net::redirect_error(net::use_awaitable, ec));
  if (!ec && conn->timed_out) ec = net::error::timed_out;
  if (ec) co_return Retry(DescribeError(ec, *conn, timeout_ms, "connect"));

  Outcome out;
  if (conn->tls) {
    error_code not_ip;
    net::ip::make_address(ep.host, not_ip);
    if (not_ip && !SSL_set_tlsext_host_name(conn->tls->native_handle(), ep.host.c_str())) {
      co_return Retry("TLS: cannot set server name");  // SNI is for names, never IP literals
    }
    conn->tls->set_verify_mode(ssl::verify_peer);
    conn->tls->set_verify_callback(ssl::host_name_verification(ep.host));
    co_await conn->tls->async_handshake(ssl::stream_base::client,
                                        net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return Retry(conn->timed_out ? DescribeError(ec, *conn, timeout_ms, "tls")
                                      : "TLS handshake failed: " + ec.message());
    }
    out = co_await Exchange(&*conn->tls, conn.get(), &req, timeout_ms);
  } else {
    out = co_await Exchange(&conn->socket, conn.get(), &req, timeout_ms);
  }
  deadline.cancel();
  error_code ignored;
  conn->lowest().shutdown(tcp::socket::shutdown_both, ignored);
  conn->lowest().close(ignored);
  co_return out;
}


}  // namespace sakchy::alerts
