#include "http_parser.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/grammar/string_token.hpp>
#include <boost/url/pct_string_view.hpp>

#include <cctype>
#include <utility>

namespace sakchy::service {

// Here rather than in http.cc: the request parsing needs nothing of the server (the fuzz target
// tests/fuzz/http_parser_fuzz.cc links this file alone).
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  auto pct = boost::urls::make_pct_string_view(in);
  if (!pct) return std::nullopt;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = plus_is_space;
  std::string out;
  pct->decode(opts, boost::urls::string_token::assign_to(out));
  return out;
}

bool ForEachQueryParam(std::string_view query, bool skip_empty,
                       const std::function<void(std::string key, std::string value)>& each) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() && skip_empty) continue;
    const auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) return false;
    each(std::move(*key), std::move(*value));
  }
  return true;
}

}  // namespace sakchy::service

namespace sakchy::service::internal {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Appends `value` without CR or LF (a header value can never split the head).
void AppendHeaderValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c != '\r' && c != '\n') out += c;
  }
}

}  // namespace

RequestParser::RequestParser(HttpRequest& request, const HttpServerOptions& options,
                             BodyBudget& budget)
    : req_(request), options_(options), budget_(budget), body_limit_(options.max_body_bytes) {
  body_limit(body_limit_);
  header_limit(16 * 1024);
}

RequestParser::~RequestParser() {
  if (budget_taken_ > 0) budget_.Give(budget_taken_);
}

bool RequestParser::TakeBudget(std::size_t bytes) {
  if (!budget_.TryTake(bytes)) return false;
  budget_taken_ += bytes;
  return true;
}

void RequestParser::Refuse(ParseRefusal why, std::string_view header, error_code& ec) {
  refusal_ = why;
  refused_header_ = header;
  ec = why == ParseRefusal::kTransferEncoding ? http::error::bad_transfer_encoding
                                              : http::error::bad_field;
}

void RequestParser::on_request_impl(http::verb, string_view method, string_view target,
                                    int version, error_code&) {
  req_.method.assign(method.data(), method.size());
  req_.target.assign(target.data(), target.size());
  version_ = static_cast<unsigned>(version);
  std::string_view path = req_.target;
  path = path.substr(0, path.find('?'));
  for (const auto& p : options_.bulk_paths) {
    if (path == p) body_limit_ = options_.max_bulk_body_bytes;
  }
  body_limit(body_limit_);
}

void RequestParser::on_field_impl(http::field field, string_view name, string_view value,
                                  error_code& ec) {
  switch (field) {
    case http::field::expect:
      expect_continue_ = beast::iequals(value, "100-continue");
      return;
    case http::field::transfer_encoding:
      // Only "chunked" frames a body here. Anything else ("gzip", "chunked, identity") would
      // leave the body unframed, to be read as the next request (request smuggling).
      if (!beast::iequals(TrimOws(std::string_view(value.data(), value.size())), "chunked")) {
        Refuse(ParseRefusal::kTransferEncoding, "Transfer-Encoding", ec);
      }
      return;
    // Framing is the server's business (the parser reads these itself): not listed.
    case http::field::content_length:
    case http::field::connection:
    case http::field::keep_alive:
      return;
    case http::field::host:
      if (seen_host_) return Refuse(ParseRefusal::kDuplicateHeader, "Host", ec);
      seen_host_ = true;
      break;
    case http::field::authorization:
      // Two credentials: which one counts would depend on the reader (a proxy, this server).
      if (seen_authorization_) return Refuse(ParseRefusal::kDuplicateHeader, "Authorization", ec);
      seen_authorization_ = true;
      break;
    default:
      break;
  }
  std::string key(name);
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  req_.headers.insert_or_assign(std::move(key), std::string(value));  // the last one wins
}

void RequestParser::on_header_impl(error_code& ec) {
  if (version_ >= 11 && !seen_host_) Refuse(ParseRefusal::kMissingHost, "Host", ec);
}

std::size_t RequestParser::on_body_impl(string_view body, error_code&) {
  req_.body.append(body.data(), body.size());
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) {
  // A chunked body's length is unknown up front: it takes from the budget as it arrives.
  if (!TakeBudget(body.size())) {
    refusal_ = ParseRefusal::kBodyBudget;
    ec = http::error::body_limit;
    return 0;
  }
  req_.body.append(body.data(), body.size());
  return body.size();
}

bool SplitTarget(std::string_view target, HttpRequest& req) {
  auto q = target.find('?');
  auto raw_path = target.substr(0, q);
  auto path = PercentDecode(raw_path, false);
  if (!path) return false;
  req.path = std::move(*path);
  if (q == std::string_view::npos) return true;
  return ForEachQueryParam(target.substr(q + 1), /*skip_empty=*/true,
                           [&req](std::string key, std::string value) {
                             if (req.query.count(key)) req.duplicate_query.push_back(key);
                             req.query[std::move(key)] = std::move(value);
                           });
}

void FormatHead(const HttpResponse& r, unsigned version, bool keep_alive, std::string& out,
                bool streamed) {
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: sakchy\r\n";
  if (!r.content_type.empty()) {
    out += "Content-Type: ";
    AppendHeaderValue(out, r.content_type);
    out += "\r\n";
  }
  if (!streamed) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  } else if (version >= 11) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  for (const auto& [name, value] : r.headers) {
    AppendHeaderValue(out, name);
    out += ": ";
    AppendHeaderValue(out, value);
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (version == 10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
}

}  // namespace sakchy::service::internal
