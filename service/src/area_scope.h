#pragma once
// Area scoping of list endpoints for officials (Principal::MaySee): lists filtered in the store
// scan, so a page is full whenever enough matching entries exist.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/areas.h"
#include "core/result.h"
#include "service/auth.h"
#include "storage/store.h"

namespace sakchy::service {

struct ScopedAlerts {
  std::vector<Alert> alerts;
  std::string next_cursor;  // empty at the end
  std::set<std::string> acknowledged_groups;  // group keys with an ack (MarkAcknowledged)
};

// GET /v1/alerts for `who`: newest first, only alerts whose area `who` may see. Unscoped callers
// get one store call. For officials the store is read page after page until `limit` alerts match
// or 50 * limit alerts were read; the cursor is then the last alert read, so paging on is exact.
// Blocking (store reads).
[[nodiscard]] Result<ScopedAlerts> ListAlertsInScope(storage::Store& store,
                                                     const storage::AlertFilter& filter,
                                                     std::size_t limit, std::string_view before,
                                                     const Principal& who,
                                                     const config::AreaTree& areas);

// Fills page.acknowledged_groups: the group keys of page.alerts that someone acknowledged (one
// seek per distinct group in the acks table). Blocking (store reads).
[[nodiscard]] Status MarkAcknowledged(storage::Store& store, ScopedAlerts& page);

}  // namespace sakchy::service
