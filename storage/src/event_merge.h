#pragma once
// Private to storage: the merge operator of the events column family.
//
// A report is stored at intake as an unscored event (report + empty scoring). Its first scoring
// is written as a merge operand that holds only the scoring (EncodeEventScoring): the report,
// most of an event's bytes, is not written to the log and the memtable a second time. Reads,
// flushes and compactions apply the operand: the stored report with the newest scoring, the
// same bytes EncodeEvent would have written. Later scorings (follow-ups) still Put whole events.
// Name "sakchy.EventScoring"; a database holding such operands has schema version 4.

#include <rocksdb/merge_operator.h>

#include <memory>

namespace sakchy::storage::internal {

std::shared_ptr<rocksdb::MergeOperator> NewEventScoringMergeOperator();

}  // namespace sakchy::storage::internal
