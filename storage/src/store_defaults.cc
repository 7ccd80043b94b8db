// Default implementations of Store's optional methods (in terms of the required ones), so test
// doubles implement only what they need.

#include <algorithm>
#include <map>

#include "storage/store.h"

namespace sakchy::storage {

Result<CounterTable> Store::ReadCounterTable(std::string_view area, Resolution resolution,
                                             TimeMs from, TimeMs to) {
  auto buckets = ReadCounters(area, resolution, from, to);
  if (!buckets) return tl::unexpected(buckets.error());
  std::map<std::string, std::uint32_t> numbers;
  auto dims = std::make_shared<std::vector<std::string>>();
  CounterTable out;
  out.offsets.push_back(0);
  for (const auto& b : *buckets) {
    out.starts.push_back(b.start);
    for (const auto& [name, value] : b.values) {  // a std::map: names ascending
      auto [it, added] = numbers.emplace(name, static_cast<std::uint32_t>(dims->size()));
      if (added) dims->push_back(name);
      out.cells.push_back(CounterCell{it->second, value});
    }
    // Dims must ascend within a row: names came in name order, numbers in first-seen order.
    std::sort(out.cells.begin() + out.offsets.back(), out.cells.end(),
              [](const CounterCell& a, const CounterCell& b) { return a.dim < b.dim; });
    out.offsets.push_back(static_cast<std::uint32_t>(out.cells.size()));
  }
  out.dims = std::move(dims);
  return out;
}

Result<std::vector<Event>> Store::ScanEvents(const EventScan& /*scan*/) {
  return MakeError(ErrorCode::kInternal, "storage: this store cannot scan events");
}

Result<Store::VisitResult> Store::VisitEvents(const EventScan& scan,
                                              const std::function<bool(const Event&)>& visit) {
  auto events = ScanEvents(scan);
  if (!events) return tl::unexpected(events.error());
  VisitResult r;
  for (const auto& e : *events) {
    ++r.visited;
    r.last_id = e.report.id;
    if (!visit(e)) break;
  }
  return r;
}

Result<Store::VisitResult> Store::VisitEventsByObserved(
    const ObservedScan& /*scan*/, const std::function<bool(const Event&)>& /*visit*/) {
  return MakeError(ErrorCode::kInternal, "storage: this store cannot scan events by time");
}

Result<Store::RetentionResult> Store::ExpireTexts(TimeMs /*received_before*/,
                                                  std::size_t /*max_events*/) {
  return MakeError(ErrorCode::kInternal, "storage: this store cannot expire texts");
}

Result<BackupInfo> Store::CreateBackup(const std::string& /*backup_dir*/,
                                       const BackupProgressFn& /*progress*/) {
  return MakeError(ErrorCode::kInternal, "storage: this store cannot make backups");
}

}  // namespace sakchy::storage
