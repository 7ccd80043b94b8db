#pragma once
// Private to storage: counters stored as one RocksDB key per (area, resolution, bucket) whose
// value is a row of (dim number, int64) pairs; the merge operator adds rows cell by cell. Dim
// names ("total", "severity:high", "sevcat:high:violence" ...) are numbered by a dictionary kept
// in the meta column family ("counter_dim\0<name>" -> number), written in the same batch as the
// first counter that uses a name.
//
// Row value: format byte 1, then per cell varint(dim) and zig-zag varint(value), dims strictly
// ascending. Schema 1 stored one key per dim (key suffix = dim name, 8-byte int64 value) and UTC
// day buckets; MigrateCountersFromSchema1 converts such a database in place.

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"
#include "storage/store.h"

namespace sakchy::storage::internal {

using CounterRow = std::vector<std::pair<std::uint32_t, std::int64_t>>;  // ascending dims

inline constexpr std::uint8_t kCounterRowFormat = 1;
inline constexpr std::string_view kCounterDimPrefix{"counter_dim\0", 12};

void EncodeCounterRow(const CounterRow& row, std::string* out);
// Appends the row's cells to `cells`; false when malformed (unknown format, truncated, dims not
// ascending).
[[nodiscard]] bool DecodeCounterRow(std::string_view in, std::vector<CounterCell>* cells);
// a += b, cell by cell.
void AddCounterRows(CounterRow* a, const CounterRow& b);

// Merges schema-2 rows; merges legacy 8-byte values of schema-1 keys (a dim suffix after the
// bucket) by int64 addition, so a not yet migrated database still reads. Name "sakchy.Counters".
std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator();

// Dim name <-> number. Names are added only by the (serialised) writer; readers take snapshots.
// Thread safety: Snapshot() and Find() may run concurrently with Add()/Rollback().
class DimDictionary {
 public:
  // Loads every "counter_dim\0<name>" entry of the meta column family.
  [[nodiscard]] Status Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta);
  // The number of `name`; a new name gets the next number and its meta entry goes into `batch`.
  std::uint32_t Add(std::string_view name, rocksdb::ColumnFamilyHandle* meta,
                    rocksdb::WriteBatch* batch);
  // Forgets the names added since size() was `size` (their batch was not written).
  void Rollback(std::size_t size);
  std::size_t size() const;
  std::shared_ptr<const std::vector<std::string>> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<std::string>> names_ =
      std::make_shared<const std::vector<std::string>>();
  std::unordered_map<std::string, std::uint32_t> numbers_;
};

// Sums counter deltas of one commit per (area, resolution, bucket) and writes one merge per row.
// Keeps views of the deltas' area strings: Flush before they go. Dim names are numbered as they
// come (new names join `batch` through the dictionary) and cached here; call ForgetDims() when
// the batch was not written (the dictionary rolled back). Not thread-safe: one per writer.
class CounterAccumulator {
 public:
  void Add(const CounterDelta& delta, DimDictionary& dims, rocksdb::ColumnFamilyHandle* meta,
           rocksdb::WriteBatch* batch);
  bool empty() const { return rows_.empty(); }
  // Adds one Merge per touched row to `batch`, then clears itself (the dim cache stays).
  void Flush(rocksdb::ColumnFamilyHandle* counters, rocksdb::WriteBatch* batch);
  void ForgetDims() { dim_cache_.clear(); }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct MinuteRow {
    std::string_view area;
    TimeMs minute = 0;
    CounterRow cells;  // unsorted; few dims per row
  };
  std::uint32_t DimNumber(std::string_view name, DimDictionary& dims,
                          rocksdb::ColumnFamilyHandle* meta, rocksdb::WriteBatch* batch);

  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> dim_cache_;
  std::vector<MinuteRow> rows_;
  std::map<std::pair<std::string_view, TimeMs>, std::size_t> index_;  // (area, minute) -> rows_
  std::size_t last_ = 0;  // the row the previous delta went to
};

// Row key: area + '\0' + resolution byte + 8-byte big-endian (start XOR sign bit).
void CounterRowKey(std::string_view area, Resolution resolution, TimeMs start, std::string* out);

// Converts a schema-1 counters column family in place: per-dim keys become rows (each bucket in
// one atomic batch), UTC day buckets are rebuilt from hour rows at local midnight. Safe to run
// again after a crash part-way. Blocking; call before the store serves.
[[nodiscard]] Status MigrateCountersFromSchema1(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                rocksdb::ColumnFamilyHandle* meta,
                                                DimDictionary& dims);

}  // namespace sakchy::storage::internal
