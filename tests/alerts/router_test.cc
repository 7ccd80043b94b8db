#include "alerts/router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "config/areas.h"
#include "core/crypto.h"
#include "testutil/testutil.h"

namespace sakchy::alerts {
namespace {

constexpr char kAreasYaml[] = R"(
areas:
  - {code: "KG", parent: "", level: country}
  - {code: "KG-O", parent: "KG", level: oblast}
  - {code: "KG-O-ARAVAN", parent: "KG-O", level: raion}
  - {code: "KG-C", parent: "KG", level: oblast}
  - {code: "KG-C-PANFILOV", parent: "KG-C", level: raion}
)";

constexpr TimeMs kNow = 1'717'200'000'000;

config::ContactChannel Channel(std::string type, std::string address, std::string secret) {
  config::ContactChannel channel;
  channel.type = std::move(type);
  channel.address = std::move(address);
  channel.secret = std::move(secret);
  return channel;
}

config::Contact MakeContact(std::string id, std::vector<AreaCode> areas,
                            Severity min_severity = Severity::kInfo) {
  config::Contact c;
  c.id = std::move(id);
  c.name = c.id;
  c.areas = std::move(areas);
  c.min_severity = min_severity;
  c.channels.push_back(Channel("webhook", "https://hooks.example/" + c.id, "secret-" + c.id));
  return c;
}

Event MakeEvent(std::string id, AreaCode area, Severity severity) {
  Event e;
  e.report.id = std::move(id);
  e.report.text = "text";
  e.scored = true;
  e.area = std::move(area);
  e.severity = severity;
  e.categories = {"health", "panic"};
  return e;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tree = config::AreaTree::Parse(kAreasYaml, "inline");
    ASSERT_OK(tree);
    areas_ = std::move(*tree);
    alerts_cfg_.min_severity = Severity::kMedium;
  }

  std::vector<Alert> Plan(const std::vector<config::Contact>& contacts, const Event& event) {
    Router router(alerts_cfg_, contacts, areas_, ids_);
    return router.Plan(event, kNow);
  }

  static std::set<std::string> ContactIds(const std::vector<Alert>& alerts) {
    std::set<std::string> ids;
    for (const Alert& a : alerts) ids.insert(a.contact_id);
    return ids;
  }

  config::AreaTree areas_;
  config::AlertsConfig alerts_cfg_;
  ManualClock clock_{kNow};
  IdGenerator ids_{clock_};
};

TEST_F(RouterTest, OblastContactGetsRaionEventsOtherOblastDoesNot) {
  std::vector<config::Contact> contacts = {
      MakeContact("osh", {"KG-O"}), MakeContact("chui", {"KG-C"}),
      MakeContact("aravan", {"KG-O-ARAVAN"}), MakeContact("national", {"KG"})};
  auto alerts = Plan(contacts, MakeEvent("E1", "KG-O-ARAVAN", Severity::kHigh));
  EXPECT_EQ(ContactIds(alerts), (std::set<std::string>{"osh", "aravan", "national"}));

  alerts = Plan(contacts, MakeEvent("E2", "KG-O", Severity::kHigh));
  EXPECT_EQ(ContactIds(alerts), (std::set<std::string>{"osh", "national"}));
}

TEST_F(RouterTest, AlertFieldsArePopulated) {
  std::vector<config::Contact> contacts = {MakeContact("osh", {"KG-O"})};
  auto alerts = Plan(contacts, MakeEvent("E1", "KG-O-ARAVAN", Severity::kCritical));
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_TRUE(IsValidId(a.id));
  EXPECT_EQ(a.event_id, "E1");
  EXPECT_EQ(a.area, "KG-O-ARAVAN");
  EXPECT_EQ(a.severity, Severity::kCritical);
  EXPECT_EQ(a.categories, (std::vector<std::string>{"health", "panic"}));
  EXPECT_EQ(a.contact_id, "osh");
  EXPECT_EQ(a.channel, "webhook");
  EXPECT_EQ(a.target, "https://hooks.example/osh");
  EXPECT_EQ(a.state, DeliveryState::kPending);
  EXPECT_EQ(a.attempts, 0);
  EXPECT_EQ(a.created_at, kNow);
  EXPECT_EQ(a.next_attempt_at, kNow);
  EXPECT_EQ(a.delivered_at, 0);
  EXPECT_TRUE(a.last_error.empty());
}

TEST_F(RouterTest, GlobalMinimumSeverity) {
  std::vector<config::Contact> contacts = {MakeContact("osh", {"KG-O"}, Severity::kInfo)};
  EXPECT_TRUE(Plan(contacts, MakeEvent("E1", "KG-O", Severity::kLow)).empty());
  EXPECT_EQ(Plan(contacts, MakeEvent("E2", "KG-O", Severity::kMedium)).size(), 1u);
}

TEST_F(RouterTest, ContactMinimumSeverity) {
  std::vector<config::Contact> contacts = {MakeContact("picky", {"KG-O"}, Severity::kCritical),
                                           MakeContact("eager", {"KG-O"}, Severity::kMedium)};
  EXPECT_EQ(ContactIds(Plan(contacts, MakeEvent("E1", "KG-O", Severity::kHigh))),
            (std::set<std::string>{"eager"}));
  EXPECT_EQ(ContactIds(Plan(contacts, MakeEvent("E2", "KG-O", Severity::kCritical))),
            (std::set<std::string>{"picky", "eager"}));
}

TEST_F(RouterTest, EventWithoutAreaReachesOnlyRootSubscribers) {
  std::vector<config::Contact> contacts = {MakeContact("osh", {"KG-O"}),
                                           MakeContact("national", {"KG"})};
  auto alerts = Plan(contacts, MakeEvent("E1", "", Severity::kHigh));
  EXPECT_EQ(ContactIds(alerts), (std::set<std::string>{"national"}));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].area, "");
}

TEST_F(RouterTest, AreaAndAncestorDoNotDuplicate) {
  std::vector<config::Contact> contacts = {MakeContact("osh", {"KG-O-ARAVAN", "KG-O", "KG"})};
  EXPECT_EQ(Plan(contacts, MakeEvent("E1", "KG-O-ARAVAN", Severity::kHigh)).size(), 1u);
}

TEST_F(RouterTest, OneNotificationPerContactOnItsFirstUsableChannel) {
  config::Contact c = MakeContact("osh", {"KG-O"});
  c.channels.clear();
  c.channels.push_back(Channel("sms", "+996555000000", ""));  // sms is not configured here
  c.channels.push_back(Channel("webhook", "https://backup.example/hook", "s2"));
  c.channels.push_back(Channel("email", "akim@aravan.kg", ""));
  auto alerts = Plan({c}, MakeEvent("E1", "KG-O", Severity::kHigh));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].channel, "webhook");
  EXPECT_EQ(alerts[0].target, "https://backup.example/hook");
  EXPECT_EQ(alerts[0].channel_index, 1);
  EXPECT_EQ(alerts[0].group_key, "event:E1");
  EXPECT_EQ(alerts[0].event_ids, std::vector<std::string>{"E1"});
  EXPECT_EQ(alerts[0].sequence, 1);
  EXPECT_EQ(alerts[0].kind, AlertKind::kEvent);
  EXPECT_EQ(alerts[0].idempotency_key,
            Sha256Hex("event:E1\nosh\nwebhook\nhttps://backup.example/hook\n1").substr(0, 32));

  alerts_cfg_.channels.sms = config::SmsChannelConfig{};  // now sms is usable and preferred
  alerts = Plan({c}, MakeEvent("E1", "KG-O", Severity::kHigh));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].channel, "sms");
  EXPECT_EQ(alerts[0].channel_index, 0);
}

TEST_F(RouterTest, ContactWithoutUsableChannelIsReportedNotSkippedSilently) {
  config::Contact c = MakeContact("osh", {"KG-O"});
  c.channels = {Channel("telegram", "123456789", "")};  // telegram is not configured
  std::vector<std::string> unreachable;
  Router router(alerts_cfg_, {c}, areas_, ids_);
  EXPECT_TRUE(router.Plan(MakeEvent("E1", "KG-O", Severity::kHigh), kNow, &unreachable).empty());
  EXPECT_EQ(unreachable, std::vector<std::string>{"osh"});
}

TEST_F(RouterTest, CategoriesOfInterest) {
  config::Contact water = MakeContact("water", {"KG-O"});
  water.categories = {"water", "health"};
  config::Contact violence = MakeContact("violence", {"KG-O"});
  violence.categories = {"violence"};
  config::Contact all = MakeContact("all", {"KG-O"});
  EXPECT_EQ(ContactIds(Plan({water, violence, all}, MakeEvent("E1", "KG-O", Severity::kHigh))),
            (std::set<std::string>{"water", "all"}));  // the event is health + panic
}

TEST_F(RouterTest, QuietHoursDelayBelowCriticalOnly) {
  config::Contact sleepy = MakeContact("sleepy", {"KG-O"});
  sleepy.quiet_hours = config::QuietHours{22 * 60, 7 * 60};  // 22:00-07:00 Bishkek (UTC+6)
  Router router(alerts_cfg_, {sleepy}, areas_, ids_);
  const TimeMs end = 1'717'203'600'000;  // 2024-06-01T01:00:00Z = 07:00 in Bishkek
  // kNow = 2024-06-01T00:00:00Z = 06:00 in Bishkek: quiet until 07:00.
  auto held = router.Plan(MakeEvent("E1", "KG-O", Severity::kHigh), kNow);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].created_at, kNow);
  EXPECT_EQ(held[0].next_attempt_at, end);
  // 23:00 the evening before: quiet across midnight, until the same 07:00.
  auto evening = router.Plan(MakeEvent("E2", "KG-O", Severity::kHigh), kNow - 7 * 3'600'000);
  ASSERT_EQ(evening.size(), 1u);
  EXPECT_EQ(evening[0].next_attempt_at, end);
  // 09:00: not quiet.
  auto day = router.Plan(MakeEvent("E3", "KG-O", Severity::kHigh), kNow + 3 * 3'600'000);
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].next_attempt_at, kNow + 3 * 3'600'000);
  // Critical goes through.
  auto critical = router.Plan(MakeEvent("E4", "KG-O", Severity::kCritical), kNow);
  ASSERT_EQ(critical.size(), 1u);
  EXPECT_EQ(critical[0].next_attempt_at, kNow);
}

TEST_F(RouterTest, ContactsCanBeReplaced) {
  Router router(alerts_cfg_, {MakeContact("osh", {"KG-O"})}, areas_, ids_);
  EXPECT_EQ(router.Plan(MakeEvent("E1", "KG-O", Severity::kHigh), kNow).size(), 1u);
  router.SetContacts({MakeContact("osh", {"KG-O"}), MakeContact("osh2", {"KG"})});
  EXPECT_EQ(ContactIds(router.Plan(MakeEvent("E2", "KG-O", Severity::kHigh), kNow)),
            (std::set<std::string>{"osh", "osh2"}));
}

TEST_F(RouterTest, IdempotencyKeyIsDeterministic) {
  std::vector<config::Contact> contacts = {MakeContact("osh", {"KG-O"})};
  Event event = MakeEvent("01J0000000000000000000000E", "KG-O", Severity::kHigh);
  auto first = Plan(contacts, event);
  clock_.Advance(60'000);
  auto second = Plan(contacts, event);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(first[0].id, second[0].id);
  EXPECT_EQ(first[0].idempotency_key, second[0].idempotency_key);
  EXPECT_EQ(first[0].idempotency_key,
            NotificationKey("event:01J0000000000000000000000E", "osh", "webhook",
                            "https://hooks.example/osh", 1));
  EXPECT_EQ(first[0].idempotency_key.size(), 32u);
  EXPECT_NE(NotificationKey("g", "osh", "webhook", "u", 1),
            NotificationKey("g", "osh", "webhook", "u", 2));

  auto other = Plan(contacts, MakeEvent("01J0000000000000000000000F", "KG-O", Severity::kHigh));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_NE(other[0].idempotency_key, first[0].idempotency_key);
}

}  // namespace
}  // namespace sakchy::alerts
