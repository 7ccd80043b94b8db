#pragma once
// One blocking HTTP/1.1 exchange with a running Sakchy service, for the commands of `sakchy` that
// talk to one (report, import, export, alerts, ack, backup --url, model export-labels). Plain
// http:// to the service's own listener (loopback or a trusted network); each call opens its own
// connection. Private to service/.

#include <boost/beast/http/verb.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sakchy::service::cli {

struct Target {
  std::string host, port;
};

// http://HOST[:PORT][/...] (port 80 when absent); std::nullopt for anything else.
std::optional<Target> ParseUrl(std::string_view url);

struct Reply {
  unsigned status = 0;      // 0: the exchange failed, see `error`
  std::string body;         // empty when a 2xx body went to `on_chunk`
  std::string retry_after;  // the Retry-After header, if any
  std::string error;        // transport failure (status 0)
};

struct Call {
  boost::beast::http::verb verb = boost::beast::http::verb::get;
  std::string target;  // path and query
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;
  // When set, a 2xx body is handed over piece by piece (chunked or not) instead of kept.
  std::function<void(std::string_view)> on_chunk;
};

// Sends `call` with `Authorization: Bearer token` and reads the whole response.
Reply Exchange(const Target& to, const std::string& token, const Call& call);

}  // namespace sakchy::service::cli
