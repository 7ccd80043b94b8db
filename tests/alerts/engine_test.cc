// The engine as the service uses it: plan, commit, deliver, acknowledge, describe.

#include "alerts/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerts/alert_fixture.h"
#include "alerts/dispatcher.h"
#include "fakes/http_sink.h"

namespace sakchy::alerts {
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
  void Start() {
    engine_ = Engine::Create(stores_.store(), cfg_, contacts_, *areas_, clock_, metrics_);
    ASSERT_OK(engine_->Start());
  }
  // Routes, commits and hands over an event as the pipeline does.
  std::vector<Alert> Raise(const Event& event) {
    std::vector<Alert> alerts = engine_->Plan(event);
    stores_.Commit(event, alerts);
    engine_->Committed(alerts);
    return alerts;
  }

  StoreFixture stores_;
  ManualClock clock_{kFixtureStart};
  IdGenerator ids_{clock_};
  MetricsRegistry metrics_;
  HttpSink osh_;
  HttpSink aravan_;
  std::unique_ptr<config::AreaTree> areas_;
  config::AlertsConfig cfg_;
  std::vector<config::Contact> contacts_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(EngineTest, AcknowledgeAppliesToTheGroupOncePerActor) {
  Start();
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()));
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
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()));
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
  EXPECT_EQ(Raise(MakeEvent(ids_, clock_.NowMs())).size(), 2u);  // not routed any more
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
  auto alerts = Raise(MakeEvent(ids_, clock_.NowMs()));
  ASSERT_EQ(alerts.size(), 1u);
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

INSTANTIATE_TEST_SUITE_P(Stores, EngineTest, ::testing::Values("fake", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sakchy::alerts
