// The HTTP edge of the real binary under abuse (issue 18): descriptor exhaustion, unauthenticated
// uploads, a huge NDJSON line, ambiguous framing, exports that scan everything, open endpoints
// that must say little, and TLS on the listener.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/harness.h"
#include "testutil/tls.h"

namespace sakchy::testing::http_edge_test {
namespace {

namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// The most memory `pid` ever had resident, in bytes (VmHWM): it catches what a request held
// while it ran, whatever the allocator gave back after.
std::size_t PeakResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

// CPU time (user + system) of `pid` in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A raw connection to the binary; reads give up after 10 s of silence.
struct Raw {
  explicit Raw(std::uint16_t port) : socket(io) {
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void Send(std::string_view bytes) {
    boost::system::error_code ec;
    net::write(socket, net::buffer(bytes.data(), bytes.size()), ec);
  }
  // Everything until the server closes (or 10 s of silence).
  std::string ReadToEnd() {
    std::string out;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = socket.read_some(net::buffer(buf), ec);
      if (ec) return out;
      out.append(buf, n);
    }
  }
  net::io_context io;
  tcp::socket socket;
};

TEST(HttpEdgeTest, DescriptorExhaustionNeitherSpinsNorFloodsTheLog) {
  HarnessOptions o;
  o.limits.max_open_files = 256;
  Harness h(o);
  ASSERT_TRUE(h.Start());
  EXPECT_NE(h.process().Stderr().find("server.max_connections lowered from 1024 to 128"),
            std::string::npos)
      << h.process().Stderr();
  // More idle connections than the server has descriptors.
  net::io_context io;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 700; ++i) {
    tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({net::ip::make_address("127.0.0.1"), h.port()}, ec);
    if (!ec) idle.push_back(std::move(s));
  }
  EXPECT_GT(idle.size(), 256u);
  const pid_t pid = h.process().pid();
  const double cpu_before = CpuSeconds(pid);
  const auto window_start = SteadyClock::now();
  // A measurement window (not synchronisation): what the server does with them meanwhile.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double cpu = CpuSeconds(pid) - cpu_before;
  const double window = std::chrono::duration<double>(SteadyClock::now() - window_start).count();
  EXPECT_LT(cpu, 0.25 * window) << "the server burns CPU: " << cpu << " s in " << window << " s";
  const auto asked = SteadyClock::now();
  auto health = h.Call("GET", "/healthz", "");
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_LT(SteadyClock::now() - asked, std::chrono::seconds(5));
  EXPECT_LT(h.process().Stderr().size(), 64u << 10) << "the log stays small";
  EXPECT_GT(h.Metric("sakchy_http_connections_evicted_total"), 0);
}

TEST(HttpEdgeTest, UploadsWithoutAValidTokenAreRefusedOnTheirHeader) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const std::string head =
      "POST /v1/reports:batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
      "Content-Length: 67108864\r\n";
  {
    // Not a byte of the 64 MiB body is sent: the 401 comes anyway, and the connection closes.
    Raw raw(h.port());
    raw.Send(head + "\r\n");
    const std::string out = raw.ReadToEnd();
    EXPECT_NE(out.find("HTTP/1.1 401 Unauthorized\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("WWW-Authenticate: Bearer"), std::string::npos) << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
  }
  {
    Raw raw(h.port());
    raw.Send(head + "Authorization: Bearer " + kAnalystToken + "\r\n\r\n");
    EXPECT_NE(raw.ReadToEnd().find("HTTP/1.1 403 Forbidden\r\n"), std::string::npos);
  }
  // Four whole uploads at once never raise the server's peak memory.
  const pid_t pid = h.process().pid();
  const std::size_t before = PeakResidentBytes(pid);
  const std::string body(std::size_t{64} << 20, 'x');
  std::vector<std::thread> uploads;
  std::atomic<int> refused{0};
  for (int i = 0; i < 4; ++i) {
    uploads.emplace_back([&] {
      Raw raw(h.port());
      raw.Send(head + "\r\n");
      raw.Send(body);  // fails early: the server closed
      if (raw.ReadToEnd().find(" 401 ") != std::string::npos) ++refused;
    });
  }
  for (auto& t : uploads) t.join();
  EXPECT_EQ(refused, 4);
  const std::size_t after = PeakResidentBytes(pid);
  EXPECT_LT(after, before + (std::size_t{32} << 20))
      << "peak RSS " << (before >> 20) << " MiB -> " << (after >> 20) << " MiB";
  EXPECT_EQ(h.Call("GET", "/healthz", "").status, 200);
}

TEST(HttpEdgeTest, AHugeNdjsonLineIsRefusedBeforeItIsParsed) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const pid_t pid = h.process().pid();
  const std::string small = R"({"text":"Говорят, в Оше беспорядки","source_ref":"huge-0"})";
  // 60 MB of JSON tokens: a parser needs several times that (the finding: 795 MB).
  std::string huge = R"({"text":"a","pad":[)";
  huge.reserve(60'000'000);
  while (huge.size() + 2 < 60'000'000 - 3) huge += "0,";
  huge += "0]}";
  const std::size_t before = PeakResidentBytes(pid);
  for (int round = 0; round < 2; ++round) {
    auto r = h.Call("POST", "/v1/reports:batch", kMonitorToken, small + "\n" + huge + "\n",
                    {{"Content-Type", "application/x-ndjson"}});
    EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
    if (r.status != 413) continue;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json");
    auto problem = json::parse(r.body).as_object();
    EXPECT_EQ(problem.at("line"), 2);
    EXPECT_NE(std::string(problem.at("detail").as_string())
                  .find("line 2 is " + std::to_string(huge.size()) + " bytes"),
              std::string::npos)
        << r.body;
  }
  const std::size_t after = PeakResidentBytes(pid);
  // The bodies themselves (60 MB each) pass through memory; the parser never sees them.
  EXPECT_LT(after, before + (std::size_t{400} << 20))
      << "peak RSS " << (before >> 20) << " MiB -> " << (after >> 20) << " MiB";
  // Nothing of the refused batches was stored.
  auto ok = h.Call("POST", "/v1/reports:batch", kMonitorToken, small + "\n",
                   {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body).at("accepted"), 1);
}

TEST(HttpEdgeTest, AmbiguousFramingGets400) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const std::string auth = std::string("Authorization: Bearer ") + kAnalystToken + "\r\n";
  for (const std::string& request : {
           // The body would run as a second request (smuggling).
           "POST /v1/reports HTTP/1.1\r\nHost: x\r\n" + auth +
               "Transfer-Encoding: gzip\r\n\r\nGET /v1/sources HTTP/1.1\r\nHost: x\r\n" + auth +
               "\r\n",
           "POST /v1/reports HTTP/1.1\r\nHost: x\r\n" + auth +
               "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
           // Which credential counts would depend on who reads it.
           "GET /v1/sources HTTP/1.1\r\nHost: x\r\n" + auth +
               "Authorization: Bearer " + kAdminToken + "\r\n\r\n",
           "GET /v1/sources HTTP/1.1\r\n" + auth + "\r\n",
       }) {
    Raw raw(h.port());
    raw.Send(request);
    const std::string out = raw.ReadToEnd();
    EXPECT_EQ(out.find("HTTP/1.1 400 Bad Request\r\n"), 0u) << request << "\n" << out;
    EXPECT_EQ(out.find("HTTP/1.1 200"), std::string::npos) << out;
  }
}

TEST(HttpEdgeTest, OpenEndpointsSayLittleAndTextsMustBeVisible) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto ready = h.Call("GET", "/readyz", "");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json::parse(ready.body), json::parse(R"({"status":"ready"})")) << ready.body;
  auto details = json::parse(h.Call("GET", "/readyz", kAdminToken).body).as_object();
  EXPECT_TRUE(details.contains("queue_capacity"));
  EXPECT_TRUE(details.contains("alerts"));
  EXPECT_EQ(json::parse(h.Call("GET", "/readyz", kAnalystToken).body).as_object().size(), 1u);
  for (const char* path : {"/healthz", "/readyz"}) {
    auto post = h.Call("POST", path, "", "{}");
    EXPECT_EQ(post.status, 405) << path;
    EXPECT_EQ(post.Header("allow"), "GET, HEAD") << path;
    Raw head(h.port());
    head.Send("HEAD " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(head.ReadToEnd().find("HTTP/1.1 200 OK\r\n"), 0u) << path;
  }
  EXPECT_EQ(h.Call("PUT", "/v1/reports", kMonitorToken, "{}").Header("allow"), "POST");
  // Invalid UTF-8 the client sent is never echoed raw.
  auto missing = h.Call("GET", "/v1/%FF%FEnope", kAnalystToken);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body.find("\xFF"), std::string::npos);
  EXPECT_NE(missing.body.find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD instead";
  auto param = h.Call("GET", "/v1/alerts?%C3%28=1", kAnalystToken);
  EXPECT_EQ(param.status, 400);
  EXPECT_EQ(param.body.find("\xC3\x28"), std::string::npos) << param.body;
  // Non-breaking, ideographic and zero-width spaces are no text.
  for (const char* blank : {"\u00A0\u00A0", "\u3000 \u2007", "\u200B\uFEFF\u00A0"}) {
    auto r = h.PostReport({{"text", blank}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("\"field\":\"text\""), std::string::npos) << r.body;
  }
}

TEST(HttpEdgeTest, ExportsNeitherHoldUpOtherReadsNorRunUnbounded) {
  HarnessOptions o = WithoutClusters();
  o.queue_capacity = 200000;
  Harness h(o);
  ASSERT_TRUE(h.Start());
  // A store large enough that scanning it takes a while.
  for (int batch = 0; batch < 10; ++batch) {
    std::string ndjson;
    for (int i = 0; i < 10000; ++i) {
      ndjson += R"({"text":"Собрание жителей по вопросу воды )" + std::to_string(i) +
                R"(","area":"KG-O","source_ref":"scan-)" + std::to_string(batch) + "-" +
                std::to_string(i) + "\"}\n";
    }
    auto r = h.Call("POST", "/v1/reports:batch", kMonitorToken, ndjson,
                    {{"Content-Type", "application/x-ndjson"}});
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  }
  // Two exports of a filter that matches nothing: each reads every event.
  const std::string request = std::string("GET /v1/export/events.csv?area=KG-N HTTP/1.1\r\n") +
                              "Host: x\r\nAuthorization: Bearer " + kAnalystToken +
                              "\r\nConnection: close\r\n\r\n";
  std::atomic<int> heads{0};
  std::array<SteadyClock::time_point, 2> finished;
  std::array<std::string, 2> bodies;
  std::vector<std::thread> exports;
  for (int i = 0; i < 2; ++i) {
    exports.emplace_back([&, i] {
      Raw raw(h.port());
      raw.Send(request);
      std::string out;
      char buf[4096];
      for (;;) {
        boost::system::error_code ec;
        const std::size_t n = raw.socket.read_some(net::buffer(buf), ec);
        if (ec) break;
        if (out.empty()) ++heads;  // the head is written before the scan starts
        out.append(buf, n);
      }
      finished[i] = SteadyClock::now();
      bodies[i] = std::move(out);
    });
  }
  ASSERT_TRUE(WaitFor([&] { return heads == 2; }));
  const auto asked = SteadyClock::now();
  auto alerts = h.Call("GET", "/v1/alerts?limit=10", kAnalystToken);
  const auto answered = SteadyClock::now();
  auto third = h.Call("GET", "/v1/export/events.csv?area=KG-N", kAnalystToken);
  for (auto& t : exports) t.join();
  EXPECT_EQ(alerts.status, 200) << alerts.body;
  // Relative, not a wall-clock figure: the alerts answer takes a small part of the time the
  // exports still scan.
  const auto first_export_done = std::min(finished[0], finished[1]);
  EXPECT_LT((answered - asked) * 4, first_export_done - asked)
      << "GET /v1/alerts waited for an export's scan: "
      << std::chrono::duration<double>(answered - asked).count() << " s vs "
      << std::chrono::duration<double>(first_export_done - asked).count() << " s";
  EXPECT_EQ(third.status, 429) << "two exports per token at once";
  EXPECT_FALSE(third.Header("retry-after").empty());
  for (const auto& body : bodies) {
    EXPECT_NE(body.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << body.substr(0, 200);
    EXPECT_NE(body.find("0\r\n\r\n"), std::string::npos) << "complete";
  }
  // The slots are given back with the responses.
  EXPECT_TRUE(WaitFor([&] {
    return h.Call("GET", "/v1/export/events.csv?area=KG-N", kAnalystToken).status == 200;
  }));
}

TEST(HttpEdgeTest, TlsListenerServesTls12AndNewerAndReloadsItsCertificateOnSighup) {
  TempDir certs;
  auto first = MakeSelfSignedCertificate(certs.str(), "server", "sakchy-first");
  HarnessOptions o;
  o.server_yaml = "  tls:\n    cert_file: " + first.cert_file + "\n    key_file: " +
                  first.key_file + "\n    min_version: \"1.2\"\n";
  Harness h(o);
  ASSERT_TRUE(h.Start());
  EXPECT_NE(h.process().Stdout().find("listening on https://127.0.0.1:"), std::string::npos);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto tls12 = TlsExchange(h.port(), request, TLS1_2_VERSION, TLS1_2_VERSION);
  ASSERT_TRUE(tls12.connected) << tls12.error;
  EXPECT_EQ(tls12.protocol, "TLSv1.2");
  EXPECT_EQ(tls12.peer_cn, "sakchy-first");
  EXPECT_NE(tls12.response.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << tls12.response;
  auto tls13 = TlsExchange(h.port(), request, TLS1_3_VERSION);
  ASSERT_TRUE(tls13.connected) << tls13.error;
  EXPECT_EQ(tls13.protocol, "TLSv1.3");
  EXPECT_FALSE(TlsExchange(h.port(), "", TLS1_VERSION, TLS1_1_VERSION).connected)
      << "TLS 1.1 is never accepted";
  // Plain HTTP on the TLS port gets nothing.
  EXPECT_EQ(h.Call("GET", "/healthz", "").status, 0);

  // A new certificate in the same files, then SIGHUP: new connections get it.
  auto second = MakeSelfSignedCertificate(certs.str(), "server", "sakchy-second");
  ASSERT_EQ(::kill(h.process().pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return TlsExchange(h.port(), "").peer_cn == "sakchy-second"; }));
  // A broken key keeps the current certificate serving.
  { std::ofstream(second.key_file, std::ios::trunc) << "not a key\n"; }
  ASSERT_EQ(::kill(h.process().pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] {
    return h.process().Stderr().find("tls: certificate not reloaded") != std::string::npos;
  }));
  auto after = TlsExchange(h.port(), request);
  EXPECT_EQ(after.peer_cn, "sakchy-second");
  EXPECT_NE(after.response.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
}

}  // namespace
}  // namespace sakchy::testing::http_edge_test
