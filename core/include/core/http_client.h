#pragma once
// The one outbound HTTP(S)/1.1 client (Beast + Asio C++20 coroutines), used by alerts (channels,
// the Telegram updates poller) and ingest (pull sources). Each request, and each redirect hop,
// is one fresh connection ("Connection: close"): neither former client reused connections, so
// there is no keep-alive pool. Every hop connects only to resolved addresses `targets` allows
// (core/address_filter.h): the address checked is the address connected to. https: the given TLS
// context's trust store (ConfigureClientTls: the system store or a configured CA file), SNI for
// host names (never for IP literals), peer and host name verification always on.
//
// `timeout_ms` is total: resolve, connect, TLS, write and read of every hop. Redirects are
// followed only with a RedirectPolicy (301/302/303/307/308 with a Location, same scheme or http
// to https, at most `max_redirects`; a hop to another origin drops Authorization,
// Proxy-Authorization and Cookie); without one a 3xx is returned as a response.
//
// Errors are values: any status is a Response; transport problems are a Failure, which names its
// stage and what was seen so each caller words it (Failure::ToError is the standard wording).
// Never throws for network errors. Thread safety: Fetch may run in many coroutines at once; the
// TLS context must outlive the call. Consumers need Boost.Asio on their include path (sakchy_asio);
// Beast and OpenSSL stay private to core.

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/address_filter.h"
#include "core/result.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace sakchy::outbound {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Where an http(s) URL points.
struct Url {
  bool tls = false;
  std::string host;          // for DNS, SNI and certificate checks (no brackets)
  std::string port;          // numeric service
  std::string host_header;   // Host: value
  std::string target;        // origin-form request target, at least "/"
  bool has_fragment = false;
};

// What went wrong; `stage` says where.
struct Failure {
  enum class Stage {
    kUrlSyntax,          // detail: the parser's message
    kUrlScheme,          // detail: the scheme
    kUrlNoHost,
    kResolve,
    kRefused,            // no resolved address allowed; detail: the filter's reason or "no address"
    kConnect,
    kTls,                // detail non-empty when SNI could not be set
    kWrite,
    kRead,
    kBodyLimit,          // limit: the body limit (OversizeBody::kRefuse)
    kHeaderLimit,        // limit: the header limit
    kBadLocation,        // location: the Location value
    kRedirectScheme,     // location: the resolved next URL
    kTooManyRedirects,   // limit: max_redirects
  };
  Stage stage = Stage::kConnect;
  boost::system::error_code ec;  // for resolve, connect, TLS, write, read
  bool timed_out = false;        // the total deadline passed (any stage)
  bool sent = false;             // a request went (at least partly) on the wire
  std::string detail;
  std::string url;       // the hop's URL (unredacted: redact before showing it)
  std::string host;      // the hop's host and port
  std::string port;
  std::string location;
  std::size_t limit = 0;

  // The standard wording (kUnavailable / kResourceExhausted / kInvalidArgument /
  // kPermissionDenied), naming URLs through `redact`. `original_url` and `timeout_ms` are the
  // request's. Never includes a response body.
  [[nodiscard]] Error ToError(std::string_view original_url, std::int64_t timeout_ms,
                              const std::function<std::string(std::string_view)>& redact) const;
};

// Parses an absolute http or https URL (failures: the kUrl* stages).
[[nodiscard]] tl::expected<Url, Failure> ParseUrl(std::string_view url);

struct Request {
  std::string method = "GET";
  std::string url;    // http:// or https://
  Headers headers;    // sent after Host and "Connection: close" (a header here replaces those)
  std::string body;   // with Content-Length when non-empty (or when the method expects a body)
};

struct Response {
  unsigned status = 0;
  std::string reason;  // the standard reason phrase of `status` (never the server's own text)
  Headers headers;     // as received
  std::string body;
  bool body_truncated = false;  // OversizeBody::kTruncate and the body was over the limit
  std::string final_url;        // after redirects
};

enum class OversizeBody {
  kRefuse,    // a Failure (kBodyLimit)
  kTruncate,  // the response with the status and the body read so far (body_truncated)
};

struct RedirectPolicy {
  int max_redirects = 5;
};

struct Options {
  std::int64_t timeout_ms = 10000;  // total, redirects included
  std::size_t max_body_bytes = 8 << 20;
  OversizeBody oversize = OversizeBody::kRefuse;
  std::size_t max_header_bytes = 8 * 1024;
  std::optional<RedirectPolicy> redirects;  // none: a 3xx is the response
  const AddressFilter* targets = nullptr;   // none: any address (only for configured endpoints)
  boost::asio::ssl::context* tls = nullptr;  // required for https
};

// Sends `request` (see the header comment).
boost::asio::awaitable<tl::expected<Response, Failure>> Fetch(Request request, Options options);

// Prepares a client TLS context: peers verified against `ca_file` (PEM) or, when empty, the
// system store; TLS 1.2 or newer. An error when the store cannot be loaded.
[[nodiscard]] Result<void> ConfigureClientTls(boost::asio::ssl::context& context,
                                              const std::string& ca_file = {});

}  // namespace sakchy::outbound
