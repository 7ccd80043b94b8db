// The HTTP/1.1 server on raw loopback sockets: keep-alive and pipelining, chunked bodies,
// Expect: 100-continue, HEAD, limits answered before the client finishes sending, idle timeout.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "service/http.h"
#include "testutil/testutil.h"

namespace sakchy::service::http_server_test {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Echoes what it parsed: "METHOD path body" with a header of the request's content type.
class EchoHandler final : public RequestHandler {
 public:
  net::awaitable<HttpResponse> Handle(HttpRequest request) override {
    ++calls;
    HttpResponse r;
    r.status = request.path == "/missing" ? 404 : 200;
    r.content_type = "text/plain";
    r.body = request.method + " " + request.path + " " + request.body;
    r.headers.emplace_back("X-Content-Type", request.Header("content-type"));
    r.headers.emplace_back("X-Evil", "a\r\nInjected: yes");
    co_return r;
  }
  HttpResponse Reject(unsigned status, const std::string& title, const std::string&) override {
    HttpResponse r;
    r.status = status;
    r.content_type = "application/problem+json";
    r.body = "{\"title\":\"" + title + "\"}";
    return r;
  }
  std::atomic<int> calls{0};
};

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}, int threads = 1) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<HttpServer>(io_, options, handler_);
    ASSERT_OK(server_->Start());
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->StopAccepting();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }
  static void Send(tcp::socket& s, std::string_view bytes) {
    net::write(s, net::buffer(bytes.data(), bytes.size()));
  }
  // Reads until `n` complete responses (by Content-Length) or EOF; returns the raw bytes.
  static std::string ReadResponses(tcp::socket& s, int n) {
    std::string data;
    int complete = 0;
    std::size_t pos = 0;
    while (complete < n) {
      auto end = data.find("\r\n\r\n", pos);
      if (end != std::string::npos) {
        auto cl = data.find("Content-Length: ", pos);
        std::size_t length = cl != std::string::npos && cl < end
                                 ? std::stoul(data.substr(cl + 16))
                                 : 0;
        if (data.size() >= end + 4 + length) {
          pos = end + 4 + length;
          ++complete;
          continue;
        }
      }
      char buf[4096];
      boost::system::error_code ec;
      std::size_t got = s.read_some(net::buffer(buf), ec);
      if (ec) break;
      data.append(buf, got);
    }
    return data;
  }

  net::io_context io_;
  net::io_context client_io_;
  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpServerTest, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
  Start();
  auto s = Connect();
  Send(s,
       "POST /a HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\none"
       "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
       "POST /b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo");
  const std::string out = ReadResponses(s, 3);
  auto first = out.find("HTTP/1.1 200 OK\r\n");
  auto second = out.find("HTTP/1.1 404 Not Found\r\n");
  auto third = out.find("POST /b two");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_LT(first, second) << out;
  EXPECT_LT(second, third) << out;
  EXPECT_NE(out.find("POST /a one"), std::string::npos) << out;
  EXPECT_NE(out.find("Server: sakchy\r\n"), std::string::npos);
  EXPECT_NE(out.find("X-Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_EQ(out.find("\r\nInjected: yes"), std::string::npos) << "CR/LF stripped from values";
  EXPECT_EQ(out.find("Connection: close"), std::string::npos);
  EXPECT_EQ(handler_.calls, 3);
}

TEST_F(HttpServerTest, ChunkedBodiesAreJoined) {
  Start();
  auto s = Connect();
  Send(s,
       "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
  EXPECT_NE(ReadResponses(s, 1).find("POST /c abcdefg"), std::string::npos);
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  Start();
  auto s = Connect();
  Send(s, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  char buf[64];
  std::size_t got = s.read_some(net::buffer(buf));
  EXPECT_EQ(std::string(buf, got), "HTTP/1.1 100 Continue\r\n\r\n");
  Send(s, "body");
  EXPECT_NE(ReadResponses(s, 1).find("POST /e body"), std::string::npos);
}

TEST_F(HttpServerTest, HeadGetsTheHeaderWithoutABody) {
  Start();
  auto s = Connect();
  Send(s, "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n");
  // The HEAD answer announces its length but sends no body; the GET answer follows at once.
  std::string out;
  while (out.find("GET /g") == std::string::npos) {
    char buf[4096];
    boost::system::error_code ec;
    std::size_t got = s.read_some(net::buffer(buf), ec);
    if (ec) break;
    out.append(buf, got);
  }
  EXPECT_EQ(out.find("HEAD /h"), std::string::npos) << out;
  EXPECT_NE(out.find("Content-Length: 8\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /g "), std::string::npos) << out;
}

TEST_F(HttpServerTest, ATooLargeBodyIsRefusedWhileTheClientIsStillSending) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  options.bulk_paths = {"/bulk"};
  options.max_bulk_body_bytes = 100000;
  Start(options);
  {
    // The client sends all of a 600 KB body; it must read a 413, not a connection reset.
    auto s = Connect();
    const std::string body(600000, 'x');
    std::thread writer([&] {
      boost::system::error_code ec;
      const std::string head = "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n";
      net::write(s, net::buffer(head), ec);
      net::write(s, net::buffer(body), ec);
    });
    const std::string out = ReadResponses(s, 1);
    writer.join();
    EXPECT_NE(out.find("HTTP/1.1 413 Payload Too Large\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
  }
  {
    // A bulk path takes the larger limit.
    auto s = Connect();
    const std::string body(50000, 'y');
    Send(s, "POST /bulk HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n" + body);
    const std::string out = ReadResponses(s, 1);
    EXPECT_NE(out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << out.substr(0, 200);
  }
  {
    auto s = Connect();
    Send(s, "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n");
    EXPECT_NE(ReadResponses(s, 1).find("HTTP/1.1 431 "), std::string::npos);
  }
  {
    auto s = Connect();
    Send(s, "NOT HTTP AT ALL\r\n\r\n");
    EXPECT_NE(ReadResponses(s, 1).find("HTTP/1.1 400 Bad Request\r\n"), std::string::npos);
  }
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  Start();
  auto s = Connect();
  Send(s, "GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const std::string kept = ReadResponses(s, 1);
  EXPECT_NE(kept.find("HTTP/1.0 200 OK\r\n"), std::string::npos) << kept;
  EXPECT_NE(kept.find("Connection: keep-alive\r\n"), std::string::npos) << kept;
  Send(s, "GET /two HTTP/1.0\r\n\r\n");
  const std::string closed = ReadResponses(s, 2);  // reads to EOF
  EXPECT_NE(closed.find("Connection: close\r\n"), std::string::npos) << closed;
}

TEST_F(HttpServerTest, IdleConnectionsAreClosed) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  Start(options);
  auto s = Connect();
  Send(s, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(ReadResponses(s, 1).find("200 OK"), std::string::npos);
  // Then nothing: the server closes the connection after about a second.
  char buf[16];
  boost::system::error_code ec;
  s.read_some(net::buffer(buf), ec);
  EXPECT_EQ(ec, net::error::eof) << ec.message();
}

TEST_F(HttpServerTest, ManyConnectionsOnTwoThreads) {
  Start({}, /*threads=*/2);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      net::io_context io;
      tcp::socket s(io);
      s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
      for (int i = 0; i < 50; ++i) {
        const std::string body = std::to_string(c) + "-" + std::to_string(i);
        const std::string req = "POST /m HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
        net::write(s, net::buffer(req));
        if (ReadResponses(s, 1).find("POST /m " + body) != std::string::npos) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, 400);
}

}  // namespace
}  // namespace sakchy::service::http_server_test
