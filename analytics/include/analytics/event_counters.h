#pragma once
// What one scored event counts: the counter deltas ingest commits with it. The dimensions are
// analytics/counter_key.h's; this header decides which of them an event adds to, and where.
//
// An event counts "total", "severity:<s>", "category:<c>" and "sevcat:<s>:<c>" (severity and
// category together: trend filters and the tension index, whose weights are applied when read)
// for its area and every ancestor up to the root; an event without an area (or with one the tree
// does not know) counts for the root only. Times by observed_at.
//
// Thread safety: CountersFor is pure. An EventCounterPlan is immutable after construction and may
// be shared; a CounterSums belongs to one thread.

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "config/areas.h"
#include "core/types.h"
#include "storage/ports.h"

namespace sakchy::analytics {

// The deltas of one event, one per (area, dimension), at its observed_at.
std::vector<storage::CounterDelta> CountersFor(const Event& event, const config::AreaTree& areas);

// Deltas of many events summed per (area, dimension, minute): one merge per key for a batch.
class CounterSums {
 public:
  void clear();
  void Add(std::string_view area, std::string_view dim, TimeMs minute, std::int64_t delta) {
    sums_[{area, dim, minute}] += delta;
  }
  // The category and severity x category dimensions, spelled once per batch (the views stay
  // valid until clear()).
  std::string_view CategoryDim(const std::string& category);
  std::string_view SevCatDim(Severity severity, const std::string& category);
  std::vector<storage::CounterDelta> Deltas() const;

 private:
  std::string_view Interned(std::string name);

  std::map<std::tuple<std::string_view, std::string_view, TimeMs>, std::int64_t> sums_;
  std::set<std::string, std::less<>> dims_;  // node-based: views stay valid
};

// CountersFor with the area ancestry and dimension names worked out once (the area tree is
// immutable): the same deltas, bucketed by minute and summed into a CounterSums, with few
// allocations on the thread that commits scored batches.
class EventCounterPlan {
 public:
  explicit EventCounterPlan(const config::AreaTree& areas);

  // Adds the deltas of `event` to `sums`; the sums view into this plan and into `event`, which
  // must both outlive their use.
  void Add(const Event& event, CounterSums& sums) const;

 private:
  const std::vector<AreaCode>& TargetsOf(const Event& event) const;

  std::vector<AreaCode> root_;
  std::unordered_map<std::string, std::vector<AreaCode>> ancestors_;
  std::array<std::string, kSeverityCount> severity_;
  std::string total_;
};

}  // namespace sakchy::analytics
