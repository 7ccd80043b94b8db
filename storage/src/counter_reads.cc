// RocksStore counter reads: ReadCounterTable (rows on disk plus the deferred deltas of first
// scorings) and ReadCounters.

#include "rocksdb_store.h"

namespace sakchy::storage::internal {
namespace {

// Adds deferred (bucket start, dim name) deltas to a table read from disk. Rows and cells stay
// in ascending order; dim names the dictionary snapshot does not have yet get numbers after it.
void MergeDeferred(const std::map<std::pair<TimeMs, std::string>, std::int64_t>& deferred,
                   CounterTable* t) {
  auto names = std::make_shared<std::vector<std::string>>(*t->dims);
  std::unordered_map<std::string, std::uint32_t> number;
  for (std::uint32_t i = 0; i < names->size(); ++i) number.emplace((*names)[i], i);
  std::map<TimeMs, std::map<std::uint32_t, std::int64_t>> rows;
  for (std::size_t r = 0; r < t->rows(); ++r) {
    auto& row = rows[t->starts[r]];
    for (auto i = t->offsets[r]; i < t->offsets[r + 1]; ++i) row[t->cells[i].dim] += t->cells[i].value;
  }
  for (const auto& [k, delta] : deferred) {
    auto [it, added] = number.try_emplace(k.second, static_cast<std::uint32_t>(names->size()));
    if (added) names->push_back(k.second);
    rows[k.first][it->second] += delta;
  }
  t->starts.clear();
  t->offsets.assign(1, 0);
  t->cells.clear();
  for (const auto& [start, row] : rows) {
    t->starts.push_back(start);
    for (const auto& [dim, value] : row) t->cells.push_back(CounterCell{dim, value});
    t->offsets.push_back(static_cast<std::uint32_t>(t->cells.size()));
  }
  t->dims = std::move(names);
}

}  // namespace

Result<CounterTable> RocksStore::ReadCounterTable(std::string_view area, Resolution resolution,
                                                  TimeMs from, TimeMs to) {
  if (resolution != Resolution::kMinute && resolution != Resolution::kHour &&
      resolution != Resolution::kDay) {
    return MakeError(ErrorCode::kInvalidArgument, "storage: read counters: unknown resolution");
  }
  if (HasNul(area)) {
    return MakeError(ErrorCode::kInvalidArgument, "storage: read counters: area contains NUL");
  }
  CounterTable out;
  out.offsets.push_back(0);
  if (from >= to) {
    out.dims = dims_.Snapshot();
    return out;
  }
  std::string prefix;
  CounterKeyPrefix(area, resolution, &prefix);
  std::string lower = prefix;
  internal::AppendBucketStart(from, &lower);
  std::string upper = prefix;
  internal::AppendBucketStart(to, &upper);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  // The deferred deltas in the range and the iterator's implicit snapshot are taken together: a
  // delta is either still deferred or on disk, never both (their write holds deferred_mu_).
  std::map<std::pair<TimeMs, std::string>, std::int64_t> deferred;  // (bucket, dim) -> delta
  std::unique_ptr<rocksdb::Iterator> it;
  {
    std::lock_guard acc(deferred_mu_);
    for (const auto& [k, delta] : deferred_.minutes) {
      const auto& [d_area, dim, minute] = k;
      const TimeMs start = BucketStart(resolution, minute);
      if (d_area != area || start < from || start >= to) continue;
      deferred[{start, dim}] += delta;
    }
    it.reset(db_->NewIterator(ro, cf_[kCounters]));
    // After the iterator: every dim number it can see was in the dictionary before its row was
    // written, so the snapshot names them all.
    out.dims = dims_.Snapshot();
  }
  // Rows in the range at most; cells per row guessed from the first one (no regrowth copies).
  // (to - from in unsigned arithmetic: the range may span the whole int64 domain.)
  const std::uint64_t span = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
  const auto max_rows = static_cast<std::size_t>(std::min<std::uint64_t>(
      span / static_cast<std::uint64_t>(ResolutionMs(resolution)) + 1, std::uint64_t{1} << 20));
  out.starts.reserve(std::min<std::size_t>(max_rows, 4096));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    std::string_view key = ToView(it->key());
    TimeMs start = 0;
    std::string_view dim;
    const std::size_t before = out.cells.size();
    if (!key.starts_with(prefix) ||
        !internal::ParseCounterKeySuffix(key.substr(prefix.size()), &start, &dim) ||
        !dim.empty() || !internal::DecodeCounterRow(ToView(it->value()), &out.cells)) {
      return tl::unexpected(Corruption(
          "read counters", Error{ErrorCode::kCorruption, "malformed counter key or row"}));
    }
    for (std::size_t i = before; i < out.cells.size(); ++i) {
      if (out.cells[i].dim >= out.dims->size()) {
        return tl::unexpected(Corruption(
            "read counters", Error{ErrorCode::kCorruption, "counter row names an unknown dim"}));
      }
    }
    if (out.starts.empty()) {
      out.starts.reserve(max_rows);
      out.offsets.reserve(max_rows + 1);
      out.cells.reserve(max_rows * (out.cells.size() + 8));
    }
    out.starts.push_back(start);
    out.offsets.push_back(static_cast<std::uint32_t>(out.cells.size()));
  }
  if (!it->status().ok()) return Fail(it->status(), "read counters");
  if (!deferred.empty()) MergeDeferred(deferred, &out);
  return out;
}

Result<std::vector<CounterBucket>> RocksStore::ReadCounters(std::string_view area,
                                                            Resolution resolution, TimeMs from,
                                                            TimeMs to) {
  auto table = ReadCounterTable(area, resolution, from, to);
  if (!table) return tl::unexpected(table.error());
  std::vector<CounterBucket> out;
  out.reserve(table->rows());
  for (std::size_t r = 0; r < table->rows(); ++r) {
    CounterBucket b{table->starts[r], {}};
    for (auto i = table->offsets[r]; i < table->offsets[r + 1]; ++i) {
      b.values.emplace((*table->dims)[table->cells[i].dim], table->cells[i].value);
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace sakchy::storage::internal
