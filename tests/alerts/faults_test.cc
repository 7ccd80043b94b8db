// Receiver faults: an outage that ends (everything delivered, in order, once), a receiver that
// answers garbage, and one that never answers.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <set>
#include <thread>

#include "alerts/alert_fixture.h"
#include "alerts/dispatcher.h"
#include "fakes/http_sink.h"

namespace sakchy::alerts::faults_test {
namespace {

using sakchy::testing::HttpSink;
using sakchy::testing::WaitFor;
using ::testing::HasSubstr;

// A TCP server on 127.0.0.1 that reads a request and answers `reply` bytes, then closes.
class RawServer {
 public:
  explicit RawServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~RawServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int connections() const { return connections_.load(); }
  void SetReply(std::string reply) {
    std::lock_guard lock(mu_);
    reply_ = std::move(reply);
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      char buf[8192];
      // Read until the end of the headers and a little body (enough for the test bodies).
      std::string got;
      for (int i = 0; i < 50 && got.find("\r\n\r\n") == std::string::npos; ++i) {
        const auto n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
      std::string reply;
      {
        std::lock_guard lock(mu_);
        reply = reply_;
      }
      (void)send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      close(c);
    }
  }

  std::mutex mu_;
  std::string reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

class FaultsTest : public ::testing::TestWithParam<std::string> {
 protected:
  FaultsTest() : stores_(GetParam()) {
    cfg_.timeout_ms = 500;
    cfg_.backoff_initial_ms = 100;
    cfg_.backoff_max_ms = 1000;
    cfg_.give_up_after_ms = 3'600'000;
    cfg_.max_in_flight = 8;
  }
  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop();
  }
  std::vector<Alert> Seed(const config::Contact& contact, int n) {
    std::vector<Alert> out;
    for (int i = 0; i < n; ++i) {
      Event event = MakeEvent(ids_, clock_.NowMs());
      Alert alert = MakeAlertFor(ids_, event, contact, clock_.NowMs());
      stores_.Commit(event, {alert});
      out.push_back(alert);
    }
    return out;
  }
  void Start() {
    dispatcher_ = Dispatcher::Create(stores_.store(), cfg_, contacts_, clock_, metrics_);
    ASSERT_OK(dispatcher_->Start());
  }
  bool AllIn(const std::vector<Alert>& alerts, DeliveryState state) {
    for (const Alert& a : alerts) {
      if (stores_.Stored(a.id).state != state) return false;
    }
    return true;
  }

  StoreFixture stores_;
  ManualClock clock_{kFixtureStart};
  IdGenerator ids_{clock_};
  MetricsRegistry metrics_;
  // The fake receivers listen on loopback: allowed explicitly, as a local deployment would.
  config::AlertsConfig cfg_ = [] {
    config::AlertsConfig c;
    c.allow_private_targets = {"127.0.0.1/32"};
    return c;
  }();
  std::vector<config::Contact> contacts_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_P(FaultsTest, ReceiverOutageThenEverythingDeliveredInOrderOnce) {
  std::uint16_t port = 0;
  {
    HttpSink gone;
    port = gone.port();
  }
  contacts_.push_back(
      MakeContactWith("osh", "webhook", "http://127.0.0.1:" + std::to_string(port) + "/in"));
  auto alerts = Seed(contacts_[0], 20);
  Start();
  // Down for a while: the first ones were tried (max_in_flight at once), retries keep failing.
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(alerts[0].id).attempts >= 1; }));
  // The clock moves on while waiting: an attempt that fails after an advance schedules its retry
  // from the advanced time, and would otherwise wait for a clock that never moves again.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(WaitFor([&] {
      clock_.Advance(250);
      return stores_.Stored(alerts[0].id).attempts >= 2 + i;
    }));
  }
  EXPECT_TRUE(AllIn(alerts, DeliveryState::kPending));
  // During the outage only the oldest is retried; the rest wait their turn.
  EXPECT_EQ(stores_.Stored(alerts[15].id).attempts, 0);
  EXPECT_LE(stores_.Stored(alerts[5].id).attempts, 1);

  HttpSink back(port);
  clock_.Advance(2000);
  ASSERT_TRUE(WaitFor([&] { return AllIn(alerts, DeliveryState::kDelivered); }));
  const auto requests = back.requests();
  ASSERT_EQ(requests.size(), alerts.size()) << "each delivered exactly once";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto body = boost::json::parse(requests[i].body).as_object();
    EXPECT_EQ(body.at("alert_id"), alerts[i].id.c_str()) << "in order, position " << i;
    EXPECT_EQ(requests[i].headers.at("idempotency-key"), alerts[i].idempotency_key);
  }
  EXPECT_TRUE(WaitFor([&] { return dispatcher_->backlog() == 0; }));
  // Back to normal: the next ones go out at once, concurrently.
  auto more = Seed(contacts_[0], 5);
  dispatcher_->Enqueue(more);
  ASSERT_TRUE(WaitFor([&] { return AllIn(more, DeliveryState::kDelivered); }));
}

TEST_P(FaultsTest, GarbageAnswersAreRetriedUntilAProperOne) {
  RawServer server("this is not HTTP at all\r\n\r\n");
  contacts_.push_back(MakeContactWith("osh", "webhook", server.url()));
  auto alerts = Seed(contacts_[0], 1);
  Start();
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(alerts[0].id).attempts >= 1; }));
  Alert stored = stores_.Stored(alerts[0].id);
  EXPECT_EQ(stored.state, DeliveryState::kPending);
  EXPECT_THAT(stored.last_error, HasSubstr("read"));
  // A truncated answer: also retried.
  server.SetReply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
  clock_.Advance(2000);
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(alerts[0].id).attempts >= 2; }));
  EXPECT_EQ(stores_.Stored(alerts[0].id).state, DeliveryState::kPending);
  server.SetReply("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  clock_.Advance(2000);
  ASSERT_TRUE(WaitFor([&] { return AllIn(alerts, DeliveryState::kDelivered); }));
  EXPECT_EQ(stores_.Stored(alerts[0].id).attempts, 3);
}

TEST_P(FaultsTest, ReceiverThatNeverAnswersTimesOutWithoutBlockingOthers) {
  RawServer silent("");  // accepts, reads, closes without a word
  HttpSink healthy;
  cfg_.timeout_ms = 300;
  contacts_.push_back(MakeContactWith("mute", "webhook", silent.url()));
  contacts_.push_back(MakeContactWith("osh", "webhook", healthy.url()));
  auto mute = Seed(contacts_[0], 3);
  auto ok = Seed(contacts_[1], 3);
  Start();
  ASSERT_TRUE(WaitFor([&] { return AllIn(ok, DeliveryState::kDelivered); }));
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(mute[0].id).attempts >= 1; }));
  EXPECT_EQ(stores_.Stored(mute[0].id).state, DeliveryState::kPending);
}

INSTANTIATE_TEST_SUITE_P(Stores, FaultsTest, ::testing::Values("fake", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sakchy::alerts::faults_test
