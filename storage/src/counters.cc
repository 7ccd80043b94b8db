#include "counters.h"

#include <rocksdb/iterator.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "codec.h"
#include "core/varint.h"

namespace sakchy::storage::internal {
namespace {

constexpr std::array<Resolution, 3> kResolutions = {Resolution::kMinute, Resolution::kHour,
                                                    Resolution::kDay};
constexpr std::size_t kBucketBytes = 8;

bool GetVarint(const char*& p, const char* end, std::uint64_t* v) {
  std::uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (p == end) return false;
    auto byte = static_cast<std::uint8_t>(*p++);
    if (shift == 63 && byte > 1) return false;
    result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

std::int64_t UnZigZag(std::uint64_t u) {
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::int64_t WrappingAdd(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

// A counters key: area, then '\0', resolution byte, bucket; schema 1 appended the dim name.
struct KeyParts {
  std::string_view area;
  Resolution resolution = Resolution::kMinute;
  TimeMs start = 0;
  std::string_view dim;  // empty for a row key
  std::string_view row_key;  // the key up to and including the bucket
};

bool ParseKey(std::string_view key, KeyParts* out) {
  const auto nul = key.find('\0');
  if (nul == std::string_view::npos || key.size() < nul + 2 + kBucketBytes) return false;
  const auto res = static_cast<std::uint8_t>(key[nul + 1]);
  if (res > 2) return false;
  out->area = key.substr(0, nul);
  out->resolution = static_cast<Resolution>(res);
  std::string_view dim;
  if (!ParseCounterKeySuffix(key.substr(nul + 2), &out->start, &dim)) return false;
  out->dim = dim;
  out->row_key = key.substr(0, nul + 2 + kBucketBytes);
  return true;
}

void RowFromCells(const std::vector<CounterCell>& cells, CounterRow* row) {
  row->clear();
  row->reserve(cells.size());
  for (const auto& c : cells) row->emplace_back(c.dim, c.value);
}

class CounterMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    KeyParts parts;
    if (!ParseKey({key.data(), key.size()}, &parts)) return false;
    if (!parts.dim.empty()) {  // schema 1: one int64 per key
      std::int64_t base = 0, delta = 0;
      if (existing_value != nullptr &&
          !DecodeCounter({existing_value->data(), existing_value->size()}, &base)) {
        return false;
      }
      if (!DecodeCounter({value.data(), value.size()}, &delta)) return false;
      EncodeCounter(WrappingAdd(base, delta), new_value);
      return true;
    }
    std::vector<CounterCell> cells;
    if (!DecodeCounterRow({value.data(), value.size()}, &cells)) return false;
    CounterRow b;
    RowFromCells(cells, &b);
    if (existing_value == nullptr) {
      EncodeCounterRow(b, new_value);
      return true;
    }
    cells.clear();
    if (!DecodeCounterRow({existing_value->data(), existing_value->size()}, &cells)) return false;
    CounterRow a;
    RowFromCells(cells, &a);
    AddCounterRows(&a, b);
    EncodeCounterRow(a, new_value);
    return true;
  }
  const char* Name() const override { return "sakchy.Counters"; }
};

}  // namespace

void EncodeCounterRow(const CounterRow& row, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kCounterRowFormat));
  for (const auto& [dim, value] : row) {
    varint::Put(*out, dim);
    varint::PutSigned(*out, value);
  }
}

bool DecodeCounterRow(std::string_view in, std::vector<CounterCell>* cells) {
  if (in.empty() || static_cast<std::uint8_t>(in[0]) != kCounterRowFormat) return false;
  const char* p = in.data() + 1;
  const char* end = in.data() + in.size();
  std::int64_t last = -1;
  while (p != end) {
    std::uint64_t dim = 0, value = 0;
    // Most dims and counts fit one byte each: decode those without the general loop.
    if (end - p >= 2 && static_cast<std::uint8_t>(p[0]) < 0x80 &&
        static_cast<std::uint8_t>(p[1]) < 0x80) {
      dim = static_cast<std::uint8_t>(p[0]);
      value = static_cast<std::uint8_t>(p[1]);
      p += 2;
    } else if (!GetVarint(p, end, &dim) || !GetVarint(p, end, &value)) {
      return false;
    }
    if (dim > 0xffffffffu || static_cast<std::int64_t>(dim) <= last) return false;
    last = static_cast<std::int64_t>(dim);
    cells->push_back(CounterCell{static_cast<std::uint32_t>(dim), UnZigZag(value)});
  }
  return true;
}

void AddCounterRows(CounterRow* a, const CounterRow& b) {
  CounterRow out;
  out.reserve(a->size() + b.size());
  auto i = a->begin();
  auto j = b.begin();
  while (i != a->end() || j != b.end()) {
    if (j == b.end() || (i != a->end() && i->first < j->first)) {
      out.push_back(*i++);
    } else if (i == a->end() || j->first < i->first) {
      out.push_back(*j++);
    } else {
      out.emplace_back(i->first, WrappingAdd(i->second, j->second));
      ++i;
      ++j;
    }
  }
  *a = std::move(out);
}

std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator() {
  return std::make_shared<CounterMergeOperator>();
}

void CounterRowKey(std::string_view area, Resolution resolution, TimeMs start, std::string* out) {
  CounterKeyPrefix(area, resolution, out);
  AppendBucketStart(start, out);
}

// ---- DimDictionary ----

Status DimDictionary::Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
  std::vector<std::string> names;
  std::unordered_map<std::string, std::uint32_t> numbers;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), meta));
  const rocksdb::Slice prefix(kCounterDimPrefix.data(), kCounterDimPrefix.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string name = it->key().ToString().substr(kCounterDimPrefix.size());
    std::uint32_t number = 0;
    const auto v = it->value();
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), number);
    if (ec != std::errc() || end != v.data() + v.size()) {
      return MakeError(ErrorCode::kCorruption, "storage: counter dim '" + name +
                                                   "' has an unreadable number '" + v.ToString() +
                                                   "'");
    }
    if (number >= names.size()) names.resize(number + 1);
    if (!names[number].empty()) {
      return MakeError(ErrorCode::kCorruption,
                       "storage: counter dims '" + names[number] + "' and '" + name +
                           "' share number " + std::to_string(number));
    }
    names[number] = name;
    numbers.emplace(std::move(name), number);
  }
  if (!it->status().ok()) {
    return MakeError(ErrorCode::kIo, "storage: reading counter dims: " + it->status().ToString());
  }
  if (numbers.size() != names.size()) {
    return MakeError(ErrorCode::kCorruption, "storage: counter dim numbers have gaps");
  }
  std::lock_guard lock(mu_);
  names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
  numbers_ = std::move(numbers);
  return OkStatus();
}

std::uint32_t DimDictionary::Add(std::string_view name, rocksdb::ColumnFamilyHandle* meta,
                                 rocksdb::WriteBatch* batch) {
  std::lock_guard lock(mu_);
  if (auto it = numbers_.find(std::string(name)); it != numbers_.end()) return it->second;
  const auto number = static_cast<std::uint32_t>(names_->size());
  auto grown = std::make_shared<std::vector<std::string>>(*names_);
  grown->emplace_back(name);
  names_ = std::move(grown);
  numbers_.emplace(std::string(name), number);
  std::string key(kCounterDimPrefix);
  key.append(name);
  batch->Put(meta, key, std::to_string(number));
  return number;
}

void DimDictionary::Rollback(std::size_t size) {
  std::lock_guard lock(mu_);
  if (size >= names_->size()) return;
  for (std::size_t i = size; i < names_->size(); ++i) numbers_.erase((*names_)[i]);
  names_ = std::make_shared<const std::vector<std::string>>(names_->begin(),
                                                            names_->begin() + static_cast<long>(size));
}

std::size_t DimDictionary::size() const {
  std::lock_guard lock(mu_);
  return names_->size();
}

std::shared_ptr<const std::vector<std::string>> DimDictionary::Snapshot() const {
  std::lock_guard lock(mu_);
  return names_;
}

// ---- CounterAccumulator ----

std::uint32_t CounterAccumulator::DimNumber(std::string_view name, DimDictionary& dims,
                                            rocksdb::ColumnFamilyHandle* meta,
                                            rocksdb::WriteBatch* batch) {
  if (auto it = dim_cache_.find(name); it != dim_cache_.end()) return it->second;
  const std::uint32_t number = dims.Add(name, meta, batch);
  dim_cache_.emplace(std::string(name), number);
  return number;
}

void CounterAccumulator::Add(const CounterDelta& d, DimDictionary& dims,
                             rocksdb::ColumnFamilyHandle* meta, rocksdb::WriteBatch* batch) {
  const std::uint32_t dim = DimNumber(d.dim, dims, meta, batch);
  const TimeMs minute = BucketStart(Resolution::kMinute, d.at);
  // The deltas of one event come area by area: most go to the row of the previous one.
  if (last_ >= rows_.size() || rows_[last_].minute != minute || rows_[last_].area != d.area) {
    auto [it, added] = index_.emplace(std::pair<std::string_view, TimeMs>(d.area, minute), rows_.size());
    if (added) rows_.push_back(MinuteRow{d.area, minute, {}});
    last_ = it->second;
  }
  CounterRow& cells = rows_[last_].cells;
  for (auto& [number, value] : cells) {
    if (number == dim) {
      value = WrappingAdd(value, d.delta);
      return;
    }
  }
  cells.emplace_back(dim, d.delta);
}

void CounterAccumulator::Flush(rocksdb::ColumnFamilyHandle* counters, rocksdb::WriteBatch* batch) {
  // Minute rows roll up into hour and day rows; one merge per row key, in key order.
  std::map<std::string, CounterRow> out;
  std::string key;
  for (auto& row : rows_) {
    std::sort(row.cells.begin(), row.cells.end());
    for (Resolution r : kResolutions) {
      CounterRowKey(row.area, r, BucketStart(r, row.minute), &key);
      auto [it, added] = out.try_emplace(key);
      if (added) {
        it->second = row.cells;
      } else {
        AddCounterRows(&it->second, row.cells);  // zero sums too: touched dims stay present
      }
    }
  }
  rows_.clear();
  index_.clear();
  last_ = 0;
  std::string value;
  for (const auto& [row_key, cells] : out) {
    EncodeCounterRow(cells, &value);
    batch->Merge(counters, row_key, value);
  }
}

// ---- Migration from schema 1 ----

Status MigrateCountersFromSchema1(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                  rocksdb::ColumnFamilyHandle* meta, DimDictionary& dims) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto fail = [](const rocksdb::Status& s, std::string_view what) {
    return MakeError(ErrorCode::kIo, "storage: migrating counters (" + std::string(what) +
                                         "): " + s.ToString());
  };
  std::size_t converted = 0, rebuilt = 0;
  // Phase 1: per-dim keys -> rows, one bucket per batch (old day keys are dropped: rebuilt below).
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    rocksdb::WriteBatch batch;
    std::string group;  // row key of the bucket being gathered
    std::map<std::uint32_t, std::int64_t> cells;
    std::string value;
    auto finish_group = [&]() {
      if (group.empty()) return;
      KeyParts parts;
      (void)ParseKey(group, &parts);
      if (parts.resolution != Resolution::kDay) {
        CounterRow row(cells.begin(), cells.end());
        EncodeCounterRow(row, &value);
        batch.Put(cf, group, value);
        ++converted;
      }
      cells.clear();
      group.clear();
    };
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      KeyParts parts;
      const std::string_view key(it->key().data(), it->key().size());
      if (!ParseKey(key, &parts)) {
        return MakeError(ErrorCode::kCorruption, "storage: migrating counters: malformed key");
      }
      if (parts.dim.empty()) continue;  // already a row
      if (parts.row_key != std::string_view(group)) {
        finish_group();
        if (batch.Count() > 10000) {
          if (auto s = db->Write(wo, &batch); !s.ok()) return fail(s, "write");
          batch.Clear();
        }
        group.assign(parts.row_key);
      }
      std::int64_t v = 0;
      if (!DecodeCounter({it->value().data(), it->value().size()}, &v)) {
        return MakeError(ErrorCode::kCorruption, "storage: migrating counters: malformed value");
      }
      if (parts.resolution != Resolution::kDay) cells[dims.Add(parts.dim, meta, &batch)] += v;
      batch.Delete(cf, it->key());
    }
    if (!it->status().ok()) return fail(it->status(), "scan");
    finish_group();
    if (batch.Count() > 0) {
      if (auto s = db->Write(wo, &batch); !s.ok()) return fail(s, "write");
    }
  }
  // Phase 2: day rows (local midnight) from hour rows, per area.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    std::map<std::string, std::map<std::uint32_t, std::int64_t>> days;  // day row key -> cells
    std::vector<CounterCell> cells;
    std::string key;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      KeyParts parts;
      if (!ParseKey({it->key().data(), it->key().size()}, &parts)) {
        return MakeError(ErrorCode::kCorruption, "storage: migrating counters: malformed key");
      }
      if (parts.resolution != Resolution::kHour || !parts.dim.empty()) continue;
      cells.clear();
      if (!DecodeCounterRow({it->value().data(), it->value().size()}, &cells)) {
        return MakeError(ErrorCode::kCorruption, "storage: migrating counters: malformed row");
      }
      CounterRowKey(parts.area, Resolution::kDay, BucketStart(Resolution::kDay, parts.start), &key);
      auto& day = days[key];
      for (const auto& c : cells) day[c.dim] = WrappingAdd(day[c.dim], c.value);
    }
    if (!it->status().ok()) return fail(it->status(), "scan hours");
    rocksdb::WriteBatch batch;
    std::string value;
    for (const auto& [day_key, day_cells] : days) {
      CounterRow row(day_cells.begin(), day_cells.end());
      EncodeCounterRow(row, &value);
      batch.Put(cf, day_key, value);
      ++rebuilt;
    }
    if (batch.Count() > 0) {
      if (auto s = db->Write(wo, &batch); !s.ok()) return fail(s, "write days");
    }
  }
  spdlog::info("storage: counters migrated to schema 2 ({} minute/hour rows, {} local-day rows)",
               converted, rebuilt);
  return OkStatus();
}

}  // namespace sakchy::storage::internal
