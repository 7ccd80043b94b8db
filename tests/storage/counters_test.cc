// Counter buckets: resolutions, bucket boundaries, range bounds, and a brute-force recount.

#include <rocksdb/db.h>

#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "store_fixture.h"

namespace sakchy::storage::testing::counters_test {
namespace {

constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kHour = 3'600'000;
constexpr TimeMs kDay = 86'400'000;
constexpr TimeMs kJune1 = 1717200000000;  // 2024-06-01T00:00:00Z
constexpr TimeMs kLocalJune1 = kJune1 - 6 * kHour;  // 2024-06-01T00:00:00+06:00 (Asia/Bishkek)

// The bucket start the store must use: UTC floor; days from local midnight (UTC+6).
TimeMs ExpectedStart(Resolution r, TimeMs at) {
  const TimeMs width = ResolutionMs(r);
  const TimeMs shift = r == Resolution::kDay ? 6 * kHour : 0;
  const TimeMs local = at + shift;
  return local - (((local % width) + width) % width) - shift;
}

TEST(ResolutionTest, NamesParseAndWidths) {
  for (Resolution r : {Resolution::kMinute, Resolution::kHour, Resolution::kDay}) {
    EXPECT_EQ(ParseResolution(ResolutionName(r)), r);
  }
  EXPECT_EQ(ResolutionName(Resolution::kHour), "hour");
  EXPECT_FALSE(ParseResolution("week").has_value());
  EXPECT_FALSE(ParseResolution("").has_value());
  EXPECT_EQ(ResolutionMs(Resolution::kMinute), kMinute);
  EXPECT_EQ(ResolutionMs(Resolution::kHour), kHour);
  EXPECT_EQ(ResolutionMs(Resolution::kDay), kDay);
}

TEST(ResolutionTest, BucketStartIsUtcFloorAndDaysStartAtBishkekMidnight) {
  TimeMs t = kJune1 + 13 * kHour + 47 * kMinute + 12'345;
  EXPECT_EQ(BucketStart(Resolution::kMinute, t), kJune1 + 13 * kHour + 47 * kMinute);
  EXPECT_EQ(BucketStart(Resolution::kHour, t), kJune1 + 13 * kHour);
  // 13:47Z is 19:47+06:00 on June 1; that local day began at 18:00Z on May 31.
  EXPECT_EQ(BucketStart(Resolution::kDay, t), kLocalJune1);
  EXPECT_EQ(BucketStart(Resolution::kDay, kJune1), kLocalJune1);
  EXPECT_EQ(BucketStart(Resolution::kDay, kLocalJune1), kLocalJune1);
  EXPECT_EQ(BucketStart(Resolution::kDay, kLocalJune1 - 1), kLocalJune1 - kDay);
  EXPECT_EQ(BucketStart(Resolution::kDay, kJune1 + 18 * kHour), kLocalJune1 + kDay);
  EXPECT_EQ(BucketStart(Resolution::kMinute, 0), 0);
  EXPECT_EQ(BucketStart(Resolution::kMinute, -1), -kMinute);
  EXPECT_EQ(BucketStart(Resolution::kHour, -kHour), -kHour);
  // Extremes do not overflow.
  TimeMs low = BucketStart(Resolution::kDay, std::numeric_limits<TimeMs>::min());
  EXPECT_EQ((low + 6 * kHour) % kDay, 0);
  TimeMs high = BucketStart(Resolution::kDay, std::numeric_limits<TimeMs>::max());
  EXPECT_LE(high, std::numeric_limits<TimeMs>::max());
  EXPECT_GT(high, std::numeric_limits<TimeMs>::max() - 3 * kDay);
}

class CountersTest : public StoreTest {
 protected:
  // Commits one fresh event carrying `deltas`.
  void Commit(std::vector<CounterDelta> deltas) {
    Report r = MakeReport();
    ScoredBatchItem item;
    item.event.report = r;
    item.event.scored = true;
    item.counters = std::move(deltas);
    ASSERT_OK(store_->CommitScored({&item, 1}));
  }

  std::vector<CounterBucket> Read(std::string_view area, Resolution r, TimeMs from, TimeMs to) {
    auto buckets = store_->ReadCounters(area, r, from, to);
    EXPECT_TRUE(buckets.has_value()) << buckets.error().ToString();
    return buckets.value_or(std::vector<CounterBucket>{});
  }
};

TEST_F(CountersTest, OneDeltaLandsInMinuteHourAndDayBuckets) {
  TimeMs at = kJune1 + 5 * kHour + 30 * kMinute + 15'000;
  Commit(
      {{"KG-O", "total", at, 1}, {"KG-O", "category:water", at, 1}, {"KG-O", "tension", at, 750}});
  auto minute = Read("KG-O", Resolution::kMinute, kJune1, kJune1 + kDay);
  ASSERT_EQ(minute.size(), 1u);
  EXPECT_EQ(minute[0].start, kJune1 + 5 * kHour + 30 * kMinute);
  EXPECT_EQ(minute[0].values, (std::map<std::string, std::int64_t>{
                                  {"category:water", 1}, {"tension", 750}, {"total", 1}}));
  auto hour = Read("KG-O", Resolution::kHour, kJune1, kJune1 + kDay);
  ASSERT_EQ(hour.size(), 1u);
  EXPECT_EQ(hour[0].start, kJune1 + 5 * kHour);
  EXPECT_EQ(hour[0].values.at("tension"), 750);
  auto day = Read("KG-O", Resolution::kDay, kLocalJune1, kLocalJune1 + kDay);
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].start, kLocalJune1);
}

TEST_F(CountersTest, BucketBoundaries) {
  // The last millisecond of one hour and the first of the next.
  TimeMs edge = kJune1 + 2 * kHour;
  Commit({{"KG", "total", edge - 1, 1}, {"KG", "total", edge, 10}});
  auto minute = Read("KG", Resolution::kMinute, kJune1, kJune1 + kDay);
  ASSERT_EQ(minute.size(), 2u);
  EXPECT_EQ(minute[0].start, edge - kMinute);
  EXPECT_EQ(minute[0].values.at("total"), 1);
  EXPECT_EQ(minute[1].start, edge);
  EXPECT_EQ(minute[1].values.at("total"), 10);
  auto hour = Read("KG", Resolution::kHour, kJune1, kJune1 + kDay);
  ASSERT_EQ(hour.size(), 2u);
  EXPECT_EQ(hour[0].start, edge - kHour);
  EXPECT_EQ(hour[1].start, edge);
  auto day = Read("KG", Resolution::kDay, kLocalJune1, kLocalJune1 + kDay);
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].values.at("total"), 11);
}

TEST_F(CountersTest, RangeIsFromInclusiveToExclusiveOnBucketStart) {
  for (int h = 0; h < 5; ++h) Commit({{"KG", "total", kJune1 + h * kHour + 123, h + 1}});
  auto all = Read("KG", Resolution::kHour, kJune1, kJune1 + 5 * kHour);
  ASSERT_EQ(all.size(), 5u);
  auto middle = Read("KG", Resolution::kHour, kJune1 + kHour, kJune1 + 3 * kHour);
  ASSERT_EQ(middle.size(), 2u);
  EXPECT_EQ(middle[0].start, kJune1 + kHour);
  EXPECT_EQ(middle[1].start, kJune1 + 2 * kHour);
  EXPECT_EQ(middle[1].values.at("total"), 3);
  // `from` inside a bucket excludes that bucket (its start is before `from`).
  auto inside = Read("KG", Resolution::kHour, kJune1 + kHour + 1, kJune1 + 3 * kHour + 1);
  ASSERT_EQ(inside.size(), 2u);
  EXPECT_EQ(inside[0].start, kJune1 + 2 * kHour);
  EXPECT_EQ(inside[1].start, kJune1 + 3 * kHour);
  EXPECT_TRUE(Read("KG", Resolution::kHour, kJune1 + kHour, kJune1 + kHour).empty());
  EXPECT_TRUE(Read("KG", Resolution::kHour, kJune1 + 3 * kHour, kJune1).empty());
  EXPECT_TRUE(Read("KG", Resolution::kHour, kJune1 + 5 * kHour, kJune1 + kDay).empty());
  auto wide = Read("KG", Resolution::kHour, std::numeric_limits<TimeMs>::min(),
                   std::numeric_limits<TimeMs>::max());
  EXPECT_EQ(wide.size(), 5u);
}

TEST_F(CountersTest, OtherAreasAndResolutionsAreNotIncluded) {
  TimeMs at = kJune1 + kHour;
  Commit({{"KG", "total", at, 1},
          {"KG-O", "total", at, 2},
          {"KG-O-ARAVAN", "total", at, 4},
          {"KG-C", "total", at, 8},
          {"K", "total", at, 16}});
  auto kg = Read("KG", Resolution::kMinute, kJune1, kJune1 + kDay);
  ASSERT_EQ(kg.size(), 1u);
  EXPECT_EQ(kg[0].values, (std::map<std::string, std::int64_t>{{"total", 1}}));
  auto osh = Read("KG-O", Resolution::kDay, kLocalJune1, kLocalJune1 + kDay);
  ASSERT_EQ(osh.size(), 1u);
  EXPECT_EQ(osh[0].values.at("total"), 2);
  EXPECT_TRUE(Read("KG-T", Resolution::kDay, kJune1, kJune1 + kDay).empty());
  EXPECT_TRUE(Read("", Resolution::kDay, kJune1, kJune1 + kDay).empty());
}

TEST_F(CountersTest, NegativeAndLargeDeltasAndNegativeTimes) {
  TimeMs at = kJune1 + 10 * kMinute;
  constexpr std::int64_t kBig = std::int64_t{1} << 50;
  Commit({{"KG", "total", at, 5}, {"KG", "tension", at, kBig}});
  Commit({{"KG", "total", at, -7}, {"KG", "tension", at, kBig}});
  auto minute = Read("KG", Resolution::kMinute, kJune1, kJune1 + kDay);
  ASSERT_EQ(minute.size(), 1u);
  EXPECT_EQ(minute[0].values.at("total"), -2);
  EXPECT_EQ(minute[0].values.at("tension"), 2 * kBig);
  Commit({{"KG", "total", at, 2}});
  minute = Read("KG", Resolution::kMinute, kJune1, kJune1 + kDay);
  ASSERT_EQ(minute.size(), 1u);
  EXPECT_EQ(minute[0].values.at("total"), 0);  // touched dims stay present at zero

  // Before the epoch: buckets still sort in time order. 1970-01-01T00:00+06:00 is -6 h.
  constexpr TimeMs kLocalEpochDay = -6 * kHour;
  Commit({{"KG", "total", kLocalEpochDay - 1, 1},
          {"KG", "total", kLocalEpochDay - kDay - 1, 1},
          {"KG", "total", kLocalEpochDay, 1}});
  auto day = Read("KG", Resolution::kDay, -10 * kDay, kDay);
  ASSERT_EQ(day.size(), 3u);
  EXPECT_EQ(day[0].start, kLocalEpochDay - 2 * kDay);
  EXPECT_EQ(day[1].start, kLocalEpochDay - kDay);
  EXPECT_EQ(day[2].start, kLocalEpochDay);
}

TEST_F(CountersTest, InvalidArguments) {
  auto bad_res = store_->ReadCounters("KG", static_cast<Resolution>(7), 0, 1);
  ASSERT_FALSE(bad_res);
  EXPECT_EQ(bad_res.error().code, ErrorCode::kInvalidArgument);
  ScoredBatchItem item;
  item.event.report = MakeReport();
  item.counters.push_back({std::string("K\0G", 3), "total", 0, 1});
  auto st = store_->CommitScored({&item, 1});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CountersTest, MatchBruteForceRecountOfRandomEvents) {
  std::mt19937_64 rng(20240601);  // fixed seed: deterministic
  const std::vector<std::string> areas = {"KG", "KG-O", "KG-O-ARAVAN", "KG-C"};
  const std::vector<std::string> dims = {"total", "severity:high", "category:water", "tension"};
  // (area, resolution, bucket start, dim) -> expected sum.
  std::map<std::tuple<std::string, int, TimeMs, std::string>, std::int64_t> want;
  const TimeMs span = 3 * kDay;
  std::vector<ScoredBatchItem> batch;
  std::vector<ScoredBatchItem> replay;
  auto flush = [&] {
    ASSERT_OK(store_->CommitScored(batch));
    batch.clear();
  };
  for (int i = 0; i < 3000; ++i) {
    ScoredBatchItem item;
    item.event.report = MakeReport();
    item.event.scored = true;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int j = 0; j < n; ++j) {
      CounterDelta d;
      d.area = areas[rng() % areas.size()];
      d.dim = dims[rng() % dims.size()];
      d.at = kJune1 - kDay / 2 + static_cast<TimeMs>(rng() % span);
      d.delta = static_cast<std::int64_t>(rng() % 2001) - 500;
      for (Resolution r : {Resolution::kMinute, Resolution::kHour, Resolution::kDay}) {
        want[{d.area, static_cast<int>(r), ExpectedStart(r, d.at), d.dim}] += d.delta;
      }
      item.counters.push_back(std::move(d));
    }
    if (i < 50) replay.push_back(item);
    batch.push_back(std::move(item));
    if (batch.size() == 100) flush();
    if (i == 1500) {
      ASSERT_OK(store_->Flush());  // mix merge operands in SST files and memtables
    }
  }
  flush();
  // Replaying already-committed events must not change anything.
  ASSERT_OK(store_->CommitScored(replay));

  auto check = [&] {
    std::map<std::tuple<std::string, int, TimeMs, std::string>, std::int64_t> got;
    for (const auto& area : areas) {
      for (Resolution r : {Resolution::kMinute, Resolution::kHour, Resolution::kDay}) {
        auto buckets = store_->ReadCounters(area, r, kJune1 - 2 * kDay, kJune1 + 4 * kDay);
        ASSERT_OK(buckets);
        TimeMs prev = std::numeric_limits<TimeMs>::min();
        for (const auto& b : *buckets) {
          EXPECT_GT(b.start, prev);  // strictly increasing, one entry per bucket
          prev = b.start;
          for (const auto& [dim, v] : b.values) got[{area, static_cast<int>(r), b.start, dim}] = v;
        }
      }
    }
    EXPECT_EQ(got, want);
  };
  check();
  Reopen();
  check();
}

TEST_F(CountersTest, TableAndBucketsAgree) {
  Commit({{"KG-O", "total", kJune1, 3}, {"KG-O", "severity:high", kJune1, 2}});
  Commit({{"KG-O", "sevcat:high:violence", kJune1 + kHour, 1}, {"KG-O", "total", kJune1 + kHour, 1}});
  auto table = store_->ReadCounterTable("KG-O", Resolution::kHour, kJune1, kJune1 + kDay);
  ASSERT_OK(table);
  ASSERT_EQ(table->rows(), 2u);
  ASSERT_EQ(table->offsets.size(), 3u);
  auto buckets = Read("KG-O", Resolution::kHour, kJune1, kJune1 + kDay);
  ASSERT_EQ(buckets.size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(table->starts[r], buckets[r].start);
    std::map<std::string, std::int64_t> values;
    std::uint32_t last = 0;
    for (auto i = table->offsets[r]; i < table->offsets[r + 1]; ++i) {
      if (i > table->offsets[r]) {
        EXPECT_GT(table->cells[i].dim, last);
      }
      last = table->cells[i].dim;
      values[(*table->dims)[table->cells[i].dim]] = table->cells[i].value;
    }
    EXPECT_EQ(values, buckets[r].values);
  }
  EXPECT_EQ(buckets[1].values.at("sevcat:high:violence"), 1);
}

// Schema 1 kept one key per dim ("area\0" res BE64(start ^ 2^63) dim -> int64 LE) and UTC days.
std::string LegacyKey(std::string_view area, Resolution r, TimeMs start, std::string_view dim) {
  std::string key(area);
  key.push_back('\0');
  key.push_back(static_cast<char>(r));
  auto biased = static_cast<std::uint64_t>(start) ^ (std::uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<char>((biased >> (8 * i)) & 0xff));
  key.append(dim);
  return key;
}
std::string LegacyValue(std::int64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
  return out;
}

TEST_F(CountersTest, MigratesSchema1CountersToRowsAndLocalDays) {
  store_.reset();
  // Two events of schema 1: 2024-06-01T03:10Z (09:10+06:00) and 2024-06-01T20:30Z (June 2,
  // 02:30+06:00): one UTC day, two local days.
  const TimeMs a = kJune1 + 3 * kHour + 10 * kMinute, b = kJune1 + 20 * kHour + 30 * kMinute;
  {
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, db_dir(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, db_dir(), descriptors, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle *meta = nullptr, *counters = nullptr;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") meta = handles[i];
      if (names[i] == "counters") counters = handles[i];
    }
    ASSERT_TRUE(meta && counters);
    rocksdb::WriteOptions wo;
    ASSERT_TRUE(db->Put(wo, meta, "schema_version", "1").ok());
    for (TimeMs t : {a, b}) {
      for (Resolution r : {Resolution::kMinute, Resolution::kHour}) {
        TimeMs start = t - t % ResolutionMs(r);
        ASSERT_TRUE(db->Put(wo, counters, LegacyKey("KG-O", r, start, "total"), LegacyValue(1)).ok());
        ASSERT_TRUE(db->Put(wo, counters, LegacyKey("KG-O", r, start, "severity:high"), LegacyValue(1)).ok());
      }
    }
    ASSERT_TRUE(db->Put(wo, counters, LegacyKey("KG-O", Resolution::kDay, kJune1, "total"), LegacyValue(2)).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  for (int open = 0; open < 2; ++open) {  // migrates once; the second open finds schema 2
    Open();
    auto hours = Read("KG-O", Resolution::kHour, kJune1, kJune1 + kDay);
    ASSERT_EQ(hours.size(), 2u);
    EXPECT_EQ(hours[0].start, kJune1 + 3 * kHour);
    EXPECT_EQ(hours[0].values, (std::map<std::string, std::int64_t>{{"severity:high", 1}, {"total", 1}}));
    EXPECT_EQ(Read("KG-O", Resolution::kMinute, kJune1, kJune1 + kDay).size(), 2u);
    auto days = Read("KG-O", Resolution::kDay, kJune1 - 2 * kDay, kJune1 + 2 * kDay);
    ASSERT_EQ(days.size(), 2u);
    EXPECT_EQ(days[0].start, kLocalJune1);
    EXPECT_EQ(days[0].values.at("total"), 1);
    EXPECT_EQ(days[1].start, kLocalJune1 + kDay);
    EXPECT_EQ(days[1].values.at("severity:high"), 1);
    // New counters merge into the migrated rows.
    Commit({{"KG-O", "total", a, 5}});
    EXPECT_EQ(Read("KG-O", Resolution::kHour, kJune1, kJune1 + kDay)[0].values.at("total"), 6);
    Commit({{"KG-O", "total", a, -5}});
    store_.reset();
  }
  Open();
}

}  // namespace
}  // namespace sakchy::storage::testing::counters_test
