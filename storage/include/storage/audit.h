#pragma once
// The audit log: who did what to which subject, and when. Verdicts, silences, contact and rule
// changes, acknowledgements and escalations are recorded here and queryable by admins. Entries
// are append-only records of the store's "audit" table, keyed by a time-ordered ULID.
//
// Thread safety: free functions over a thread-safe Store. Blocking: they wait on disk.

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "storage/ports.h"

namespace sakchy::storage {

struct AuditEntry {
  std::string id;       // ULID (time order); assigned by the caller
  TimeMs at = 0;        // when it happened
  std::string actor;    // token name, "contact:<id>", "sms:<pseudonym>" or "system"
  std::string action;   // dotted verb, e.g. "alert.ack", "silence.create", "cluster.verdict"
  std::string subject;  // what it acted on, e.g. an alert, cluster or contact id
  std::string details;  // free text or a JSON document; never secrets or raw phone numbers
};

struct AuditFilter {
  std::optional<std::string> action_prefix;  // e.g. "alert." for every alert action
  std::optional<std::string> subject;
  std::optional<std::string> actor;
};

inline constexpr std::string_view kAuditTable = "audit";

// The record that stores `entry`, to put in the same atomic write as the change it describes.
RecordWrite AuditRecord(const AuditEntry& entry);
// Appends one entry on its own (one synced write).
[[nodiscard]] Status AppendAudit(RecordStore& store, const AuditEntry& entry);
// Newest first; `before_id` (exclusive) pages back in time, empty = from the newest. Entries that
// do not match `filter` are skipped (the scan reads at most `limit * 50` records per call, so a
// rare filter may return a short page: page on with the last id returned or scanned).
struct AuditPage {
  std::vector<AuditEntry> entries;
  std::string next_before;  // pass as before_id for the next page; empty at the end
};
[[nodiscard]] Result<AuditPage> ListAudit(RecordStore& store, const AuditFilter& filter,
                                          std::size_t limit, std::string_view before_id);

// Value encoding (exposed for tests).
std::string EncodeAuditEntry(const AuditEntry& entry);
[[nodiscard]] Status DecodeAuditEntry(std::string_view key, std::string_view value, AuditEntry* out);

}  // namespace sakchy::storage
