#include "alerts/dispatcher.h"
#include "storage/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "alerts/fake_store.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/time.h"
#include "fakes/http_sink.h"
#include "testutil/testutil.h"

namespace sakchy::alerts::dispatcher_test {
namespace {

using sakchy::testing::HttpSink;
using sakchy::testing::RecordedRequest;
using sakchy::testing::TempDir;
using sakchy::testing::WaitFor;

constexpr TimeMs kStart = 1'717'243'200'000;  // 2024-06-01T12:00:00Z
constexpr char kSecret[] = "s3cret-hmac-key";

// HMAC-SHA256 computed here, independently of the code under test.
std::string ReferenceHmacHex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string Str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : "<not a string: " + serialize(v) + ">";
}

std::uint64_t CounterValue(MetricsRegistry& metrics, const char* name, const Labels& labels = {}) {
  return metrics.GetCounter(name, "", labels).Value();
}

// Runs every test against the in-memory fake and against the real RocksDB store.
class DispatcherTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "fake") {
      fake_ = std::make_unique<FakeStore>();
      store_.emplace(*fake_);
    } else {
      storage::StorageOptions options;
      options.dir = dir_.str() + "/db";
      options.sync = false;
      auto opened = storage::Store::Open(options);
      ASSERT_OK(opened);
      real_ = std::move(*opened);
      store_.emplace(*real_);
    }
    cfg_.min_severity = Severity::kMedium;
    cfg_.timeout_ms = 5000;
    cfg_.backoff_initial_ms = 100;
    cfg_.backoff_max_ms = 1000;
    cfg_.give_up_after_ms = 3'600'000;
    cfg_.max_in_flight = 4;
    contacts_.push_back(MakeContact("osh", sink_.url()));
  }

  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop();
  }

  static config::Contact MakeContact(std::string id, std::string url) {
    config::Contact c;
    c.id = std::move(id);
    c.areas = {"KG-O"};
    config::ContactChannel channel;
    channel.type = "webhook";
    channel.address = std::move(url);
    channel.secret = kSecret;
    c.channels.push_back(std::move(channel));
    return c;
  }

  // Stores a scored event and one pending alert for `contact` (as scoring would) and returns it.
  Alert Seed(const config::Contact& contact) {
    Event event;
    event.report.id = ids_.Next();
    event.report.text = "В Араване говорят, что вода отравлена";
    event.report.channel = "api";
    event.report.observed_at = kStart - 60'000;
    event.report.received_at = kStart - 1000;
    event.scored = true;
    event.matches.push_back({"health.poison", "health", "отравлена", 53, 71});
    event.categories = {"health"};
    event.score = 7.5;
    event.severity = Severity::kHigh;
    event.area = "KG-O-ARAVAN";
    event.area_source = AreaSource::kText;
    event.scored_at = kStart;

    Alert alert;
    alert.id = ids_.Next();
    alert.event_id = event.report.id;
    alert.area = event.area;
    alert.severity = event.severity;
    alert.categories = event.categories;
    alert.contact_id = contact.id;
    alert.channel = "webhook";
    alert.target = contact.channels[0].address;
    alert.idempotency_key = Sha256Hex(alert.id).substr(0, 32);
    alert.created_at = clock_.NowMs();
    alert.next_attempt_at = clock_.NowMs();

    if (fake_) {
      fake_->PutEvent(event);
      EXPECT_OK(fake_->UpdateAlerts({&alert, 1}));
    } else {
      EXPECT_OK(real_->AppendReports({&event.report, 1}));
      storage::ScoredBatchItem item{event, {}, {alert}};
      EXPECT_OK(real_->CommitScored({&item, 1}));
    }
    events_[event.report.id] = event;
    return alert;
  }

  void StartDispatcher() {
    dispatcher_ = Dispatcher::Create(*store_, cfg_, contacts_, clock_, metrics_);
    ASSERT_OK(dispatcher_->Start());
  }

  Alert Stored(const std::string& id) {
    auto got = store_->outbox.GetAlert(id);
    EXPECT_TRUE(got.has_value() && got->has_value()) << "alert " << id;
    if (!got.has_value() || !got->has_value()) return {};
    return **got;
  }

  bool WaitForState(const std::string& id, DeliveryState state) {
    return WaitFor([&] { return Stored(id).state == state; });
  }
  bool WaitForAttempts(const std::string& id, int attempts) {
    return WaitFor([&] { return Stored(id).attempts >= attempts; });
  }

  TempDir dir_;
  std::unique_ptr<FakeStore> fake_;
  std::unique_ptr<storage::Store> real_;
  std::optional<AlertStore> store_;
  ManualClock clock_{kStart};
  IdGenerator ids_{clock_};
  MetricsRegistry metrics_;
  HttpSink sink_;
  // The fake receivers listen on loopback: allowed explicitly, as a local deployment would.
  config::AlertsConfig cfg_ = [] {
    config::AlertsConfig c;
    c.allow_private_targets = {"127.0.0.1/32"};
    return c;
  }();
  std::vector<config::Contact> contacts_;
  std::map<std::string, Event> events_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_P(DispatcherTest, DeliversSignedWebhook) {
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
  // The state is stored before the dispatcher drops the entry and updates its metrics: wait for
  // those too instead of reading them once (a slow sanitizer build can read them in between).
  ASSERT_TRUE(WaitFor([&] {
    return dispatcher_->backlog() == 0 && sink_.count() >= 1 &&
           CounterValue(metrics_, "sakchy_alert_attempts_total", {{"result", "ok"}}) >= 1;
  }));

  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.delivered_at, kStart);
  EXPECT_TRUE(stored.last_error.empty());

  ASSERT_EQ(sink_.count(), 1u);
  RecordedRequest req = sink_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hook");
  EXPECT_EQ(req.headers["content-type"], "application/json");
  EXPECT_EQ(req.headers["user-agent"], "sakchy/0.1");
  EXPECT_EQ(req.headers["idempotency-key"], alert.idempotency_key);
  EXPECT_EQ(req.headers["host"], "127.0.0.1:" + std::to_string(sink_.port()));
  const std::string timestamp = std::to_string(kStart / 1000);
  EXPECT_EQ(req.headers["x-sakchy-timestamp"], timestamp);
  EXPECT_EQ(req.headers["x-sakchy-signature"],
            "v1=" + ReferenceHmacHex(kSecret, timestamp + "." + req.body));
  EXPECT_NE(req.headers["x-sakchy-signature"],
            "v1=" + ReferenceHmacHex("wrong key", timestamp + "." + req.body));

  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(req.body, ec);
  ASSERT_FALSE(ec) << req.body;
  const auto& o = body.as_object();
  const Event& event = events_[alert.event_id];
  EXPECT_EQ(Str(o.at("type")), "sakchy.alert");
  EXPECT_EQ(Str(o.at("alert_id")), alert.id);
  EXPECT_EQ(Str(o.at("event_id")), alert.event_id);
  EXPECT_EQ(Str(o.at("idempotency_key")), alert.idempotency_key);
  EXPECT_EQ(Str(o.at("area")), "KG-O-ARAVAN");
  EXPECT_EQ(Str(o.at("severity")), "high");
  EXPECT_EQ(boost::json::serialize(o.at("categories")), R"(["health"])");
  EXPECT_DOUBLE_EQ(o.at("score").as_double(), 7.5);
  EXPECT_EQ(Str(o.at("text")), event.report.text);
  ASSERT_EQ(o.at("matches").as_array().size(), 1u);
  const auto& m = o.at("matches").as_array()[0].as_object();
  EXPECT_EQ(Str(m.at("rule_id")), "health.poison");
  EXPECT_EQ(Str(m.at("category")), "health");
  EXPECT_EQ(Str(m.at("term")), "отравлена");
  EXPECT_EQ(m.at("begin").to_number<int>(), 53);
  EXPECT_EQ(m.at("end").to_number<int>(), 71);
  EXPECT_EQ(Str(o.at("observed_at")), "2024-06-01T11:59:00.000Z");
  EXPECT_EQ(Str(o.at("created_at")), "2024-06-01T12:00:00.000Z");
  EXPECT_EQ(Str(o.at("contact_id")), "osh");

  EXPECT_EQ(CounterValue(metrics_, "sakchy_alerts_sent_total"), 1u);
  EXPECT_EQ(CounterValue(metrics_, "sakchy_alert_attempts_total", {{"result", "ok"}}), 1u);
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("sakchy_alerts_backlog 0"), std::string::npos);
  EXPECT_NE(text.find("sakchy_alert_delivery_seconds_count 1"), std::string::npos);
}

TEST_P(DispatcherTest, EnqueuedAlertsAreDelivered) {
  StartDispatcher();
  std::vector<Alert> alerts;
  for (int i = 0; i < 6; ++i) alerts.push_back(Seed(contacts_[0]));
  dispatcher_->Enqueue(alerts);
  for (const Alert& a : alerts) ASSERT_TRUE(WaitForState(a.id, DeliveryState::kDelivered));
  EXPECT_EQ(sink_.count(), 6u);
  EXPECT_EQ(CounterValue(metrics_, "sakchy_alerts_sent_total"), 6u);
  EXPECT_TRUE(WaitFor([&] { return dispatcher_->backlog() == 0; }));
}

TEST_P(DispatcherTest, AtMostMaxInFlightAttempts) {
  cfg_.max_in_flight = 2;
  sink_.SetDelay(std::chrono::milliseconds(300));
  std::vector<Alert> alerts;
  for (int i = 0; i < 5; ++i) alerts.push_back(Seed(contacts_[0]));
  StartDispatcher();
  for (const Alert& a : alerts) ASSERT_TRUE(WaitForState(a.id, DeliveryState::kDelivered));
  EXPECT_EQ(sink_.count(), 5u);
  EXPECT_EQ(sink_.max_concurrent(), 2u);
}

TEST_P(DispatcherTest, MissingEventFails) {
  Alert alert = Seed(contacts_[0]);
  alert.id = ids_.Next();
  alert.event_id = ids_.Next();  // never stored
  ASSERT_OK(store_->outbox.UpdateAlerts({&alert, 1}));
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_EQ(Stored(alert.id).last_error, "event " + alert.event_id + " not found");
}

TEST_P(DispatcherTest, ServerErrorsAreRetriedWithBackoff) {
  sink_.SetStatus(503);
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_TRUE(WaitForAttempts(alert.id, attempt));
    Alert stored = Stored(alert.id);
    EXPECT_EQ(stored.state, DeliveryState::kPending);
    EXPECT_EQ(stored.last_error, "HTTP 503");
    const double expected = 100.0 * (1 << (attempt - 1));  // initial * 2^(attempts-1)
    const TimeMs delay = stored.next_attempt_at - clock_.NowMs();
    EXPECT_GE(delay, static_cast<TimeMs>(expected * 0.8) - 1) << "attempt " << attempt;
    EXPECT_LE(delay, static_cast<TimeMs>(expected * 1.2) + 1) << "attempt " << attempt;
    EXPECT_EQ(sink_.count(), static_cast<std::size_t>(attempt));
    if (attempt == 3) sink_.SetStatus(200);
    clock_.Advance(10'000);
  }
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
  EXPECT_EQ(Stored(alert.id).attempts, 4);
  EXPECT_TRUE(Stored(alert.id).last_error.empty());
  auto requests = sink_.requests();
  ASSERT_EQ(requests.size(), 4u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.headers.at("idempotency-key"), alert.idempotency_key);
    EXPECT_EQ(r.body, requests[0].body);
  }
  EXPECT_EQ(CounterValue(metrics_, "sakchy_alert_attempts_total", {{"result", "retry"}}), 3u);
  EXPECT_EQ(CounterValue(metrics_, "sakchy_alert_attempts_total", {{"result", "ok"}}), 1u);
}

TEST_P(DispatcherTest, BackoffIsCapped) {
  cfg_.backoff_initial_ms = 400;
  cfg_.backoff_max_ms = 1000;
  sink_.SetStatus(500);
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  for (int attempt = 1; attempt <= 4; ++attempt) {
    ASSERT_TRUE(WaitForAttempts(alert.id, attempt));
    if (attempt < 4) clock_.Advance(10'000);
  }
  Alert stored = Stored(alert.id);
  ASSERT_EQ(stored.attempts, 4);
  EXPECT_LE(stored.next_attempt_at - (kStart + 30'000), 1200);  // 1000 ms +20 %, not 3200
}

TEST_P(DispatcherTest, ClientErrorFailsWithoutRetry) {
  sink_.SetStatus(400);
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.last_error, "HTTP 400");
  EXPECT_TRUE(WaitFor([&] { return dispatcher_->backlog() == 0; }));
  // A later alert goes through the same queue; the failed one is not tried again.
  sink_.SetStatus(200);
  clock_.Advance(60'000);
  Alert next = Seed(contacts_[0]);
  dispatcher_->Enqueue({next});
  ASSERT_TRUE(WaitForState(next.id, DeliveryState::kDelivered));
  EXPECT_EQ(sink_.count(), 2u);
  EXPECT_EQ(CounterValue(metrics_, "sakchy_alerts_failed_total"), 1u);
  EXPECT_EQ(CounterValue(metrics_, "sakchy_alert_attempts_total", {{"result", "fail"}}), 1u);
}

TEST_P(DispatcherTest, RedirectIsNotFollowed) {
  sink_.SetStatus(302, {{"Location", sink_.url("/elsewhere")}});
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_EQ(sink_.count(), 1u);
  EXPECT_EQ(sink_.requests()[0].target, "/hook");
}

// The address connected to is the address checked: a name that resolves inside (here
// "localhost", as a rebinding DNS name would at delivery time) fails for good, and nothing
// reaches the receiver; an allow-listed address is delivered to.
TEST_P(DispatcherTest, WebhookResolvingToAnInternalAddressIsRefusedAtConnect) {
  cfg_.allow_private_targets.clear();
  contacts_[0] = MakeContact("osh", "http://localhost:" + std::to_string(sink_.port()) + "/hook");
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_EQ(sink_.count(), 0u);
  EXPECT_THAT(Stored(alert.id).last_error, ::testing::HasSubstr("loopback address"));
  dispatcher_->Stop();
  dispatcher_.reset();

  cfg_.allow_private_targets = {"127.0.0.1/32"};
  Alert next = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForState(next.id, DeliveryState::kDelivered));
  EXPECT_EQ(sink_.count(), 1u);
}

TEST_P(DispatcherTest, ReceiverDownThenBack) {
  std::uint16_t port;
  {
    HttpSink gone;
    port = gone.port();
  }
  contacts_.push_back(MakeContact("down", "http://127.0.0.1:" + std::to_string(port) + "/in"));
  Alert alert = Seed(contacts_[1]);
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  EXPECT_EQ(Stored(alert.id).last_error, "connection refused");
  EXPECT_EQ(Stored(alert.id).state, DeliveryState::kPending);
  clock_.Advance(10'000);
  ASSERT_TRUE(WaitForAttempts(alert.id, 2));

  HttpSink back(port);
  clock_.Advance(10'000);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
  EXPECT_EQ(Stored(alert.id).attempts, 3);
  ASSERT_EQ(back.count(), 1u);
  EXPECT_EQ(back.requests()[0].target, "/in");
}

TEST_P(DispatcherTest, GivesUpAfterDeadline) {
  cfg_.give_up_after_ms = 1000;
  sink_.SetStatus(503);
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  EXPECT_EQ(Stored(alert.id).state, DeliveryState::kPending);
  clock_.Advance(2000);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDeadLetter));
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.attempts, 2);
  EXPECT_EQ(stored.last_error, "gave up after 2 attempts: HTTP 503");
  EXPECT_EQ(CounterValue(metrics_, "sakchy_alerts_failed_total"), 1u);
}

TEST_P(DispatcherTest, RetryAfterIsHonoured) {
  sink_.SetStatus(429, {{"Retry-After", "7"}});
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.last_error, "HTTP 429");
  EXPECT_EQ(stored.next_attempt_at, kStart + 7000);

  sink_.SetStatus(503, {{"Retry-After", "30"}});
  clock_.Advance(7000);
  ASSERT_TRUE(WaitForAttempts(alert.id, 2));
  EXPECT_EQ(Stored(alert.id).next_attempt_at, kStart + 7000 + 30'000);

  sink_.SetStatus(200);
  clock_.Advance(30'000);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
}

TEST_P(DispatcherTest, SlowReceiverTimesOutAndIsRetried) {
  cfg_.timeout_ms = 200;
  sink_.SetDelay(std::chrono::seconds(30));
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kPending);
  EXPECT_EQ(stored.last_error, "timeout after 200 ms");

  sink_.SetDelay(std::chrono::milliseconds(0));
  clock_.Advance(10'000);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
  EXPECT_EQ(Stored(alert.id).attempts, 2);
  EXPECT_EQ(sink_.count(), 2u);
}

TEST_P(DispatcherTest, StopWaitsForAttemptInFlight) {
  sink_.SetDelay(std::chrono::milliseconds(300));
  Alert alert = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitFor([&] { return sink_.count() == 1; }));
  dispatcher_->Stop();
  // Stop returned after the attempt finished and its outcome was written.
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kDelivered);
  EXPECT_EQ(stored.attempts, 1);
}

TEST_P(DispatcherTest, StopThenRestartResumesPendingAlerts) {
  sink_.SetStatus(503);
  Alert first = Seed(contacts_[0]);
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(first.id, 1));
  dispatcher_->Stop();
  Alert second = Seed(contacts_[0]);  // committed while the dispatcher was down
  EXPECT_EQ(Stored(first.id).state, DeliveryState::kPending);

  sink_.SetStatus(200);
  dispatcher_ = Dispatcher::Create(*store_, cfg_, contacts_, clock_, metrics_);
  ASSERT_OK(dispatcher_->Start());
  ASSERT_TRUE(WaitForState(second.id, DeliveryState::kDelivered));
  EXPECT_EQ(Stored(first.id).state, DeliveryState::kPending);  // its retry is not due yet
  clock_.Advance(10'000);
  ASSERT_TRUE(WaitForState(first.id, DeliveryState::kDelivered));
  EXPECT_EQ(Stored(first.id).attempts, 2);

  std::vector<std::string> keys_of_first;
  for (const auto& r : sink_.requests()) {
    if (r.body.find(first.id) != std::string::npos) {
      keys_of_first.push_back(r.headers.at("idempotency-key"));
    }
  }
  EXPECT_EQ(keys_of_first,
            (std::vector<std::string>{first.idempotency_key, first.idempotency_key}));
}

TEST_P(DispatcherTest, VanishedContactFails) {
  config::Contact ghost = MakeContact("ghost", sink_.url("/ghost"));
  Alert alert = Seed(ghost);  // not in contacts_
  StartDispatcher();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_EQ(Stored(alert.id).last_error,
            "no signing secret for the webhook of contact 'ghost' (contact or channel not "
            "configured)");
  EXPECT_EQ(sink_.count(), 0u);
}

TEST_P(DispatcherTest, HttpsToPlainReceiverFailsHandshakeAndRetries) {
  contacts_.push_back(
      MakeContact("tls", "https://127.0.0.1:" + std::to_string(sink_.port()) + "/hook"));
  Alert alert = Seed(contacts_[1]);
  StartDispatcher();
  ASSERT_TRUE(WaitForAttempts(alert.id, 1));
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kPending);
  EXPECT_EQ(stored.last_error.rfind("TLS handshake failed", 0), 0u) << stored.last_error;
}

// ---- Cluster mode (alerts/delivery_queue.h): publish instead of attempting; take and attempt ----

// The cluster's queue as the dispatcher sees it: records what is published; refuses while
// `refuse` is set (as an unreachable NATS would).
class RecordingQueue final : public NotificationQueue {
 public:
  void Publish(std::vector<Alert> alerts, std::function<void(Status)> done) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (refuse_) {
      done(MakeError(ErrorCode::kUnavailable, "no NATS"));
      return;
    }
    for (Alert& a : alerts) published_.push_back(std::move(a));
    done(OkStatus());
  }
  std::vector<Alert> published() const {
    std::lock_guard lock(mu_);
    return published_;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void SetRefuse(bool refuse) {
    std::lock_guard lock(mu_);
    refuse_ = refuse;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Alert> published_;
  int calls_ = 0;
  bool refuse_ = false;
};

// What Take answered, once.
struct Answer {
  std::mutex mu;
  std::optional<TakeResult> result;
  TakeCallback callback() {
    return [this](TakeResult r) {
      std::lock_guard lock(mu);
      result = r;
    };
  }
  std::optional<TakeResult> get() {
    std::lock_guard lock(mu);
    return result;
  }
};

class ClusterDispatcherTest : public DispatcherTest {
 protected:
  void StartClustered() {
    DispatcherHooks hooks;
    hooks.queue = &queue_;
    dispatcher_ = Dispatcher::Create(*store_, cfg_, contacts_, clock_, metrics_, nullptr,
                                     std::move(hooks));
    ASSERT_OK(dispatcher_->Start());
  }
  RecordingQueue queue_;
};

TEST_P(ClusterDispatcherTest, PendingAndEnqueuedNotificationsArePublishedNotAttempted) {
  Alert at_start = Seed(contacts_[0]);
  StartClustered();
  Alert later = Seed(contacts_[0]);
  dispatcher_->Enqueue({later});
  ASSERT_TRUE(WaitFor([&] { return queue_.published().size() == 2; }));
  auto published = queue_.published();
  EXPECT_EQ(published[0].id, at_start.id);
  EXPECT_EQ(published[0].idempotency_key, at_start.idempotency_key);
  EXPECT_EQ(published[1].id, later.id);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sink_.count(), 0u) << "a clustered node delivers only what it takes from the queue";
  EXPECT_EQ(Stored(at_start.id).state, DeliveryState::kPending);
  EXPECT_TRUE(WaitFor([&] { return dispatcher_->backlog() == 0; }));
}

TEST_P(ClusterDispatcherTest, RefusedPublishIsRepeated) {
  queue_.SetRefuse(true);
  Alert alert = Seed(contacts_[0]);
  StartClustered();
  ASSERT_TRUE(WaitFor([&] { return queue_.calls() >= 1; }));
  EXPECT_EQ(dispatcher_->backlog(), 1u);
  queue_.SetRefuse(false);
  clock_.Advance(1500);  // republished at most once a second
  ASSERT_TRUE(WaitFor([&] { return queue_.published().size() == 1; }));
  EXPECT_EQ(queue_.published()[0].id, alert.id);
  EXPECT_TRUE(WaitFor([&] { return dispatcher_->backlog() == 0; }));
}

TEST_P(ClusterDispatcherTest, StartPublishesOnlyWhatIsYoungerThanGiveUp) {
  Alert old = Seed(contacts_[0]);
  clock_.Advance(cfg_.give_up_after_ms + 1000);
  Alert recent = Seed(contacts_[0]);
  StartClustered();
  ASSERT_TRUE(WaitFor([&] { return queue_.published().size() >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(queue_.published().size(), 1u);
  EXPECT_EQ(queue_.published()[0].id, recent.id);
  EXPECT_NE(old.id, recent.id);
}

TEST_P(ClusterDispatcherTest, TakenNotificationIsDeliveredAndAnsweredAfterItsStateIsWritten) {
  Alert alert = Seed(contacts_[0]);
  StartClustered();
  Answer answer;
  dispatcher_->Take(alert, 1, answer.callback());
  ASSERT_TRUE(WaitFor([&] { return answer.get().has_value(); }));
  EXPECT_TRUE(answer.get()->settled);
  // Answered only once written: the state is there when the answer is.
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kDelivered);
  EXPECT_EQ(stored.attempts, 1);
  ASSERT_EQ(sink_.count(), 1u);
  EXPECT_EQ(sink_.requests()[0].headers["idempotency-key"], alert.idempotency_key);
  EXPECT_TRUE(WaitFor([&] { return dispatcher_->backlog() == 0; }));
}

TEST_P(ClusterDispatcherTest, TakenNotificationThatFailsRetryableIsHandedBackWithTheBackoff) {
  sink_.SetStatus(503);
  Alert alert = Seed(contacts_[0]);
  StartClustered();
  Answer answer;
  dispatcher_->Take(alert, 3, answer.callback());  // the queue's third hand-out: 2 attempts before
  ASSERT_TRUE(WaitFor([&] { return answer.get().has_value(); }));
  EXPECT_FALSE(answer.get()->settled);
  const double expected = 100.0 * (1 << 2);  // initial * 2^(attempts-1), attempts = 3
  EXPECT_GE(answer.get()->retry_in_ms, static_cast<TimeMs>(expected * 0.8) - 1);
  EXPECT_LE(answer.get()->retry_in_ms, static_cast<TimeMs>(expected * 1.2) + 1);
  Alert stored = Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kPending);
  EXPECT_EQ(stored.attempts, 3);
  EXPECT_EQ(stored.last_error, "HTTP 503");
  // Not retried here: the queue decides who tries next.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  clock_.Advance(10'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sink_.count(), 1u);
  // Retry-After is the delay.
  sink_.SetStatus(429, {{"Retry-After", "7"}});
  Answer again;
  dispatcher_->Take(alert, 4, again.callback());
  ASSERT_TRUE(WaitFor([&] { return again.get().has_value(); }));
  EXPECT_FALSE(again.get()->settled);
  EXPECT_EQ(again.get()->retry_in_ms, 7000);
}

TEST_P(ClusterDispatcherTest, TakenNotificationPastGiveUpIsADeadLetterAndSettled) {
  sink_.SetStatus(503);
  Alert alert = Seed(contacts_[0]);
  StartClustered();
  clock_.Advance(cfg_.give_up_after_ms + 1);
  Answer answer;
  dispatcher_->Take(alert, 9, answer.callback());
  ASSERT_TRUE(WaitFor([&] { return answer.get().has_value(); }));
  EXPECT_TRUE(answer.get()->settled);
  EXPECT_EQ(Stored(alert.id).state, DeliveryState::kDeadLetter);
}

TEST_P(ClusterDispatcherTest, TakenNotificationDueLaterIsHandedBackUntried) {
  Alert alert = Seed(contacts_[0]);
  alert.next_attempt_at = clock_.NowMs() + 60'000;  // the contact's quiet hours
  StartClustered();
  Answer answer;
  dispatcher_->Take(alert, 1, answer.callback());
  ASSERT_TRUE(WaitFor([&] { return answer.get().has_value(); }));
  EXPECT_FALSE(answer.get()->settled);
  EXPECT_EQ(answer.get()->retry_in_ms, 60'000);
  EXPECT_EQ(sink_.count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Stores, ClusterDispatcherTest, ::testing::Values("fake", "rocksdb"),
                         [](const auto& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(Stores, DispatcherTest, ::testing::Values("fake", "rocksdb"),
                         [](const auto& info) { return info.param; });

TEST(WebhookSignatureTest, MatchesReferenceHmac) {
  EXPECT_EQ(WebhookSignature("key", "1717243200", "{\"a\":1}"),
            "v1=" + ReferenceHmacHex("key", "1717243200.{\"a\":1}"));
  // The reference itself, against a well-known HMAC-SHA256 vector.
  EXPECT_EQ(ReferenceHmacHex("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

}  // namespace
}  // namespace sakchy::alerts::dispatcher_test
