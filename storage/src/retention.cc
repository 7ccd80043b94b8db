#include "retention.h"

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "codec.h"
#include "core/id.h"

namespace sakchy::storage::internal {

namespace {

constexpr std::size_t kBatch = 1000;

Error Fail(const rocksdb::Status& s, std::string_view what) {
  return Error{s.IsCorruption() ? ErrorCode::kCorruption : ErrorCode::kIo,
               "storage: retention (" + std::string(what) + "): " + s.ToString()};
}

}  // namespace

Result<Maintenance::RetentionResult> ExpireTexts(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
                                           rocksdb::ColumnFamilyHandle* meta,
                                           const rocksdb::WriteOptions& wo, TimeMs received_before,
                                           std::size_t max_events, std::string* swept_first,
                                           std::string* swept_last) {
  swept_first->clear();
  swept_last->clear();
  Maintenance::RetentionResult result;
  std::string cursor;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, kRetentionCursorKey, &cursor);
  if (!s.ok() && !s.IsNotFound()) return tl::unexpected(Fail(s, "read cursor"));
  const std::string bound = IdLowerBound(received_before);
  if (!cursor.empty() && cursor >= bound) return result;

  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  const rocksdb::Slice upper(bound);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, events));
  if (cursor.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(cursor);
    if (it->Valid() && it->key() == rocksdb::Slice(cursor)) it->Next();
  }
  rocksdb::WriteBatch batch;
  std::string value;
  Event event;
  auto flush = [&]() -> Status {
    if (batch.Count() == 0) return OkStatus();
    batch.Put(meta, kRetentionCursorKey, cursor);  // with the rewrites it covers
    if (auto st = db->Write(wo, &batch); !st.ok()) return tl::unexpected(Fail(st, "write"));
    batch.Clear();
    return OkStatus();
  };
  for (; it->Valid(); it->Next()) {
    if (result.scanned == max_events) {
      result.done = false;
      break;
    }
    const std::string key = it->key().ToString();
    if (auto st = DecodeEvent({it->value().data(), it->value().size()}, &event); !st) {
      return tl::unexpected(Error{ErrorCode::kCorruption,
                                  "storage: retention: event " + key + ": " + st.error().message});
    }
    if (!event.scored) {  // its text is still needed for scoring; come back later
      result.done = false;
      break;
    }
    ++result.scanned;
    cursor = key;
    if (!event.report.text.empty()) {
      if (swept_first->empty()) *swept_first = key;
      *swept_last = key;
      event.report.text.clear();
      EncodeEvent(event, /*scored=*/true, &value);
      batch.Put(events, key, value);
      ++result.expired;
    }
    if (batch.Count() >= kBatch) {
      if (auto st = flush(); !st) return tl::unexpected(st.error());
    }
  }
  if (!it->status().ok()) return tl::unexpected(Fail(it->status(), "scan"));
  if (result.scanned > 0 && batch.Count() == 0) batch.Put(meta, kRetentionCursorKey, cursor);
  if (auto st = flush(); !st) return tl::unexpected(st.error());
  return result;
}

Status CompactSwept(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, const std::string& first,
                    const std::string& last) {
  if (first.empty()) return OkStatus();
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const rocksdb::Slice begin(first), end(last);
  if (auto st = db->CompactRange(co, events, &begin, &end); !st.ok()) {
    return tl::unexpected(Fail(st, "compact"));
  }
  return OkStatus();
}

}  // namespace sakchy::storage::internal
