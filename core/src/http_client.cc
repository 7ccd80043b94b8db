#include "core/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

namespace sakchy::outbound {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Parser = http::response_parser<http::string_body>;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

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

bool SameOrigin(const Url& a, const Url& b) {
  return a.tls == b.tls && a.port == b.port && Lower(a.host) == Lower(b.host);
}

// Credentials meant for one origin: dropped when a redirect leaves it.
bool IsCredentialHeader(std::string_view name) {
  const std::string n = Lower(name);
  return n == "authorization" || n == "proxy-authorization" || n == "cookie";
}

bool IsRedirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Failure HopFailure(Failure::Stage stage, const Url& url, const std::string& shown_url) {
  Failure f;
  f.stage = stage;
  f.url = shown_url;
  f.host = url.host;
  f.port = url.port;
  return f;
}

// One hop on an open (and, for TLS, handshaken) stream: the request is written, the answer read.
template <typename Stream>
net::awaitable<error_code> WriteAndRead(Stream* stream, const http::request<http::string_body>* req,
                                        Parser* parser, bool* sent, Failure::Stage* stage) {
  error_code ec;
  *sent = true;
  *stage = Failure::Stage::kWrite;
  co_await http::async_write(*stream, *req, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return ec;
  *stage = Failure::Stage::kRead;
  beast::flat_buffer buffer;
  co_await http::async_read(*stream, buffer, *parser, net::redirect_error(net::use_awaitable, ec));
  co_return ec;
}

http::request<http::string_body> BuildRequest(const Request& request, const Url& url) {
  http::request<http::string_body> req;
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, url.host_header);
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.prepare_payload();
  return req;
}

struct Resolved {
  std::vector<tcp::endpoint> allowed;
  std::optional<Failure> failure;
};

// Resolves the hop's host within the deadline and keeps the addresses the filter allows.
net::awaitable<Resolved> Resolve(const Url& url, const std::string& shown, Clock::time_point deadline,
                                 const AddressFilter* targets) {
  auto ex = co_await net::this_coro::executor;
  auto resolver = std::make_shared<tcp::resolver>(ex);
  net::steady_timer timer(ex, deadline);
  auto on_deadline = [resolver](error_code timer_ec) {
    if (!timer_ec) resolver->cancel();
  };
  timer.async_wait(on_deadline);
  error_code ec;
  auto endpoints = co_await resolver->async_resolve(url.host, url.port,
                                                    net::redirect_error(net::use_awaitable, ec));
  timer.cancel();
  Resolved out;
  if (ec || Clock::now() >= deadline) {
    out.failure = HopFailure(Failure::Stage::kResolve, url, shown);
    out.failure->ec = ec;
    out.failure->timed_out = Clock::now() >= deadline;
    co_return out;
  }
  std::string refused;
  for (const auto& entry : endpoints) {
    if (targets != nullptr) {
      if (auto why = targets->Check(ToIpBytes(entry.endpoint().address()))) {
        refused = *why;
        continue;
      }
    }
    out.allowed.push_back(entry.endpoint());
  }
  if (out.allowed.empty()) {
    out.failure = HopFailure(Failure::Stage::kRefused, url, shown);
    out.failure->detail = refused.empty() ? std::string("no address") : refused;
  }
  co_return out;
}

struct Hop {
  const Url* url;
  const http::request<http::string_body>* req;
  std::vector<tcp::endpoint> allowed;
  Clock::time_point deadline;
  ssl::context* tls;
};

// Connects, handshakes (https), writes and reads one hop. Returns the stage reached and its error.
net::awaitable<std::pair<Failure::Stage, error_code>> Exchange(Hop hop, Parser* parser, bool* sent,
                                                               std::string* detail) {
  auto ex = co_await net::this_coro::executor;
  error_code ec;
  Failure::Stage stage = Failure::Stage::kConnect;
  if (hop.url->tls) {
    if (hop.tls == nullptr) {
      *detail = "no TLS context";
      co_return std::pair{Failure::Stage::kTls, error_code(net::error::operation_not_supported)};
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, *hop.tls);
    beast::get_lowest_layer(stream).expires_at(hop.deadline);
    co_await beast::get_lowest_layer(stream).async_connect(
        hop.allowed, net::redirect_error(net::use_awaitable, ec));
    if (!ec) {
      stage = Failure::Stage::kTls;
      error_code not_ip;
      net::ip::make_address(hop.url->host, not_ip);
      if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), hop.url->host.c_str())) {
        *detail = "cannot set server name";  // SNI is for names, never IP literals
        ec = error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category());
      } else {
        stream.set_verify_mode(ssl::verify_peer);
        stream.set_verify_callback(ssl::host_name_verification(hop.url->host));
        co_await stream.async_handshake(ssl::stream_base::client,
                                        net::redirect_error(net::use_awaitable, ec));
      }
    }
    if (!ec) ec = co_await WriteAndRead(&stream, hop.req, parser, sent, &stage);
    beast::get_lowest_layer(stream).close();
  } else {
    beast::tcp_stream stream(ex);
    stream.expires_at(hop.deadline);
    co_await stream.async_connect(hop.allowed, net::redirect_error(net::use_awaitable, ec));
    if (!ec) ec = co_await WriteAndRead(&stream, hop.req, parser, sent, &stage);
    stream.close();
  }
  co_return std::pair{stage, ec};
}

// After a redirect answer: the next URL, or why it is not followed.
tl::expected<std::string, Failure> NextHop(const std::string& url, const Url& current,
                                           std::string_view location) {
  auto ref = boost::urls::parse_uri_reference(location);
  boost::urls::url next;
  if (!ref || !boost::urls::resolve(boost::urls::url_view(url), *ref, next)) {
    Failure f = HopFailure(Failure::Stage::kBadLocation, current, url);
    f.location = std::string(location);
    return tl::unexpected(std::move(f));
  }
  // Same scheme, or up from http to https; never down to http, never to another scheme.
  const auto next_scheme = next.scheme_id();
  const bool allowed = next_scheme == boost::urls::scheme::https ||
                       (!current.tls && next_scheme == boost::urls::scheme::http);
  if (!allowed) {
    Failure f = HopFailure(Failure::Stage::kRedirectScheme, current, url);
    f.location = std::string(next.buffer());
    return tl::unexpected(std::move(f));
  }
  return std::string(next.buffer());
}

Response ToResponse(Parser* parser, bool truncated, const std::string& url) {
  auto& res = parser->get();
  Response out;
  out.status = res.result_int();
  const auto reason = http::obsolete_reason(static_cast<http::status>(out.status));
  out.reason.assign(reason.data(), reason.size());
  for (const auto& field : res) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(res.body());
  out.body_truncated = truncated;
  out.final_url = url;
  return out;
}

}  // namespace

tl::expected<Url, Failure> ParseUrl(std::string_view url) {
  auto fail = [&](Failure::Stage stage, std::string detail) {
    Failure f;
    f.stage = stage;
    f.url = std::string(url);
    f.detail = std::move(detail);
    return tl::unexpected(std::move(f));
  };
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return fail(Failure::Stage::kUrlSyntax, parsed.error().message());
  const boost::urls::url_view u = *parsed;
  Url out;
  const auto scheme = u.scheme_id();  // case-insensitive ("HTTPS://" is https)
  if (scheme == boost::urls::scheme::https) {
    out.tls = true;
  } else if (scheme != boost::urls::scheme::http) {
    return fail(Failure::Stage::kUrlScheme, std::string(u.scheme()));
  }
  out.host = u.host_address();
  if (out.host.empty()) return fail(Failure::Stage::kUrlNoHost, {});
  out.port = u.has_port() ? std::string(u.port()) : (out.tls ? "443" : "80");
  out.host_header = u.encoded_host_and_port();
  out.target = u.encoded_target();
  if (out.target.empty() || out.target[0] != '/') out.target = "/" + out.target;
  out.has_fragment = u.has_fragment();
  return out;
}

net::awaitable<tl::expected<Response, Failure>> Fetch(Request request, Options options) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  std::string url = request.url;
  for (int hop = 0;; ++hop) {
    auto parsed = ParseUrl(url);
    if (!parsed) co_return tl::unexpected(parsed.error());
    const Url& target = *parsed;
    Resolved resolved = co_await Resolve(target, url, deadline, options.targets);
    if (resolved.failure) co_return tl::unexpected(std::move(*resolved.failure));

    const auto req = BuildRequest(request, target);
    Parser parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    bool sent = false;
    std::string detail;
    const Hop h{&target, &req, std::move(resolved.allowed), deadline, options.tls};
    auto [stage, ec] = co_await Exchange(h, &parser, &sent, &detail);
    bool truncated = false;
    if (ec == http::error::body_limit && options.oversize == OversizeBody::kTruncate &&
        parser.is_header_done()) {
      ec = {};  // the status is enough
      truncated = true;
    }
    if (ec) {
      Failure f = HopFailure(stage, target, url);
      f.ec = ec;
      f.sent = sent;
      f.detail = std::move(detail);
      f.timed_out = ec == beast::error::timeout || Clock::now() >= deadline;
      if (ec == http::error::body_limit) {
        f.stage = Failure::Stage::kBodyLimit;
        f.limit = options.max_body_bytes;
      } else if (ec == http::error::header_limit) {
        f.stage = Failure::Stage::kHeaderLimit;
        f.limit = options.max_header_bytes;
      }
      co_return tl::unexpected(std::move(f));
    }

    auto& res = parser.get();
    const auto location = res.find(http::field::location);
    if (options.redirects && IsRedirect(res.result_int()) && location != res.end()) {
      if (hop >= options.redirects->max_redirects) {
        Failure f = HopFailure(Failure::Stage::kTooManyRedirects, target, url);
        f.limit = static_cast<std::size_t>(options.redirects->max_redirects);
        co_return tl::unexpected(std::move(f));
      }
      auto next = NextHop(url, target, location->value());
      if (!next) co_return tl::unexpected(std::move(next.error()));
      auto next_target = ParseUrl(*next);
      if (next_target && !SameOrigin(target, *next_target)) {
        auto& headers = request.headers;
        auto is_credential = [](const auto& h) { return IsCredentialHeader(h.first); };
        headers.erase(std::remove_if(headers.begin(), headers.end(), is_credential),
                      headers.end());
      }
      url = std::move(*next);
      continue;
    }
    co_return ToResponse(&parser, truncated, url);
  }
}

Error Failure::ToError(std::string_view original_url, std::int64_t timeout_ms,
                       const std::function<std::string(std::string_view)>& redact) const {
  const std::string shown = redact(url);
  const std::string fetching = " (fetching " + shown + ")";
  auto error = [](ErrorCode code, std::string message) { return Error{code, std::move(message)}; };
  switch (stage) {
    case Stage::kUrlSyntax:
      return error(ErrorCode::kInvalidArgument, "invalid URL '" + shown + "': " + detail);
    case Stage::kUrlScheme:
      return error(ErrorCode::kInvalidArgument, "unsupported URL scheme '" + detail + "' in " +
                                                    shown + " (expected http or https)");
    case Stage::kUrlNoHost:
      return error(ErrorCode::kInvalidArgument, "URL has no host: " + shown);
    case Stage::kRefused:
      return error(ErrorCode::kPermissionDenied,
                   "refusing to connect to " + host + ": " + detail + fetching);
    case Stage::kBadLocation:
      return error(ErrorCode::kInvalidArgument,
                   "invalid redirect Location '" + redact(location) + "' from " + shown);
    case Stage::kRedirectScheme:
      return error(ErrorCode::kInvalidArgument, "refusing redirect from " + shown + " to " +
                                                    redact(location) +
                                                    " (only same scheme or http to https)");
    case Stage::kTooManyRedirects:
      return error(ErrorCode::kUnavailable, "too many redirects (more than " +
                                                std::to_string(limit) + ") fetching " +
                                                redact(original_url));
    default:
      break;
  }
  if (timed_out) {
    return error(ErrorCode::kUnavailable, "timeout after " + std::to_string(timeout_ms) +
                                              " ms fetching " + redact(original_url));
  }
  switch (stage) {
    case Stage::kBodyLimit:
      return error(ErrorCode::kResourceExhausted,
                   "response larger than " + std::to_string(limit) + " bytes from " + shown);
    case Stage::kHeaderLimit:
      return error(ErrorCode::kResourceExhausted, "response headers larger than " +
                                                      std::to_string(limit) + " bytes from " +
                                                      shown);
    case Stage::kResolve:
      return error(ErrorCode::kUnavailable,
                   "cannot resolve host " + host + ": " + ec.message() + fetching);
    case Stage::kConnect:
      return error(ErrorCode::kUnavailable,
                   "cannot connect to " + host + ":" + port + ": " + ec.message() + fetching);
    case Stage::kTls:
      return error(ErrorCode::kUnavailable,
                   "TLS handshake with " + host + " failed: " + ec.message() + fetching);
    default:
      return error(ErrorCode::kUnavailable, "HTTP exchange failed: " + ec.message() + fetching);
  }
}

Result<void> ConfigureClientTls(ssl::context& context, const std::string& ca_file) {
  error_code ec;
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(ca_file, ec);
  }
  context.set_verify_mode(ssl::verify_peer);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                      ssl::context::no_tlsv1_1);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     (ca_file.empty() ? std::string("cannot load the system CA certificates")
                                      : "cannot load the CA certificates from " + ca_file) +
                         ": " + ec.message());
  }
  return {};
}

}  // namespace sakchy::outbound
