// libFuzzer target: every decoder of stored values and keys (storage/src/codec.h, counters.h)
// and both merge operators (sakchy.EventScoring, sakchy.Counters) on any bytes. A value that
// decodes must re-encode to bytes that decode to the same encoding (the codec is canonical on
// what it accepts); any crash, sanitizer report, over-allocation or abort is a bug.
//
// Input: the first byte picks the function; the rest is its input (for merges: parts split by
// the byte 0xFF, the first the existing value — empty means none — the others the operands).

#include <rocksdb/merge_operator.h>
#include <rocksdb/slice.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../../storage/src/codec.h"
#include "../../storage/src/counters.h"
#include "../../storage/src/event_merge.h"

namespace {

namespace internal = sakchy::storage::internal;

void Check(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::string_view> Split(std::string_view in, char sep) {
  std::vector<std::string_view> parts;
  while (parts.size() < 8) {
    const auto at = in.find(sep);
    parts.push_back(in.substr(0, at));
    if (at == std::string_view::npos) break;
    in.remove_prefix(at + 1);
  }
  return parts;
}

void Merge(const rocksdb::MergeOperator& op, std::string_view key, std::string_view in) {
  const auto parts = Split(in, '\xFF');
  const rocksdb::Slice existing(parts[0].data(), parts[0].size());
  std::vector<rocksdb::Slice> operands;
  for (std::size_t i = 1; i < parts.size(); ++i) operands.emplace_back(parts[i].data(), parts[i].size());
  std::string result;
  rocksdb::Slice existing_operand;
  rocksdb::MergeOperator::MergeOperationOutput out(result, existing_operand);
  const rocksdb::Slice key_slice(key.data(), key.size());  // the input holds references
  const rocksdb::MergeOperator::MergeOperationInput merge_in(
      key_slice, parts[0].empty() ? nullptr : &existing, operands, nullptr);
  (void)op.FullMergeV2(merge_in, &out);
}

template <typename T, typename Decode, typename Encode>
void RoundTrip(std::string_view in, Decode decode, Encode encode) {
  T value{};
  if (!decode(in, &value)) return;
  std::string once;
  encode(value, &once);
  T again{};
  Check(static_cast<bool>(decode(once, &again)));
  std::string twice;
  encode(again, &twice);
  Check(once == twice);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 11) {
    case 0:
      RoundTrip<sakchy::Event>(
          in, [](std::string_view s, sakchy::Event* e) { return internal::DecodeEvent(s, e).has_value(); },
          [](const sakchy::Event& e, std::string* out) { internal::EncodeEvent(e, out); });
      break;
    case 1: {
      auto state = internal::DecodeEventState(in);
      sakchy::Event e;
      // The quick reader must agree with the full decoder on what is valid and on the flags.
      if (internal::DecodeEvent(in, &e)) {
        Check(state.has_value() && state->scored == e.scored &&
              state->follow_ups_scored == e.follow_ups_scored);
      }
      break;
    }
    case 2:
      RoundTrip<sakchy::Report>(
          in, [](std::string_view s, sakchy::Report* r) { return internal::DecodeFollowUp(s, r).has_value(); },
          [](const sakchy::Report& r, std::string* out) { internal::EncodeFollowUp(r, out); });
      break;
    case 3:
      RoundTrip<internal::ThreadState>(
          in,
          [](std::string_view s, internal::ThreadState* t) { return internal::DecodeThread(s, t).has_value(); },
          [](const internal::ThreadState& t, std::string* out) { internal::EncodeThread(t, out); });
      break;
    case 4:
      RoundTrip<sakchy::Alert>(
          in, [](std::string_view s, sakchy::Alert* a) { return internal::DecodeAlert(s, a).has_value(); },
          [](const sakchy::Alert& a, std::string* out) { internal::EncodeAlert(a, out); });
      break;
    case 5:
      RoundTrip<sakchy::storage::AuditEntry>(
          in,
          [](std::string_view s, sakchy::storage::AuditEntry* a) {
            return internal::DecodeAudit(s, a).has_value();
          },
          [](const sakchy::storage::AuditEntry& a, std::string* out) { internal::EncodeAudit(a, out); });
      break;
    case 6: {
      std::vector<sakchy::storage::CounterCell> cells;
      if (internal::DecodeCounterRow(in, &cells)) {
        internal::CounterRow row;
        for (const auto& c : cells) row.emplace_back(c.dim, c.value);
        std::string out;
        internal::EncodeCounterRow(row, &out);
        std::vector<sakchy::storage::CounterCell> again;
        Check(internal::DecodeCounterRow(out, &again) && again.size() == cells.size());
      }
      std::int64_t v = 0;
      (void)internal::DecodeCounter(in, &v);
      break;
    }
    case 7: {
      sakchy::TimeMs start = 0;
      std::string_view dim;
      (void)internal::ParseCounterKeySuffix(in, &start, &dim);
      break;
    }
    case 8: {
      const auto parts = Split(in, '\xFF');
      std::string out;
      const std::string_view base = parts[0];
      const std::string_view scoring = parts.size() > 1 ? parts[1] : std::string_view();
      (void)internal::MergeEventScoring(base.empty() ? nullptr : &base, scoring, &out);
      break;
    }
    case 9: {
      static const auto op = internal::NewEventScoringMergeOperator();
      Merge(*op, "01JDA7Q0000000000000000000", in);
      break;
    }
    case 10: {
      static const auto op = internal::NewCounterMergeOperator();
      const auto parts = Split(in, '\xFE');
      Merge(*op, parts[0], parts.size() > 1 ? parts[1] : std::string_view());
      break;
    }
  }
  return 0;
}
