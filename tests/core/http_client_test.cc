// The one outbound HTTP client (core/http_client.h) against loopback servers: what it sends, the
// options each caller picks (redirects, oversize bodies, header limit, address filter), the stage
// a failure names, and TLS verification with a test CA. The callers' wording and policy are
// tested with them (tests/ingest/sources_http_client_test.cc, tests/alerts/dispatcher_test.cc).

#include "core/http_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fakes/scripted_http_server.h"
#include "testutil/testutil.h"
#include "testutil/tls.h"

namespace sakchy::outbound::http_client_test {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using sakchy::testing::RecordedRequest;
using sakchy::testing::ScriptedHttpServer;
using sakchy::testing::ScriptedResponse;
using ::testing::HasSubstr;
using ::testing::Not;

tl::expected<Response, Failure> FetchNow(Request request, Options options) {
  net::io_context io;
  auto future = net::co_spawn(io, Fetch(std::move(request), options), net::use_future);
  io.run();
  return future.get();
}

Request Get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

std::string HeaderValue(const Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (field == name) return value;
  }
  return "<absent>";
}

TEST(OutboundUrl, ParsesHttpAndHttpsUrls) {
  auto u = ParseUrl("HTTPS://Example.org/a%20b?q=1#frag");
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->tls);  // the scheme is case-insensitive
  EXPECT_EQ(u->host, "Example.org");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->host_header, "Example.org");
  EXPECT_EQ(u->target, "/a%20b?q=1");
  EXPECT_TRUE(u->has_fragment);

  auto v6 = ParseUrl("http://[::1]:8080?x=1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_FALSE(v6->tls);
  EXPECT_EQ(v6->host, "::1");  // no brackets for DNS and certificates
  EXPECT_EQ(v6->port, "8080");
  EXPECT_EQ(v6->host_header, "[::1]:8080");
  EXPECT_EQ(v6->target, "/?x=1");  // origin-form, never without its slash
  EXPECT_FALSE(v6->has_fragment);

  EXPECT_EQ(ParseUrl("ftp://example.org/").error().stage, Failure::Stage::kUrlScheme);
  EXPECT_EQ(ParseUrl("ftp://example.org/").error().detail, "ftp");
  EXPECT_EQ(ParseUrl("not a url").error().stage, Failure::Stage::kUrlSyntax);
  EXPECT_EQ(ParseUrl("http:///nohost").error().stage, Failure::Stage::kUrlNoHost);
}

TEST(OutboundFetch, SendsMethodHeadersAndBodyOnAFreshConnection) {
  ScriptedHttpServer server([](const RecordedRequest&) {
    return ScriptedResponse{201, {{"X-Answer", "42"}}, "made", {}};
  });
  Request req;
  req.method = "POST";
  req.url = server.url("/hook?a=1");
  req.headers = {{"Content-Type", "application/json"}, {"X-Token", "t"}};
  req.body = R"({"k":1})";
  Options options;
  auto res = FetchNow(req, options);
  ASSERT_TRUE(res.has_value()) << static_cast<int>(res.error().stage);
  EXPECT_EQ(res->status, 201u);
  EXPECT_EQ(res->reason, "Created");
  EXPECT_EQ(res->body, "made");
  EXPECT_EQ(HeaderValue(res->headers, "X-Answer"), "42");
  EXPECT_EQ(res->final_url, server.url("/hook?a=1"));
  ASSERT_EQ(server.count(), 1u);
  const auto sent = server.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/hook?a=1");
  EXPECT_EQ(sent.body, R"({"k":1})");
  EXPECT_EQ(sent.headers.at("content-length"), "7");
  EXPECT_EQ(sent.headers.at("content-type"), "application/json");
  EXPECT_EQ(sent.headers.at("x-token"), "t");
  EXPECT_EQ(sent.headers.at("connection"), "close");
  EXPECT_EQ(sent.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));

  auto get = FetchNow(Get(server.url("/")), options);
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(server.requests().back().method, "GET");
  EXPECT_EQ(server.requests().back().headers.count("content-length"), 0u);
}

// Without a RedirectPolicy a 3xx is the answer (alerts: a webhook that redirects fails); with
// one it is followed, same scheme or up to https only, and the hops are bounded.
TEST(OutboundFetch, RedirectsOnlyWithAPolicy) {
  ScriptedHttpServer server([](const RecordedRequest& req) {
    if (req.target == "/final") return ScriptedResponse{200, {}, "done", {}};
    if (req.target == "/loop") return ScriptedResponse{307, {{"Location", "/loop"}}, "", {}};
    if (req.target == "/down") {
      return ScriptedResponse{302, {{"Location", "ftp://example.org/"}}, "", {}};
    }
    return ScriptedResponse{302, {{"Location", "/final"}}, "moved", {}};
  });
  Options options;
  auto plain = FetchNow(Get(server.url("/start")), options);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->status, 302u);
  EXPECT_EQ(HeaderValue(plain->headers, "Location"), "/final");
  EXPECT_EQ(server.count(), 1u);

  options.redirects = RedirectPolicy{2};
  auto followed = FetchNow(Get(server.url("/start")), options);
  ASSERT_TRUE(followed.has_value());
  EXPECT_EQ(followed->status, 200u);
  EXPECT_EQ(followed->body, "done");
  EXPECT_EQ(followed->final_url, server.url("/final"));

  auto loop = FetchNow(Get(server.url("/loop")), options);
  ASSERT_FALSE(loop.has_value());
  EXPECT_EQ(loop.error().stage, Failure::Stage::kTooManyRedirects);
  EXPECT_EQ(loop.error().limit, 2u);

  auto down = FetchNow(Get(server.url("/down")), options);
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().stage, Failure::Stage::kRedirectScheme);
  EXPECT_EQ(down.error().location, "ftp://example.org/");
}

// Authorization, Proxy-Authorization and Cookie stay with their origin; other headers follow.
TEST(OutboundFetch, ARedirectToAnotherOriginDropsCredentials) {
  ScriptedHttpServer other([](const RecordedRequest&) { return ScriptedResponse{200, {}, "", {}}; });
  const std::string elsewhere = "http://localhost:" + std::to_string(other.port()) + "/x";
  ScriptedHttpServer server([elsewhere](const RecordedRequest&) {
    return ScriptedResponse{301, {{"Location", elsewhere}}, "", {}};
  });
  Request req = Get(server.url("/"));
  req.headers = {{"authorization", "Bearer t"},
                 {"Proxy-Authorization", "Basic p"},
                 {"Cookie", "s=1"},
                 {"Accept", "text/plain"}};
  Options options;
  options.redirects = RedirectPolicy{};
  ASSERT_TRUE(FetchNow(req, options).has_value());
  ASSERT_EQ(other.count(), 1u);
  const auto landed = other.requests()[0];
  EXPECT_EQ(landed.headers.count("authorization"), 0u);
  EXPECT_EQ(landed.headers.count("proxy-authorization"), 0u);
  EXPECT_EQ(landed.headers.count("cookie"), 0u);
  EXPECT_EQ(landed.headers.at("accept"), "text/plain");
  EXPECT_EQ(server.requests()[0].headers.at("authorization"), "Bearer t");
}

// The address checked is the address connected to: a refused address gets nothing, on the first
// hop or after a redirect.
TEST(OutboundFetch, TheAddressFilterRefusesBeforeAnythingIsSent) {
  ScriptedHttpServer server([](const RecordedRequest& req) {
    if (req.target == "/meta") {
      return ScriptedResponse{302, {{"Location", "http://169.254.169.254/latest/"}}, "", {}};
    }
    return ScriptedResponse{200, {}, "inside", {}};
  });
  const AddressFilter internal_refused;
  Options options;
  options.targets = &internal_refused;
  auto direct = FetchNow(Get(server.url("/")), options);
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(direct.error().stage, Failure::Stage::kRefused);
  EXPECT_EQ(direct.error().detail,
            "127.0.0.1 is a loopback address (not in allow_private_targets)");
  EXPECT_FALSE(direct.error().sent);
  EXPECT_EQ(server.count(), 0u);

  const AddressFilter loopback = AddressFilter::FromCidrs({"127.0.0.1/32"}).value();
  options.targets = &loopback;
  options.redirects = RedirectPolicy{};
  auto redirected = FetchNow(Get(server.url("/meta")), options);
  ASSERT_FALSE(redirected.has_value());
  EXPECT_EQ(redirected.error().stage, Failure::Stage::kRefused);
  EXPECT_THAT(redirected.error().detail, HasSubstr("169.254.169.254 is a link-local address"));
  EXPECT_EQ(server.count(), 1u);
}

// Alerts keep the status of an oversized answer (kTruncate); sources refuse it (kRefuse).
TEST(OutboundFetch, OversizedBodiesAreRefusedOrTruncated) {
  ScriptedHttpServer server([](const RecordedRequest&) {
    return ScriptedResponse{500, {}, std::string(100'000, 'x'), {}};
  });
  Options options;
  options.max_body_bytes = 1000;
  auto refused = FetchNow(Get(server.url("/")), options);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().stage, Failure::Stage::kBodyLimit);
  EXPECT_EQ(refused.error().limit, 1000u);
  EXPECT_TRUE(refused.error().sent);

  options.oversize = OversizeBody::kTruncate;
  auto truncated = FetchNow(Get(server.url("/")), options);
  ASSERT_TRUE(truncated.has_value());
  EXPECT_EQ(truncated->status, 500u);
  EXPECT_TRUE(truncated->body_truncated);
  EXPECT_LE(truncated->body.size(), 1000u);
}

TEST(OutboundFetch, OversizedHeadersAreRefused) {
  ScriptedHttpServer server([](const RecordedRequest&) {
    return ScriptedResponse{200, {{"X-Big", std::string(20'000, 'h')}}, "", {}};
  });
  Options options;  // 8 KiB of headers by default
  auto res = FetchNow(Get(server.url("/")), options);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().stage, Failure::Stage::kHeaderLimit);
  EXPECT_EQ(res.error().limit, 8u * 1024);

  options.max_header_bytes = 64 * 1024;
  EXPECT_TRUE(FetchNow(Get(server.url("/")), options).has_value());
}

TEST(OutboundFetch, FailuresNameTheirStage) {
  ScriptedHttpServer slow([](const RecordedRequest&) {
    return ScriptedResponse{200, {}, "late", std::chrono::milliseconds(3000)};
  });
  Options options;
  options.timeout_ms = 200;
  const auto started = std::chrono::steady_clock::now();
  auto timeout = FetchNow(Get(slow.url("/slow")), options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2000));
  ASSERT_FALSE(timeout.has_value());
  EXPECT_TRUE(timeout.error().timed_out);
  EXPECT_EQ(timeout.error().stage, Failure::Stage::kRead);
  EXPECT_TRUE(timeout.error().sent);

  std::string dead_url;
  {
    ScriptedHttpServer gone([](const RecordedRequest&) { return ScriptedResponse{}; });
    dead_url = gone.url("/bot123:SECRET/x");
  }
  options.timeout_ms = 2000;
  auto refused = FetchNow(Get(dead_url), options);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().stage, Failure::Stage::kConnect);
  EXPECT_EQ(refused.error().ec, net::error::connection_refused);
  EXPECT_FALSE(refused.error().sent);
  EXPECT_FALSE(refused.error().timed_out);

  // The standard wording names the URL only through the caller's redaction.
  const Error error = refused.error().ToError(dead_url, 2000, [](std::string_view url) {
    std::string s(url);
    const auto at = s.find("SECRET");
    if (at != std::string::npos) s.replace(at, 6, "<redacted>");
    return s;
  });
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_THAT(error.message, HasSubstr("cannot connect to 127.0.0.1:"));
  EXPECT_THAT(error.message, HasSubstr("/bot123:<redacted>/x"));
  EXPECT_THAT(error.message, Not(HasSubstr("SECRET")));
}

// A one-connection HTTPS server with a self-signed certificate for `name`.
class TlsServer {
 public:
  explicit TlsServer(const testing::TestCertificate& cert) : ctx_(ssl::context::tls_server) {
    ctx_.use_certificate_chain_file(cert.cert_file);
    ctx_.use_private_key_file(cert.key_file, ssl::context::pem);
    acceptor_.open(net::ip::tcp::v4());
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsServer() {
    if (!accepted_) {  // a blocking accept is not woken by close: connect once to end it
      net::io_context io;
      net::ip::tcp::socket wake(io);
      boost::system::error_code ignored;
      wake.connect(acceptor_.local_endpoint(), ignored);
    }
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void Serve() {
    boost::system::error_code ec;
    ssl::stream<net::ip::tcp::socket> stream(io_, ctx_);
    acceptor_.accept(stream.next_layer(), ec);
    accepted_ = true;
    if (ec) return;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    http::response<http::string_body> res{http::status::ok, 11};
    res.body() = "secure";
    res.prepare_payload();
    http::write(stream, res, ec);
    stream.shutdown(ec);
  }
  net::io_context io_;
  ssl::context ctx_;
  net::ip::tcp::acceptor acceptor_{io_};
  std::atomic<bool> accepted_{false};
  std::thread thread_;
};

// Peers are verified: the configured CA and the host name must both match.
TEST(OutboundFetch, HttpsVerifiesTheCertificateAndTheName) {
  testing::TempDir dir;
  const auto cert = testing::MakeSelfSignedCertificate(dir.str(), "server", "localhost");
  {
    TlsServer server(cert);
    ssl::context tls(ssl::context::tls_client);
    ASSERT_OK(ConfigureClientTls(tls, cert.cert_file));
    Options options;
    options.tls = &tls;
    auto res = FetchNow(Get("https://localhost:" + std::to_string(server.port()) + "/"), options);
    ASSERT_TRUE(res.has_value()) << res.error().ec.message();
    EXPECT_EQ(res->body, "secure");
  }
  {
    TlsServer server(cert);
    ssl::context tls(ssl::context::tls_client);
    ASSERT_OK(ConfigureClientTls(tls, cert.cert_file));
    Options options;
    options.tls = &tls;
    // Trusted certificate, wrong name: 127.0.0.1 is not "localhost".
    auto res = FetchNow(Get("https://127.0.0.1:" + std::to_string(server.port()) + "/"), options);
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error().stage, Failure::Stage::kTls);
    EXPECT_FALSE(res.error().sent);
  }
  {
    TlsServer server(cert);
    ssl::context tls(ssl::context::tls_client);
    ASSERT_OK(ConfigureClientTls(tls));  // the system store does not know the test certificate
    Options options;
    options.tls = &tls;
    auto res = FetchNow(Get("https://localhost:" + std::to_string(server.port()) + "/"), options);
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error().stage, Failure::Stage::kTls);
  }
  Options no_context;
  auto res = FetchNow(Get("https://localhost:1/"), no_context);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().stage, Failure::Stage::kTls);
  EXPECT_EQ(res.error().detail, "no TLS context");

  ssl::context tls(ssl::context::tls_client);
  EXPECT_FALSE(ConfigureClientTls(tls, dir.str() + "/missing.pem").has_value());
}

}  // namespace
}  // namespace sakchy::outbound::http_client_test
