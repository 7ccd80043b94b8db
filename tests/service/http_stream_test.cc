// Streamed responses of the HTTP server: chunked transfer encoding, HTTP/1.0 without chunks,
// an aborted stream never looks complete, and backpressure (a client that stops reading stops
// the producer).

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <thread>

#include "service/http.h"
#include "testutil/http_client.h"
#include "testutil/testutil.h"

namespace sakchy::service::http_stream_test {
namespace {

namespace net = boost::asio;

class CountingStream final : public BodyStream {
 public:
  CountingStream(int pieces, std::size_t size, int fail_at, std::atomic<int>* calls)
      : pieces_(pieces), size_(size), fail_at_(fail_at), calls_(calls) {}
  net::awaitable<Result<std::string>> Next() override {
    calls_->fetch_add(1);
    const int n = next_++;
    if (n == fail_at_) co_return MakeError(ErrorCode::kIo, "disk on fire");
    if (n >= pieces_) co_return std::string();
    co_return std::string(size_, static_cast<char>('a' + n % 26));
  }

 private:
  int pieces_;
  std::size_t size_;
  int fail_at_;
  std::atomic<int>* calls_;
  int next_ = 0;
};

class StreamingHandler final : public RequestHandler {
 public:
  net::awaitable<HttpResponse> Handle(HttpRequest req) override {
    HttpResponse r;
    r.content_type = "text/plain";
    auto num = [&req](const char* k, int d) {
      return req.query.count(k) ? std::stoi(req.query[k]) : d;
    };
    r.stream = std::make_shared<CountingStream>(num("pieces", 3), static_cast<std::size_t>(num("size", 5)),
                                                num("fail_at", -1), &calls);
    co_return r;
  }
  HttpResponse Reject(unsigned status, const std::string&, const std::string&) override {
    HttpResponse r;
    r.status = status;
    return r;
  }
  std::atomic<int> calls{0};
};

class HttpStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(io_, HttpServerOptions{}, handler_);
    ASSERT_OK(server_->Start());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->StopAccepting();
    io_.stop();
    thread_.join();
  }
  // Sends a raw request; returns everything read until the server closes.
  std::string Raw(const std::string& request) {
    net::io_context io;
    net::ip::tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
    net::write(s, net::buffer(request));
    std::string out;
    boost::system::error_code ec;
    char buf[65536];
    for (;;) {
      std::size_t n = s.read_some(net::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }

  net::io_context io_;
  StreamingHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpStreamTest, ChunkedBodyArrivesWhole) {
  auto r = testing::HttpCall(server_->port(), "GET", "/x?pieces=4&size=100000");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("transfer-encoding"), "chunked");
  EXPECT_EQ(r.Header("content-length"), "");
  ASSERT_EQ(r.body.size(), 400000u);
  EXPECT_EQ(r.body[0], 'a');
  EXPECT_EQ(r.body[399999], 'd');
}

TEST_F(HttpStreamTest, KeepAliveAfterAStreamedResponse) {
  std::string both = Raw(
      "GET /x?pieces=1&size=3 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /x?pieces=1&size=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(both.find("3\r\naaa\r\n0\r\n\r\n"), std::string::npos) << both;
  EXPECT_NE(both.find("2\r\naa\r\n0\r\n\r\n"), std::string::npos) << both;
}

TEST_F(HttpStreamTest, Http10GetsAnUnframedBodyAndClose) {
  std::string out = Raw("GET /x?pieces=2&size=4 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(out.find("chunked"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\naaaabbbb"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 8), "aaaabbbb");
}

TEST_F(HttpStreamTest, AnAbortedStreamNeverLooksComplete) {
  auto r = testing::HttpCall(server_->port(), "GET", "/x?pieces=5&size=10&fail_at=2");
  EXPECT_EQ(r.status, 0) << "a truncated chunked body must not parse as a whole response";
  EXPECT_FALSE(r.error.empty());
  std::string raw =
      Raw("GET /x?pieces=5&size=10&fail_at=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(raw.find("a\r\nbbbbbbbbbb\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("0\r\n\r\n"), std::string::npos) << "no final chunk after an error";
}

TEST_F(HttpStreamTest, AClientThatStopsReadingStopsTheProducer) {
  net::io_context io;
  net::ip::tcp::socket s(io);
  s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  // 1 GiB offered in 1 MiB pieces; the client reads a little and then nothing.
  net::write(s, net::buffer(std::string("GET /x?pieces=1024&size=1048576 HTTP/1.1\r\nHost: x\r\n\r\n")));
  char buf[4096];
  net::read(s, net::buffer(buf));
  ASSERT_TRUE(testing::WaitFor([&] { return handler_.calls.load() >= 2; }));
  // Socket buffers hold a few MiB: the producer must stall far below 1024 pieces.
  EXPECT_FALSE(testing::WaitFor([&] { return handler_.calls.load() >= 64; },
                                std::chrono::milliseconds(1500)))
      << handler_.calls.load() << " pieces produced for a client that stopped reading";
  s.close();
}

}  // namespace
}  // namespace sakchy::service::http_stream_test
