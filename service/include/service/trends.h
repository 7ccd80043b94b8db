#pragma once
// GET /v1/trends (and the shared filters of the exports): query parsing and validation with
// problems that name the parameter, the series of a page, and the JSON rendering from counter
// tables. Counts come from counters only (storage::CounterTable); no raw events are read.
// Thread safety: pure functions.

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/areas.h"
#include "core/types.h"
#include "service/auth.h"
#include "service/http.h"
#include "service/tension.h"
#include "storage/store.h"

namespace sakchy::service {

// A refused query: status (400 or 403), the parameter and what is wrong with it.
struct QueryProblem {
  unsigned status = 400;
  std::string field;
  std::string detail;
};

// Filters shared by trends and exports: `area` (with everything below it), `from`/`to`
// (RFC 3339, from inclusive, to exclusive), `severity` and `category` (comma-separated lists).
struct EventFilter {
  std::optional<AreaCode> area;       // std::nullopt: the caller's top areas
  std::optional<TimeMs> from, to;
  std::vector<Severity> severities;   // empty: every severity
  std::vector<std::string> categories;  // empty: every category; sorted, distinct
};
// Reads the filter parameters of `req` (any it does not know are left to the caller). `who`'s
// scope is checked for `area` (403).
tl::expected<EventFilter, QueryProblem> ParseEventFilter(const HttpRequest& req,
                                                         const Principal& who,
                                                         const config::AreaTree& areas);

struct TrendsQuery {
  EventFilter filter;
  storage::Resolution resolution = storage::Resolution::kHour;
  std::string bucket_name = "hour";
  TimeMs first = 0;   // start of the first bucket
  TimeMs to = 0;      // exclusive
  std::size_t buckets = 0;
  std::string level;  // "" (the areas themselves), "children" or an area level
  std::vector<AreaCode> series;  // this page's areas, one series each
  std::string next_cursor;       // the last area of this page when more follow; else empty
};

inline constexpr std::size_t kMaxTrendBuckets = 20000;
inline constexpr std::size_t kMaxTrendCells = 200000;  // series x buckets per page

// Parses and validates every parameter of GET /v1/trends and picks the page's series.
tl::expected<TrendsQuery, QueryProblem> ParseTrendsQuery(const HttpRequest& req,
                                                         const Principal& who,
                                                         const config::AreaTree& areas);

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

// The response body; `tables[i]` holds the counters of query.series[i] over the query's range.
std::string RenderTrends(const TrendsQuery& query, std::span<const storage::CounterTable> tables,
                         const TensionModel& model, const config::AreaTree& areas);

}  // namespace sakchy::service
