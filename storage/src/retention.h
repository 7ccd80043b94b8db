#pragma once
// Private to storage: the retention sweep over the events column family (Store::ExpireTexts).

#include <rocksdb/db.h>

#include "core/result.h"
#include "storage/store.h"

namespace sakchy::storage::internal {

inline constexpr std::string_view kRetentionCursorKey = "retention_cursor";

// See Store::ExpireTexts, without the compaction: `*swept_first`/`*swept_last` get the range of
// rewritten events (empty when none) for CompactSwept. `events` and `meta` are the column
// families; writes use `wo`.
[[nodiscard]] Result<Maintenance::RetentionResult> ExpireTexts(rocksdb::DB* db,
                                                         rocksdb::ColumnFamilyHandle* events,
                                                         rocksdb::ColumnFamilyHandle* meta,
                                                         const rocksdb::WriteOptions& wo,
                                                         TimeMs received_before,
                                                         std::size_t max_events,
                                                         std::string* swept_first,
                                                         std::string* swept_last);
// Rewrites the files that hold [first, last] so the old versions (with texts) are dropped.
[[nodiscard]] Status CompactSwept(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
                                  const std::string& first, const std::string& last);

}  // namespace sakchy::storage::internal
