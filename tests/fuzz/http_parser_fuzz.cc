// libFuzzer target: the HTTP request parser path of the server (service/src/http_parser.h) on
// any bytes: requests parsed as the session does (header first, then the body eagerly, in pieces
// of a size the input picks), the target split into path and query, the response head written.
// Checks: the body budget is given back in full when the parser goes, a body never exceeds the
// parser's limit, the framing refusals hold (no Transfer-Encoding but "chunked", one Host, one
// Authorization), and a response head never holds a raw CR or LF inside a header. Any crash,
// sanitizer report or abort is a bug.
//
// Input: the first byte picks the piece size (1 to 256 bytes); the rest is the connection's bytes,
// parsed as consecutive requests while they parse.

#include <boost/beast/http/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../service/src/http_limits.h"
#include "../../service/src/http_parser.h"

namespace {

namespace http = boost::beast::http;
using sakchy::service::HttpRequest;
using sakchy::service::HttpResponse;
using sakchy::service::internal::ParseRefusal;
using sakchy::service::internal::RequestParser;

void Check(bool ok) {
  if (!ok) std::abort();
}

const sakchy::service::HttpServerOptions& Options() {
  static const sakchy::service::HttpServerOptions options = [] {
    sakchy::service::HttpServerOptions o;
    o.max_body_bytes = 4096;
    o.bulk_paths = {"/v1/reports:batch"};
    o.max_bulk_body_bytes = 16384;
    o.max_body_bytes_in_flight = 8192;
    return o;
  }();
  return options;
}

// Parses one request from the front of `in`; returns the bytes it used, 0 when it stopped (an
// error, a refusal or the end of the input before the request was complete).
std::size_t ParseOne(std::string_view in, std::size_t piece, sakchy::service::internal::BodyBudget& budget) {
  HttpRequest req;
  std::size_t consumed = 0;
  {
    RequestParser parser(req, Options(), budget);
    parser.eager(false);
    bool header_seen = false;
    boost::beast::error_code ec;
    while (consumed < in.size() && !parser.is_done()) {
      // As the session: what is buffered so far (it may hold more than one piece) is offered
      // again until the parser takes it.
      const std::size_t end = std::min(in.size(), consumed + piece);
      const std::size_t used =
          parser.put(boost::asio::const_buffer(in.data() + consumed, end - consumed), ec);
      consumed += used;
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0 && end == in.size()) return 0;  // the input ends inside the request
        if (used == 0) piece *= 2;                    // the session's buffer grows
        continue;
      }
      if (ec) {
        if (parser.refusal() == ParseRefusal::kTransferEncoding) {
          Check(ec == http::error::bad_transfer_encoding);
        }
        return 0;
      }
      if (parser.is_header_done() && !header_seen) {
        header_seen = true;
        const std::string te = req.Header("transfer-encoding");
        Check(te.empty());  // framing fields are the server's, never listed
        Check(req.Header("content-length").empty());
        if (!sakchy::service::internal::SplitTarget(req.target, req)) return 0;
        Check(req.path.size() <= req.target.size());
        if (auto length = parser.content_length(); length && *length > 0) {
          if (!parser.TakeBudget(static_cast<std::size_t>(*length))) return 0;
        }
        parser.eager(true);
      }
    }
    if (!parser.is_done()) return 0;
    Check(req.body.size() <= parser.limit());
    HttpResponse r;
    r.status = 200;
    r.content_type = req.Header("accept");  // client bytes in a response header
    r.headers.emplace_back("X-Echo", req.target);
    r.body = req.body;
    std::string head;
    sakchy::service::internal::FormatHead(r, parser.version(), true, head);
    // Every line ends in CRLF; no bare CR or LF splits a header.
    for (std::size_t i = 0; i < head.size(); ++i) {
      if (head[i] == '\n') Check(i > 0 && head[i - 1] == '\r');
      if (head[i] == '\r') Check(i + 1 < head.size() && head[i + 1] == '\n');
    }
  }
  return consumed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  static sakchy::Gauge in_use;
  sakchy::service::internal::BodyBudget budget(Options().max_body_bytes_in_flight, in_use);
  for (int requests = 0; requests < 8 && !in.empty(); ++requests) {
    const std::size_t used = ParseOne(in, piece, budget);
    Check(budget.used() == 0);  // every parser gives back what it took
    if (used == 0) break;
    in.remove_prefix(used);
  }
  return 0;
}
