#pragma once
// The request side of the HTTP server (http.cc): one request parsed straight into an HttpRequest
// (Beast's parser for the grammar, chunked bodies and limits, without Beast's containers), the
// target split into path and query, and the response head written by hand.

#include <boost/beast/http/basic_parser.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "http_limits.h"
#include "service/http.h"

namespace sakchy::service::internal {

// Why a request was refused while parsing, beyond Beast's own grammar errors.
enum class ParseRefusal {
  kNone,
  kTransferEncoding,     // Transfer-Encoding other than exactly "chunked" (smuggling)
  kDuplicateHeader,      // a second Host or Authorization header
  kMissingHost,          // HTTP/1.1 without Host
  kBodyBudget,           // the bodies in flight would exceed HttpServerOptions's budget
};

// Parses one request. The body limit follows from the path (known with the request line, before
// Beast checks Content-Length against it). Chunked bodies take their bytes from `budget` as they
// arrive; a Content-Length body is taken from it by the session once the header is admitted.
// Never reserves memory from Content-Length: the body grows with what arrives.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser(HttpRequest& request, const HttpServerOptions& options, BodyBudget& budget);
  ~RequestParser() override;
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  bool expects_continue() const { return expect_continue_; }
  unsigned version() const { return version_; }
  std::size_t limit() const { return body_limit_; }
  ParseRefusal refusal() const { return refusal_; }
  // The header the refusal names ("Host", "Authorization"), for the message.
  std::string_view refused_header() const { return refused_header_; }
  // Takes `bytes` of the body budget for this request (released with the parser). False when
  // the budget does not have them.
  [[nodiscard]] bool TakeBudget(std::size_t bytes);

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field field, string_view name, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override;
  void on_finish_impl(error_code&) override {}
  void Refuse(ParseRefusal why, std::string_view header, error_code& ec);

  HttpRequest& req_;
  const HttpServerOptions& options_;
  BodyBudget& budget_;
  std::size_t body_limit_;
  std::size_t budget_taken_ = 0;
  ParseRefusal refusal_ = ParseRefusal::kNone;
  std::string_view refused_header_;
  bool expect_continue_ = false;
  bool seen_host_ = false;
  bool seen_authorization_ = false;
  unsigned version_ = 11;
};

// Splits a request target into `req.path` (percent-decoded) and `req.query`. False for a
// malformed percent escape.
bool SplitTarget(std::string_view target, HttpRequest& req);

// The status line and headers of `r` (no Beast serializer). `streamed`: the body follows as
// chunks (HTTP/1.1) or until the connection closes (HTTP/1.0).
void FormatHead(const HttpResponse& r, unsigned version, bool keep_alive, std::string& out,
                bool streamed = false);

}  // namespace sakchy::service::internal
