// The HttpSink fake itself: keep-alive, a fresh parser per request, EOF, status and delay knobs.

#include "fakes/http_sink.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "testutil/testutil.h"

namespace sakchy::testing::http_sink_test {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

http::request<http::string_body> MakeRequest(const std::string& target, std::string body,
                                             bool keep_alive) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set("X-Custom-Header", "Value");
  req.body() = std::move(body);
  req.keep_alive(keep_alive);
  req.prepare_payload();
  return req;
}

TEST(HttpSinkTest, KeepAliveRequestsOnOneConnection) {
  HttpSink sink;
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), sink.port()));
  boost::beast::flat_buffer buffer;

  http::write(socket, MakeRequest("/a", "first body", true));
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_TRUE(res.keep_alive());

  sink.SetStatus(503, {{"Retry-After", "5"}});
  http::write(socket, MakeRequest("/b", "2nd", false));
  http::response<http::string_body> res2;
  http::read(socket, buffer, res2);
  EXPECT_EQ(res2.result_int(), 503u);
  EXPECT_EQ(res2[http::field::retry_after], "5");
  EXPECT_FALSE(res2.keep_alive());

  // The sink closes after a Connection: close exchange.
  boost::system::error_code ec;
  http::response<http::string_body> res3;
  http::read(socket, buffer, res3, ec);
  EXPECT_EQ(ec, http::error::end_of_stream);

  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/a");
  EXPECT_EQ(requests[0].body, "first body");
  EXPECT_EQ(requests[0].headers.at("x-custom-header"), "Value");
  EXPECT_EQ(requests[1].target, "/b");
  EXPECT_EQ(requests[1].body, "2nd");
  sink.Clear();
  EXPECT_EQ(sink.count(), 0u);
}

TEST(HttpSinkTest, ClientCloseEndsSessionAndOthersAreServed) {
  HttpSink sink;
  net::io_context ioc;
  {
    tcp::socket idle(ioc);
    idle.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), sink.port()));
  }  // closed without a request: the session ends on EOF
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), sink.port()));
  http::write(socket, MakeRequest("/c", "x", true));
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(sink.count(), 1u);
  EXPECT_EQ(sink.url(), "http://127.0.0.1:" + std::to_string(sink.port()) + "/hook");
}

TEST(HttpSinkTest, DelayedResponseStillRecordsOnArrival) {
  HttpSink sink;
  sink.SetDelay(std::chrono::milliseconds(50));
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), sink.port()));
  http::write(socket, MakeRequest("/slow", "", true));
  EXPECT_TRUE(WaitFor([&] { return sink.count() == 1; }));
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 200u);
}

}  // namespace
}  // namespace sakchy::testing::http_sink_test
