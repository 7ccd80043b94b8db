#pragma once
// Analysts' labels on events: training data for learned scorers (POST /v1/events/{id}/label,
// GET /v1/export/labels.ndjson, `sakchy model export-labels`; docs/MODELS.md).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "storage/audit.h"
#include "storage/store.h"

namespace sakchy::service {

struct EventLabel {
  std::string event_id;
  std::string task;         // e.g. "rumour", "dangerous_speech"
  std::string label;        // e.g. "rumour", "non_rumour"
  std::string labelled_by;  // token name
  TimeMs labelled_at = 0;
};

// What labelling needs from storage. One label per (event, task): a new one replaces it.
// Thread safety: implementations may be called concurrently. Blocking: waits on disk.
class LabelStore {
 public:
  virtual ~LabelStore() = default;
  // Stores the label and `audit` in one atomic write.
  [[nodiscard]] virtual Status Put(const EventLabel& label, const storage::AuditEntry& audit) = 0;
  // Labels in (event id, task) order after the position `after` (exclusive; a value of
  // NextPosition, empty = the start), at most `limit`.
  [[nodiscard]] virtual Result<std::vector<EventLabel>> Scan(const std::string& after,
                                                             std::size_t limit) = 0;
  static std::string Position(const EventLabel& label) {
    return label.event_id + std::string(1, '\0') + label.task;
  }
};

// The labels as records of `store`: table "labels", key event id '\0' task, value a JSON object
// {"label", "by", "at"} (storage/README.md lists the table).
std::unique_ptr<LabelStore> NewRecordsLabelStore(storage::RecordStore& store);
inline constexpr std::string_view kLabelsTable = "labels";

}  // namespace sakchy::service
