// RocksStore records: the small named tables of the modules above (WriteRecords, GetRecord,
// ScanRecords) and the helpers other writes use to add records to their batch.

#include "rocksdb_store.h"

namespace sakchy::storage::internal {

constexpr std::size_t kMaxTableName = 64;

bool ValidTableName(std::string_view table) {
  if (table.empty() || table.size() > kMaxTableName) return false;
  return std::all_of(table.begin(), table.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

// records key: table + '\0' + key.
void RecordKey(std::string_view table, std::string_view key, std::string* out) {
  out->assign(table);
  out->push_back('\0');
  out->append(key);
}

Status RocksStore::AddRecords(std::span<const RecordWrite> writes, rocksdb::ColumnFamilyHandle* cf,
                              rocksdb::WriteBatch* batch) {
  std::string key;
  for (const auto& w : writes) {
    if (!ValidTableName(w.table)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "storage: write records: invalid table name '" + w.table + "'");
    }
    AddRecord(w, cf, batch, &key);
  }
  return OkStatus();
}

void RocksStore::AddRecord(const RecordWrite& w, rocksdb::ColumnFamilyHandle* cf,
                           rocksdb::WriteBatch* batch, std::string* key) {
  RecordKey(w.table, w.key, key);
  if (w.value) {
    batch->Put(cf, *key, ToSlice(*w.value));
  } else {
    batch->Delete(cf, *key);
  }
}

Status RocksStore::WriteRecords(std::span<const RecordWrite> writes) {
  rocksdb::WriteBatch batch;
  if (auto st = AddRecords(writes, cf_[kRecords], &batch); !st) return st;
  if (batch.Count() == 0) return OkStatus();
  return DurableWrite(&batch, "write records");
}

Result<std::optional<std::string>> RocksStore::GetRecord(std::string_view table,
                                                         std::string_view key) {
  if (!ValidTableName(table)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "storage: get record: invalid table name '" + std::string(table) + "'");
  }
  std::string full;
  RecordKey(table, key, &full);
  std::string value;
  rocksdb::Status s = db_->Get(read_options_, cf_[kRecords], full, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Fail(s, "get record");
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<Record>> RocksStore::ScanRecords(std::string_view table,
                                                    const RecordScan& scan) {
  if (!ValidTableName(table)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "storage: scan records: invalid table name '" + std::string(table) + "'");
  }
  std::vector<Record> out;
  if (scan.limit == 0) return out;
  // Every key of the scan starts with `lower` = table \0 prefix; `upper` is just past them all.
  std::string lower;
  RecordKey(table, scan.prefix, &lower);
  std::string upper = lower;
  // The smallest key greater than every key starting with `lower`: drop trailing 0xff bytes, then
  // bump the last one (lower always holds the '\0' after the table, so it never runs out).
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) upper.pop_back();
  upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kRecords]));
  std::string after;
  if (!scan.start_after.empty()) RecordKey(table, scan.start_after, &after);
  if (!scan.reverse) {
    if (after.empty()) {
      it->SeekToFirst();
    } else {
      it->Seek(after);
      if (it->Valid() && ToView(it->key()) == std::string_view(after)) it->Next();
    }
  } else {
    if (after.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(after);
      if (it->Valid() && ToView(it->key()) == std::string_view(after)) it->Prev();
    }
  }
  const std::size_t skip = table.size() + 1;
  for (; it->Valid() && out.size() < scan.limit; scan.reverse ? it->Prev() : it->Next()) {
    std::string_view key = ToView(it->key());
    out.push_back(Record{std::string(key.substr(skip)), it->value().ToString()});
  }
  if (!it->status().ok()) return Fail(it->status(), "scan records");
  return out;
}

}  // namespace sakchy::storage::internal
