// The web console's server side on the real binary: /ui/ served with its headers, the routes the
// console adds (GET /v1/me, /v1/area-names) and the live stream GET /v1/stream read over a raw
// socket (chunked Server-Sent Events), scoped like the API.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>

#include "core/crypto.h"
#include "integration/harness.h"

namespace sakchy::testing::console_test {
namespace {

namespace json = boost::json;

constexpr const char* kOshOfficial = "osh-official-token-0123456789";
constexpr const char* kRumour =
    "Говорят, начались беспорядки, передайте всем, выходите на улицу!";

HarnessOptions ConsoleOptions() {
  HarnessOptions o = WithoutClusters();
  o.extra_yaml += "tokens:\n  - {name: osh-official, role: official, sha256: " +
                  Sha256Hex(kOshOfficial) + ", areas: [KG-O]}\n";
  return o;
}

// A GET /v1/stream connection read as it arrives.
class StreamReader {
 public:
  StreamReader(std::uint16_t port, const std::string& token) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    const std::string req = "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                            token + "\r\nAccept: text/event-stream\r\n\r\n";
    (void)!::write(fd_, req.data(), req.size());
  }
  ~StreamReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Reads until `needle` has arrived (true) or the deadline passed (false).
  bool WaitFor(const std::string& needle, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (text_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return false;
      text_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  const std::string& text() const { return text_; }

 private:
  int fd_ = -1;
  std::string text_;
};

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h_.Start()); }
  std::string Post(const std::string& area, const std::string& ref) {
    auto r = h_.PostReport({{"text", kRumour}, {"area", area}, {"source_ref", ref}});
    EXPECT_EQ(r.status, 202) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
  }
  std::string AlertOf(const std::string& event_id) {
    std::string id;
    WaitFor([&] {
      auto doc = h_.GetJson("/v1/alerts?event_id=" + event_id);
      if (!doc.is_object() || doc.at("alerts").as_array().empty()) return false;
      id = std::string(doc.at("alerts").as_array()[0].at("id").as_string());
      return true;
    });
    return id;
  }

  Harness h_{ConsoleOptions()};
};

TEST_F(ConsoleTest, ServesTheConsole) {
  auto r = h_.Call("GET", "/ui/", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(r.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(r.Header("x-frame-options"), "DENY");
  auto root = h_.Call("GET", "/", "");
  EXPECT_EQ(root.status, 301);
  EXPECT_EQ(root.Header("location"), "/ui/");
}

TEST_F(ConsoleTest, MeAndAreaNamesAnswerEveryRole) {
  auto me = h_.Call("GET", "/v1/me", kOshOfficial);
  ASSERT_EQ(me.status, 200) << me.body;
  auto doc = json::parse(me.body);
  EXPECT_EQ(doc.at("name"), "osh-official");
  EXPECT_EQ(doc.at("role"), "official");
  EXPECT_EQ(doc.at("areas").as_array().size(), 1u);
  EXPECT_EQ(json::parse(h_.Call("GET", "/v1/me", kMonitorToken).body).at("role"), "monitor");
  EXPECT_EQ(h_.Call("GET", "/v1/me", "").status, 401);
  EXPECT_EQ(h_.Call("GET", "/v1/me?x=1", kMonitorToken).status, 400);
  // A monitor needs the area names for the report form (not the tension of GET /v1/areas).
  auto names = h_.Call("GET", "/v1/area-names", kMonitorToken);
  ASSERT_EQ(names.status, 200) << names.body;
  auto areas = json::parse(names.body).at("areas").as_array();
  EXPECT_GT(areas.size(), 50u);  // the bundled Kyrgyz areas
  EXPECT_FALSE(areas[0].as_object().contains("tension"));
  EXPECT_EQ(h_.Call("GET", "/v1/areas", kMonitorToken).status, 403);
}

TEST_F(ConsoleTest, AlertListSaysWhichAreAcknowledged) {
  const std::string alert = AlertOf(Post("KG-O-ARAVAN", "ack-1"));
  ASSERT_FALSE(alert.empty());
  auto before = h_.GetJson("/v1/alerts?limit=1");
  EXPECT_EQ(before.at("alerts").as_array()[0].at("acknowledged"), false);
  EXPECT_EQ(h_.Call("POST", "/v1/alerts/" + alert + "/ack", kAnalystToken).status, 201);
  auto after = h_.GetJson("/v1/alerts?limit=1");
  EXPECT_EQ(after.at("alerts").as_array()[0].at("acknowledged"), true);
}

TEST_F(ConsoleTest, StreamCarriesNewAlertsScopedToTheToken) {
  EXPECT_EQ(h_.Call("GET", "/v1/stream", kMonitorToken).status, 403);
  StreamReader osh(h_.port(), kOshOfficial);
  StreamReader all(h_.port(), kAnalystToken);
  ASSERT_TRUE(osh.WaitFor("event: hello")) << osh.text();
  ASSERT_TRUE(all.WaitFor("event: hello")) << all.text();
  EXPECT_NE(osh.text().find("Content-Type: text/event-stream"), std::string::npos) << osh.text();
  EXPECT_NE(osh.text().find("Transfer-Encoding: chunked"), std::string::npos);
  const std::string naryn = AlertOf(Post("KG-N", "s-naryn"));
  const std::string aravan = AlertOf(Post("KG-O-ARAVAN", "s-aravan"));
  ASSERT_FALSE(naryn.empty());
  ASSERT_FALSE(aravan.empty());
  EXPECT_TRUE(all.WaitFor("id: " + naryn)) << all.text();
  EXPECT_TRUE(all.WaitFor("id: " + aravan)) << all.text();
  // The official's stream got Aravan's alert, published after Naryn's: Naryn's never came.
  EXPECT_TRUE(osh.WaitFor("id: " + aravan)) << osh.text();
  EXPECT_EQ(osh.text().find(naryn), std::string::npos) << osh.text();
}

}  // namespace
}  // namespace sakchy::testing::console_test
