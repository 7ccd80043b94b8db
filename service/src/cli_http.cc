#include "cli_http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sakchy::service::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::optional<Target> ParseUrl(std::string_view url) {
  if (!url.starts_with("http://")) return std::nullopt;
  url.remove_prefix(7);
  url = url.substr(0, url.find('/'));
  if (url.empty()) return std::nullopt;
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos) return Target{std::string(url), "80"};
  return Target{std::string(url.substr(0, colon)), std::string(url.substr(colon + 1))};
}

Reply Exchange(const Target& to, const std::string& token, const Call& call) {
  Reply reply;
  net::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(to.host, to.port, ec);
  if (!ec) stream.connect(endpoints, ec);
  if (ec) {
    reply.error = "cannot connect to " + to.host + ":" + to.port + ": " + ec.message();
    return reply;
  }
  http::request<http::string_body> req{call.verb, call.target, 11};
  req.set(http::field::host, to.host);
  req.set(http::field::authorization, "Bearer " + token);
  req.set(http::field::user_agent, "sakchy-cli");
  for (const auto& [name, value] : call.headers) req.set(name, value);
  if (!call.content_type.empty()) req.set(http::field::content_type, call.content_type);
  req.body() = call.body;
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  if (!ec) http::read_header(stream, buffer, parser, ec);
  if (ec) {
    reply.error = ec.message();
    return reply;
  }
  reply.status = parser.get().result_int();
  reply.retry_after = std::string(parser.get()[http::field::retry_after]);
  const bool stream_body = call.on_chunk && reply.status / 100 == 2;
  // The parser keeps a reference to the callback: it must live until the read is done.
  auto chunk = [&](std::uint64_t, std::string_view piece, beast::error_code&) -> std::size_t {
    call.on_chunk(piece);
    return piece.size();
  };
  if (stream_body) parser.on_chunk_body(chunk);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    reply.error = "the connection broke: " + ec.message();
    reply.status = 0;
    return reply;
  }
  reply.body = std::move(parser.get().body());
  // A response without chunked encoding lands in the body: hand it over too.
  if (stream_body && !reply.body.empty()) {
    call.on_chunk(reply.body);
    reply.body.clear();
  }
  return reply;
}

}  // namespace sakchy::service::cli
