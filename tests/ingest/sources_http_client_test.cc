// The pull sources' HTTP client against loopback fakes.

#include "ingest/sources/http_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/scripted_http_server.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::sources::sources_http_client_test {
namespace {

namespace net = boost::asio;
using sakchy::testing::RecordedRequest;
using sakchy::testing::ScriptedHttpServer;
using sakchy::testing::ScriptedResponse;
using ::testing::HasSubstr;
using ::testing::Not;

// The fakes listen on loopback: allowed unless a test sets its own filter.
AddressFilter Loopback() { return AddressFilter::FromCidrs({"127.0.0.1/32"}).value(); }

Result<HttpResponse> Fetch(HttpGetRequest request, HttpClientOptions options = {},
                           bool allow_loopback = true) {
  if (allow_loopback && request.targets.allowed().empty()) request.targets = Loopback();
  net::io_context io;
  HttpClient client(io.get_executor(), options);
  auto future = net::co_spawn(io, client.Get(std::move(request)), net::use_future);
  io.run();
  return future.get();
}

TEST(HttpClientTest, GetsWithHeadersAndLowerCasesResponseHeaders) {
  ScriptedHttpServer server([](const RecordedRequest&) {
    return ScriptedResponse{200, {{"Content-Type", "text/plain"}, {"ETag", "\"v1\""}}, "hello", {}};
  });
  HttpGetRequest req;
  req.url = server.url("/path?q=1");
  req.headers.emplace_back("If-None-Match", "\"v0\"");
  auto res = Fetch(req);
  ASSERT_OK(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello");
  EXPECT_EQ(res->headers.at("etag"), "\"v1\"");
  EXPECT_EQ(res->headers.at("content-type"), "text/plain");
  ASSERT_EQ(server.count(), 1u);
  const auto sent = server.requests()[0];
  EXPECT_EQ(sent.target, "/path?q=1");
  EXPECT_EQ(sent.headers.at("if-none-match"), "\"v0\"");
  EXPECT_THAT(sent.headers.at("user-agent"), HasSubstr("sakchy"));
}

TEST(HttpClientTest, StatusesAreValuesNotErrors) {
  ScriptedHttpServer server([](const RecordedRequest&) {
    return ScriptedResponse{503, {}, "down", {}};
  });
  auto res = Fetch(HttpGetRequest{server.url("/"), {}, 0, 0});
  ASSERT_OK(res);
  EXPECT_EQ(res->status, 503);
}

TEST(HttpClientTest, FollowsRedirectsUpToTheLimit) {
  ScriptedHttpServer server([](const RecordedRequest& req) {
    if (req.target == "/final") return ScriptedResponse{200, {}, "done", {}};
    if (req.target == "/loop") return ScriptedResponse{302, {{"Location", "/loop"}}, "", {}};
    if (req.target == "/ftp") {
      return ScriptedResponse{301, {{"Location", "ftp://example.org/x"}}, "", {}};
    }
    return ScriptedResponse{301, {{"Location", "/final"}}, "", {}};
  });
  auto res = Fetch(HttpGetRequest{server.url("/start"), {}, 0, 0});
  ASSERT_OK(res);
  EXPECT_EQ(res->body, "done");
  EXPECT_EQ(res->final_url, server.url("/final"));

  auto loop = Fetch(HttpGetRequest{server.url("/loop"), {}, 0, 0});
  ASSERT_FALSE(loop.has_value());
  EXPECT_THAT(loop.error().message, HasSubstr("too many redirects (more than 5)"));

  auto ftp = Fetch(HttpGetRequest{server.url("/ftp"), {}, 0, 0});
  ASSERT_FALSE(ftp.has_value());
  EXPECT_THAT(ftp.error().message, HasSubstr("refusing redirect"));
}

// No loopback, private, link-local or metadata address is reached unless allow-listed, also
// through a redirect; nothing is sent to a refused address.
TEST(HttpClientTest, InternalAddressesAreRefusedAlsoAfterARedirect) {
  ScriptedHttpServer server([](const RecordedRequest& req) {
    if (req.target == "/metadata") {
      return ScriptedResponse{302, {{"Location", "http://169.254.169.254/latest/meta-data/"}}, "",
                              {}};
    }
    if (req.target == "/hex") return ScriptedResponse{302, {{"Location", "http://0x7f000002/"}}, "", {}};
    return ScriptedResponse{200, {}, "secret inside", {}};
  });
  auto direct = Fetch(HttpGetRequest{server.url("/"), {}, 0, 0}, {}, false);
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(direct.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(direct.error().message,
              HasSubstr("127.0.0.1 is a loopback address (not in allow_private_targets)"));
  EXPECT_EQ(server.count(), 0u);

  for (const char* path : {"/metadata", "/hex"}) {
    auto redirected = Fetch(HttpGetRequest{server.url(path), {}, 0, 0});
    ASSERT_FALSE(redirected.has_value()) << path;
    EXPECT_EQ(redirected.error().code, ErrorCode::kPermissionDenied) << path;
    EXPECT_THAT(redirected.error().message, HasSubstr("not in allow_private_targets")) << path;
  }
}

// A redirect to another origin drops the credentials (the Mastodon token); one within the origin
// keeps them.
TEST(HttpClientTest, CredentialsAreDroppedOnARedirectToAnotherHost) {
  ScriptedHttpServer other([](const RecordedRequest&) {
    return ScriptedResponse{200, {}, "[]", {}};
  });
  const std::string elsewhere = "http://localhost:" + std::to_string(other.port()) + "/landing";
  ScriptedHttpServer server([elsewhere](const RecordedRequest& req) {
    if (req.target == "/away") return ScriptedResponse{302, {{"Location", elsewhere}}, "", {}};
    if (req.target == "/here") return ScriptedResponse{302, {{"Location", "/final"}}, "", {}};
    return ScriptedResponse{200, {}, "[]", {}};
  });
  HttpGetRequest req{server.url("/away"), {}, 0, 0};
  req.headers.emplace_back("Authorization", "Bearer mastodon-token");
  req.headers.emplace_back("Cookie", "session=1");
  req.headers.emplace_back("Accept", "application/json");
  ASSERT_OK(Fetch(req));
  ASSERT_EQ(other.count(), 1u);
  const auto landed = other.requests()[0];
  EXPECT_EQ(landed.headers.count("authorization"), 0u);
  EXPECT_EQ(landed.headers.count("cookie"), 0u);
  EXPECT_EQ(landed.headers.at("accept"), "application/json");
  EXPECT_EQ(server.requests()[0].headers.at("authorization"), "Bearer mastodon-token");

  req.url = server.url("/here");
  ASSERT_OK(Fetch(req));
  const auto within = server.requests().back();
  EXPECT_EQ(within.target, "/final");
  EXPECT_EQ(within.headers.at("authorization"), "Bearer mastodon-token");
}

TEST(HttpClientTest, TimesOutOnASlowServer) {
  ScriptedHttpServer server([](const RecordedRequest&) {
    return ScriptedResponse{200, {}, "late", std::chrono::milliseconds(3000)};
  });
  HttpGetRequest req{server.url("/slow"), {}, 200, 0};
  auto res = Fetch(req);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(res.error().message, "timeout after 200 ms fetching " + server.url("/slow"));
}

TEST(HttpClientTest, RefusesAGiganticResponse) {
  ScriptedHttpServer server([](const RecordedRequest&) {
    return ScriptedResponse{200, {}, std::string(2 << 20, 'x'), {}};
  });
  HttpClientOptions options;
  options.max_body_bytes = 1 << 20;
  auto res = Fetch(HttpGetRequest{server.url("/big"), {}, 0, 0}, options);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, ErrorCode::kResourceExhausted);
  EXPECT_THAT(res.error().message, HasSubstr("response larger than 1048576 bytes"));
}

TEST(HttpClientTest, ConnectionErrorsRedactTokens) {
  std::string dead_url;
  {
    ScriptedHttpServer server([](const RecordedRequest&) { return ScriptedResponse{}; });
    dead_url = server.url("/bot123456:SECRET-token/getUpdates");
  }  // closed: nothing listens on the port any more
  auto res = Fetch(HttpGetRequest{dead_url, {}, 2000, 0});
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(res.error().message, HasSubstr("/bot<redacted>/getUpdates"));
  EXPECT_THAT(res.error().message, Not(HasSubstr("SECRET")));
}

TEST(HttpClientTest, RejectsBadUrls) {
  for (const char* url : {"ftp://example.org/", "not a url", "http:///nohost"}) {
    auto res = Fetch(HttpGetRequest{url, {}, 0, 0});
    ASSERT_FALSE(res.has_value()) << url;
    EXPECT_EQ(res.error().code, ErrorCode::kInvalidArgument) << url;
  }
}

}  // namespace
}  // namespace sakchy::ingest::sources::sources_http_client_test
