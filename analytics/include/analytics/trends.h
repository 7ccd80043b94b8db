#pragma once
// Trends from counters: the filter of a query, the series areas of a page and the sums of counter
// rows under a filter (per severity, per category, total and tension). Counts come from counters
// only (storage::CounterTable); no raw events are read. No HTTP here: service/ parses requests
// into these values and renders the answers.
// Thread safety: pure functions; FilteredCounts is immutable after construction.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analytics/tension.h"
#include "config/areas.h"
#include "core/types.h"
#include "storage/ports.h"

namespace sakchy::analytics {

// Filters shared by trends and exports: `area` (with everything below it), `from`/`to`
// (RFC 3339, from inclusive, to exclusive), `severity` and `category` (comma-separated lists).
struct EventFilter {
  std::optional<AreaCode> area;       // std::nullopt: the caller's top areas
  std::optional<TimeMs> from, to;
  std::vector<Severity> severities;   // empty: every severity
  std::vector<std::string> categories;  // empty: every category; sorted, distinct
};
// The areas of each root (roots themselves when `level` is empty; else "children" one level
// down, or every area of that level below the root), in tree order.
std::vector<AreaCode> SeriesAreas(const config::AreaTree& areas, const std::vector<AreaCode>& roots,
                                  const std::string& level);

// Sums counter rows under an EventFilter's severity and category filters (docs/API.md, trends):
// `total` counts the events that pass (once per listed category they have, with a category
// filter), `severity` and `category` break them down; `tension` is over all events of the rows.
class FilteredCounts {
 public:
  struct Sums {
    std::int64_t total = 0;
    std::array<std::int64_t, kSeverityCount> severity{};
    std::vector<std::int64_t> category;  // by index into category_names()
    std::vector<bool> category_seen;     // a cell of it was present
    double tension = 0;
  };
  FilteredCounts(const EventFilter& filter, const std::vector<std::string>& dims,
                 const TensionModel& model);
  Sums Empty() const;
  void Reset(Sums* sums) const;  // back to Empty() without allocating
  void AddRow(const storage::CounterTable& table, std::size_t row, Sums* sums) const;
  const std::vector<std::string>& category_names() const { return category_names_; }
  bool SeveritySelected(int s) const;

 private:
  struct DimRole {
    double tension = 0;  // tension per count
    std::int32_t category = -1;
    std::int8_t severity = -1;
    bool total = false;
  };
  const EventFilter& filter_;
  std::vector<DimRole> roles_;  // by dim number: one lookup per cell
  std::vector<std::string> category_names_;
};

}  // namespace sakchy::analytics
