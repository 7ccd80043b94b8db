// The HTTP server with TLS: TLS 1.2 and 1.3 only, keep-alive and pipelining over TLS, the
// certificate replaced by ReloadTls() for new connections, a bad file refused at start and on
// reload (the current certificate keeps serving), deadlines on a silent TLS client.

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <fstream>
#include <thread>

#include "service/http.h"
#include "testutil/testutil.h"
#include "testutil/tls.h"

namespace sakchy::service::http_tls_test {
namespace {

namespace net = boost::asio;
using sakchy::testing::MakeSelfSignedCertificate;
using sakchy::testing::TlsExchange;

class PathHandler final : public RequestHandler {
 public:
  net::awaitable<HttpResponse> Handle(HttpRequest request) override {
    HttpResponse r;
    r.content_type = "text/plain";
    r.body = request.method + " " + request.path + " " + request.body;
    co_return r;
  }
  HttpResponse Reject(unsigned status, const std::string& title, const std::string&) override {
    HttpResponse r;
    r.status = status;
    r.body = title;
    return r;
  }
};

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = MakeSelfSignedCertificate(dir_.str(), "server", "first.test");
  }
  Status Start(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    if (!options.tls) options.tls = HttpTlsOptions{cert_.cert_file, cert_.key_file, "1.2"};
    server_ = std::make_unique<HttpServer>(io_, options, handler_);
    auto started = server_->Start();
    if (started) thread_ = std::thread([this] { io_.run(); });
    return started;
  }
  void TearDown() override {
    if (server_) server_->StopAccepting();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  sakchy::testing::TempDir dir_;
  sakchy::testing::TestCertificate cert_;
  net::io_context io_;
  PathHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpTlsTest, ServesTls12And13AndRefusesOlder) {
  ASSERT_OK(Start());
  EXPECT_NE(server_->TlsDescription().find("CN=first.test, expires "), std::string::npos)
      << server_->TlsDescription();
  // Two pipelined requests on one TLS connection, the second closing it.
  const std::string requests =
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
      "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto v12 = TlsExchange(server_->port(), requests, TLS1_2_VERSION, TLS1_2_VERSION);
  ASSERT_TRUE(v12.connected) << v12.error;
  EXPECT_EQ(v12.protocol, "TLSv1.2");
  EXPECT_EQ(v12.peer_cn, "first.test");
  EXPECT_NE(v12.response.find("POST /a one"), std::string::npos) << v12.response;
  EXPECT_NE(v12.response.find("GET /b "), std::string::npos) << v12.response;
  auto v13 = TlsExchange(server_->port(), "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                         TLS1_3_VERSION);
  ASSERT_TRUE(v13.connected) << v13.error;
  EXPECT_EQ(v13.protocol, "TLSv1.3");
  EXPECT_NE(v13.response.find("GET /c "), std::string::npos);
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    auto old = TlsExchange(server_->port(), "", version, version);
    EXPECT_FALSE(old.connected) << "version " << version << " was accepted";
  }
}

TEST_F(HttpTlsTest, MinVersion13RefusesTls12) {
  HttpServerOptions options;
  options.tls = HttpTlsOptions{cert_.cert_file, cert_.key_file, "1.3"};
  ASSERT_OK(Start(options));
  EXPECT_FALSE(TlsExchange(server_->port(), "", TLS1_2_VERSION, TLS1_2_VERSION).connected);
  EXPECT_TRUE(TlsExchange(server_->port(), "").connected);
}

TEST_F(HttpTlsTest, ReloadServesTheNewCertificateToNewConnections) {
  ASSERT_OK(Start());
  MakeSelfSignedCertificate(dir_.str(), "server", "second.test");  // over the same files
  ASSERT_OK(server_->ReloadTls());
  EXPECT_EQ(TlsExchange(server_->port(), "").peer_cn, "second.test");
  EXPECT_NE(server_->TlsDescription().find("CN=second.test"), std::string::npos);
  // A key that is not a key: refused, and the current certificate keeps serving.
  { std::ofstream(cert_.key_file, std::ios::trunc) << "garbage\n"; }
  auto bad = server_->ReloadTls();
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find(cert_.key_file), std::string::npos) << bad.error().message;
  auto still = TlsExchange(server_->port(), "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(still.peer_cn, "second.test");
  EXPECT_NE(still.response.find("GET /x "), std::string::npos);
}

TEST_F(HttpTlsTest, StartFailsOnMissingOrMismatchedFiles) {
  HttpServerOptions missing;
  missing.tls = HttpTlsOptions{dir_.str() + "/none.crt", cert_.key_file, "1.2"};
  auto no_file = Start(missing);
  ASSERT_FALSE(no_file.has_value());
  EXPECT_NE(no_file.error().message.find("none.crt"), std::string::npos) << no_file.error().message;

  auto other = MakeSelfSignedCertificate(dir_.str(), "other", "other.test");
  HttpServerOptions mismatched;
  mismatched.tls = HttpTlsOptions{cert_.cert_file, other.key_file, "1.2"};
  auto wrong_key = Start(mismatched);
  ASSERT_FALSE(wrong_key.has_value());
  EXPECT_NE(wrong_key.error().message.find("does not belong to the certificate"), std::string::npos)
      << wrong_key.error().message;

  HttpServerOptions version;
  version.tls = HttpTlsOptions{cert_.cert_file, cert_.key_file, "1.1"};
  EXPECT_FALSE(Start(version).has_value());
}

TEST_F(HttpTlsTest, ASilentTlsClientIsClosedAtTheHeaderDeadline) {
  HttpServerOptions options;
  options.header_timeout_seconds = 1;
  ASSERT_OK(Start(options));
  net::io_context client;
  net::ip::tcp::socket s(client);
  s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  timeval tv{10, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[16];
  boost::system::error_code ec;
  s.read_some(net::buffer(buf), ec);  // no handshake sent: the server gives up first
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
}

}  // namespace
}  // namespace sakchy::service::http_tls_test
