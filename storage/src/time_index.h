#pragma once
// Private to storage: the index of scored events by observed time (column family
// "events_by_time"): key = 8-byte big-endian (observed ms XOR 2^63) + event id, value empty.
// Written in the same batch as the scored event; exports read ranges of observed time from it.

#include <rocksdb/db.h>

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::storage::internal {

inline void TimeIndexKey(TimeMs observed, std::string_view id, std::string* out) {
  out->clear();
  const auto biased = static_cast<std::uint64_t>(observed) ^ (std::uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((biased >> (8 * i)) & 0xff));
  out->append(id);
}

inline std::string TimeIndexBound(TimeMs observed) {
  std::string out;
  TimeIndexKey(observed, {}, &out);
  return out;
}

// Schemas 1 and 2 had no index: adds the entries of every scored event. Blocking; before serving.
[[nodiscard]] Status BuildTimeIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
                                    rocksdb::ColumnFamilyHandle* index);

}  // namespace sakchy::storage::internal
