#pragma once
// Private to storage: the binary encoding of stored values and keys.
//
// Values start with a format version byte, then fields in a fixed order: unsigned integers as
// LEB128 varints, signed ones zig-zag encoded, strings and lists length-prefixed, doubles as 8
// little-endian bytes. Decoding is bounds-checked and strict (unknown version, enum out of range,
// truncation or trailing bytes give kCorruption); it never throws and never over-allocates.
//
// Thread safety: free functions on caller-owned data.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/types.h"
#include "storage/audit.h"
#include "storage/store.h"

namespace sakchy::storage::internal {

// Event format 2 added the report's url, published_at, edited_at, thread_key, thread_window_ms
// and follow_up_of, and the event's follow_ups_scored. Format 1 values still decode (those
// fields empty / 0).
// Event format 3 is format 2 followed by the learned models' part of the score (rules_score,
// then each ModelScore); it is written only for an event with model scores, so events scored by
// the rules alone keep format 2's bytes. Formats 1 and 2 decode with rules_score = score.
inline constexpr std::uint8_t kEventFormat = 2;
inline constexpr std::uint8_t kEventFormatWithModels = 3;
inline constexpr std::uint8_t kFollowUpFormat = 1;
inline constexpr std::uint8_t kThreadFormat = 1;
inline constexpr std::uint8_t kAlertFormat = 2;
inline constexpr std::uint8_t kAlertFormatV1 = 1;  // still decoded (before kind, group, payload)
inline constexpr std::uint8_t kAuditFormat = 1;

// Replaces *out with the encoding of `event`, with its `scored` flag replaced by `scored`.
void EncodeEvent(const Event& event, bool scored, std::string* out);
inline void EncodeEvent(const Event& event, std::string* out) {
  EncodeEvent(event, event.scored, out);
}
// The scoring of a stored, not yet scored event as a merge operand of the events column family
// (see event_merge.h): the event's encoding with its report cut to the id. A scored commit
// then need not write the report, its text above all, a second time.
void EncodeEventScoring(const Event& event, std::string* out);
// *out = the stored event `*base` with the scoring of `scoring` (from EncodeEventScoring): the
// report of the base, everything else of the scoring. Without a base (the event was removed
// before its scoring was merged), the scoring as it is.
[[nodiscard]] Status MergeEventScoring(const std::string_view* base, std::string_view scoring,
                                       std::string* out);
// Encodes a report as a not yet scored event (Event{report, scored = false}).
void EncodeUnscoredReport(const Report& report, std::string* out);
[[nodiscard]] Status DecodeEvent(std::string_view in, Event* out);
// What a scored commit needs to know about a stored event, read without decoding it all (the
// report part is validated the same way).
struct EventState {
  bool scored = false;
  std::uint32_t follow_ups_scored = 0;
};
[[nodiscard]] Result<EventState> DecodeEventState(std::string_view in);
[[nodiscard]] inline Result<bool> DecodeEventScored(std::string_view in) {
  auto state = DecodeEventState(in);
  if (!state) return tl::unexpected(state.error());
  return state->scored;
}

// A follow-up (a report attached to an earlier one), stored under its parent's key.
void EncodeFollowUp(const Report& follow_up, std::string* out);
[[nodiscard]] Status DecodeFollowUp(std::string_view in, Report* out);

// The thread of one (channel, thread_key): the report that started it, when (received_at), and
// how many follow-ups it has (the next one's sequence number).
struct ThreadState {
  std::string parent_id;
  TimeMs started_at = 0;
  std::uint32_t follow_ups = 0;
};
void EncodeThread(const ThreadState& thread, std::string* out);
[[nodiscard]] Status DecodeThread(std::string_view in, ThreadState* out);

void EncodeAlert(const Alert& alert, std::string* out);
[[nodiscard]] Status DecodeAlert(std::string_view in, Alert* out);

// The audit entry without its id (the id is the record key).
void EncodeAudit(const AuditEntry& entry, std::string* out);
[[nodiscard]] Status DecodeAudit(std::string_view in, AuditEntry* out);

// ---- Keys ----

// Idempotency key of a report: channel + '\0' + '\x01' + submitted_by + '\0' + source_ref, so
// one submitter's source_ref never suppresses another's report. `channel` and `submitted_by` must
// not contain '\0'. The '\x01' keeps these keys apart from the keys written before the submitter
// was part of them (LegacyIdempotencyKey; a source_ref never starts with a control character).
void IdempotencyKey(std::string_view channel, std::string_view submitted_by,
                    std::string_view source_ref, std::string* out);
// channel + '\0' + key: the idempotency keys of databases written before (still looked up, see
// RocksStore::AppendReports) and the keys of SMS threads.
void LegacyIdempotencyKey(std::string_view channel, std::string_view key, std::string* out);

// Counter key: area + '\0' + resolution byte + 8-byte big-endian (start ms XOR sign bit, so
// negative times sort first) + dim. `area` must not contain '\0'.
void CounterKeyPrefix(std::string_view area, Resolution resolution, std::string* out);
void AppendBucketStart(TimeMs start, std::string* out);
void CounterKey(std::string_view area, Resolution resolution, TimeMs start, std::string_view dim,
                std::string* out);
// Splits the part of a counter key after its prefix into bucket start and dim.
[[nodiscard]] bool ParseCounterKeySuffix(std::string_view suffix, TimeMs* start,
                                         std::string_view* dim);

// Follow-up key: parent id + 4-byte big-endian sequence number (arrival order within the parent).
void FollowUpKey(std::string_view parent_id, std::uint32_t seq, std::string* out);

// Alert-by-event index key: event_id + '\0' + alert_id.
void AlertByEventKey(std::string_view event_id, std::string_view alert_id, std::string* out);

// Counter values: 8-byte little-endian two's complement int64.
void EncodeCounter(std::int64_t value, std::string* out);
[[nodiscard]] bool DecodeCounter(std::string_view in, std::int64_t* value);

}  // namespace sakchy::storage::internal
