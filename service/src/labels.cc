#include "labels.h"

#include <boost/json.hpp>

#include "core/json_text.h"

namespace sakchy::service {
namespace {

namespace json = boost::json;

class RecordsLabelStore final : public LabelStore {
 public:
  explicit RecordsLabelStore(storage::RecordStore& store) : store_(store) {}

  Status Put(const EventLabel& label, const storage::AuditEntry& audit) override {
    const std::string value = ToJsonText(json::value(json::object{
        {"label", label.label}, {"by", label.labelled_by}, {"at", label.labelled_at}}));
    const storage::RecordWrite writes[] = {
        {std::string(kLabelsTable), Position(label), value}, storage::AuditRecord(audit)};
    return store_.WriteRecords(writes);
  }

  Result<std::vector<EventLabel>> Scan(const std::string& after, std::size_t limit) override {
    storage::RecordScan scan;
    scan.start_after = after;
    scan.limit = limit;
    auto records = store_.ScanRecords(kLabelsTable, scan);
    if (!records) return tl::unexpected(records.error());
    std::vector<EventLabel> out;
    for (const auto& r : *records) {
      const auto zero = r.key.find('\0');
      boost::system::error_code ec;
      const json::value v = json::parse(r.value, ec);
      if (zero == std::string::npos || ec || !v.is_object() || !v.as_object().contains("label")) {
        return MakeError(ErrorCode::kCorruption, "labels: bad record " + r.key.substr(0, zero));
      }
      const auto& o = v.as_object();
      EventLabel l;
      l.event_id = r.key.substr(0, zero);
      l.task = r.key.substr(zero + 1);
      l.label = std::string(o.at("label").as_string());
      if (const auto* by = o.if_contains("by"); by && by->is_string()) l.labelled_by = by->as_string();
      if (const auto* at = o.if_contains("at"); at && (at->is_int64() || at->is_uint64())) {
        l.labelled_at = at->to_number<std::int64_t>();
      }
      out.push_back(std::move(l));
    }
    return out;
  }

 private:
  storage::RecordStore& store_;
};

}  // namespace

std::unique_ptr<LabelStore> NewRecordsLabelStore(storage::RecordStore& store) {
  return std::make_unique<RecordsLabelStore>(store);
}

}  // namespace sakchy::service
