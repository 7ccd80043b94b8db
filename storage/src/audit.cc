#include "storage/audit.h"

#include "codec.h"

namespace sakchy::storage {

std::string EncodeAuditEntry(const AuditEntry& entry) {
  std::string out;
  internal::EncodeAudit(entry, &out);
  return out;
}

Status DecodeAuditEntry(std::string_view key, std::string_view value, AuditEntry* out) {
  if (auto st = internal::DecodeAudit(value, out); !st) return st;
  out->id.assign(key);
  return OkStatus();
}

RecordWrite AuditRecord(const AuditEntry& entry) {
  return RecordWrite{std::string(kAuditTable), entry.id, EncodeAuditEntry(entry)};
}

Status AppendAudit(RecordStore& store, const AuditEntry& entry) {
  if (entry.id.empty()) return MakeError(ErrorCode::kInvalidArgument, "audit: entry id is empty");
  RecordWrite write = AuditRecord(entry);
  return store.WriteRecords({&write, 1});
}

Result<AuditPage> ListAudit(RecordStore& store, const AuditFilter& filter, std::size_t limit,
                            std::string_view before_id) {
  AuditPage page;
  if (limit == 0) return page;
  RecordScan scan;
  scan.reverse = true;
  scan.start_after = std::string(before_id);
  scan.limit = limit * 50;
  auto records = store.ScanRecords(kAuditTable, scan);
  if (!records) return tl::unexpected(records.error());
  AuditEntry entry;
  for (const auto& r : *records) {
    page.next_before = r.key;
    if (auto st = DecodeAuditEntry(r.key, r.value, &entry); !st) {
      return MakeError(ErrorCode::kCorruption, "audit entry " + r.key + ": " + st.error().message);
    }
    if (filter.action_prefix && !entry.action.starts_with(*filter.action_prefix)) continue;
    if (filter.subject && entry.subject != *filter.subject) continue;
    if (filter.actor && entry.actor != *filter.actor) continue;
    page.entries.push_back(entry);
    if (page.entries.size() == limit) break;
  }
  if (records->size() < scan.limit && page.entries.size() < limit) page.next_before.clear();
  return page;
}

}  // namespace sakchy::storage
