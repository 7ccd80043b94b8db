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
#include "analytics/trends.h"
#include "analytics/tension.h"
#include "storage/store.h"

namespace sakchy::service {

using analytics::EventFilter;
using analytics::FilteredCounts;
using analytics::SeriesAreas;

// A refused query: status (400 or 403), the parameter and what is wrong with it.
struct QueryProblem {
  unsigned status = 400;
  std::string field;
  std::string detail;
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

// The response body; `tables[i]` holds the counters of query.series[i] over the query's range.
std::string RenderTrends(const TrendsQuery& query, std::span<const storage::CounterTable> tables,
                         const analytics::TensionModel& model, const config::AreaTree& areas);

}  // namespace sakchy::service
