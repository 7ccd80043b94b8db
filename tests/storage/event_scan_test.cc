// Scans of events: by arrival (ids) with bounds and a reused Event, and by observed time through
// the index written with each scored event (also built for databases of schema 1).

#include <rocksdb/db.h>

#include "store_fixture.h"

namespace sakchy::storage::testing::event_scan_test {
namespace {

class EventScanTest : public StoreTest {
 protected:
  // A scored event observed at `observed` (received now).
  std::string Commit(TimeMs observed, bool scored = true) {
    Report r = MakeReport();
    r.observed_at = observed;
    EXPECT_OK(store_->AppendReports(std::span<const Report>(&r, 1)));
    if (scored) {
      ScoredBatchItem item;
      item.event.report = r;
      item.event.scored = true;
      EXPECT_OK(store_->CommitScored({&item, 1}));
    }
    return r.id;
  }
  std::vector<std::string> ByObserved(TimeMs from, TimeMs to, std::size_t page) {
    std::vector<std::string> ids;
    Store::ObservedScan scan;
    scan.from = from;
    scan.to = to;
    scan.limit = page;
    for (;;) {
      auto r = store_->VisitEventsByObserved(scan, [&ids](const Event& e) {
        ids.push_back(e.report.id);
        return true;
      });
      EXPECT_TRUE(r.has_value());
      if (!r || r->visited < page) break;
      scan.start_after = r->last_id;
    }
    return ids;
  }
};

TEST_F(EventScanTest, ByObservedTimeInTimeOrderWithPagesAndBounds) {
  // Received in this order, observed out of order (late and backdated reports).
  const std::string a = Commit(5000);
  const std::string b = Commit(1000);
  const std::string c = Commit(3000);
  Commit(9000, /*scored=*/false);  // not yet scored: not in the index
  const std::string d = Commit(3000);
  EXPECT_EQ(ByObserved(0, 10000, 100), (std::vector<std::string>{b, c, d, a}));
  EXPECT_EQ(ByObserved(0, 10000, 1), (std::vector<std::string>{b, c, d, a}));
  EXPECT_EQ(ByObserved(3000, 5000, 2), (std::vector<std::string>{c, d}));
  EXPECT_TRUE(ByObserved(5001, 9001, 10).empty());
  // A visitor may stop early.
  std::size_t seen = 0;
  auto r = store_->VisitEventsByObserved(Store::ObservedScan{}, [&seen](const Event&) {
    return ++seen < 2;
  });
  ASSERT_OK(r);
  EXPECT_EQ(seen, 2u);
}

TEST_F(EventScanTest, ByArrivalWithUpperBound) {
  const std::string a = Commit(1);
  const std::string b = Commit(2);
  const std::string c = Commit(3);
  EventScan scan;
  scan.max_id = c;
  std::vector<std::string> ids;
  auto r = store_->VisitEvents(scan, [&ids](const Event& e) {
    ids.push_back(e.report.id);
    return true;
  });
  ASSERT_OK(r);
  EXPECT_EQ(ids, (std::vector<std::string>{a, b}));
  EXPECT_EQ(r->last_id, b);
  scan.max_id.clear();
  scan.start_after = a;
  auto all = store_->ScanEvents(scan);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].report.id, c);
}

TEST_F(EventScanTest, OlderDatabasesGetTheIndexBuilt) {
  const std::string a = Commit(7000);
  const std::string b = Commit(2000);
  store_.reset();
  {
    // Back to schema 2: no index entries, the old version number.
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, db_dir(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, db_dir(), descriptors, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], "schema_version", "2").ok());
      }
      if (names[i] == "events_by_time") {
        ASSERT_TRUE(db->DeleteRange(rocksdb::WriteOptions(), handles[i], std::string(8, '\0'),
                                    std::string(8, '\xff'))
                        .ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  Open();
  EXPECT_EQ(ByObserved(0, 10000, 10), (std::vector<std::string>{b, a}));
}

}  // namespace
}  // namespace sakchy::storage::testing::event_scan_test
