#include "analytics/event_counters.h"

#include <utility>

#include "analytics/counter_key.h"

namespace sakchy::analytics {

std::vector<storage::CounterDelta> CountersFor(const Event& event, const config::AreaTree& areas) {
  std::vector<AreaCode> targets;
  if (!event.area.empty()) targets = areas.Ancestors(event.area);
  if (targets.empty()) targets.push_back(areas.root());
  const TimeMs at = event.report.observed_at;
  std::vector<storage::CounterDelta> out;
  out.reserve(targets.size() * (2 + 2 * event.categories.size()));
  for (const auto& area : targets) {
    out.push_back({area, CounterKey::Total().Encode(), at, 1});
    out.push_back({area, CounterKey::OfSeverity(event.severity).Encode(), at, 1});
    for (const auto& c : event.categories) {
      out.push_back({area, CounterKey::OfCategory(c).Encode(), at, 1});
      out.push_back({area, CounterKey::OfSeverityCategory(event.severity, c).Encode(), at, 1});
    }
  }
  return out;
}

void CounterSums::clear() {
  sums_.clear();
  dims_.clear();
}

std::string_view CounterSums::CategoryDim(const std::string& category) {
  return Interned(CounterKey::OfCategory(category).Encode());
}

std::string_view CounterSums::SevCatDim(Severity severity, const std::string& category) {
  return Interned(CounterKey::OfSeverityCategory(severity, category).Encode());
}

std::vector<storage::CounterDelta> CounterSums::Deltas() const {
  std::vector<storage::CounterDelta> out;
  out.reserve(sums_.size());
  for (const auto& [key, delta] : sums_) {
    const auto& [area, dim, minute] = key;
    out.push_back({std::string(area), std::string(dim), minute, delta});
  }
  return out;
}

std::string_view CounterSums::Interned(std::string name) {
  return *dims_.insert(std::move(name)).first;
}

EventCounterPlan::EventCounterPlan(const config::AreaTree& areas)
    : root_{areas.root()}, total_{CounterKey::Total().Encode()} {
  for (const auto& a : areas.areas()) ancestors_.emplace(a.code, areas.Ancestors(a.code));
  for (int i = 0; i < kSeverityCount; ++i) {
    severity_[i] = CounterKey::OfSeverity(static_cast<Severity>(i)).Encode();
  }
}

void EventCounterPlan::Add(const Event& event, CounterSums& sums) const {
  const std::vector<AreaCode>& targets = TargetsOf(event);
  const TimeMs minute =
      storage::BucketStart(storage::Resolution::kMinute, event.report.observed_at);
  for (const auto& area : targets) {
    sums.Add(area, total_, minute, 1);
    sums.Add(area, severity_[static_cast<int>(event.severity)], minute, 1);
    for (const auto& c : event.categories) {
      sums.Add(area, sums.CategoryDim(c), minute, 1);
      sums.Add(area, sums.SevCatDim(event.severity, c), minute, 1);
    }
  }
}

const std::vector<AreaCode>& EventCounterPlan::TargetsOf(const Event& event) const {
  if (!event.area.empty()) {
    if (auto it = ancestors_.find(event.area); it != ancestors_.end() && !it->second.empty()) {
      return it->second;
    }
  }
  return root_;
}

}  // namespace sakchy::analytics
