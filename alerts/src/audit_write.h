#pragma once
// One audit entry as a record write (private to alerts): every state change the engine audits
// goes through here, written in the same atomic batch as the change.

#include <string>
#include <string_view>

#include "core/id.h"
#include "core/time.h"
#include "storage/audit.h"

namespace sakchy::alerts {

// The entry {id: ids.Next(), at, actor, action, subject, details} in the audit table. `details`
// never holds secrets or addresses.
inline storage::RecordWrite AuditWrite(IdGenerator& ids, TimeMs at, std::string actor,
                                       std::string action, std::string subject,
                                       std::string details) {
  storage::AuditEntry entry;
  entry.id = ids.Next();
  entry.at = at;
  entry.actor = std::move(actor);
  entry.action = std::move(action);
  entry.subject = std::move(subject);
  entry.details = std::move(details);
  return storage::AuditRecord(entry);
}

}  // namespace sakchy::alerts
