#include "label_export_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

namespace sakchy::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<std::size_t> DownloadLabels(const std::string& url, const std::string& token,
                                   const std::string& task, const std::string& out) {
  std::string_view rest = url;
  if (!rest.starts_with("http://")) {
    return MakeError(ErrorCode::kInvalidArgument, "--url must be http://HOST:PORT, not '" + url + "'");
  }
  rest.remove_prefix(7);
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  const std::string host(rest.substr(0, colon));
  const std::string port(colon == std::string_view::npos ? "80" : rest.substr(colon + 1));
  net::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port, ec);
  if (!ec) stream.connect(endpoints, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot connect to " + url + ": " + ec.message());
  std::string target = "/v1/export/labels.ndjson";
  if (!task.empty()) target += "?task=" + boost::urls::encode(task, boost::urls::unreserved_chars);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::authorization, "Bearer " + token);
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  if (!ec) http::read_header(stream, buffer, parser, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, url + ": " + ec.message());
  if (parser.get().result_int() != 200) {
    http::read(stream, buffer, parser, ec);
    return MakeError(ErrorCode::kInvalidArgument,
                     "the service answered " + std::to_string(parser.get().result_int()) + ": " +
                         parser.get().body());
  }
  std::ofstream file;
  if (!out.empty()) {
    file.open(out, std::ios::binary | std::ios::trunc);
    if (!file) return MakeError(ErrorCode::kIo, out + ": cannot write");
  }
  std::ostream& sink = out.empty() ? std::cout : file;
  std::size_t lines = 0;
  auto on_chunk = [&](std::uint64_t, std::string_view body, beast::error_code&) -> std::size_t {
    sink.write(body.data(), static_cast<std::streamsize>(body.size()));
    for (char c : body) lines += c == '\n' ? 1 : 0;
    return body.size();
  };
  parser.on_chunk_body(on_chunk);
  http::read(stream, buffer, parser, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "the connection broke: " + ec.message());
  // A response without chunked encoding lands in the body instead.
  if (!parser.get().body().empty()) {
    const std::string& body = parser.get().body();
    sink.write(body.data(), static_cast<std::streamsize>(body.size()));
    for (char c : body) lines += c == '\n' ? 1 : 0;
  }
  sink.flush();
  if (!sink) return MakeError(ErrorCode::kIo, (out.empty() ? "standard output" : out) + ": write failed");
  return lines;
}

}  // namespace sakchy::service
