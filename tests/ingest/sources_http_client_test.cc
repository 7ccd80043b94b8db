// The pull sources' HTTP client against loopback fakes.

#include "ingest/sources/http_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/scripted_http_server.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::sources {
namespace {

namespace net = boost::asio;
using sakchy::testing::RecordedRequest;
using sakchy::testing::ScriptedHttpServer;
using sakchy::testing::ScriptedResponse;
using ::testing::HasSubstr;
using ::testing::Not;

Result<HttpResponse> Fetch(HttpGetRequest request, HttpClientOptions options = {}) {
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
}  // namespace sakchy::ingest::sources
