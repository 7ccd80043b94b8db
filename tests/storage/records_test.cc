// Records in named tables (the storage of the modules above) and the audit log built on them.

#include "storage/audit.h"
#include "store_fixture.h"

namespace sakchy::storage::testing::records_test {
namespace {

class RecordsTest : public StoreTest {
 protected:
  static AuditFilter Filter(std::optional<std::string> action_prefix,
                            std::optional<std::string> subject, std::optional<std::string> actor) {
    AuditFilter f;
    f.action_prefix = std::move(action_prefix);
    f.subject = std::move(subject);
    f.actor = std::move(actor);
    return f;
  }
  void Put(std::string table, std::string key, std::string value) {
    RecordWrite w{std::move(table), std::move(key), std::move(value)};
    ASSERT_OK(store_->WriteRecords({&w, 1}));
  }
  static RecordScan Scan(std::string prefix = "", std::string after = "", bool reverse = false,
                         std::size_t limit = 100) {
    RecordScan scan;
    scan.prefix = std::move(prefix);
    scan.start_after = std::move(after);
    scan.reverse = reverse;
    scan.limit = limit;
    return scan;
  }
  std::vector<std::string> Keys(std::string_view table, RecordScan scan) {
    auto records = store_->ScanRecords(table, scan);
    EXPECT_TRUE(records.has_value()) << records.error().ToString();
    std::vector<std::string> keys;
    for (const auto& r : records.value_or(std::vector<Record>{})) keys.push_back(r.key);
    return keys;
  }
};

TEST_F(RecordsTest, PutGetDeleteSurviveReopen) {
  Put("contacts", "a", "1");
  Put("contacts", "b", "2");
  Put("silences", "a", "other table");
  RecordWrite del{"contacts", "b", std::nullopt};
  ASSERT_OK(store_->WriteRecords({&del, 1}));
  Reopen();
  auto a = store_->GetRecord("contacts", "a");
  ASSERT_OK(a);
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ(**a, "1");
  auto b = store_->GetRecord("contacts", "b");
  ASSERT_OK(b);
  EXPECT_FALSE(b->has_value());
  auto other = store_->GetRecord("silences", "a");
  ASSERT_OK(other);
  EXPECT_EQ(other->value_or(""), "other table");
}

TEST_F(RecordsTest, ScanIsBoundedToTableAndPrefixBothWays) {
  Put("t", "a1", "");
  Put("t", "a2", "");
  Put("t", "a3", "");
  Put("t", "b1", "");
  Put("t.x", "a0", "");  // a table whose name extends "t" must not leak in
  Put("tt", "a0", "");
  EXPECT_EQ(Keys("t", Scan()), (std::vector<std::string>{"a1", "a2", "a3", "b1"}));
  EXPECT_EQ(Keys("t", Scan("a")), (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(Keys("t", Scan("a", "", true)),
            (std::vector<std::string>{"a3", "a2", "a1"}));
  EXPECT_EQ(Keys("t", Scan("a", "a1", false, 1)),
            (std::vector<std::string>{"a2"}));
  EXPECT_EQ(Keys("t", Scan("a", "a3", true)),
            (std::vector<std::string>{"a2", "a1"}));
  EXPECT_EQ(Keys("t", Scan("", "b1")), std::vector<std::string>{});
  EXPECT_EQ(Keys("t", Scan("", "", false, 0)), std::vector<std::string>{});
}

TEST_F(RecordsTest, KeysWithHighBytesAndEmptyPrefixEnds) {
  Put("t", std::string("\xff\xff", 2), "x");
  Put("t", std::string("\xff", 1), "y");
  Put("u", "a", "z");
  EXPECT_EQ(Keys("t", Scan()).size(), 2u);
  EXPECT_EQ(Keys("t", Scan(std::string("\xff", 1))).size(), 2u);
  EXPECT_EQ(Keys("t", Scan("", "", true)).front(), std::string("\xff\xff", 2));
}

TEST_F(RecordsTest, InvalidTableNamesAreRefusedAndNothingIsWritten) {
  std::vector<RecordWrite> writes = {{"good", "k", "v"}, {"Bad Name", "k", "v"}};
  auto st = store_->WriteRecords(writes);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("Bad Name"), std::string::npos);
  auto good = store_->GetRecord("good", "k");
  ASSERT_OK(good);
  EXPECT_FALSE(good->has_value());
  EXPECT_FALSE(store_->GetRecord("", "k"));
  EXPECT_FALSE(store_->ScanRecords(std::string(65, 'a'), {}));
}

TEST_F(RecordsTest, RecordsCommitAtomicallyWithScoredEvents) {
  Report r = MakeReport();
  ASSERT_OK(store_->AppendReports({&r, 1}));
  ScoredBatchItem item;
  item.event.report = r;
  item.event.scored = true;
  item.records.push_back({"clusters", "c1", "state"});
  ASSERT_OK(store_->CommitScored({&item, 1}));
  auto c = store_->GetRecord("clusters", "c1");
  ASSERT_OK(c);
  EXPECT_EQ(c->value_or(""), "state");

  // A bad table name refuses the whole commit: the event stays pending.
  Report r2 = MakeReport();
  ASSERT_OK(store_->AppendReports({&r2, 1}));
  ScoredBatchItem bad;
  bad.event.report = r2;
  bad.records.push_back({"no way", "k", "v"});
  EXPECT_FALSE(store_->CommitScored({&bad, 1}));
  auto pending = store_->CountPending();
  ASSERT_OK(pending);
  EXPECT_EQ(*pending, 1u);
}

// CommitScored writes a batch's records in key order; writes of one key keep their order, also
// across items (a cluster's recency entry removed by one report and set again by a later one).
TEST_F(RecordsTest, ScoredRecordsOfOneKeyApplyInBatchOrder) {
  std::vector<ScoredBatchItem> items(3);
  for (auto& item : items) {
    Report r = MakeReport();
    ASSERT_OK(store_->AppendReports({&r, 1}));
    item.event.report = r;
    item.event.scored = true;
  }
  items[0].records = {{"recent", "k2", "first"}, {"recent", "k1", "kept"}, {"member", "z", "1"}};
  items[1].records = {{"recent", "k2", std::nullopt}, {"member", "a", "2"}};
  items[2].records = {{"recent", "k2", "last"}, {"recent", "k3", "gone"}};
  items[2].records.push_back({"recent", "k3", std::nullopt});
  ASSERT_OK(store_->CommitScored(items));
  auto value = [&](std::string_view table, std::string_view key) {
    auto v = store_->GetRecord(table, key);
    EXPECT_TRUE(v.has_value());
    return v.value_or(std::nullopt).value_or("<none>");
  };
  EXPECT_EQ(value("recent", "k1"), "kept");
  EXPECT_EQ(value("recent", "k2"), "last");
  EXPECT_EQ(value("recent", "k3"), "<none>");
  EXPECT_EQ(Keys("member", Scan()), (std::vector<std::string>{"a", "z"}));
}

TEST_F(RecordsTest, AuditLogNewestFirstWithFiltersAndPaging) {
  for (int i = 0; i < 7; ++i) {
    AuditEntry e;
    e.id = ids_.Next();
    e.at = 1000 + i;
    e.actor = i % 2 ? "admin-1" : "system";
    e.action = i < 4 ? "alert.ack" : "silence.create";
    e.subject = "s" + std::to_string(i);
    e.details = R"({"i":)" + std::to_string(i) + "}";
    ASSERT_OK(AppendAudit(*store_, e));
  }
  Reopen();
  auto all = ListAudit(*store_, {}, 3, "");
  ASSERT_OK(all);
  ASSERT_EQ(all->entries.size(), 3u);
  EXPECT_EQ(all->entries[0].subject, "s6");
  EXPECT_EQ(all->entries[0].details, R"({"i":6})");
  EXPECT_EQ(all->entries[0].at, 1006);
  auto next = ListAudit(*store_, {}, 10, all->next_before);
  ASSERT_OK(next);
  ASSERT_EQ(next->entries.size(), 4u);
  EXPECT_EQ(next->entries.back().subject, "s0");
  EXPECT_TRUE(next->next_before.empty());

  auto acks = ListAudit(*store_, Filter("alert.", {}, {}), 10, "");
  ASSERT_OK(acks);
  EXPECT_EQ(acks->entries.size(), 4u);
  auto by_actor = ListAudit(*store_, Filter({}, {}, "admin-1"), 10, "");
  ASSERT_OK(by_actor);
  EXPECT_EQ(by_actor->entries.size(), 3u);
  auto one = ListAudit(*store_, Filter({}, "s5", {}), 10, "");
  ASSERT_OK(one);
  ASSERT_EQ(one->entries.size(), 1u);
  EXPECT_EQ(one->entries[0].actor, "admin-1");
}

TEST_F(RecordsTest, DamagedAuditEntryIsCorruptionNotACrash) {
  AuditEntry e;
  EXPECT_FALSE(DecodeAuditEntry("k", "", &e));
  EXPECT_FALSE(DecodeAuditEntry("k", std::string("\x09", 1), &e));
  std::string good = EncodeAuditEntry(AuditEntry{"id", 5, "a", "b", "c", "d"});
  EXPECT_TRUE(DecodeAuditEntry("id", good, &e));
  EXPECT_FALSE(DecodeAuditEntry("id", good + "x", &e));
  EXPECT_FALSE(DecodeAuditEntry("id", good.substr(0, good.size() - 1), &e));
}

}  // namespace
}  // namespace sakchy::storage::testing::records_test
