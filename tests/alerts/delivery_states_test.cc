// Delivery states beyond the first attempt: sent / delivered / failed / dead_letter / suppressed,
// Kannel delivery reports, audit entries of every change, and contact changes that never cancel
// queued notifications.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "alerts/alert_fixture.h"
#include "alerts/dispatcher.h"
#include "fakes/http_sink.h"

namespace sakchy::alerts::delivery_states_test {
namespace {

using sakchy::testing::HttpSink;
using sakchy::testing::WaitFor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DlrTransitionTest, MapsKannelReportTypes) {
  using S = DeliveryState;
  auto next = [](S from, int type) { return DlrTransition(from, type).value(); };
  EXPECT_EQ(next(S::kSent, 1), S::kDelivered);
  EXPECT_EQ(next(S::kPending, 1), S::kDelivered);  // report before the answer was stored
  EXPECT_EQ(next(S::kFailed, 1), S::kDelivered);   // delivered after all
  EXPECT_EQ(next(S::kDelivered, 1), std::nullopt);
  EXPECT_EQ(next(S::kSent, 2), S::kFailed);
  EXPECT_EQ(next(S::kSent, 16), S::kFailed);
  EXPECT_EQ(next(S::kDelivered, 2), std::nullopt);  // never back from delivered
  EXPECT_EQ(next(S::kPending, 8), S::kSent);
  EXPECT_EQ(next(S::kSent, 8), std::nullopt);
  EXPECT_EQ(next(S::kSent, 4), std::nullopt);
  EXPECT_EQ(next(S::kDeadLetter, 1), std::nullopt);
  EXPECT_EQ(next(S::kSuppressed, 1), std::nullopt);
  auto bad = DlrTransition(S::kSent, 3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message, HasSubstr("unknown delivery report type 3"));
}

TEST(DeliveryStateNamesTest, RoundTrip) {
  for (int i = 0; i < kDeliveryStateCount; ++i) {
    const auto s = static_cast<DeliveryState>(i);
    EXPECT_EQ(ParseDeliveryState(DeliveryStateName(s)), s);
  }
  EXPECT_EQ(DeliveryStateName(DeliveryState::kPending), "queued");
  EXPECT_EQ(ParseDeliveryState("pending"), DeliveryState::kPending);  // the former name
  EXPECT_EQ(ParseDeliveryState("lost"), std::nullopt);
  for (int i = 0; i < kAlertKindCount; ++i) {
    const auto k = static_cast<AlertKind>(i);
    EXPECT_EQ(ParseAlertKind(AlertKindName(k)), k);
  }
}

class DeliveryStatesTest : public ::testing::TestWithParam<std::string> {
 protected:
  DeliveryStatesTest() : stores_(GetParam()) {
    cfg_.timeout_ms = 5000;
    cfg_.backoff_initial_ms = 100;
    cfg_.backoff_max_ms = 1000;
    cfg_.give_up_after_ms = 3'600'000;
    cfg_.max_in_flight = 4;
  }
  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop();
  }

  // SMS through `kannel` (an HttpSink answering like smsbox).
  void UseSms(const HttpSink& kannel) {
    config::SmsChannelConfig sms;
    sms.sendsms_url = kannel.url("/cgi-bin/sendsms");
    sms.username = "ews";
    sms.password = "pw";
    sms.from = "Sakchy";
    sms.dlr_url_base = "http://127.0.0.1:9";
    cfg_.channels.sms = sms;
  }

  Alert Seed(const config::Contact& contact) {
    Event event = MakeEvent(ids_, clock_.NowMs());
    Alert alert = MakeAlertFor(ids_, event, contact, clock_.NowMs());
    stores_.Commit(event, {alert});
    return alert;
  }

  void Start() {
    DispatcherHooks hooks;
    hooks.on_change = [this](const Alert& a, DeliveryState before) {
      std::lock_guard lock(mu_);
      changes_.push_back(std::string(DeliveryStateName(before)) + ">" +
                         std::string(DeliveryStateName(a.state)));
      return Reaction{};
    };
    dispatcher_ = Dispatcher::Create(stores_.store(), cfg_, contacts_, clock_, metrics_, nullptr,
                                     std::move(hooks));
    ASSERT_OK(dispatcher_->Start());
  }

  Result<Alert> Report(const std::string& id, int type) {
    auto done = std::make_shared<std::promise<Result<Alert>>>();
    dispatcher_->DeliveryReport(id, type, [done](Result<Alert> r) { done->set_value(std::move(r)); });
    return done->get_future().get();
  }

  bool WaitForState(const std::string& id, DeliveryState state) {
    return WaitFor([&] { return stores_.Stored(id).state == state; });
  }
  std::vector<std::string> changes() {
    std::lock_guard lock(mu_);
    return changes_;
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
  std::mutex mu_;
  std::vector<std::string> changes_;
};

TEST_P(DeliveryStatesTest, SmsIsSentThenDeliveredByReport) {
  HttpSink kannel;
  kannel.SetStatus(202);
  UseSms(kannel);
  contacts_.push_back(MakeContactWith("akim", "sms", "+996700123456"));
  Alert alert = Seed(contacts_[0]);
  Start();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kSent));
  EXPECT_EQ(stores_.Stored(alert.id).sent_at, kFixtureStart);

  clock_.Advance(5000);
  auto accepted = Report(alert.id, 8);  // accepted by the SMS centre: still sent
  ASSERT_OK(accepted);
  EXPECT_EQ(accepted->state, DeliveryState::kSent);
  auto delivered = Report(alert.id, 1);
  ASSERT_OK(delivered);
  EXPECT_EQ(delivered->state, DeliveryState::kDelivered);
  const Alert stored = stores_.Stored(alert.id);
  EXPECT_EQ(stored.state, DeliveryState::kDelivered);
  EXPECT_EQ(stored.delivered_at, kFixtureStart + 5000);
  EXPECT_EQ(stored.sent_at, kFixtureStart);
  EXPECT_THAT(stores_.AuditActions(alert.id), ElementsAre("alert.sent", "alert.delivered"));
  EXPECT_THAT(stores_.Audit(alert.id).back().details, HasSubstr("dlr type 1"));
  EXPECT_THAT(changes(), ElementsAre("queued>sent", "sent>delivered"));
  EXPECT_EQ(metrics_.GetCounter("sakchy_alert_dlr_total", "", {{"result", "delivered"}}).Value(),
            1u);
}

TEST_P(DeliveryStatesTest, FailureReportMarksFailed) {
  HttpSink kannel;
  kannel.SetStatus(202);
  UseSms(kannel);
  contacts_.push_back(MakeContactWith("akim", "sms", "+996700123456"));
  Alert alert = Seed(contacts_[0]);
  Start();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kSent));
  auto failed = Report(alert.id, 2);
  ASSERT_OK(failed);
  EXPECT_EQ(stores_.Stored(alert.id).state, DeliveryState::kFailed);
  EXPECT_EQ(stores_.Stored(alert.id).last_error, "delivery report: not delivered to the phone");
  EXPECT_THAT(stores_.AuditActions(alert.id), ElementsAre("alert.sent", "alert.failed"));
}

TEST_P(DeliveryStatesTest, BadReportsAreRefused) {
  HttpSink kannel;
  kannel.SetStatus(202);
  UseSms(kannel);
  HttpSink hook;
  contacts_.push_back(MakeContactWith("akim", "sms", "+996700123456"));
  contacts_.push_back(MakeContactWith("osh", "webhook", hook.url()));
  Alert sms = Seed(contacts_[0]);
  Alert webhook = Seed(contacts_[1]);
  Start();
  ASSERT_TRUE(WaitForState(sms.id, DeliveryState::kSent));
  ASSERT_TRUE(WaitForState(webhook.id, DeliveryState::kDelivered));

  auto unknown_type = Report(sms.id, 3);
  ASSERT_FALSE(unknown_type.has_value());
  EXPECT_EQ(unknown_type.error().code, ErrorCode::kInvalidArgument);
  auto unknown_alert = Report(ids_.Next(), 1);
  ASSERT_FALSE(unknown_alert.has_value());
  EXPECT_EQ(unknown_alert.error().code, ErrorCode::kNotFound);
  auto not_sms = Report(webhook.id, 1);
  ASSERT_FALSE(not_sms.has_value());
  EXPECT_EQ(not_sms.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(not_sms.error().message, HasSubstr("webhook, not sms"));
  EXPECT_EQ(stores_.Stored(sms.id).state, DeliveryState::kSent);
}

TEST_P(DeliveryStatesTest, ReportDuringTheAttemptIsAppliedAfterIt) {
  HttpSink kannel;
  kannel.SetStatus(202);
  kannel.SetDelay(std::chrono::milliseconds(400));  // the answer comes after the report
  UseSms(kannel);
  contacts_.push_back(MakeContactWith("akim", "sms", "+996700123456"));
  Alert alert = Seed(contacts_[0]);
  Start();
  ASSERT_TRUE(WaitFor([&] { return kannel.count() == 1; }));
  auto delivered = Report(alert.id, 1);
  ASSERT_OK(delivered);
  EXPECT_EQ(delivered->state, DeliveryState::kDelivered);
  EXPECT_EQ(stores_.Stored(alert.id).state, DeliveryState::kDelivered);  // not overwritten by sent
  EXPECT_EQ(stores_.Stored(alert.id).attempts, 1);
  EXPECT_THAT(stores_.AuditActions(alert.id), ElementsAre("alert.sent", "alert.delivered"));
}

TEST_P(DeliveryStatesTest, GivingUpIsADeadLetterAndAudited) {
  HttpSink hook;
  hook.SetStatus(503);
  cfg_.give_up_after_ms = 1000;
  contacts_.push_back(MakeContactWith("osh", "webhook", hook.url()));
  Alert alert = Seed(contacts_[0]);
  Start();
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(alert.id).attempts >= 1; }));
  clock_.Advance(2000);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDeadLetter));
  EXPECT_THAT(stores_.AuditActions(alert.id), ElementsAre("alert.dead_letter"));
  const auto audit = stores_.Audit(alert.id);
  EXPECT_EQ(audit[0].actor, "system");
  EXPECT_THAT(audit[0].details, HasSubstr("gave up after 2 attempts: HTTP 503"));
  EXPECT_THAT(changes(), ElementsAre("queued>dead_letter"));
}

TEST_P(DeliveryStatesTest, RefusedIsFailedAndAudited) {
  HttpSink hook;
  hook.SetStatus(410);
  contacts_.push_back(MakeContactWith("osh", "webhook", hook.url()));
  Alert alert = Seed(contacts_[0]);
  Start();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kFailed));
  EXPECT_THAT(stores_.AuditActions(alert.id), ElementsAre("alert.failed"));
}

TEST_P(DeliveryStatesTest, SuppressWithdrawsQueuedNotifications) {
  HttpSink hook;
  hook.SetStatus(503);
  contacts_.push_back(MakeContactWith("osh", "webhook", hook.url()));
  Alert alert = Seed(contacts_[0]);
  Start();
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(alert.id).attempts >= 1; }));
  auto done = std::make_shared<std::promise<std::vector<Alert>>>();
  dispatcher_->Suppress({alert.id, ids_.Next()}, "inhibited by cluster C1",
                        [done](std::vector<Alert> a) { done->set_value(std::move(a)); });
  auto suppressed = done->get_future().get();
  ASSERT_EQ(suppressed.size(), 1u);
  EXPECT_EQ(suppressed[0].id, alert.id);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kSuppressed));
  EXPECT_EQ(stores_.Stored(alert.id).last_error, "inhibited by cluster C1");
  hook.SetStatus(200);
  clock_.Advance(60'000);
  EXPECT_TRUE(WaitFor([&] { return dispatcher_->backlog() == 0; }));
  EXPECT_EQ(hook.count(), 1u);  // never tried again
  EXPECT_THAT(stores_.AuditActions(alert.id), ElementsAre("alert.suppressed"));
}

TEST_P(DeliveryStatesTest, QueuedNotificationOfARemovedContactIsStillSent) {
  HttpSink kannel;
  kannel.SetStatus(202);
  UseSms(kannel);
  const config::Contact gone = MakeContactWith("gone", "sms", "+996700999999");
  Alert alert = Seed(gone);  // the contact is not configured any more
  Start();
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kSent)) << stores_.Stored(alert.id).last_error;
  EXPECT_EQ(kannel.count(), 1u);
}

TEST_P(DeliveryStatesTest, UpdatedContactsKeepEarlierSecrets) {
  HttpSink hook;
  hook.SetStatus(503);
  contacts_.push_back(MakeContactWith("osh", "webhook", hook.url()));
  Alert alert = Seed(contacts_[0]);
  Start();
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(alert.id).attempts >= 1; }));
  dispatcher_->UpdateContacts({});  // e.g. the contact was deleted
  hook.SetStatus(200);
  clock_.Advance(60'000);
  ASSERT_TRUE(WaitForState(alert.id, DeliveryState::kDelivered));
}

INSTANTIATE_TEST_SUITE_P(Stores, DeliveryStatesTest, ::testing::Values("fake", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sakchy::alerts::delivery_states_test
