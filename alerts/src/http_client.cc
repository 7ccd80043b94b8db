#include "http_client.h"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/string.hpp>

#include <optional>
#include <utility>

namespace sakchy::alerts {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;

std::optional<TimeMs> ParseRetryAfter(std::string_view value) {
  if (value.empty() || value.size() > 9) return std::nullopt;
  TimeMs seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;  // HTTP-dates are not honoured
    seconds = seconds * 10 + (c - '0');
  }
  return seconds * 1000;
}

std::optional<std::string_view> FindHeader(const outbound::Headers& headers,
                                           std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (boost::beast::iequals(field, name)) return std::string_view(value);
  }
  return std::nullopt;
}

Outcome ClassifyStatus(const outbound::Response& res) {
  const unsigned code = res.status;
  Outcome out;
  out.sent = true;
  out.error = "HTTP " + std::to_string(code);
  if (code >= 200 && code < 300) {
    out.kind = Outcome::Kind::kDelivered;
    out.error.clear();
  } else if (code == 408 || code == 429 || code >= 500) {
    out.kind = Outcome::Kind::kRetry;
    if (code == 429 || code == 503) {
      if (auto value = FindHeader(res.headers, "Retry-After")) {
        out.retry_after_ms = ParseRetryAfter(*value);
      }
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

std::string_view StageName(outbound::Failure::Stage stage) {
  using Stage = outbound::Failure::Stage;
  switch (stage) {
    case Stage::kResolve:
      return "resolve";
    case Stage::kConnect:
      return "connect";
    case Stage::kTls:
      return "tls";
    case Stage::kWrite:
      return "write";
    default:
      return "read";
  }
}

std::string DescribeError(const outbound::Failure& f, std::int64_t timeout_ms) {
  if (f.timed_out) return "timeout after " + std::to_string(timeout_ms) + " ms";
  if (f.stage == outbound::Failure::Stage::kTls) {
    if (!f.detail.empty()) return "TLS: " + f.detail;
    return "TLS handshake failed: " + f.ec.message();
  }
  if (f.ec == net::error::connection_refused) return "connection refused";
  if (f.ec == net::error::connection_reset) return "connection reset";
  if (f.ec == net::error::host_not_found || f.ec == net::error::host_not_found_try_again) {
    return "cannot resolve host";
  }
  return std::string(StageName(f.stage)) + ": " + f.ec.message();
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view url) {
  auto parsed = outbound::ParseUrl(url);
  if (!parsed) {
    switch (parsed.error().stage) {
      case outbound::Failure::Stage::kUrlScheme:
        return MakeError(ErrorCode::kInvalidArgument, "URL must be http or https");
      case outbound::Failure::Stage::kUrlNoHost:
        return MakeError(ErrorCode::kInvalidArgument, "URL has no host");
      default:
        return MakeError(ErrorCode::kInvalidArgument, "invalid URL");
    }
  }
  if (parsed->has_fragment) return MakeError(ErrorCode::kInvalidArgument, "invalid URL");
  return std::move(*parsed);
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

net::awaitable<Outcome> SendOnce(Endpoint ep, http::request<http::string_body> req,
                                 std::int64_t timeout_ms, ssl::context* tls_ctx,
                                 const AddressFilter* targets) {
  outbound::Request request;
  request.method = std::string(req.method_string());
  request.url = (ep.tls ? "https://" : "http://") + ep.host_header + std::string(req.target());
  for (const auto& field : req) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(req.body());
  outbound::Options options;
  options.timeout_ms = timeout_ms;
  options.max_body_bytes = kMaxResponseBody;
  options.oversize = outbound::OversizeBody::kTruncate;  // the status is enough
  options.targets = targets;
  options.tls = tls_ctx;
  auto res = co_await outbound::Fetch(std::move(request), options);
  if (!res) {
    const outbound::Failure& f = res.error();
    if (f.stage == outbound::Failure::Stage::kRefused) co_return Failed("refused: " + f.detail);
    if (f.stage < outbound::Failure::Stage::kResolve) co_return Failed("invalid URL");
    Outcome out = Retry(DescribeError(f, timeout_ms));
    out.sent = f.sent;
    co_return out;
  }
  Outcome out = ClassifyStatus(*res);
  out.status = res->status;
  out.body = std::move(res->body);
  co_return out;
}

}  // namespace sakchy::alerts
