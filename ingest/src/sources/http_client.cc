#include "ingest/sources/http_client.h"

#include <boost/asio/ssl/context.hpp>

#include <cctype>

#include "ingest/sources/redact.h"

namespace sakchy::ingest::sources {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

HttpClient::HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      ssl_(boost::asio::ssl::context::tls_client) {
  (void)outbound::ConfigureClientTls(ssl_);  // without the system store every https fetch fails
}

boost::asio::awaitable<Result<HttpResponse>> HttpClient::Get(HttpGetRequest request) {
  outbound::Options options;
  options.timeout_ms = request.timeout_ms > 0 ? request.timeout_ms : options_.timeout_ms;
  options.max_body_bytes =
      request.max_body_bytes > 0 ? request.max_body_bytes : options_.max_body_bytes;
  options.oversize = outbound::OversizeBody::kRefuse;
  options.max_header_bytes = 64 * 1024;
  options.redirects = outbound::RedirectPolicy{options_.max_redirects};
  options.targets = &request.targets;
  options.tls = &ssl_;

  outbound::Request req;
  req.url = request.url;
  req.headers = {{"User-Agent", options_.user_agent}, {"Accept-Encoding", "identity"}};
  for (auto& header : request.headers) req.headers.push_back(std::move(header));
  auto res = co_await outbound::Fetch(std::move(req), options);
  if (!res) {
    auto redact = [](std::string_view text) { return RedactSecrets(text); };
    co_return tl::unexpected(res.error().ToError(request.url, options.timeout_ms, redact));
  }
  HttpResponse out;
  out.status = static_cast<int>(res->status);
  out.reason = std::move(res->reason);
  for (auto& [name, value] : res->headers) {
    auto [it, inserted] = out.headers.emplace(Lower(name), value);
    if (!inserted) it->second += ", " + value;
  }
  out.body = std::move(res->body);
  out.final_url = std::move(res->final_url);
  co_return out;
}

}  // namespace sakchy::ingest::sources
