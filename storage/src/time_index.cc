#include "time_index.h"

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "codec.h"

namespace sakchy::storage::internal {

Status BuildTimeIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
                      rocksdb::ColumnFamilyHandle* index) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, events));
  rocksdb::WriteBatch batch;
  rocksdb::WriteOptions wo;
  Event event;
  std::string key;
  std::size_t added = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (auto st = DecodeEvent({it->value().data(), it->value().size()}, &event); !st) {
      return MakeError(ErrorCode::kCorruption, "storage: indexing event " + it->key().ToString() +
                                                   ": " + st.error().message);
    }
    if (!event.scored) continue;
    TimeIndexKey(event.report.observed_at, event.report.id, &key);
    batch.Put(index, key, rocksdb::Slice());
    ++added;
    if (batch.Count() >= 10000) {
      if (auto s = db->Write(wo, &batch); !s.ok()) {
        return MakeError(ErrorCode::kIo, "storage: writing the time index: " + s.ToString());
      }
      batch.Clear();
    }
  }
  if (!it->status().ok()) {
    return MakeError(ErrorCode::kIo, "storage: scanning events: " + it->status().ToString());
  }
  wo.sync = true;
  if (auto s = db->Write(wo, &batch); !s.ok()) {
    return MakeError(ErrorCode::kIo, "storage: writing the time index: " + s.ToString());
  }
  spdlog::info("storage: indexed {} scored events by observed time", added);
  return OkStatus();
}

}  // namespace sakchy::storage::internal
