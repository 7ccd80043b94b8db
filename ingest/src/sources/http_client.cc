#include "ingest/sources/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

#include "ingest/sources/telegram_parser.h"

namespace sakchy::ingest::sources {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

struct Target {
  bool tls = false;
  std::string host;       // for DNS and SNI (no brackets)
  std::string port;       // decimal
  std::string host_header;
  std::string target;     // path + query, at least "/"
};

Result<Target> ParseTarget(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid URL '" + RedactSecrets(url) + "': " + parsed.error().message());
  }
  const boost::urls::url_view u = *parsed;
  Target t;
  const std::string scheme = u.scheme();
  if (scheme == "https") {
    t.tls = true;
  } else if (scheme != "http") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "unsupported URL scheme '" + scheme + "' in " + RedactSecrets(url) +
                         " (expected http or https)");
  }
  t.host = u.host_address();
  if (t.host.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "URL has no host: " + RedactSecrets(url));
  }
  t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
  t.host_header = u.encoded_host_and_port();
  t.target = u.encoded_target();
  if (t.target.empty() || t.target[0] != '/') t.target = "/" + t.target;
  return t;
}

std::string Lower(std::string_view s);

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

bool SameOrigin(const Target& a, const Target& b) {
  return a.tls == b.tls && a.port == b.port && Lower(a.host) == Lower(b.host);
}

// Credentials meant for one origin: dropped when a redirect leaves it.
bool IsCredentialHeader(std::string_view name) {
  const std::string n = Lower(name);
  return n == "authorization" || n == "proxy-authorization" || n == "cookie";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Exchange {
  const Target* target;
  const HttpGetRequest* request;
  const HttpClientOptions* options;
  std::size_t max_body = 0;
};

// Writes the request and reads the response on an open (and, for TLS, handshaken) stream.
template <typename Stream>
net::awaitable<error_code> WriteAndRead(Stream* stream, Exchange x,
                                        http::response_parser<http::string_body>* parser) {
  http::request<http::empty_body> req{http::verb::get, x.target->target, 11};
  req.set(http::field::host, x.target->host_header);
  req.set(http::field::user_agent, x.options->user_agent);
  req.set(http::field::accept_encoding, "identity");
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : x.request->headers) req.set(name, value);
  error_code ec;
  co_await http::async_write(*stream, req, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return ec;
  beast::flat_buffer buffer;
  co_await http::async_read(*stream, buffer, *parser, net::redirect_error(net::use_awaitable, ec));
  co_return ec;
}

}  // namespace

HttpClient::HttpClient(net::any_io_executor executor, HttpClientOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      ssl_(ssl::context::tls_client) {
  error_code ec;
  ssl_.set_default_verify_paths(ec);
  ssl_.set_verify_mode(ssl::verify_peer);
  ssl_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
}

net::awaitable<Result<HttpResponse>> HttpClient::Get(HttpGetRequest request) {
  const std::int64_t timeout_ms = request.timeout_ms > 0 ? request.timeout_ms : options_.timeout_ms;
  const std::size_t max_body =
      request.max_body_bytes > 0 ? request.max_body_bytes : options_.max_body_bytes;
  const SteadyTime deadline = std::chrono::steady_clock::now() +
                              std::chrono::milliseconds(timeout_ms);
  const std::string original = RedactSecrets(request.url);
  std::string url = request.url;
  for (int hop = 0;; ++hop) {
    auto target = ParseTarget(url);
    if (!target) co_return tl::unexpected(target.error());
    const std::string shown = RedactSecrets(url);
    auto timeout_error = [&]() {
      return MakeError(ErrorCode::kUnavailable, "timeout after " + std::to_string(timeout_ms) +
                                                    " ms fetching " + original);
    };

    // Resolve, bounded by the deadline (the resolver has no expiry of its own).
    error_code ec;
    auto resolver = std::make_shared<tcp::resolver>(executor_);
    net::steady_timer resolve_timer(executor_, deadline);
    auto on_deadline = [resolver](error_code timer_ec) {
      if (!timer_ec) resolver->cancel();
    };
    resolve_timer.async_wait(on_deadline);
    auto endpoints = co_await resolver->async_resolve(target->host, target->port,
                                                      net::redirect_error(net::use_awaitable, ec));
    resolve_timer.cancel();
    if (std::chrono::steady_clock::now() >= deadline) co_return timeout_error();
    if (ec) {
      co_return MakeError(ErrorCode::kUnavailable, "cannot resolve host " + target->host + ": " +
                                                       ec.message() + " (fetching " + shown + ")");
    }
    std::vector<tcp::endpoint> allowed;
    std::string refused;
    for (const auto& entry : endpoints) {
      if (auto why = request.targets.Check(ToIpBytes(entry.endpoint().address()))) {
        refused = *why;
      } else {
        allowed.push_back(entry.endpoint());
      }
    }
    if (allowed.empty()) {
      co_return MakeError(ErrorCode::kPermissionDenied,
                          "refusing to connect to " + target->host + ": " +
                              (refused.empty() ? std::string("no address") : refused) +
                              " (fetching " + shown + ")");
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    parser.header_limit(kMaxHeaderBytes);
    const Exchange exchange{&*target, &request, &options_, max_body};
    std::string stage = "connect";
    if (target->tls) {
      beast::ssl_stream<beast::tcp_stream> stream(executor_, ssl_);
      beast::get_lowest_layer(stream).expires_at(deadline);
      co_await beast::get_lowest_layer(stream).async_connect(
          allowed, net::redirect_error(net::use_awaitable, ec));
      if (!ec) {
        stage = "TLS handshake";
        if (!SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str())) {
          ec = error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
        } else {
          stream.set_verify_callback(ssl::host_name_verification(target->host));
          co_await stream.async_handshake(ssl::stream_base::client,
                                          net::redirect_error(net::use_awaitable, ec));
        }
      }
      if (!ec) {
        stage = "exchange";
        ec = co_await WriteAndRead(&stream, exchange, &parser);
      }
      beast::get_lowest_layer(stream).close();
    } else {
      beast::tcp_stream stream(executor_);
      stream.expires_at(deadline);
      co_await stream.async_connect(allowed, net::redirect_error(net::use_awaitable, ec));
      if (!ec) {
        stage = "exchange";
        ec = co_await WriteAndRead(&stream, exchange, &parser);
      }
      stream.close();
    }
    if (ec == beast::error::timeout ||
        (ec && std::chrono::steady_clock::now() >= deadline)) {
      co_return timeout_error();
    }
    if (ec == http::error::body_limit) {
      co_return MakeError(ErrorCode::kResourceExhausted,
                          "response larger than " + std::to_string(max_body) + " bytes from " +
                              shown);
    }
    if (ec == http::error::header_limit) {
      co_return MakeError(ErrorCode::kResourceExhausted,
                          "response headers larger than " + std::to_string(kMaxHeaderBytes) +
                              " bytes from " + shown);
    }
    if (ec) {
      const std::string where =
          stage == "connect" ? "cannot connect to " + target->host + ":" + target->port
          : stage == "TLS handshake" ? "TLS handshake with " + target->host + " failed"
                                     : "HTTP exchange failed";
      co_return MakeError(ErrorCode::kUnavailable,
                          where + ": " + ec.message() + " (fetching " + shown + ")");
    }

    auto& res = parser.get();
    const int status = static_cast<int>(res.result_int());
    const bool redirect =
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    if (redirect && res.find(http::field::location) != res.end()) {
      if (hop >= options_.max_redirects) {
        co_return MakeError(ErrorCode::kUnavailable, "too many redirects (more than " +
                                                         std::to_string(options_.max_redirects) +
                                                         ") fetching " + original);
      }
      const std::string location(res[http::field::location]);
      auto ref = boost::urls::parse_uri_reference(location);
      boost::urls::url next;
      if (!ref || !boost::urls::resolve(boost::urls::url_view(url), *ref, next)) {
        co_return MakeError(ErrorCode::kInvalidArgument, "invalid redirect Location '" +
                                                             RedactSecrets(location) + "' from " +
                                                             shown);
      }
      const std::string next_scheme = next.scheme();
      const std::string scheme = target->tls ? "https" : "http";
      if (next_scheme != scheme && !(scheme == "http" && next_scheme == "https")) {
        co_return MakeError(ErrorCode::kInvalidArgument,
                            "refusing redirect from " + shown + " to " +
                                RedactSecrets(next.buffer()) +
                                " (only same scheme or http to https)");
      }
      auto next_target = ParseTarget(std::string(next.buffer()));
      if (next_target && !SameOrigin(*target, *next_target)) {
        auto& headers = request.headers;
        headers.erase(std::remove_if(headers.begin(), headers.end(),
                                     [](const auto& h) { return IsCredentialHeader(h.first); }),
                      headers.end());
      }
      url = std::string(next.buffer());
      continue;
    }

    HttpResponse out;
    out.status = status;
    const auto reason = http::obsolete_reason(static_cast<http::status>(status));
    out.reason.assign(reason.data(), reason.size());
    for (const auto& field : res) {
      const std::string name = Lower(field.name_string());
      auto [it, inserted] = out.headers.emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    out.body = std::move(res.body());
    out.final_url = url;
    co_return out;
  }
}

}  // namespace sakchy::ingest::sources
