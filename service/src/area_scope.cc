#include "area_scope.h"

#include "alerts/acks.h"

namespace sakchy::service {

Result<ScopedAlerts> ListAlertsInScope(storage::Store& store, const storage::AlertFilter& filter,
                                       std::size_t limit, std::string_view before,
                                       const Principal& who, const config::AreaTree& areas) {
  ScopedAlerts out;
  if (!who.scoped()) {
    auto page = store.ListAlerts(filter, limit, before);
    if (!page) return tl::unexpected(page.error());
    if (page->size() == limit && limit > 0) out.next_cursor = page->back().id;
    out.alerts = std::move(*page);
    return out;
  }
  const std::size_t budget = 50 * limit;
  std::size_t read = 0;
  std::string cursor(before);
  while (out.alerts.size() < limit && read < budget) {
    auto page = store.ListAlerts(filter, limit, cursor);
    if (!page) return tl::unexpected(page.error());
    for (auto& a : *page) {
      ++read;
      cursor = a.id;
      if (!who.MaySee(areas, a.area)) continue;
      out.alerts.push_back(std::move(a));
      if (out.alerts.size() == limit) break;
    }
    if (page->size() < limit) {  // the store has nothing older
      if (out.alerts.size() < limit) cursor.clear();
      break;
    }
  }
  out.next_cursor = cursor;
  return out;
}

Status MarkAcknowledged(storage::Store& store, ScopedAlerts& page) {
  std::set<std::string> seen;
  for (const auto& a : page.alerts) {
    if (a.group_key.empty() || !seen.insert(a.group_key).second) continue;
    storage::RecordScan scan;
    scan.prefix = a.group_key;
    scan.prefix.push_back('\0');
    scan.limit = 1;
    auto acks = store.ScanRecords(alerts::kAcksTable, scan);
    if (!acks) return tl::unexpected(acks.error());
    if (!acks->empty()) page.acknowledged_groups.insert(a.group_key);
  }
  return OkStatus();
}

}  // namespace sakchy::service
