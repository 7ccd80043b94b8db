#pragma once
// The pull sources' HTTP(S) GET client: a thin wrapper over core's outbound client
// (core/http_client.h) with the sources' policy. TLS peers are verified (system trust store, SNI,
// host name). One connection per request ("Connection: close"); redirects (301/302/303/307/308)
// are followed up to `max_redirects`, to the same scheme or from http to https only; a redirect to
// another origin (host, port or scheme) drops the credentials (Authorization,
// Proxy-Authorization, Cookie). Every hop connects only to resolved addresses the request's
// AddressFilter allows (core/address_filter.h). Responses are read identity-encoded; a body over
// the limit is an error, headers over 64 KiB too.
//
// Thread safety: an HttpClient may be used by many coroutines on the executor it was created for.
// Errors are values: kUnavailable (connect/resolve/TLS/timeout/reset), kResourceExhausted (response
// too large), kInvalidArgument (bad URL, bad redirect), kPermissionDenied (an address the filter
// refuses). Messages name the URL with secrets redacted (RedactSecrets), never the response body.
// Consumers need Boost.Asio on their include path (sakchy_asio).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/address_filter.h"
#include "core/http_client.h"
#include "core/result.h"

namespace sakchy::ingest::sources {

struct HttpClientOptions {
  std::int64_t timeout_ms = 10000;            // total, redirects included
  std::size_t max_body_bytes = 8 << 20;       // larger responses are refused
  int max_redirects = 5;
  std::string user_agent = "sakchy/0.1 (+https://github.com/sakchy)";
};

struct HttpGetRequest {
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  // Overrides of the client's defaults for this request (0 = client default).
  std::int64_t timeout_ms = 0;
  std::size_t max_body_bytes = 0;
  AddressFilter targets = {};  // where this request and its redirects may connect
};

struct HttpResponse {
  int status = 0;
  std::string reason;  // the standard reason phrase of `status` (never the server's own text)
  std::map<std::string, std::string> headers;  // names lower-case; repeated fields joined by ", "
  std::string body;
  std::string final_url;  // after redirects
};

class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any status is a value (a 500 is not an error); only transport problems are errors.
  boost::asio::awaitable<Result<HttpResponse>> Get(HttpGetRequest request);

 private:
  boost::asio::any_io_executor executor_;
  HttpClientOptions options_;
  boost::asio::ssl::context ssl_;
};

}  // namespace sakchy::ingest::sources
