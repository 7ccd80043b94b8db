// The alert outbox: updates, listing newest first with filters and paging, pending recovery.

#include "store_fixture.h"

namespace sakchy::storage::testing::alerts_test {
namespace {

std::vector<std::string> Ids(const std::vector<Alert>& alerts) {
  std::vector<std::string> ids;
  for (const auto& a : alerts) ids.push_back(a.id);
  return ids;
}

class AlertsTest : public StoreTest {
 protected:
  std::vector<Alert> List(AlertFilter filter, std::size_t limit, std::string_view before = "") {
    auto alerts = store_->ListAlerts(filter, limit, before);
    EXPECT_TRUE(alerts.has_value()) << alerts.error().ToString();
    return alerts.value_or(std::vector<Alert>{});
  }
};

TEST_F(AlertsTest, GetRoundTripsEveryField) {
  Alert a = MakeAlert("01HZX3V1Q6ZP8Y4C7M2N5K9T0B", DeliveryState::kFailed);
  a.severity = Severity::kCritical;
  a.categories = {"ethnic", "water"};
  a.attempts = 6;
  a.next_attempt_at = 1717243300000;
  a.delivered_at = 0;
  a.last_error = "connect: timeout after 10 s";
  ASSERT_OK(store_->UpdateAlerts({&a, 1}));
  auto got = store_->GetAlert(a.id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  const Alert& b = **got;
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.event_id, a.event_id);
  EXPECT_EQ(b.area, a.area);
  EXPECT_EQ(b.severity, a.severity);
  EXPECT_EQ(b.categories, a.categories);
  EXPECT_EQ(b.contact_id, a.contact_id);
  EXPECT_EQ(b.channel, a.channel);
  EXPECT_EQ(b.target, a.target);
  EXPECT_EQ(b.idempotency_key, a.idempotency_key);
  EXPECT_EQ(b.state, a.state);
  EXPECT_EQ(b.attempts, a.attempts);
  EXPECT_EQ(b.created_at, a.created_at);
  EXPECT_EQ(b.next_attempt_at, a.next_attempt_at);
  EXPECT_EQ(b.delivered_at, a.delivered_at);
  EXPECT_EQ(b.last_error, a.last_error);
  auto missing = store_->GetAlert("nope");
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(AlertsTest, ListNewestFirstWithPaging) {
  std::vector<Alert> alerts;
  for (int i = 0; i < 5; ++i) alerts.push_back(MakeAlert("ev" + std::to_string(i % 2)));
  ASSERT_OK(store_->UpdateAlerts(alerts));
  auto page1 = List({}, 2);
  EXPECT_EQ(Ids(page1), (std::vector<std::string>{alerts[4].id, alerts[3].id}));
  auto page2 = List({}, 2, page1.back().id);
  EXPECT_EQ(Ids(page2), (std::vector<std::string>{alerts[2].id, alerts[1].id}));
  auto page3 = List({}, 2, page2.back().id);
  EXPECT_EQ(Ids(page3), (std::vector<std::string>{alerts[0].id}));
  EXPECT_TRUE(List({}, 2, page3.back().id).empty());
  EXPECT_TRUE(List({}, 0).empty());
  // before_id need not exist: everything strictly older.
  auto before_mid = List({}, 10, alerts[2].id + "0");
  EXPECT_EQ(Ids(before_mid), (std::vector<std::string>{alerts[2].id, alerts[1].id, alerts[0].id}));
}

TEST_F(AlertsTest, FilterByStateAndEvent) {
  std::vector<Alert> alerts = {MakeAlert("evA"), MakeAlert("evB"), MakeAlert("evA"),
                               MakeAlert("evB"), MakeAlert("evA")};
  alerts[1].state = DeliveryState::kDelivered;
  alerts[2].state = DeliveryState::kFailed;
  alerts[4].state = DeliveryState::kDelivered;
  ASSERT_OK(store_->UpdateAlerts(alerts));

  EXPECT_EQ(Ids(List({DeliveryState::kPending, {}}, 10)),
            (std::vector<std::string>{alerts[3].id, alerts[0].id}));
  EXPECT_EQ(Ids(List({DeliveryState::kDelivered, {}}, 10)),
            (std::vector<std::string>{alerts[4].id, alerts[1].id}));
  EXPECT_EQ(Ids(List({DeliveryState::kFailed, {}}, 10)), (std::vector<std::string>{alerts[2].id}));
  EXPECT_EQ(Ids(List({{}, "evA"}, 10)),
            (std::vector<std::string>{alerts[4].id, alerts[2].id, alerts[0].id}));
  EXPECT_EQ(Ids(List({{}, "evA"}, 1, alerts[4].id)), (std::vector<std::string>{alerts[2].id}));
  EXPECT_EQ(Ids(List({DeliveryState::kDelivered, "evA"}, 10)),
            (std::vector<std::string>{alerts[4].id}));
  EXPECT_EQ(Ids(List({DeliveryState::kPending, {}}, 1, alerts[3].id)),
            (std::vector<std::string>{alerts[0].id}));
  EXPECT_TRUE(List({{}, "ev"}, 10).empty());  // a prefix of an event id is another event
  EXPECT_TRUE(List({{}, "evC"}, 10).empty());
}

TEST_F(AlertsTest, PendingAlertsFollowStateChanges) {
  std::vector<Alert> alerts = {MakeAlert("e1"), MakeAlert("e1"), MakeAlert("e2")};
  ScoredBatchItem item;
  item.event.report = MakeReport();
  item.alerts = alerts;
  ASSERT_OK(store_->CommitScored({&item, 1}));
  auto pending = store_->PendingAlerts();
  ASSERT_OK(pending);
  EXPECT_EQ(Ids(*pending), (std::vector<std::string>{alerts[0].id, alerts[1].id, alerts[2].id}));

  alerts[1].state = DeliveryState::kDelivered;
  alerts[1].delivered_at = clock_.NowMs();
  alerts[1].attempts = 1;
  alerts[2].state = DeliveryState::kFailed;
  alerts[2].last_error = "HTTP 410";
  ASSERT_OK(store_->UpdateAlerts(std::span<const Alert>(alerts).subspan(1)));
  pending = store_->PendingAlerts();
  ASSERT_OK(pending);
  EXPECT_EQ(Ids(*pending), (std::vector<std::string>{alerts[0].id}));

  // Back to pending (a retry scheduled by an operator) and across a restart.
  alerts[2].state = DeliveryState::kPending;
  ASSERT_OK(store_->UpdateAlerts({&alerts[2], 1}));
  Reopen();
  pending = store_->PendingAlerts();
  ASSERT_OK(pending);
  EXPECT_EQ(Ids(*pending), (std::vector<std::string>{alerts[0].id, alerts[2].id}));
  auto delivered = store_->GetAlert(alerts[1].id);
  ASSERT_OK(delivered);
  ASSERT_TRUE(delivered->has_value());
  EXPECT_EQ((*delivered)->state, DeliveryState::kDelivered);
  EXPECT_EQ((*delivered)->attempts, 1);
  EXPECT_EQ(Ids(List({}, 10)),
            (std::vector<std::string>{alerts[2].id, alerts[1].id, alerts[0].id}));
}

TEST_F(AlertsTest, IndexedByEveryEventAndByGroup) {
  Alert grouped = MakeAlert("ev1");
  grouped.event_ids = {"ev1", "ev2", "ev3"};
  grouped.group_key = "r0/area=KG-O";
  Alert other = MakeAlert("ev2");
  other.group_key = "event:ev2";
  other.kind = AlertKind::kSignal;
  other.contact_id = "duty";
  ASSERT_OK(store_->UpdateAlerts(std::vector<Alert>{grouped, other}));
  AlertFilter by_event;
  by_event.event_id = "ev3";
  EXPECT_EQ(Ids(List(by_event, 10)), std::vector<std::string>{grouped.id});
  by_event.event_id = "ev2";
  EXPECT_EQ(Ids(List(by_event, 10)), (std::vector<std::string>{other.id, grouped.id}));
  AlertFilter by_group;
  by_group.group_key = "r0/area=KG-O";
  EXPECT_EQ(Ids(List(by_group, 10)), std::vector<std::string>{grouped.id});
  AlertFilter by_kind;
  by_kind.kind = AlertKind::kSignal;
  EXPECT_EQ(Ids(List(by_kind, 10)), std::vector<std::string>{other.id});
  AlertFilter by_contact;
  by_contact.contact_id = "duty";
  EXPECT_EQ(Ids(List(by_contact, 10)), std::vector<std::string>{other.id});
  Alert signal = MakeAlert("ev3");
  signal.subject_id = "C7";
  ASSERT_OK(store_->UpdateAlerts({&signal, 1}));
  AlertFilter by_subject;
  by_subject.subject_id = "C7";
  EXPECT_EQ(Ids(List(by_subject, 10)), std::vector<std::string>{signal.id});
}

TEST_F(AlertsTest, RecordsAreWrittenWithTheAlerts) {
  Alert a = MakeAlert("ev1", DeliveryState::kDelivered);
  std::vector<RecordWrite> records{{"alert_groups", "g1", std::string("state")}};
  ASSERT_OK(store_->UpdateAlerts({&a, 1}, records));
  auto got = store_->GetRecord("alert_groups", "g1");
  ASSERT_OK(got);
  EXPECT_EQ(got->value_or(""), "state");
  // A bad table name refuses the whole write: the alert is not stored either.
  Alert b = MakeAlert("ev1");
  std::vector<RecordWrite> bad{{"Bad Table", "k", std::string("v")}};
  auto st = store_->UpdateAlerts({&b, 1}, bad);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  auto missing = store_->GetAlert(b.id);
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(AlertsTest, EmptyIdRejected) {
  Alert a = MakeAlert("e");
  a.id.clear();
  auto st = store_->UpdateAlerts({&a, 1});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sakchy::storage::testing::alerts_test
