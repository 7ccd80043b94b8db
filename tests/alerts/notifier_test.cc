// Routing table tests: the route tree over the area hierarchy, grouping (group_wait /
// group_interval / repeat_interval), dedup until something changes, silences, rate limit with a
// digest, inhibition and state restore, all with an injected time.

#include "alerts/notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "testutil/testutil.h"

namespace sakchy::alerts::notifier_test {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kAreasYaml[] = R"(areas:
  - {code: "KG", parent: "", level: country}
  - {code: "KG-O", parent: "KG", level: oblast}
  - {code: "KG-O-ARAVAN", parent: "KG-O", level: raion}
  - {code: "KG-O-ARAVAN-X", parent: "KG-O-ARAVAN", level: aiyl_aimak}
  - {code: "KG-C", parent: "KG", level: oblast}
)";

constexpr TimeMs kT0 = 1'717'243'200'000;  // 2024-06-01T12:00:00Z (18:00 in Bishkek)
constexpr TimeMs kSec = 1000;
constexpr TimeMs kMin = 60 * kSec;
constexpr TimeMs kHour = 60 * kMin;

config::Contact Contact(std::string id, std::vector<AreaCode> areas, std::string role = "") {
  config::Contact c;
  c.id = std::move(id);
  c.role = std::move(role);
  c.areas = std::move(areas);
  config::ContactChannel ch;
  ch.type = "webhook";
  ch.address = "https://hooks.example/" + c.id;
  ch.secret = "s";
  c.channels.push_back(ch);
  return c;
}

RoutingInput RoutingEvent(std::string id, AreaCode area, Severity severity,
                   std::vector<std::string> categories = {"violence"},
                   std::string source = "monitor-1") {
  RoutingInput in;
  in.kind = AlertKind::kEvent;
  in.key = id;
  in.event_ids = {id};
  in.area = std::move(area);
  in.severity = severity;
  in.categories = std::move(categories);
  in.source = std::move(source);
  return in;
}

std::set<std::string> Who(const std::vector<Decision>& decisions) {
  std::set<std::string> out;
  for (const auto& d : decisions) out.insert(d.contact_id);
  return out;
}

std::vector<std::string> Reasons(const std::vector<Decision>& decisions) {
  std::vector<std::string> out;
  for (const auto& d : decisions) out.push_back(d.contact_id + ":" + d.reason);
  return out;
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tree = config::AreaTree::Parse(kAreasYaml, "inline");
    ASSERT_OK(tree);
    areas_ = std::make_unique<config::AreaTree>(std::move(*tree));
    cfg_.route.id = "root";
    contacts_ = {Contact("aravan", {"KG-O-ARAVAN"}), Contact("osh", {"KG-O"}, "analyst_on_duty"),
                 Contact("national", {"KG"}, "analyst_on_duty"), Contact("chui", {"KG-C"})};
  }
  Notifier& Make() {
    notifier_ = std::make_unique<Notifier>(cfg_, *areas_);
    notifier_->SetContacts(contacts_);
    return *notifier_;
  }
  // Adds at `at` and returns what is due then.
  std::vector<Decision> AddAndTick(const RoutingInput& in, TimeMs at) {
    notifier_->Add(in, at);
    return notifier_->Tick(at).notifications;
  }

  std::unique_ptr<config::AreaTree> areas_;
  config::AlertsConfig cfg_;
  std::vector<config::Contact> contacts_;
  std::unique_ptr<Notifier> notifier_;
};

TEST_F(NotifierTest, HigherSeveritiesReachParentAreas) {
  Make();
  // Defaults: ancestors one level up need high, further up critical.
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kMedium), kT0)),
            (std::set<std::string>{"aravan"}));
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kHigh), kT0)),
            (std::set<std::string>{"aravan", "osh"}));
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E3", "KG-O-ARAVAN", Severity::kCritical), kT0)),
            (std::set<std::string>{"aravan", "osh", "national"}));
  // Two levels below the oblast: the oblast needs critical.
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E4", "KG-O-ARAVAN-X", Severity::kHigh), kT0)),
            (std::set<std::string>{"aravan"}));
  // Unknown area: only the country's contacts.
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E5", "", Severity::kMedium), kT0)),
            (std::set<std::string>{"national"}));
  // Configured differently: every ancestor hears medium.
  cfg_.route.parent_min_severity = std::vector<Severity>{};
  Make();
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E6", "KG-O-ARAVAN-X", Severity::kMedium), kT0)),
            (std::set<std::string>{"aravan", "osh", "national"}));
}

TEST_F(NotifierTest, RouteTreeMatchersContinueAndExplicitContacts) {
  contacts_.push_back(Contact("police", {"KG"}, "police_liaison"));
  config::RouteConfig violence;
  violence.id = "root.0";
  violence.match.categories = {"violence"};
  violence.contacts = {"police"};
  violence.continue_matching = true;
  config::RouteConfig osh;
  osh.id = "root.1";
  osh.match.areas = {"KG-O"};
  osh.match.min_severity = Severity::kHigh;
  osh.roles = {"analyst_on_duty"};
  cfg_.route.routes = {violence, osh};
  Make();
  // Violence in Osh: the police route, and (continue) the Osh duty route; no root delivery.
  auto d = AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  EXPECT_EQ(Who(d), (std::set<std::string>{"police", "osh"}));
  std::set<std::string> routes;
  for (const auto& x : d) routes.insert(x.route_id);
  EXPECT_EQ(routes, (std::set<std::string>{"root.0", "root.1"}));
  // Violence elsewhere: only the police route matches.
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E2", "KG-C", Severity::kHigh), kT0)),
            (std::set<std::string>{"police"}));
  // No child matches: the root takes it (area contacts).
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E3", "KG-C", Severity::kHigh, {"rumour_marker"}), kT0)),
            (std::set<std::string>{"chui", "national", "police"}));
  // Below the Osh route's min_severity: not Osh duty but the root route.
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E4", "KG-O-ARAVAN", Severity::kMedium, {"rumour_marker"}), kT0)),
            (std::set<std::string>{"aravan"}));
}

TEST_F(NotifierTest, OneNotificationPerRecipientAndGroupUntilSomethingChanges) {
  cfg_.route.group_by = std::vector<std::string>{"area", "category"};
  cfg_.route.group_wait_ms = 30 * kSec;
  cfg_.route.group_interval_ms = 5 * kMin;
  cfg_.route.repeat_interval_ms = 1 * kHour;
  Make();
  auto& n = *notifier_;
  // group_wait: nothing at once; one notification after 30 s.
  EXPECT_TRUE(AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kMedium), kT0).empty());
  EXPECT_EQ(n.NextDue(), kT0 + 30 * kSec);
  auto first = n.Tick(kT0 + 30 * kSec).notifications;
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].contact_id, "aravan");
  EXPECT_EQ(first[0].reason, "new");
  EXPECT_EQ(first[0].sequence, 1);
  EXPECT_EQ(first[0].group_key, "root/area=KG-O-ARAVAN,category=violence");
  // The same source again: no change, no notification (dedup).
  EXPECT_TRUE(AddAndTick(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kMedium), kT0 + 40 * kSec).empty());
  // A second source: changed, but not before group_interval after the last notification.
  n.Add(RoutingEvent("E3", "KG-O-ARAVAN", Severity::kMedium, {"violence"}, "monitor-2"), kT0 + 2 * kMin);
  EXPECT_TRUE(n.Tick(kT0 + 5 * kMin + 29 * kSec).notifications.empty());
  auto changed = n.Tick(kT0 + 5 * kMin + 30 * kSec).notifications;
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].reason, "changed");
  EXPECT_EQ(changed[0].sequence, 2);
  EXPECT_EQ(changed[0].events, 3);
  EXPECT_EQ(changed[0].sources, 2);
  EXPECT_THAT(changed[0].event_ids, ElementsAre("E1", "E2", "E3"));
  // Nothing new for an hour: a repeat (unacknowledged).
  EXPECT_TRUE(n.Tick(kT0 + 5 * kMin + 30 * kSec + kHour - 1).notifications.empty());
  auto repeat = n.Tick(kT0 + 5 * kMin + 30 * kSec + kHour).notifications;
  ASSERT_EQ(repeat.size(), 1u);
  EXPECT_EQ(repeat[0].reason, "repeat");
  EXPECT_EQ(repeat[0].sequence, 3);
  // Acknowledged: no more repeats; a higher severity still notifies (something changed).
  n.Acknowledge(repeat[0].group_key, kT0 + 2 * kHour);
  EXPECT_TRUE(n.Tick(kT0 + 5 * kHour).notifications.empty());
  auto higher = AddAndTick(RoutingEvent("E4", "KG-O-ARAVAN", Severity::kHigh), kT0 + 5 * kHour);
  EXPECT_THAT(Reasons(higher), UnorderedElementsAre("aravan:changed", "osh:new"));
  // A different category is another group.
  EXPECT_EQ(n.group_count(), 1u);
  n.Add(RoutingEvent("E5", "KG-O-ARAVAN", Severity::kMedium, {"hate"}), kT0 + 5 * kHour);
  EXPECT_EQ(n.group_count(), 2u);
}

TEST_F(NotifierTest, PerEventGroupsByDefaultAndNoDoubleNotification) {
  Make();
  auto d = AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kMedium), kT0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].group_key, "root/event=E1");
  EXPECT_TRUE(AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kMedium), kT0 + kSec).empty());
  EXPECT_EQ(AddAndTick(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kMedium), kT0 + kSec).size(), 1u);
}

TEST_F(NotifierTest, SilencesHoldNotificationsUntilTheyEnd) {
  Make();
  Silence s;
  s.id = "S1";
  s.areas = {"KG-O"};
  s.starts_at = kT0;
  s.ends_at = kT0 + kHour;
  notifier_->SetSilences({s});
  TickResult r;
  notifier_->Add(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0 + kMin);
  r = notifier_->Tick(kT0 + kMin);
  EXPECT_TRUE(r.notifications.empty());
  EXPECT_EQ(r.silenced, 2);  // aravan and osh
  auto g = notifier_->Group("root/event=E1");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->silenced_by, "S1");
  // Elsewhere: not silenced.
  EXPECT_EQ(Who(AddAndTick(RoutingEvent("E2", "KG-C", Severity::kHigh), kT0 + kMin)),
            (std::set<std::string>{"chui", "national"}));
  // A category silence does not touch other categories.
  s.areas.clear();
  s.categories = {"hate"};
  Silence area_silence = s;
  area_silence.id = "S1";
  area_silence.areas = {"KG-O"};
  area_silence.categories.clear();
  Silence hate = s;
  hate.id = "S2";
  notifier_->SetSilences({area_silence, hate});
  EXPECT_TRUE(AddAndTick(RoutingEvent("E3", "KG-C", Severity::kHigh, {"hate"}), kT0 + 2 * kMin).empty());
  // When the silence is over, the held group notifies.
  EXPECT_EQ(notifier_->NextDue(), kT0 + kHour);
  auto after = notifier_->Tick(kT0 + kHour).notifications;
  EXPECT_THAT(Reasons(after),
              UnorderedElementsAre("aravan:new", "osh:new", "chui:new", "national:new"));
}

TEST_F(NotifierTest, RateLimitHoldsForADigestNeverDrops) {
  cfg_.rate_limit.max = 2;
  cfg_.rate_limit.per_ms = kHour;
  Make();
  int sent = 0;
  TickResult total;
  for (int i = 0; i < 5; ++i) {
    notifier_->Add(RoutingEvent("E" + std::to_string(i), "KG-O-ARAVAN", Severity::kMedium), kT0 + i * kMin);
    TickResult r = notifier_->Tick(kT0 + i * kMin);
    sent += static_cast<int>(r.notifications.size());
    total.held += r.held;
  }
  EXPECT_EQ(sent, 2);
  EXPECT_EQ(total.held, 3);
  // Critical goes through the limit.
  EXPECT_EQ(AddAndTick(RoutingEvent("C1", "KG-O-ARAVAN", Severity::kCritical), kT0 + 10 * kMin).size(), 3u);
  // At the end of the window: one digest listing the three held ones.
  EXPECT_TRUE(notifier_->Tick(kT0 + kHour - 1).notifications.empty());
  auto digest = notifier_->Tick(kT0 + kHour).notifications;
  ASSERT_EQ(digest.size(), 1u);
  EXPECT_EQ(digest[0].kind, AlertKind::kDigest);
  EXPECT_EQ(digest[0].contact_id, "aravan");
  EXPECT_EQ(digest[0].reason, "digest");
  ASSERT_EQ(digest[0].digest.size(), 3u);
  EXPECT_EQ(digest[0].digest[0].group_key, "root/event=E2");
  EXPECT_THAT(digest[0].event_ids, ElementsAre("E2", "E3", "E4"));
  // A new window: notifications flow again.
  EXPECT_EQ(AddAndTick(RoutingEvent("E9", "KG-O-ARAVAN", Severity::kMedium), kT0 + kHour + 1).size(), 1u);
}

TEST_F(NotifierTest, ClusterAlertInhibitsItsMemberEvents) {
  cfg_.route.group_wait_ms = 30 * kSec;
  Make();
  notifier_->Add(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  notifier_->Add(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kHigh), kT0);
  notifier_->Add(RoutingEvent("E3", "KG-O-ARAVAN", Severity::kHigh), kT0);
  EXPECT_THAT(notifier_->Inhibit({"E1", "E2"}, "cluster:C1", kT0 + kSec), ElementsAre("E1", "E2"));
  auto d = notifier_->Tick(kT0 + 30 * kSec).notifications;
  std::set<std::string> groups;
  for (const auto& x : d) groups.insert(x.group_key);
  EXPECT_EQ(groups, (std::set<std::string>{"root/event=E3"}));
  EXPECT_TRUE(notifier_->IsInhibited("E1"));
  auto late = notifier_->Add(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kHigh), kT0 + kMin);
  EXPECT_TRUE(late.inhibited);
  EXPECT_TRUE(late.groups.empty());
}

TEST_F(NotifierTest, QuietHoursGiveANotBeforeTime) {
  contacts_[0].quiet_hours = config::QuietHours{17 * 60, 19 * 60};  // 17:00-19:00 Bishkek
  Make();
  auto d = AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);  // 18:00 Bishkek
  ASSERT_EQ(d.size(), 2u);
  for (const auto& x : d) {
    EXPECT_EQ(x.not_before, x.contact_id == "aravan" ? kT0 + kHour : kT0) << x.contact_id;
  }
  auto critical = AddAndTick(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kCritical), kT0);
  for (const auto& x : critical) EXPECT_EQ(x.not_before, kT0);
}

TEST_F(NotifierTest, UnreachableContactsAreReported) {
  contacts_[0].channels[0].type = "sms";  // not configured
  Make();
  auto outcome = notifier_->Add(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  EXPECT_THAT(outcome.unreachable, ElementsAre("aravan"));
  EXPECT_EQ(Who(notifier_->Tick(kT0).notifications), (std::set<std::string>{"osh"}));
}

TEST_F(NotifierTest, StateSurvivesARestart) {
  cfg_.route.group_by = std::vector<std::string>{"area"};
  cfg_.route.repeat_interval_ms = kHour;
  cfg_.rate_limit.max = 1;
  cfg_.rate_limit.per_ms = 2 * kHour;
  Make();
  ASSERT_EQ(AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kMedium), kT0).size(), 1u);
  EXPECT_TRUE(AddAndTick(RoutingEvent("E2", "KG-C", Severity::kMedium, {"violence"}), kT0).size() == 1u);
  auto writes = notifier_->TakeDirty();
  std::vector<storage::Record> groups, rates, inhibited;
  for (const auto& w : writes) {
    ASSERT_TRUE(w.value.has_value());
    (w.table == kGroupsTable ? groups : w.table == kRatesTable ? rates : inhibited)
        .push_back({w.key, *w.value});
  }
  EXPECT_EQ(groups.size(), 2u);
  Make();
  EXPECT_TRUE(notifier_->Restore(groups, rates, inhibited, kT0 + kMin).empty());
  // Known group: the same source again is no change.
  EXPECT_TRUE(AddAndTick(RoutingEvent("E3", "KG-O-ARAVAN", Severity::kMedium), kT0 + 10 * kMin).empty());
  // The repeats are still scheduled; the rate windows still count (max 1: held for digests).
  TickResult r = notifier_->Tick(kT0 + kHour);
  EXPECT_EQ(r.held, 2);  // both groups repeat; both recipients used their one
  auto group = notifier_->Group("root/area=KG-O-ARAVAN");
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(group->recipients.at("aravan").sequence, 2);
  EXPECT_EQ(notifier_->Restore({{"k", "not json"}}, {}, {}, kT0).size(), 1u);
}

}  // namespace
}  // namespace sakchy::alerts::notifier_test

namespace sakchy::alerts::notifier_test {
namespace {

class EscalationTest : public NotifierTest {
 protected:
  void SetUp() override {
    NotifierTest::SetUp();
    cfg_.route.parent_min_severity = std::vector<Severity>{Severity::kCritical};
    config::EscalationConfig e;
    e.after_ms = 15 * kMin;
    e.max_steps = 2;
    e.min_severity = Severity::kHigh;
    e.roles = {"analyst_on_duty"};
    cfg_.route.escalation = e;
  }
};

TEST_F(EscalationTest, UnacknowledgedGroupsClimbTheHierarchyUpToMaxSteps) {
  Make();
  auto first = AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  EXPECT_EQ(Who(first), (std::set<std::string>{"aravan"}));
  EXPECT_EQ(notifier_->NextDue(), kT0 + 15 * kMin);
  EXPECT_TRUE(notifier_->Tick(kT0 + 15 * kMin - 1).notifications.empty());
  TickResult step1 = notifier_->Tick(kT0 + 15 * kMin);
  ASSERT_EQ(step1.notifications.size(), 1u);
  EXPECT_EQ(step1.notifications[0].contact_id, "osh");  // raion -> oblast duty
  EXPECT_EQ(step1.notifications[0].reason, "escalation");
  EXPECT_EQ(step1.notifications[0].escalation_step, 1);
  EXPECT_EQ(step1.notifications[0].group_key, first[0].group_key);
  ASSERT_EQ(step1.escalations.size(), 1u);
  EXPECT_EQ(step1.escalations[0].step, 1);
  EXPECT_THAT(step1.escalations[0].contacts, ElementsAre("osh"));
  TickResult step2 = notifier_->Tick(kT0 + 30 * kMin);
  EXPECT_EQ(Who(step2.notifications), (std::set<std::string>{"national"}));  // oblast -> national
  EXPECT_EQ(step2.notifications[0].escalation_step, 2);
  // max_steps reached: no more.
  EXPECT_TRUE(notifier_->Tick(kT0 + 2 * kHour).escalations.empty());
  auto g = notifier_->Group(first[0].group_key);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->escalation_step, 2);
  EXPECT_EQ(g->recipients.at("national").step, 2);
}

TEST_F(EscalationTest, AcknowledgementStopsTheChain) {
  Make();
  auto first = AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  ASSERT_EQ(notifier_->Tick(kT0 + 15 * kMin).notifications.size(), 1u);
  notifier_->Acknowledge(first[0].group_key, kT0 + 20 * kMin);
  TickResult later = notifier_->Tick(kT0 + 3 * kHour);
  EXPECT_TRUE(later.notifications.empty());
  EXPECT_TRUE(later.escalations.empty());
  // Acknowledged before the first step: no escalation at all.
  auto second = AddAndTick(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kHigh), kT0 + 4 * kHour);
  notifier_->Acknowledge(second[0].group_key, kT0 + 4 * kHour + kMin);
  EXPECT_TRUE(notifier_->Tick(kT0 + 5 * kHour).escalations.empty());
}

TEST_F(EscalationTest, OnlyFromItsMinimumSeverityAndExplicitSteps) {
  Make();
  AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kMedium), kT0);
  EXPECT_TRUE(notifier_->Tick(kT0 + kHour).escalations.empty());

  cfg_.route.escalation->steps = {{"chui"}, {"national"}};
  cfg_.route.escalation->roles.clear();
  Make();
  AddAndTick(RoutingEvent("E2", "KG-O-ARAVAN", Severity::kHigh), kT0);
  EXPECT_EQ(Who(notifier_->Tick(kT0 + 15 * kMin).notifications), (std::set<std::string>{"chui"}));
  EXPECT_EQ(Who(notifier_->Tick(kT0 + 30 * kMin).notifications),
            (std::set<std::string>{"national"}));
}

TEST_F(EscalationTest, NobodyLeftToEscalateToIsReported) {
  contacts_ = {Contact("aravan", {"KG-O-ARAVAN"})};
  Make();
  AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  TickResult r = notifier_->Tick(kT0 + 15 * kMin);
  ASSERT_EQ(r.escalations.size(), 1u);
  EXPECT_TRUE(r.escalations[0].contacts.empty());
  EXPECT_TRUE(notifier_->Tick(kT0 + 30 * kMin).escalations.empty());  // the chain ended
}

TEST_F(EscalationTest, EscalationStateSurvivesARestart) {
  Make();
  auto first = AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  std::vector<storage::Record> groups;
  for (const auto& w : notifier_->TakeDirty()) {
    if (w.table == kGroupsTable && w.value) groups.push_back({w.key, *w.value});
  }
  Make();
  notifier_->Restore(groups, {}, {}, kT0 + kMin);
  EXPECT_EQ(Who(notifier_->Tick(kT0 + 15 * kMin).notifications), (std::set<std::string>{"osh"}));
}

}  // namespace
}  // namespace sakchy::alerts::notifier_test

namespace sakchy::alerts::notifier_test {
namespace {

TEST_F(NotifierTest, SignalsFormOneGroupPerClusterApartFromEvents) {
  cfg_.route.group_by = std::vector<std::string>{"area"};
  Make();
  AddAndTick(RoutingEvent("E1", "KG-O-ARAVAN", Severity::kHigh), kT0);
  RoutingInput s;
  s.kind = AlertKind::kSignal;
  s.key = "cluster:C1";
  s.subject = "C1";
  s.event_ids = {"E1"};
  s.area = "KG-O-ARAVAN";
  s.severity = Severity::kHigh;
  s.sources = 3;
  auto d = AddAndTick(s, kT0 + kMin);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].group_key, "root/area=KG-O-ARAVAN,signal=cluster:C1");
  EXPECT_EQ(d[0].kind, AlertKind::kSignal);
  EXPECT_EQ(d[0].sources, 3);
  // More sources: changed; the same count again: nothing.
  s.sources = 5;
  EXPECT_EQ(AddAndTick(s, kT0 + 10 * kMin).size(), 2u);
  EXPECT_TRUE(AddAndTick(s, kT0 + 20 * kMin).empty());
  // The verdict resolves it: no reminders.
  EXPECT_EQ(notifier_->Resolve("C1", kT0 + 30 * kMin), 1);
  EXPECT_TRUE(notifier_->Tick(kT0 + 10 * kHour).notifications.empty() ||
              notifier_->Group("root/area=KG-O-ARAVAN,signal=cluster:C1")->acked);
}

TEST_F(NotifierTest, SpreadFiguresTravelWithTheSignalGroupAndSurviveARestart) {
  Make();
  RoutingInput s;
  s.kind = AlertKind::kSignal;
  s.key = "cluster:C7";
  s.subject = "C7";
  s.area = "KG-O-ARAVAN";
  s.severity = Severity::kHigh;
  s.sources = 5;
  s.spread = SpreadWhy{5, 1, 90 * kSec, SpreadTrend::kAccelerating, {"KG-O-ARAVAN"}};
  auto d = AddAndTick(s, kT0);
  ASSERT_FALSE(d.empty());
  ASSERT_TRUE(d[0].spread.has_value());
  EXPECT_EQ(d[0].spread->people, 5);
  EXPECT_EQ(d[0].spread->public_sources, 1);
  EXPECT_EQ(d[0].spread->trend, SpreadTrend::kAccelerating);
  std::vector<storage::Record> groups;
  for (const auto& w : notifier_->TakeDirty()) {
    if (w.table == kGroupsTable && w.value) groups.push_back({w.key, *w.value});
  }
  Make();
  EXPECT_TRUE(notifier_->Restore(groups, {}, {}, kT0 + kMin).empty());
  // More sources from an input without figures: the group notifies with those it kept.
  s.sources = 10;
  s.spread.reset();
  auto again = AddAndTick(s, kT0 + 10 * kMin);
  ASSERT_FALSE(again.empty());
  ASSERT_TRUE(again[0].spread.has_value());
  EXPECT_EQ(again[0].spread->people, 5);
  EXPECT_EQ(again[0].spread->span_ms, 90 * kSec);
  EXPECT_EQ(again[0].spread->new_areas, std::vector<AreaCode>{"KG-O-ARAVAN"});
}

TEST_F(NotifierTest, AGroupClosesResolveAfterItsLastInputWithOneScheduledCheck) {
  cfg_.route.group_by = std::vector<std::string>{"area"};
  cfg_.route.repeat_interval_ms = 100 * kHour;  // no reminders in this test
  cfg_.resolve_after_ms = 24 * kHour;
  Make();
  auto& n = *notifier_;
  ASSERT_EQ(AddAndTick(RoutingEvent("E0", "KG-O-ARAVAN", Severity::kMedium), kT0).size(), 1u);
  const std::size_t scheduled = n.scheduled_count();
  // Thousands of inputs into the same group do not grow the schedule (each added an entry once).
  for (int i = 1; i <= 5000; ++i) {
    n.Add(RoutingEvent("E" + std::to_string(i), "KG-O-ARAVAN", Severity::kMedium), kT0 + 10 * kHour);
  }
  EXPECT_LE(n.scheduled_count(), scheduled + 2);
  // Still open 24 h after the first input (the last came at 10 h), closed 24 h after the last.
  n.Tick(kT0 + 24 * kHour);
  EXPECT_EQ(n.group_count(), 1u);
  n.Tick(kT0 + 34 * kHour - 1);
  EXPECT_EQ(n.group_count(), 1u);
  n.Tick(kT0 + 34 * kHour);
  EXPECT_EQ(n.group_count(), 0u);
  EXPECT_LE(n.scheduled_count(), scheduled + 2);  // a closed group's later entries pass unused
  // A new input after the close opens a new group, notified as new.
  auto again = AddAndTick(RoutingEvent("E9", "KG-O-ARAVAN", Severity::kMedium), kT0 + 35 * kHour);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].reason, "new");
}

TEST_F(NotifierTest, AFloodOfAlertsStaysWithinMaxOpenGroupsClosingTheOldestNotifiedFirst) {
  cfg_.route.group_wait_ms = kMin;
  cfg_.max_open_groups = 100;
  Make();
  auto& n = *notifier_;
  // 100 per-event groups, notified.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(n.Add(RoutingEvent("E" + std::to_string(i), "KG-O-ARAVAN", Severity::kMedium),
                    kT0 + i * kSec).closed_for_capacity, 0u);
  }
  EXPECT_EQ(n.Tick(kT0 + 5 * kMin).notifications.size(), 100u);
  // Two more, not notified yet (group_wait): the two oldest notified groups close for them.
  std::size_t closed = 0;
  closed += n.Add(RoutingEvent("N1", "KG-O-ARAVAN", Severity::kMedium), kT0 + 10 * kMin).closed_for_capacity;
  closed += n.Add(RoutingEvent("N2", "KG-O-ARAVAN", Severity::kMedium), kT0 + 10 * kMin).closed_for_capacity;
  EXPECT_EQ(closed, 2u);
  EXPECT_EQ(n.group_count(), 100u);
  EXPECT_FALSE(n.Group("root/event=E0").has_value());
  EXPECT_FALSE(n.Group("root/event=E1").has_value());
  EXPECT_TRUE(n.Group("root/event=E2").has_value());
  // The new groups were kept and notify when their group_wait is over.
  std::set<std::string> keys;
  for (const auto& d : n.Tick(kT0 + 11 * kMin).notifications) keys.insert(d.group_key);
  EXPECT_EQ(keys, (std::set<std::string>{"root/event=N1", "root/event=N2"}));
  // A flood: the count stays within the capacity, the newest groups stay.
  for (int i = 0; i < 1000; ++i) {
    n.Add(RoutingEvent("F" + std::to_string(i), "KG-O-ARAVAN", Severity::kMedium), kT0 + kHour + i);
    ASSERT_LE(n.group_count(), 100u);
  }
  EXPECT_TRUE(n.Group("root/event=F999").has_value());
  // The closed groups' entries do not pile up in the schedule either.
  for (int i = 0; i < 5000; ++i) {
    n.Add(RoutingEvent("G" + std::to_string(i), "KG-O-ARAVAN", Severity::kMedium), kT0 + 2 * kHour + i);
  }
  EXPECT_LE(n.scheduled_count(), 4 * n.group_count() + 1024);
}

}  // namespace
}  // namespace sakchy::alerts::notifier_test
