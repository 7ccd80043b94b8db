// Reports, events, idempotency, pending marks and scoring commits against a real RocksDB.

#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "store_fixture.h"

namespace sakchy::storage::testing::store_test {
namespace {

Event ScoredEventFor(const Report& r) {
  Event e;
  e.report = r;
  e.scored = true;
  e.matches = {{"water.1", "water", "суу", 3, 9}, {"panic.2", "panic", "паника", 12, 24}};
  e.categories = {"panic", "water"};
  e.score = 3.75;
  e.severity = Severity::kHigh;
  e.area = "KG-O-ARAVAN";
  e.area_source = AreaSource::kText;
  e.places = {{"Араван", {"KG-O-ARAVAN"}, 30, 42}, {"Ош", {"KG-O", "KG-GO"}, 50, 54}};
  e.ruleset_version = "v7";
  e.scored_at = r.received_at + 10;
  return e;
}

void ExpectReportEq(const Report& a, const Report& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.area, b.area);
  EXPECT_EQ(a.channel, b.channel);
  EXPECT_EQ(a.source_ref, b.source_ref);
  EXPECT_EQ(a.submitted_by, b.submitted_by);
  EXPECT_EQ(a.observed_at, b.observed_at);
  EXPECT_EQ(a.received_at, b.received_at);
  EXPECT_EQ(a.url, b.url);
  EXPECT_EQ(a.published_at, b.published_at);
  EXPECT_EQ(a.edited_at, b.edited_at);
  EXPECT_EQ(a.thread_key, b.thread_key);
  EXPECT_EQ(a.thread_window_ms, b.thread_window_ms);
}

TEST_F(StoreTest, AppendThenGetEventRoundTripsEveryReportField) {
  Report r = MakeReport("sms", "msg-1");
  r.text = "Эртең нан кымбаттайт дейт — Завтра хлеб подорожает";
  r.area = "KG-C";
  r.url = "https://t.me/osh_news/42";
  r.published_at = r.received_at - 60000;
  r.edited_at = r.received_at - 30000;
  auto results = store_->AppendReports({&r, 1});
  ASSERT_OK(results);
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ((*results)[0].id, r.id);
  EXPECT_FALSE((*results)[0].duplicate);

  auto got = store_->GetEvent(r.id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  ExpectReportEq((*got)->report, r);
  EXPECT_FALSE((*got)->scored);
  EXPECT_TRUE((*got)->matches.empty());

  auto missing = store_->GetEvent("01HZZZZZZZZZZZZZZZZZZZZZZZ");
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, CommitScoredRoundTripsEveryEventField) {
  Report r = MakeReport();
  ASSERT_OK(store_->AppendReports({&r, 1}));
  ScoredBatchItem item{ScoredEventFor(r), {}, {}};
  item.event.scored = false;  // the store marks committed events scored regardless
  ASSERT_OK(store_->CommitScored({&item, 1}));

  auto got = store_->GetEvent(r.id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  const Event& e = **got;
  const Event want = ScoredEventFor(r);
  ExpectReportEq(e.report, r);
  EXPECT_TRUE(e.scored);
  ASSERT_EQ(e.matches.size(), 2u);
  EXPECT_EQ(e.matches[1].rule_id, "panic.2");
  EXPECT_EQ(e.matches[1].category, "panic");
  EXPECT_EQ(e.matches[1].term, "паника");
  EXPECT_EQ(e.matches[1].begin, 12u);
  EXPECT_EQ(e.matches[1].end, 24u);
  EXPECT_EQ(e.categories, want.categories);
  EXPECT_EQ(e.score, 3.75);
  EXPECT_EQ(e.severity, Severity::kHigh);
  EXPECT_EQ(e.area, "KG-O-ARAVAN");
  EXPECT_EQ(e.area_source, AreaSource::kText);
  ASSERT_EQ(e.places.size(), 2u);
  EXPECT_EQ(e.places[1].name, "Ош");
  EXPECT_EQ(e.places[1].candidates, (std::vector<AreaCode>{"KG-O", "KG-GO"}));
  EXPECT_EQ(e.places[1].begin, 50u);
  EXPECT_EQ(e.places[1].end, 54u);
  EXPECT_EQ(e.ruleset_version, "v7");
  EXPECT_EQ(e.scored_at, r.received_at + 10);
}

// How often `needle` occurs in the files of the database whose name ends in `extension`.
std::size_t CountInFiles(const std::string& dir, const std::string& extension,
                         const std::string& needle) {
  std::size_t n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != extension) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto pos = bytes.find(needle); pos != std::string::npos; pos = bytes.find(needle, pos + 1))
      ++n;
  }
  return n;
}

void ExpectScoringEq(const Event& got, const Event& want) {
  ExpectReportEq(got.report, want.report);
  EXPECT_TRUE(got.scored);
  ASSERT_EQ(got.matches.size(), want.matches.size());
  for (std::size_t i = 0; i < want.matches.size(); ++i) {
    EXPECT_EQ(got.matches[i].rule_id, want.matches[i].rule_id);
    EXPECT_EQ(got.matches[i].term, want.matches[i].term);
  }
  EXPECT_EQ(got.categories, want.categories);
  EXPECT_EQ(got.score, want.score);
  EXPECT_EQ(got.severity, want.severity);
  EXPECT_EQ(got.area, want.area);
  EXPECT_EQ(got.area_source, want.area_source);
  EXPECT_EQ(got.places.size(), want.places.size());
  EXPECT_EQ(got.ruleset_version, want.ruleset_version);
  EXPECT_EQ(got.scored_at, want.scored_at);
}

// A report's first scoring (the pipeline's usual case) writes only the scoring, as a merge onto
// the stored report: the text is in the log once, and every read sees the whole event, from the
// memtable, after a flush, and after a reopen that replays the log.
TEST_F(StoreTest, FirstScoringWritesOnlyTheScoringAndReadsAsTheWholeEvent) {
  Report r = MakeReport("telegram", "chat/7");
  r.text = "first-scoring-text-5d1c: Эртең суу жок болот, паника";
  r.area = "KG-O";
  r.url = "https://t.me/osh_news/7";
  r.published_at = r.received_at - 60000;
  ASSERT_OK(store_->AppendReports({&r, 1}));
  ScoredBatchItem item{ScoredEventFor(r), {}, {}};
  item.first_scoring = true;
  ASSERT_OK(store_->CommitScored({&item, 1}));
  EXPECT_EQ(CountInFiles(db_dir(), ".log", r.text), 1u) << "the report is logged once";

  for (const char* stage : {"memtable", "flushed", "reopened"}) {
    SCOPED_TRACE(stage);
    if (std::string_view(stage) == "flushed") ASSERT_OK(store_->Flush());
    if (std::string_view(stage) == "reopened") Reopen();
    auto got = store_->GetEvent(r.id);
    ASSERT_OK(got);
    ASSERT_TRUE(got->has_value());
    ExpectScoringEq(**got, item.event);
    auto pending = store_->CountPending();
    ASSERT_OK(pending);
    EXPECT_EQ(*pending, 0u);
  }
}

// The stored report in a table file, its scoring in the log: the read merges across them, also
// after the log is replayed at open; a later scoring of the event (a follow-up's) replaces it.
TEST_F(StoreTest, FirstScoringMergesOntoAFlushedReport) {
  Report r = MakeReport("sms", "kannel-99");
  r.text = "flushed-report-text-8e2a nan kymbattait";
  ASSERT_OK(store_->AppendReports({&r, 1}));
  ASSERT_OK(store_->Flush());
  ScoredBatchItem item{ScoredEventFor(r), {}, {}};
  item.first_scoring = true;
  ASSERT_OK(store_->CommitScored({&item, 1}));
  EXPECT_EQ(CountInFiles(db_dir(), ".log", r.text), 0u);
  auto got = store_->GetEvent(r.id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  ExpectScoringEq(**got, item.event);

  Reopen();
  got = store_->GetEvent(r.id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  ExpectScoringEq(**got, item.event);

  ScoredBatchItem again{ScoredEventFor(r), {}, {}};
  again.event.follow_ups_scored = 1;
  again.event.severity = Severity::kCritical;
  ASSERT_OK(store_->CommitScored({&again, 1}));
  got = store_->GetEvent(r.id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->severity, Severity::kCritical);
  EXPECT_EQ((*got)->follow_ups_scored, 1u);
  ExpectReportEq((*got)->report, r);
}

TEST_F(StoreTest, DuplicateAcrossCallsReturnsFirstId) {
  Report first = MakeReport("telegram", "chat1/42");
  ASSERT_OK(store_->AppendReports({&first, 1}));
  Report again = MakeReport("telegram", "chat1/42");
  again.text = "different text, same source";
  auto results = store_->AppendReports({&again, 1});
  ASSERT_OK(results);
  EXPECT_TRUE((*results)[0].duplicate);
  EXPECT_EQ((*results)[0].id, first.id);
  auto stored = store_->GetEvent(again.id);
  ASSERT_OK(stored);
  EXPECT_FALSE(stored->has_value());
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1u);
}

// One monitor cannot suppress another's report by reusing its source_ref: the key includes the
// submitter.
TEST_F(StoreTest, SameSourceRefOfAnotherSubmitterIsNotADuplicate) {
  Report mine = MakeReport("api", "ref-1");
  mine.submitted_by = "monitor-a";
  ASSERT_OK(store_->AppendReports({&mine, 1}));
  Report theirs = MakeReport("api", "ref-1");
  theirs.submitted_by = "monitor-b";
  Report retry = MakeReport("api", "ref-1");
  retry.submitted_by = "monitor-a";
  std::vector<Report> batch = {theirs, retry};
  auto results = store_->AppendReports(batch);
  ASSERT_OK(results);
  EXPECT_FALSE((*results)[0].duplicate);
  EXPECT_EQ((*results)[0].id, theirs.id);
  EXPECT_TRUE((*results)[1].duplicate);
  EXPECT_EQ((*results)[1].id, mine.id);
  Report nul = MakeReport("api", "ref-2");
  nul.submitted_by = std::string("a\0b", 3);
  EXPECT_FALSE(store_->AppendReports({&nul, 1}).has_value());
}

// Keys written before the submitter was part of them (channel \0 source_ref) still answer a
// retry of the same submitter, and never another submitter's report.
TEST_F(StoreTest, KeysOfOlderBuildsStillDeduplicateTheirSubmitter) {
  Report first = MakeReport("api", "old-ref");
  ASSERT_OK(store_->AppendReports({&first, 1}));
  store_.reset();
  {
    // Rewrite the key as an older build wrote it.
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
      if (names[i] != "idempotency") continue;
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
      std::vector<std::string> keys;
      for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
      ASSERT_EQ(keys.size(), 1u);
      ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), handles[i], keys[0]).ok());
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], std::string("api\0old-ref", 11),
                          first.id)
                      .ok());
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  Open();
  Report retry = MakeReport("api", "old-ref");  // submitted_by "tester", as the first
  auto again = store_->AppendReports({&retry, 1});
  ASSERT_OK(again);
  EXPECT_TRUE((*again)[0].duplicate);
  EXPECT_EQ((*again)[0].id, first.id);
  Report other = MakeReport("api", "old-ref");
  other.submitted_by = "someone-else";
  auto theirs = store_->AppendReports({&other, 1});
  ASSERT_OK(theirs);
  EXPECT_FALSE((*theirs)[0].duplicate);
  EXPECT_EQ((*theirs)[0].id, other.id);
}

TEST_F(StoreTest, DuplicateWithinOneBatchIsDuplicateOfTheFirst) {
  std::vector<Report> batch = {MakeReport("sms", "a"), MakeReport("sms", "b"),
                               MakeReport("sms", "a"), MakeReport("sms", "a")};
  auto results = store_->AppendReports(batch);
  ASSERT_OK(results);
  ASSERT_EQ(results->size(), 4u);
  EXPECT_FALSE((*results)[0].duplicate);
  EXPECT_FALSE((*results)[1].duplicate);
  EXPECT_TRUE((*results)[2].duplicate);
  EXPECT_TRUE((*results)[3].duplicate);
  EXPECT_EQ((*results)[2].id, batch[0].id);
  EXPECT_EQ((*results)[3].id, batch[0].id);
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);
}

TEST_F(StoreTest, EmptySourceRefIsNeverDuplicate) {
  std::vector<Report> batch = {MakeReport("api", ""), MakeReport("api", "")};
  auto results = store_->AppendReports(batch);
  ASSERT_OK(results);
  EXPECT_FALSE((*results)[0].duplicate);
  EXPECT_FALSE((*results)[1].duplicate);
  Report third = MakeReport("api", "");
  auto again = store_->AppendReports({&third, 1});
  ASSERT_OK(again);
  EXPECT_FALSE((*again)[0].duplicate);
  EXPECT_EQ((*again)[0].id, third.id);
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 3u);
}

TEST_F(StoreTest, SameSourceRefOnDifferentChannelsIsDistinct) {
  std::vector<Report> batch = {MakeReport("sms", "42"), MakeReport("telegram", "42"),
                               MakeReport("rss", "42")};
  auto results = store_->AppendReports(batch);
  ASSERT_OK(results);
  for (const auto& r : *results) EXPECT_FALSE(r.duplicate);
  // Channel and ref are separated, so ("a", "b\0c")-style collisions cannot merge keys.
  std::vector<Report> tricky = {MakeReport("s", std::string("ms\0x", 4)), MakeReport("sms", "x")};
  auto more = store_->AppendReports(tricky);
  ASSERT_OK(more);
  EXPECT_FALSE((*more)[0].duplicate);
  EXPECT_FALSE((*more)[1].duplicate);
}

TEST_F(StoreTest, EmptyIdIsRejectedAndNothingWritten) {
  std::vector<Report> batch = {MakeReport("sms", "1"), MakeReport("sms", "2")};
  batch[1].id.clear();
  auto results = store_->AppendReports(batch);
  ASSERT_FALSE(results);
  EXPECT_EQ(results.error().code, ErrorCode::kInvalidArgument);
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0u);
  auto got = store_->GetEvent(batch[0].id);
  ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
}

TEST_F(StoreTest, PendingReportsListInIdOrderWithPaging) {
  std::vector<Report> batch;
  for (int i = 0; i < 7; ++i) batch.push_back(MakeReport("api", "ref" + std::to_string(i)));
  ASSERT_OK(store_->AppendReports(batch));

  auto page1 = store_->PendingReports(3, "");
  ASSERT_OK(page1);
  ASSERT_EQ(page1->size(), 3u);
  for (int i = 0; i < 3; ++i) ExpectReportEq((*page1)[i], batch[i]);
  auto page2 = store_->PendingReports(3, page1->back().id);
  ASSERT_OK(page2);
  ASSERT_EQ(page2->size(), 3u);
  EXPECT_EQ((*page2)[0].id, batch[3].id);
  auto page3 = store_->PendingReports(3, page2->back().id);
  ASSERT_OK(page3);
  ASSERT_EQ(page3->size(), 1u);
  EXPECT_EQ((*page3)[0].id, batch[6].id);
  auto page4 = store_->PendingReports(3, page3->back().id);
  ASSERT_OK(page4);
  EXPECT_TRUE(page4->empty());
  auto none = store_->PendingReports(0, "");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  // after_id need not be a stored id: paging starts at the next larger one.
  auto from_mid = store_->PendingReports(10, batch[2].id + "0");
  ASSERT_OK(from_mid);
  ASSERT_EQ(from_mid->size(), 4u);
  EXPECT_EQ((*from_mid)[0].id, batch[3].id);
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 7u);
}

TEST_F(StoreTest, CommitScoredRemovesPendingAndIsIdempotent) {
  std::vector<Report> batch = {MakeReport(), MakeReport(), MakeReport()};
  ASSERT_OK(store_->AppendReports(batch));

  ScoredBatchItem item{ScoredEventFor(batch[1]), {}, {}};
  item.counters.push_back(CounterDelta{"KG-O", "total", batch[1].received_at, 1});
  item.counters.push_back(CounterDelta{"KG-O", "severity:high", batch[1].received_at, 1});
  item.alerts.push_back(MakeAlert(batch[1].id));
  ASSERT_OK(store_->CommitScored({&item, 1}));

  auto pending = store_->PendingReports(10, "");
  ASSERT_OK(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, batch[0].id);
  EXPECT_EQ((*pending)[1].id, batch[2].id);
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);

  auto read = [&] {
    auto buckets = store_->ReadCounters("KG-O", Resolution::kDay, 0, clock_.NowMs() + 86400000);
    EXPECT_TRUE(buckets.has_value());
    return buckets.value_or(std::vector<CounterBucket>{});
  };
  auto before = read();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].values.at("total"), 1);
  EXPECT_EQ(before[0].values.at("severity:high"), 1);

  // Commit the same event again, alone and twice within one call: nothing changes.
  ScoredBatchItem changed = item;
  changed.event.score = 99;
  changed.alerts = {MakeAlert(batch[1].id)};
  std::vector<ScoredBatchItem> twice = {changed, changed};
  ASSERT_OK(store_->CommitScored({&changed, 1}));
  ASSERT_OK(store_->CommitScored(twice));
  auto after = read();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].values.at("total"), 1);
  auto event = store_->GetEvent(batch[1].id);
  ASSERT_OK(event);
  EXPECT_EQ((*event)->score, 3.75);
  auto alerts = store_->ListAlerts({}, 10, "");
  ASSERT_OK(alerts);
  EXPECT_EQ(alerts->size(), 1u);
  count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);

  // A repeat inside one call of a new event counts once.
  ScoredBatchItem other{ScoredEventFor(batch[0]), {}, {}};
  other.counters.push_back(CounterDelta{"KG-O", "total", batch[0].received_at, 1});
  std::vector<ScoredBatchItem> dup = {other, other};
  ASSERT_OK(store_->CommitScored(dup));
  auto last = read();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].values.at("total"), 2);
  count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1u);
}

TEST_F(StoreTest, EverythingSurvivesReopen) {
  sync_ = true;
  Reopen();
  std::vector<Report> batch = {MakeReport("sms", "r1"), MakeReport("sms", "r2"),
                               MakeReport("api", "")};
  ASSERT_OK(store_->AppendReports(batch));
  ScoredBatchItem item{ScoredEventFor(batch[0]), {}, {}};
  item.counters.push_back(CounterDelta{"KG", "total", batch[0].received_at, 5});
  Alert alert = MakeAlert(batch[0].id);
  item.alerts.push_back(alert);
  ASSERT_OK(store_->CommitScored({&item, 1}));

  Reopen();

  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);
  auto pending = store_->PendingReports(10, "");
  ASSERT_OK(pending);
  ASSERT_EQ(pending->size(), 2u);
  ExpectReportEq((*pending)[0], batch[1]);
  ExpectReportEq((*pending)[1], batch[2]);
  auto event = store_->GetEvent(batch[0].id);
  ASSERT_OK(event);
  ASSERT_TRUE(event->has_value());
  EXPECT_TRUE((*event)->scored);
  EXPECT_EQ((*event)->places.size(), 2u);
  auto dup = MakeReport("sms", "r2");
  auto results = store_->AppendReports({&dup, 1});
  ASSERT_OK(results);
  EXPECT_TRUE((*results)[0].duplicate);
  EXPECT_EQ((*results)[0].id, batch[1].id);
  auto buckets = store_->ReadCounters("KG", Resolution::kHour, 0, clock_.NowMs() + 3600000);
  ASSERT_OK(buckets);
  ASSERT_EQ(buckets->size(), 1u);
  EXPECT_EQ(buckets->front().values.at("total"), 5);
  auto pending_alerts = store_->PendingAlerts();
  ASSERT_OK(pending_alerts);
  ASSERT_EQ(pending_alerts->size(), 1u);
  EXPECT_EQ(pending_alerts->front().id, alert.id);

  // Flushed data (SST files rather than the WAL) also survives.
  ASSERT_OK(store_->Flush());
  Reopen();
  auto again = store_->GetEvent(batch[2].id);
  ASSERT_OK(again);
  ASSERT_TRUE(again->has_value());
  ExpectReportEq((*again)->report, batch[2]);
  count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2u);
}

TEST_F(StoreTest, OpenOnRegularFileIsIoError) {
  std::string file = tmp_.str() + "/not-a-dir";
  { std::ofstream(file) << "x"; }
  auto store = Store::Open(StorageOptions{file, true});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find(file), std::string::npos) << store.error().message;
}

TEST_F(StoreTest, OpenCreatesMissingParents) {
  auto store = Store::Open(StorageOptions{tmp_.str() + "/a/b/c", false});
  ASSERT_OK(store);
}

TEST_F(StoreTest, SecondOpenOfSameDirFailsClearly) {
  auto second = Store::Open(StorageOptions{db_dir(), false});
  ASSERT_FALSE(second);  // RocksDB's LOCK file: one process (and one Store) per directory
  EXPECT_NE(second.error().message.find(db_dir()), std::string::npos);
}

TEST_F(StoreTest, RefusesNewerSchemaVersion) {
  store_.reset();
  {
    // Bump the stored schema version behind the store's back, as a newer build would.
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, db_dir(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    descriptors.emplace_back("from_the_future", rocksdb::ColumnFamilyOptions());
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, db_dir(), descriptors, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], "schema_version", "6").ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto store = Store::Open(StorageOptions{db_dir(), false});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(store.error().message.find("schema version 6"), std::string::npos)
      << store.error().message;
}

TEST_F(StoreTest, BatchOfHundredAppendsAndCommits) {
  std::vector<Report> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(MakeReport("sms", "m" + std::to_string(i)));
  auto results = store_->AppendReports(batch);
  ASSERT_OK(results);
  ASSERT_EQ(results->size(), 100u);
  std::vector<ScoredBatchItem> items;
  for (const auto& r : batch) {
    ScoredBatchItem item{ScoredEventFor(r), {}, {}};
    item.counters.push_back(CounterDelta{"KG-O", "total", r.received_at, 1});
    items.push_back(std::move(item));
  }
  ASSERT_OK(store_->CommitScored(items));
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0u);
  auto buckets = store_->ReadCounters("KG-O", Resolution::kDay, 0, clock_.NowMs() + 86400000);
  ASSERT_OK(buckets);
  std::int64_t total = 0;
  for (const auto& b : *buckets) total += b.values.at("total");
  EXPECT_EQ(total, 100);
}

TEST_F(StoreTest, ConcurrentAppendsOfTheSameSourcesStoreEachOnce) {
  constexpr int kThreads = 4;
  constexpr int kRefs = 50;
  std::vector<std::vector<Report>> batches(kThreads);
  for (auto& batch : batches) {
    for (int i = 0; i < kRefs; ++i) batch.push_back(MakeReport("sms", "r" + std::to_string(i)));
  }
  std::atomic<int> stored{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Small batches so the threads interleave.
      for (int i = 0; i < kRefs; i += 5) {
        auto results = store_->AppendReports(std::span<const Report>(batches[t]).subspan(i, 5));
        if (!results) {
          ++failures;
          continue;
        }
        for (const auto& r : *results) stored += r.duplicate ? 0 : 1;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(stored.load(), kRefs);
  auto count = store_->CountPending();
  ASSERT_OK(count);
  EXPECT_EQ(*count, static_cast<std::size_t>(kRefs));
}

}  // namespace
}  // namespace sakchy::storage::testing::store_test

namespace sakchy::storage::store_test {
namespace {

TEST(CursorStoreTest, CursorIsStoredWithTheReportsAndSurvivesReopen) {
  sakchy::testing::TempDir dir;
  {
    auto store = Store::Open({dir.str() + "/db", true});
    ASSERT_OK(store);
    auto none = (*store)->GetCursor("telegram-main");
    ASSERT_OK(none);
    EXPECT_FALSE(none->has_value());
    Report r;
    r.id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    r.text = "x";
    r.channel = "telegram";
    r.source_ref = "1:2";
    std::vector<CursorUpdate> cursors = {{"telegram-main", "41"}, {"telegram-main", "42"}};
    ASSERT_OK((*store)->AppendReports(std::span<const Report>(&r, 1), cursors));
    // A batch of only duplicates still advances the cursor.
    std::vector<CursorUpdate> next = {{"telegram-main", "43"}};
    auto dup = (*store)->AppendReports(std::span<const Report>(&r, 1), next);
    ASSERT_OK(dup);
    EXPECT_TRUE((*dup)[0].duplicate);
    // An empty batch with only a cursor (e.g. updates without text).
    std::vector<CursorUpdate> only = {{"rss-news", "etag-1"}};
    ASSERT_OK((*store)->AppendReports({}, only));
    std::vector<CursorUpdate> bad = {{"", "v"}};
    EXPECT_FALSE((*store)->AppendReports({}, bad).has_value());
  }
  auto store = Store::Open({dir.str() + "/db", true});
  ASSERT_OK(store);
  EXPECT_EQ(*(*store)->GetCursor("telegram-main"), std::optional<std::string>("43"));
  EXPECT_EQ(*(*store)->GetCursor("rss-news"), std::optional<std::string>("etag-1"));
}

// Paced deletion (storage.delete_mb_per_s): a deleted file is renamed to *.trash and truncated a
// megabyte at a time by a background thread, so that its blocks are not freed (and, with online
// discard, discarded) all at once. Trash left by a crash goes the same way at the next open.
class PacedDeletionTest : public ::testing::Test {
 protected:
  std::string db() const { return dir_.str() + "/db"; }
  // Size of the file `name`; -1 when it is gone.
  std::int64_t SizeOf(const std::string& name) const {
    std::error_code ec;
    const auto size = std::filesystem::file_size(db() + "/" + name, ec);
    return ec ? -1 : static_cast<std::int64_t>(size);
  }
  // Fills the database with ~`mb` MB of texts that do not compress (the delete scheduler removes
  // trash at once when there is more than 4x the live data of it) and flushes them into tables.
  void Fill(Store& store, int mb) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> letter('a', 'z');
    for (int round = 0; round < mb; ++round) {
      std::vector<Report> reports(1000);
      for (auto& r : reports) {
        r.id = ids_.Next();
        r.text.resize(1000);
        for (auto& c : r.text) c = static_cast<char>(letter(rng));
        r.channel = "api";
      }
      kept_id_ = reports.back().id;
      ASSERT_OK(store.AppendReports(reports));
      ASSERT_OK(store.Flush());  // a table per round; the log before it becomes obsolete
    }
  }
  int CountEndingWith(std::string_view suffix) const {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(db())) {
      if (entry.path().filename().string().ends_with(suffix)) ++n;
    }
    return n;
  }

  sakchy::testing::TempDir dir_;
  ManualClock clock_{1717243200000};
  IdGenerator ids_{clock_};
  std::string kept_id_;
};

TEST_F(PacedDeletionTest, LeftoverTrashShrinksAMegabyteAtATimeAndObsoleteLogsGo) {
  {
    auto store = Store::Open({db(), true});
    ASSERT_OK(store);
    Fill(**store, 4);
  }
  constexpr std::int64_t kTrash = std::int64_t{3} << 20;
  {
    std::ofstream leftover(db() + "/000042.sst.trash", std::ios::binary);  // a crash's leftover
    leftover << std::string(static_cast<std::size_t>(kTrash), 'x');
  }
  StorageOptions options{db(), true};
  options.delete_mb_per_s = 1;  // 3 s for the leftover
  auto store = Store::Open(options);
  ASSERT_OK(store);
  // Not deleted at once (the default would have), and it shrinks before it is gone.
  EXPECT_GT(SizeOf("000042.sst.trash"), 0) << "deleted at once, not paced";
  bool shrank = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::int64_t size = SizeOf("000042.sst.trash");
  while (size >= 0 && std::chrono::steady_clock::now() < deadline) {
    if (size > 0 && size < kTrash) shrank = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    size = SizeOf("000042.sst.trash");
  }
  EXPECT_EQ(size, -1) << "the leftover trash was not removed within 30 s";
  EXPECT_TRUE(shrank) << "removed in one piece, not a megabyte at a time";

  // Files made obsolete while running go the same way: in the end no trash, and the logs of
  // the flushed megabytes are gone (what is left are the live log and empty ones).
  Fill(**store, 2);
  auto log_bytes = [&] {
    std::uintmax_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(db())) {
      if (entry.path().filename().string().ends_with(".log")) n += entry.file_size();
    }
    return n;
  };
  const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((CountEndingWith(".trash") != 0 || log_bytes() > 65536) &&
         std::chrono::steady_clock::now() < deadline2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(CountEndingWith(".trash"), 0);
  EXPECT_LE(log_bytes(), 65536u);
  store->reset();
  auto reopened = Store::Open({db(), true});
  ASSERT_OK(reopened);
  auto got = (*reopened)->GetEvent(kept_id_);
  ASSERT_OK(got);
  EXPECT_TRUE(got->has_value());
}

}  // namespace
}  // namespace sakchy::storage::store_test
