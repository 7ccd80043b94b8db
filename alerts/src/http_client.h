#pragma once
// Alerts' view of core's outbound HTTP client (core/http_client.h): one request per fresh
// connection for the dispatcher's webhook, Kannel and Telegram attempts and the Telegram updates
// poller, and the sorting of its answer into delivered / retry / failed in alerts' own words.
// `timeout_ms` covers resolve, connect, TLS handshake, write and read. https: the given TLS
// context (system CA store), SNI, host name verification. Never throws for network errors.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/address_filter.h"
#include "core/http_client.h"
#include "core/result.h"
#include "core/types.h"

namespace sakchy::alerts {

// Where a URL points.
using Endpoint = outbound::Url;

// An absolute http(s) URL without a fragment; errors: "invalid URL", "URL must be http or
// https", "URL has no host".
[[nodiscard]] Result<Endpoint> ParseEndpoint(std::string_view url);

// What one attempt came to.
struct Outcome {
  enum class Kind { kDelivered, kRetry, kFailed };
  Kind kind = Kind::kRetry;
  std::string error;                     // short human message; empty when delivered
  std::optional<TimeMs> retry_after_ms;  // from Retry-After on 429/503
  bool sent = false;                     // a request went on the wire (counts for metrics)
  bool handed_off = false;               // delivered means "sent": a gateway took it
  unsigned status = 0;                   // HTTP status when a response was read
  std::string body;                      // its body (at most kMaxResponseBody)
};

inline constexpr std::size_t kMaxResponseBody = 64 * 1024;
inline constexpr std::string_view kUserAgent = "sakchy/0.1";

Outcome Retry(std::string error);
Outcome Failed(std::string error);

// Sends `req` (its target, fields and body; redirects not followed, bodies over
// kMaxResponseBody ignored) and classifies the answer: 2xx delivered; 408/429/5xx (Retry-After honoured on
// 429/503), timeouts and connection errors retry; 3xx and other 4xx fail. With `targets`, only
// resolved addresses it allows are connected to (webhooks: the address checked is the address
// connected to, so a DNS answer that changes in between cannot reach an internal one); none
// allowed fails for good.
boost::asio::awaitable<Outcome> SendOnce(
    Endpoint ep, boost::beast::http::request<boost::beast::http::string_body> req,
    std::int64_t timeout_ms, boost::asio::ssl::context* tls_ctx,
    const AddressFilter* targets = nullptr);

}  // namespace sakchy::alerts
