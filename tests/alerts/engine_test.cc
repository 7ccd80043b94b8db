// The engine as the service uses it: plan, commit, deliver, acknowledge, describe.

#include "alerts/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include <boost/json.hpp>

#include "alerts/alert_fixture.h"
#include "alerts/dispatcher.h"
#include "alerts/templates.h"
#include "fakes/http_sink.h"
#include "fakes/telegram_send_fake.h"

namespace sakchy::alerts::engine_test {
namespace {

using sakchy::testing::HttpSink;
using sakchy::testing::WaitFor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAreasYaml[] = R"(areas:
  - {code: "KG", parent: "", level: country, name_en: "Kyrgyzstan", name_ru: "Кыргызстан", name_ky: "Кыргызстан"}
  - {code: "KG-O", parent: "KG", level: oblast, name_en: "Osh Region", name_ru: "Ошская область", name_ky: "Ош облусу"}
  - {code: "KG-O-ARAVAN", parent: "KG-O", level: raion, name_en: "Aravan", name_ru: "Араванский район", name_ky: "Араван району"}
)";

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  EngineTest() : stores_(GetParam()) {
    auto areas = config::AreaTree::Parse(kAreasYaml, "areas");
    EXPECT_TRUE(areas.has_value());
    areas_ = std::make_unique<config::AreaTree>(std::move(*areas));
    cfg_.min_severity = Severity::kMedium;
    cfg_.backoff_initial_ms = 100;
    cfg_.backoff_max_ms = 1000;
    contacts_.push_back(MakeContactWith("osh", "webhook", osh_.url("/osh")));
    contacts_.push_back(MakeContactWith("aravan", "webhook", aravan_.url("/aravan")));
    contacts_[1].areas = {"KG-O-ARAVAN"};
  }
  void TearDown() override {
    if (engine_) engine_->Stop();
  }
  void Start(std::optional<VerdictLookup> verdicts = std::nullopt) {
    engine_ = Engine::Create(stores_.store(), cfg_, contacts_, *areas_, clock_, metrics_);
    if (verdicts) engine_->SetVerdictLookup(std::move(*verdicts));
    ASSERT_OK(engine_->Start());
  }
  // Commits an event with its routing ticket and hands it over, as the pipeline does; returns the
  // notifications created for it (oldest first) once there are `expected` of them.
  std::vector<Alert> Raise(const Event& event, std::size_t expected) {
    std::vector<Alert> tickets = engine_->Plan(event);
    EXPECT_LE(tickets.size(), 1u);
    stores_.Commit(event, tickets);
    engine_->Committed(tickets);
    std::vector<Alert> out;
    const bool arrived = WaitFor([&] {
      out = Notifications(event.report.id);
      return out.size() >= expected;
    });
    EXPECT_TRUE(arrived) << "only " << out.size() << " notifications for " << event.report.id;
    return out;
  }
  std::vector<Alert> Notifications(const std::string& event_id) {
    storage::AlertFilter filter;
    filter.event_id = event_id;
    auto listed = stores_.store().ListAlerts(filter, 100, {});
    std::vector<Alert> out = listed.value_or(std::vector<Alert>{});
    std::reverse(out.begin(), out.end());
    return out;
  }

  StoreFixture stores_;
  ManualClock clock_{kFixtureStart};
  IdGenerator ids_{clock_};
  MetricsRegistry metrics_;
  HttpSink osh_;
  HttpSink aravan_;
  std::unique_ptr<config::AreaTree> areas_;
  // The fake receivers listen on loopback: allowed explicitly, as a local deployment would.
  config::AlertsConfig cfg_ = [] {
    config::AlertsConfig c;
    c.allow_private_targets = {"127.0.0.1/32"};
    return c;
  }();
  std::vector<config::Contact> contacts_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(EngineTest, AcknowledgeAppliesToTheGroupOncePerActor) {
  Start();
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()), 2);
  ASSERT_EQ(alerts.size(), 2u);
  for (const auto& a : alerts) {
    EXPECT_EQ(a.group_key, alerts[0].group_key);
    ASSERT_TRUE(WaitFor([&] { return stores_.Stored(a.id).state == DeliveryState::kDelivered; }));
  }
  clock_.Advance(30'000);
  auto first = engine_->Acknowledge({alerts[1].id, "analyst-1", "api", "on my way"});
  ASSERT_OK(first);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->ack.group_key, alerts[0].group_key);
  EXPECT_EQ(first->ack.alert_id, alerts[1].id);
  EXPECT_EQ(first->ack.contact_id, alerts[1].contact_id);
  EXPECT_EQ(first->ack.at, kFixtureStart + 30'000);
  EXPECT_EQ(first->ack.note, "on my way");

  auto again = engine_->Acknowledge({alerts[0].id, "analyst-1", "api", ""});
  ASSERT_OK(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->ack.id, first->ack.id);
  auto other = engine_->Acknowledge({alerts[0].id, "admin-1", "api", ""});
  ASSERT_OK(other);
  EXPECT_FALSE(other->duplicate);

  auto detail = engine_->Describe(alerts[0].id);
  ASSERT_OK(detail);
  ASSERT_TRUE(detail->has_value());
  EXPECT_EQ((*detail)->alert.id, alerts[0].id);
  ASSERT_EQ((*detail)->group.size(), 2u);
  EXPECT_EQ((*detail)->group[0].id, alerts[0].id);  // oldest first
  EXPECT_EQ((*detail)->group[1].state, DeliveryState::kDelivered);
  ASSERT_EQ((*detail)->acks.size(), 2u);
  EXPECT_EQ((*detail)->acks[0].actor, "analyst-1");
  EXPECT_EQ((*detail)->acks[1].actor, "admin-1");

  EXPECT_THAT(stores_.AuditActions(alerts[1].id), ElementsAre("alert.delivered", "alert.ack"));
  EXPECT_THAT(stores_.Audit(alerts[1].id).back().actor, "analyst-1");
  EXPECT_EQ(metrics_.GetCounter("sakchy_alerts_acked_total", "", {{"via", "api"}}).Value(), 2u);
}

TEST_P(EngineTest, UnknownAlertsAreNotFound) {
  Start();
  auto ack = engine_->Acknowledge({ids_.Next(), "analyst-1", "api", ""});
  ASSERT_FALSE(ack.has_value());
  EXPECT_EQ(ack.error().code, ErrorCode::kNotFound);
  auto detail = engine_->Describe(ids_.Next());
  ASSERT_OK(detail);
  EXPECT_FALSE(detail->has_value());
}

TEST_P(EngineTest, DeliveryReportsNeedTheirToken) {
  Start();
  EXPECT_FALSE(engine_->CheckDlrToken("01HZ9TQGG0CGJBYJTC5NBDV5KN", "x"));  // no SMS channel
  engine_->Stop();
  config::SmsChannelConfig sms;
  sms.password = "pw";
  cfg_.channels.sms = sms;
  Start();
  const std::string id = ids_.Next();
  EXPECT_TRUE(engine_->CheckDlrToken(id, DlrToken(sms, id)));
  EXPECT_FALSE(engine_->CheckDlrToken(ids_.Next(), DlrToken(sms, id)));
  EXPECT_FALSE(engine_->CheckDlrToken(id, ""));
}

config::Contact ApiContact(std::string id, std::string type, std::string address) {
  config::Contact c = MakeContactWith(std::move(id), std::move(type), std::move(address));
  c.origin = "api";
  return c;
}

TEST_P(EngineTest, ContactsAreCreatedUpdatedDeletedAndAudited) {
  Start();
  EXPECT_EQ(engine_->Contacts().size(), 2u);
  auto created = engine_->PutContact(ApiContact("naryn", "webhook", aravan_.url("/n")), "admin-1",
                                     true);
  ASSERT_OK(created);
  EXPECT_EQ(created->source, "api");
  EXPECT_TRUE(created->reachable);
  auto twice = engine_->PutContact(ApiContact("naryn", "webhook", aravan_.url("/n")), "admin-1",
                                   true);
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, ErrorCode::kAlreadyExists);
  auto updated = engine_->PutContact(ApiContact("naryn", "sms", "+996700000009"), "admin-2",
                                     false);
  ASSERT_OK(updated);
  EXPECT_FALSE(updated->reachable);  // sms is not configured
  EXPECT_THAT(updated->problems, ::testing::Contains("no usable channel"));
  EXPECT_THAT(engine_->ReadinessProblems(),
              ElementsAre("contact 'naryn' (api): no usable channel"));

  auto yaml = engine_->PutContact(ApiContact("osh", "webhook", osh_.url("/x")), "admin-1", false);
  ASSERT_FALSE(yaml.has_value());
  EXPECT_EQ(yaml.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(yaml.error().message, HasSubstr("defined in the config file"));
  auto yaml_delete = engine_->DeleteContact("osh", "admin-1");
  ASSERT_FALSE(yaml_delete.has_value());
  EXPECT_EQ(yaml_delete.error().code, ErrorCode::kPermissionDenied);

  // Survives a restart (record table), then deleted.
  engine_->Stop();
  clock_.Advance(1);  // the new engine's ids sort after the old one's
  Start();
  auto found = engine_->FindContact("naryn");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->contact.channels[0].type, "sms");
  ASSERT_OK(engine_->DeleteContact("naryn", "admin-1"));
  EXPECT_FALSE(engine_->FindContact("naryn").has_value());
  auto missing = engine_->DeleteContact("naryn", "admin-1");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(engine_->ReadinessProblems().empty());
  EXPECT_THAT(stores_.AuditActions("naryn"),
              ElementsAre("contact.create", "contact.update", "contact.delete"));
  const auto audit = stores_.Audit("naryn");
  EXPECT_EQ(audit[1].actor, "admin-2");
  EXPECT_EQ(audit[1].details.find("+996700000009"), std::string::npos) << "no numbers in audit";
}

TEST_P(EngineTest, NewContactsAreRoutedAndDeletedOnesStillGetWhatIsQueued) {
  Start();
  HttpSink naryn;
  naryn.SetStatus(503);
  config::Contact c = ApiContact("naryn-akim", "webhook", naryn.url("/n"));
  c.areas = {"KG-O-ARAVAN"};
  ASSERT_OK(engine_->PutContact(c, "admin-1", true));
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()), 3);
  ASSERT_EQ(alerts.size(), 3u);
  const Alert* mine = nullptr;
  for (const auto& a : alerts) {
    if (a.contact_id == "naryn-akim") mine = &a;
  }
  ASSERT_NE(mine, nullptr);
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(mine->id).attempts >= 1; }));
  ASSERT_OK(engine_->DeleteContact("naryn-akim", "admin-1"));
  naryn.SetStatus(200);
  clock_.Advance(60'000);
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(mine->id).state == DeliveryState::kDelivered; }));
  EXPECT_EQ(Raise(MakeEvent(ids_, clock_.NowMs()), 2).size(), 2u);  // not routed any more
}

TEST_P(EngineTest, FailedNotificationFallsBackToTheNextChannel) {
  HttpSink primary;
  primary.SetStatus(404);  // refused for good
  HttpSink backup;
  contacts_.clear();
  config::Contact c = MakeContactWith("osh", "webhook", primary.url("/primary"));
  config::ContactChannel second = c.channels[0];
  second.address = backup.url("/backup");
  c.channels.push_back(second);
  contacts_.push_back(c);
  Start();
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()), 1);
  ASSERT_GE(alerts.size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return backup.count() == 1; }));
  EXPECT_EQ(stores_.Stored(alerts[0].id).state, DeliveryState::kFailed);
  storage::AlertFilter filter;
  filter.group_key = alerts[0].group_key;
  std::vector<Alert> group;
  ASSERT_TRUE(WaitFor([&] {
    group = stores_.store().ListAlerts(filter, 10, {}).value_or(std::vector<Alert>{});
    return group.size() == 2 && group[0].state == DeliveryState::kDelivered;
  }));
  EXPECT_EQ(group[0].channel_index, 1);
  EXPECT_EQ(group[0].target, backup.url("/backup"));
  EXPECT_EQ(backup.requests()[0].headers.at("idempotency-key"), group[0].idempotency_key);
  EXPECT_NE(group[0].idempotency_key, alerts[0].idempotency_key);
  EXPECT_THAT(stores_.AuditActions(alerts[0].id), ElementsAre("alert.failed", "alert.fallback"));
  EXPECT_EQ(metrics_.GetCounter("sakchy_alerts_fallback_total", "").Value(), 1u);
}

TEST_P(EngineTest, EventsBelowTheThresholdGetNoTicketAndTicketsAreRemovedWhenRouted) {
  Start();
  Event low = MakeEvent(ids_, clock_.NowMs());
  low.severity = Severity::kLow;
  EXPECT_TRUE(engine_->Plan(low).empty());
  Event event = MakeEvent(ids_, clock_.NowMs());
  auto tickets = engine_->Plan(event);
  ASSERT_EQ(tickets.size(), 1u);
  EXPECT_EQ(tickets[0].kind, AlertKind::kRoute);
  EXPECT_FALSE(stores_.store().GetAlert(tickets[0].id)->has_value()) << "tickets are not alerts";
  Raise(event, 2);
  ASSERT_TRUE(WaitFor([&] {
    auto pending = stores_.store().PendingAlerts();
    return pending && std::none_of(pending->begin(), pending->end(), [](const Alert& a) {
             return a.kind == AlertKind::kRoute;
           });
  }));
  storage::AlertFilter all;
  const std::vector<Alert> listed = stores_.store().ListAlerts(all, 100, {}).value();
  for (const Alert& a : listed) EXPECT_NE(a.kind, AlertKind::kRoute);
}

// Routing that sends nothing is redone from its pending ticket after a power failure, so its
// write is not synced; routing that creates notifications is (they leave the process).
TEST_P(EngineTest, RoutingIsSyncedWhenItNotifiesAndBufferedWhenNothingLeaves) {
  if (GetParam() != "fake") GTEST_SKIP() << "counts the fake store's sync modes";
  FakeStore& fake = *stores_.fake();
  Start();
  Event nobody = MakeEvent(ids_, clock_.NowMs(), "KG");  // no contact covers the whole country
  auto tickets = engine_->Plan(nobody);
  ASSERT_EQ(tickets.size(), 1u);
  stores_.Commit(nobody, tickets);
  engine_->Committed(tickets);
  ASSERT_TRUE(WaitFor([&] { return fake.buffered_calls() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return fake.tickets() == 0; })) << "the ticket is removed";
  EXPECT_TRUE(Notifications(nobody.report.id).empty());

  Raise(MakeEvent(ids_, clock_.NowMs()), 2);  // Osh and Aravan are notified
  ASSERT_TRUE(WaitFor([&] { return osh_.count() == 1 && aravan_.count() == 1; }));
  EXPECT_EQ(fake.buffered_calls(), 1u) << "routing that notifies is synced";
}

TEST_P(EngineTest, TicketsLeftBeforeARestartAreRoutedAfterIt) {
  Start();
  Event event = MakeEvent(ids_, clock_.NowMs());
  auto tickets = engine_->Plan(event);
  stores_.Commit(event, tickets);  // committed, then the process stops before routing
  engine_->Stop();
  Start();
  ASSERT_TRUE(WaitFor([&] { return Notifications(event.report.id).size() == 2; }));
  ASSERT_TRUE(WaitFor([&] { return osh_.count() == 1 && aravan_.count() == 1; }));
}

TEST_P(EngineTest, GroupedEventsNotifyOnceUntilANewSource) {
  cfg_.route.group_by = std::vector<std::string>{"area"};
  cfg_.route.group_interval_ms = 0;
  Start();
  Event first = MakeEvent(ids_, clock_.NowMs());
  auto notified = Raise(first, 2);
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 1; }));
  Event same_source = MakeEvent(ids_, clock_.NowMs());
  engine_->Committed([&] {
    auto t = engine_->Plan(same_source);
    stores_.Commit(same_source, t);
    return t;
  }());
  Event other_source = MakeEvent(ids_, clock_.NowMs());
  other_source.report.submitted_by = "monitor-2";
  auto changed = Raise(other_source, 2);
  EXPECT_TRUE(Notifications(same_source.report.id).size() == 2)
      << "the second event joins the group and shows in its later notifications";
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 2; }));
  EXPECT_EQ(changed[0].sequence, 2);
  EXPECT_EQ(changed[0].group_key, notified[0].group_key);
  const auto body = boost::json::parse(aravan_.requests()[1].body).as_object();
  EXPECT_EQ(body.at("events").as_int64(), 3);
  EXPECT_EQ(body.at("sources").as_int64(), 2);
  EXPECT_EQ(body.at("sequence").as_int64(), 2);
  EXPECT_NE(aravan_.requests()[1].headers.at("idempotency-key"),
            aravan_.requests()[0].headers.at("idempotency-key"));
}

TEST_P(EngineTest, SilencesHoldNotificationsAndAreAudited) {
  Start();
  Silence s;
  s.areas = {"KG-O"};
  s.starts_at = clock_.NowMs();
  s.ends_at = clock_.NowMs() + 3'600'000;
  s.comment = "known situation, police on site";
  auto created = engine_->CreateSilence(s, "analyst-1");
  ASSERT_OK(created);
  EXPECT_EQ(created->created_by, "analyst-1");
  EXPECT_EQ(engine_->Silences().size(), 1u);
  Event event = MakeEvent(ids_, clock_.NowMs());
  auto tickets = engine_->Plan(event);
  stores_.Commit(event, tickets);
  engine_->Committed(tickets);
  ASSERT_TRUE(WaitFor([&] {
    return metrics_.GetCounter("sakchy_alerts_silenced_total", "").Value() == 2;
  }));
  EXPECT_TRUE(Notifications(event.report.id).empty());
  clock_.Advance(60'000);
  auto expired = engine_->ExpireSilence(created->id, "analyst-2");
  ASSERT_OK(expired);
  EXPECT_EQ(expired->ends_at, clock_.NowMs());
  // Ended early: the held group notifies at once.
  ASSERT_TRUE(WaitFor([&] { return Notifications(event.report.id).size() == 2; }));
  EXPECT_THAT(stores_.AuditActions(created->id), ElementsAre("silence.create", "silence.expire"));
  auto missing = engine_->ExpireSilence("nope", "analyst-2");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(EngineTest, RateLimitedRecipientGetsADigest) {
  cfg_.rate_limit.max = 1;
  cfg_.rate_limit.per_ms = 600'000;
  Start();
  Raise(MakeEvent(ids_, clock_.NowMs()), 2);
  for (int i = 0; i < 3; ++i) {
    Event e = MakeEvent(ids_, clock_.NowMs());
    auto t = engine_->Plan(e);
    stores_.Commit(e, t);
    engine_->Committed(t);
  }
  ASSERT_TRUE(WaitFor([&] {
    return metrics_.GetCounter("sakchy_alerts_rate_limited_total", "").Value() == 6;
  }));
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 1 && engine_->backlog() == 0; }));
  clock_.Advance(600'000);
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 2 && osh_.count() == 2; }));
  const auto digest = boost::json::parse(aravan_.requests()[1].body).as_object();
  EXPECT_EQ(digest.at("type"), "sakchy.digest");
  EXPECT_EQ(digest.at("kind"), "digest");
  EXPECT_EQ(digest.at("items").as_array().size(), 3u);
  EXPECT_EQ(digest.at("event_ids").as_array().size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Stores, EngineTest, ::testing::Values("fake", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sakchy::alerts::engine_test

namespace sakchy::alerts::engine_test {
namespace {

TEST_P(EngineTest, EscalationNotifiesTheNextStepAndIsAudited) {
  config::EscalationConfig e;
  e.after_ms = 900'000;
  e.max_steps = 1;
  cfg_.route.escalation = e;
  cfg_.route.parent_min_severity = std::vector<Severity>{Severity::kCritical};
  Start();
  Event event = MakeEvent(ids_, clock_.NowMs());
  auto first = Raise(event, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].contact_id, "aravan");
  clock_.Advance(900'000);
  ASSERT_TRUE(WaitFor([&] { return osh_.count() == 1; }));
  auto all = Notifications(event.report.id);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].contact_id, "osh");
  EXPECT_EQ(all[1].escalation_step, 1);
  EXPECT_EQ(all[1].group_key, first[0].group_key);
  EXPECT_THAT(stores_.AuditActions(first[0].group_key), ElementsAre("alert.escalate"));
  const auto body = boost::json::parse(osh_.requests()[0].body).as_object();
  EXPECT_EQ(body.at("escalation_step").as_int64(), 1);
  auto detail = engine_->Describe(all[1].id);
  ASSERT_OK(detail);
  ASSERT_TRUE((*detail)->state.has_value());
  EXPECT_EQ((*detail)->state->escalation_step, 1);
}

TEST_P(EngineTest, AcknowledgedGroupsDoNotEscalate) {
  config::EscalationConfig e;
  e.after_ms = 900'000;
  cfg_.route.escalation = e;
  cfg_.route.parent_min_severity = std::vector<Severity>{Severity::kCritical};
  Start();
  auto first = Raise(MakeEvent(ids_, clock_.NowMs()), 1);
  ASSERT_OK(engine_->Acknowledge({first[0].id, "aravan-akim", "api", ""}));
  clock_.Advance(3'600'000);
  // Routing the next event runs everything due by now (the escalation would have been due).
  Raise(MakeEvent(ids_, clock_.NowMs()), 1);
  auto d = engine_->Describe(first[0].id);
  ASSERT_OK(d);
  ASSERT_TRUE((*d)->state.has_value());
  EXPECT_TRUE((*d)->state->acked);
  EXPECT_EQ((*d)->state->escalation_step, 0);
  EXPECT_EQ(osh_.count(), 0u);
  EXPECT_TRUE(stores_.AuditActions(first[0].group_key).empty());
}

TEST_P(EngineTest, UndeliverableAlertTellsTheDutyContact) {
  HttpSink duty;
  HttpSink broken;
  broken.SetStatus(400);
  contacts_.clear();
  contacts_.push_back(MakeContactWith("aravan", "webhook", broken.url("/aravan")));
  config::Contact d = MakeContactWith("oblast-duty", "webhook", duty.url("/duty"));
  d.role = "analyst_on_duty";
  d.areas = {"KG"};
  d.min_severity = Severity::kCritical;  // not a recipient of the alert itself
  contacts_.push_back(d);
  Start();
  auto first = Raise(MakeEvent(ids_, clock_.NowMs()), 1);
  ASSERT_TRUE(WaitFor([&] { return duty.count() == 1; }));
  EXPECT_EQ(stores_.Stored(first[0].id).state, DeliveryState::kFailed);
  const auto body = boost::json::parse(duty.requests()[0].body).as_object();
  EXPECT_EQ(body.at("type"), "sakchy.notice");
  EXPECT_EQ(body.at("kind"), "notice");
  EXPECT_EQ(body.at("undelivered").at("alert_id"), first[0].id.c_str());
  EXPECT_EQ(body.at("undelivered").at("error"), "HTTP 400");
  EXPECT_THAT(stores_.AuditActions(first[0].id), ElementsAre("alert.failed", "alert.undeliverable"));
  storage::AlertFilter notices;
  notices.kind = AlertKind::kNotice;
  auto listed = stores_.store().ListAlerts(notices, 10, {});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].subject_id, first[0].id);
  EXPECT_EQ(metrics_.GetCounter("sakchy_alerts_duty_notices_total", "").Value(), 1u);
}

TEST_P(EngineTest, DeadLetterWithoutDutyContactIsCountedAndLogged) {
  HttpSink down;
  down.SetStatus(503);
  cfg_.give_up_after_ms = 1000;
  contacts_.clear();
  contacts_.push_back(MakeContactWith("aravan", "webhook", down.url("/aravan")));
  Start();
  auto first = Raise(MakeEvent(ids_, clock_.NowMs()), 1);
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(first[0].id).attempts >= 1; }));
  clock_.Advance(2000);
  ASSERT_TRUE(WaitFor([&] {
    return stores_.Stored(first[0].id).state == DeliveryState::kDeadLetter;
  }));
  ASSERT_TRUE(WaitFor([&] {
    return metrics_.GetCounter("sakchy_alerts_undeliverable_unnoticed_total", "").Value() == 1;
  }));
  EXPECT_THAT(stores_.AuditActions(first[0].id),
              ElementsAre("alert.dead_letter", "alert.undeliverable"));
}

}  // namespace
}  // namespace sakchy::alerts::engine_test

namespace sakchy::alerts::engine_test {
namespace {

TEST_P(EngineTest, SmsReplyWithTheCodeAcknowledges) {
  HttpSink kannel;
  kannel.SetStatus(202);
  config::SmsChannelConfig sms;
  sms.sendsms_url = kannel.url("/cgi-bin/sendsms");
  sms.username = "ews";
  sms.password = "pw";
  sms.from = "Sakchy";
  cfg_.channels.sms = sms;
  contacts_.clear();
  contacts_.push_back(MakeContactWith("akim", "sms", "+996700123456"));
  Start();
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()), 1);
  const std::string code = AlertCode(alerts[0].id);
  auto wrong = engine_->AcknowledgeBySms("+996700123456", code == "0000" ? "0001" : "0000");
  ASSERT_OK(wrong);
  EXPECT_FALSE(wrong->has_value());
  auto stranger = engine_->AcknowledgeBySms("+996555000000", code);
  ASSERT_OK(stranger);
  EXPECT_FALSE(stranger->has_value());
  auto ack = engine_->AcknowledgeBySms("996700123456", code);  // Kannel may drop the "+"
  ASSERT_OK(ack);
  ASSERT_TRUE(ack->has_value());
  EXPECT_EQ((*ack)->ack.alert_id, alerts[0].id);
  EXPECT_EQ((*ack)->ack.via, "sms");
  EXPECT_EQ((*ack)->ack.actor, "contact:akim");
  auto again = engine_->AcknowledgeBySms("+996700123456", code);
  ASSERT_OK(again);
  ASSERT_TRUE(again->has_value());
  EXPECT_TRUE((*again)->duplicate);
  EXPECT_EQ(metrics_.GetCounter("sakchy_alerts_acked_total", "", {{"via", "sms"}}).Value(), 1u);
}

TEST_P(EngineTest, TelegramButtonAcknowledgesAndIsAnswered) {
  sakchy::testing::TelegramSendFake bot("123:bot-token", {"4242"});
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", "123:bot-token"};
  contacts_.clear();
  contacts_.push_back(MakeContactWith("akim", "telegram", "4242"));
  contacts_[0].language = "ky";
  Start();
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()), 1);
  ASSERT_TRUE(WaitFor([&] { return bot.sent().size() == 1; }));
  const std::string data = bot.sent()[0].callback_data;
  EXPECT_EQ(data, "ack:" + AlertCode(alerts[0].id) + ":" + alerts[0].id);
  bot.AddCallbackQuery("999", 7, data);    // another chat: refused
  bot.AddCallbackQuery("4242", 77, data);  // the contact's chat
  ASSERT_TRUE(WaitFor([&] { return bot.answers().size() == 2; }));
  EXPECT_EQ(bot.answers()[0].first, "cbq-1");
  EXPECT_EQ(bot.answers()[0].second, "Эскертүү табылган жок");
  EXPECT_EQ(bot.answers()[1].second, "Кабыл алынды");
  auto detail = engine_->Describe(alerts[0].id);
  ASSERT_OK(detail);
  ASSERT_EQ((*detail)->acks.size(), 1u);
  EXPECT_EQ((*detail)->acks[0].via, "telegram");
  EXPECT_EQ((*detail)->acks[0].actor, "contact:akim");
  EXPECT_EQ((*detail)->acks[0].note, "telegram user 77");
  // The offset moves past the handled updates (they are never handed out again).
  ASSERT_TRUE(WaitFor([&] {
    const auto offsets = bot.offsets();
    return !offsets.empty() && offsets.back() == "3";
  }));
  EXPECT_EQ(bot.answers().size(), 2u);
}

}  // namespace
}  // namespace sakchy::alerts::engine_test

namespace sakchy::alerts::engine_test {
namespace {

Signal ClusterSignal(const std::vector<std::string>& events, TimeMs at) {
  Signal s;
  s.kind = Signal::Kind::kClusterSpread;
  s.subject_id = "C1";
  s.area = "KG-O-ARAVAN";
  s.areas = {"KG-O-ARAVAN"};
  s.severity = Severity::kHigh;
  s.categories = {"health"};
  s.reason = "3 distinct sources within 1h";
  s.summary = "Говорят, что в Араване отравили воду";
  s.event_ids = events;
  s.sources = 3;
  s.first_seen = at - 3'600'000;
  s.at = at;
  return s;
}

TEST_P(EngineTest, SignalIsRoutedAndInhibitsQueuedMemberEventAlerts) {
  osh_.SetStatus(503);  // Osh's per-event notification stays queued
  Start();
  Event event = MakeEvent(ids_, clock_.NowMs());
  auto alerts = Raise(event, 2);
  const Alert& to_osh = alerts[0].contact_id == "osh" ? alerts[0] : alerts[1];
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(to_osh.id).attempts >= 1; }));
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 1; }));

  ASSERT_OK(engine_->Raise(ClusterSignal({event.report.id}, clock_.NowMs())));
  ASSERT_TRUE(WaitFor([&] {
    return stores_.Stored(to_osh.id).state == DeliveryState::kSuppressed;
  }));
  EXPECT_EQ(stores_.Stored(to_osh.id).last_error, "inhibited by cluster:C1");
  storage::AlertFilter signals;
  signals.kind = AlertKind::kSignal;
  std::vector<Alert> listed;
  ASSERT_TRUE(WaitFor([&] {
    listed = stores_.store().ListAlerts(signals, 10, {}).value_or(std::vector<Alert>{});
    return listed.size() == 2;
  }));
  EXPECT_EQ(listed[0].subject_id, "C1");
  EXPECT_EQ(listed[0].group_key, "root/event=cluster:C1");
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 2; }));
  const auto body = boost::json::parse(aravan_.requests()[1].body).as_object();
  EXPECT_EQ(body.at("kind"), "signal");
  EXPECT_EQ(body.at("signal").at("reason"), "3 distinct sources within 1h");
  EXPECT_EQ(body.at("text"), "Говорят, что в Араване отравили воду");
  EXPECT_EQ(body.at("sources").as_int64(), 3);
  EXPECT_THAT(stores_.AuditActions("cluster:C1"), ElementsAre("alert.signal"));
  // The same cluster again without more sources: nobody is told twice.
  ASSERT_OK(engine_->Raise(ClusterSignal({event.report.id}, clock_.NowMs())));
  EXPECT_EQ(stores_.store().ListAlerts(signals, 10, {})->size(), 2u);
  auto bad = engine_->Raise(Signal{});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

// A scoring batch's signals are raised together, without blocking the scorer: each routed and
// audited as if raised alone, a signal without a subject skipped.
TEST_P(EngineTest, RaiseAllRoutesEverySignalOfABatch) {
  Start();
  Signal first = ClusterSignal({}, clock_.NowMs());
  Signal second = ClusterSignal({}, clock_.NowMs());
  second.subject_id = "C2";
  second.summary = "Говорят, что граница закрыта";
  engine_->RaiseAll({first, Signal{}, second});
  storage::AlertFilter signals;
  signals.kind = AlertKind::kSignal;
  std::vector<Alert> listed;
  ASSERT_TRUE(WaitFor([&] {
    listed = stores_.store().ListAlerts(signals, 10, {}).value_or(std::vector<Alert>{});
    return listed.size() == 4;  // Osh and Aravan, each about C1 and C2
  }));
  std::map<std::string, int> per_subject;
  for (const Alert& a : listed) ++per_subject[a.subject_id];
  EXPECT_EQ(per_subject, (std::map<std::string, int>{{"C1", 2}, {"C2", 2}}));
  EXPECT_THAT(stores_.AuditActions("cluster:C1"), ElementsAre("alert.signal"));
  EXPECT_THAT(stores_.AuditActions("cluster:C2"), ElementsAre("alert.signal"));
  ASSERT_TRUE(WaitFor([&] { return osh_.count() == 2 && aravan_.count() == 2; }));
}

TEST_P(EngineTest, VerdictFollowUpReachesEveryoneAlertedInTheirLanguage) {
  sakchy::testing::TelegramSendFake bot("123:bot-token", {"1001", "1002", "1003"});
  cfg_.channels.telegram = config::TelegramChannelConfig{bot.api_base(), "", "123:bot-token"};
  contacts_.clear();
  contacts_.push_back(MakeContactWith("aravan", "telegram", "1001"));
  contacts_.back().language = "ky";
  contacts_.back().areas = {"KG-O-ARAVAN"};
  contacts_.push_back(MakeContactWith("osh", "telegram", "1002"));
  contacts_.back().language = "ru";
  contacts_.push_back(MakeContactWith("chui", "telegram", "1003"));  // never alerted
  contacts_.back().areas = {"KG"};
  contacts_.back().min_severity = Severity::kCritical;
  Start();
  Event event = MakeEvent(ids_, clock_.NowMs());
  Raise(event, 2);
  ASSERT_TRUE(WaitFor([&] { return bot.sent().size() == 2; }));
  ASSERT_TRUE(WaitFor([&] {
    for (const Alert& a : Notifications(event.report.id)) {
      if (a.state != DeliveryState::kDelivered) return false;
    }
    return true;
  }));
  Verdict v;
  v.cluster_id = "C1";
  v.status = VerdictStatus::kFalse;
  v.statement = "Вода в Араване проверена СЭС: отравления нет.";
  v.decided_by = "analyst-1";
  v.decided_at = clock_.NowMs();
  v.event_ids = {event.report.id};
  auto count = engine_->FollowUp(v);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);
  ASSERT_TRUE(WaitFor([&] { return bot.sent().size() == 4; }));
  std::map<std::string, std::string> texts;
  for (const auto& m : bot.sent()) texts[m.chat_id] = m.text;
  EXPECT_THAT(texts["1001"], HasSubstr("ЖАЛГАН"));
  EXPECT_THAT(texts["1001"], HasSubstr("Расмий билдирүү: «Вода в Араване проверена СЭС"));
  EXPECT_THAT(texts["1002"], HasSubstr("ЛОЖЬ"));
  EXPECT_THAT(texts["1002"], HasSubstr("Официальное заявление"));
  EXPECT_FALSE(texts.contains("1003"));
  // Once per verdict.
  auto again = engine_->FollowUp(v);
  ASSERT_OK(again);
  EXPECT_EQ(*again, 0u);
  EXPECT_THAT(stores_.AuditActions("C1"), ElementsAre("alert.follow_up", "alert.follow_up"));
  auto bad = engine_->FollowUp(Verdict{});
  ASSERT_FALSE(bad.has_value());
}

TEST_P(EngineTest, VerdictReachesThoseAlertedByTheClusterSignalOnly) {
  Start();
  ASSERT_OK(engine_->Raise(ClusterSignal({}, clock_.NowMs())));
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 1 && osh_.count() == 1; }));
  storage::AlertFilter signals;
  signals.kind = AlertKind::kSignal;
  ASSERT_TRUE(WaitFor([&] {
    auto listed = stores_.store().ListAlerts(signals, 10, {});
    return listed && listed->size() == 2 &&
           std::all_of(listed->begin(), listed->end(),
                       [](const Alert& a) { return a.state == DeliveryState::kDelivered; });
  }));
  Verdict v;
  v.cluster_id = "C1";
  v.status = VerdictStatus::kConfirmed;
  v.statement = "Confirmed by the raion administration.";
  v.decided_at = clock_.NowMs();
  auto count = engine_->FollowUp(v);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 2; }));
  const auto body = boost::json::parse(aravan_.requests()[1].body).as_object();
  EXPECT_EQ(body.at("type"), "sakchy.follow_up");
  EXPECT_EQ(body.at("verdict").at("status"), "confirmed");
  EXPECT_EQ(body.at("subject_id"), "C1");
}

}  // namespace
}  // namespace sakchy::alerts::engine_test

namespace sakchy::alerts::engine_test {
namespace {

// The verdicts a service would read from the clusters, by hand.
VerdictLookup FakeVerdicts(std::map<std::string, Verdict>* by_event,
                           std::map<std::string, Verdict>* by_cluster,
                           std::atomic<int>* event_reads) {
  VerdictLookup lookup;
  lookup.of_event = [by_event, event_reads](std::string_view id) -> Result<std::optional<Verdict>> {
    event_reads->fetch_add(1);
    auto it = by_event->find(std::string(id));
    if (it == by_event->end()) return std::optional<Verdict>();
    return std::optional<Verdict>(it->second);
  };
  lookup.of_cluster = [by_cluster](std::string_view id) -> Result<std::optional<Verdict>> {
    auto it = by_cluster->find(std::string(id));
    if (it == by_cluster->end()) return std::optional<Verdict>();
    return std::optional<Verdict>(it->second);
  };
  return lookup;
}

Verdict FalseVerdict() {
  Verdict v;
  v.cluster_id = "C1";
  v.status = VerdictStatus::kFalse;
  v.statement = "Водоканал: вода в Араване безопасна.";
  v.decided_by = "analyst-1";
  v.decided_at = kFixtureStart - 60'000;
  return v;
}

TEST_P(EngineTest, SpreadSignalSaysWhyInTheContactsLanguageAndShowsTheVerdict) {
  std::map<std::string, Verdict> by_event, by_cluster{{"C1", FalseVerdict()}};
  std::atomic<int> event_reads{0};
  contacts_[1].language = "en";
  Start(FakeVerdicts(&by_event, &by_cluster, &event_reads));
  Signal s = ClusterSignal({}, clock_.NowMs());
  s.spread = SpreadWhy{6, 0, 2 * 60 * 1000, SpreadTrend::kAccelerating, {"KG-O-ARAVAN"}};
  ASSERT_OK(engine_->Raise(s));
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 1 && osh_.count() == 1; }));
  const auto en = boost::json::parse(aravan_.requests()[0].body).as_object();
  EXPECT_EQ(en.at("signal").at("why"),
            "6 independent reports in 2 minutes, accelerating; new area: Aravan");
  EXPECT_EQ(en.at("signal").at("people").as_int64(), 6);
  EXPECT_EQ(en.at("signal").at("span_ms").as_int64(), 120000);
  EXPECT_EQ(en.at("signal").at("trend"), "accelerating");
  EXPECT_EQ(en.at("signal").at("reason"), "3 distinct sources within 1h");
  EXPECT_EQ(en.at("verdict").at("status"), "false");
  EXPECT_EQ(en.at("verdict").at("text"),
            "Already checked: FALSE — «Водоканал: вода в Араване безопасна.»");
  const auto ru = boost::json::parse(osh_.requests()[0].body).as_object();
  EXPECT_EQ(ru.at("signal").at("why"),
            "6 независимых сообщений за 2 минуты, ускоряется; новый район: Араванский район");
  EXPECT_THAT(std::string(ru.at("verdict").at("text").as_string()),
              HasSubstr("Уже проверено: ЛОЖЬ"));
}

TEST_P(EngineTest, KnownFalseEventAlertCarriesTheVerdictOthersAreNotLookedUp) {
  std::map<std::string, Verdict> by_event, by_cluster;
  std::atomic<int> event_reads{0};
  Start(FakeVerdicts(&by_event, &by_cluster, &event_reads));
  Event plain = MakeEvent(ids_, clock_.NowMs());
  Raise(plain, 2);
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 1; }));
  EXPECT_EQ(event_reads.load(), 0) << "only events with a known_* category are looked up";
  EXPECT_FALSE(boost::json::parse(aravan_.requests()[0].body).as_object().contains("verdict"));

  Event known = MakeEvent(ids_, clock_.NowMs());
  known.categories = {"health", "known_false"};
  by_event[known.report.id] = FalseVerdict();
  Raise(known, 2);
  ASSERT_TRUE(WaitFor([&] { return aravan_.count() == 2; }));
  EXPECT_GE(event_reads.load(), 1);
  const auto body = boost::json::parse(aravan_.requests()[1].body).as_object();
  EXPECT_EQ(body.at("verdict").at("status"), "false");
  EXPECT_EQ(body.at("verdict").at("statement"), "Водоканал: вода в Араване безопасна.");
  EXPECT_THAT(std::string(body.at("verdict").at("text").as_string()),
              HasSubstr("Уже проверено: ЛОЖЬ — «Водоканал"));
  EXPECT_EQ(body.at("categories").as_array().size(), 2u);
}

}  // namespace
}  // namespace sakchy::alerts::engine_test
