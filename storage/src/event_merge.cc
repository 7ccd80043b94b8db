#include "event_merge.h"

#include <string_view>

#include "codec.h"

namespace sakchy::storage::internal {
namespace {

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

class EventScoringMergeOperator final : public rocksdb::MergeOperator {
 public:
  // Each operand is a whole scoring: only the newest one counts.
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    if (in.operand_list.empty()) return false;
    const std::string_view scoring = View(in.operand_list.back());
    std::string_view base;
    const std::string_view* base_ptr = nullptr;
    if (in.existing_value != nullptr) {
      base = View(*in.existing_value);
      base_ptr = &base;
    }
    return MergeEventScoring(base_ptr, scoring, &out->new_value).has_value();
  }

  bool PartialMerge(const rocksdb::Slice& /*key*/, const rocksdb::Slice& /*left*/,
                    const rocksdb::Slice& right, std::string* new_value,
                    rocksdb::Logger* /*logger*/) const override {
    new_value->assign(right.data(), right.size());
    return true;
  }

  const char* Name() const override { return "sakchy.EventScoring"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewEventScoringMergeOperator() {
  return std::make_shared<EventScoringMergeOperator>();
}

}  // namespace sakchy::storage::internal
