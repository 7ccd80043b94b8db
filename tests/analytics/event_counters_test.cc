// What one scored event counts (analytics/event_counters.h): its area and every ancestor, or the
// root only; and the batch plan sums exactly CountersFor's deltas, bucketed by minute.

#include "analytics/event_counters.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>

#include "testutil/testutil.h"

namespace sakchy::analytics::event_counters_test {
namespace {

constexpr const char* kAreasYaml = R"(
areas:
  - {code: KG, level: country, name_en: Kyrgyzstan}
  - {code: KG-O, parent: KG, level: oblast, name_en: Osh}
  - {code: KG-O-ARAVAN, parent: KG-O, level: raion, name_en: Aravan}
  - {code: KG-N, parent: KG, level: oblast, name_en: Naryn}
)";

TEST(CountersForTest, CountsAreaAndAncestorsOrRootOnly) {
  auto areas = config::AreaTree::Parse(kAreasYaml, "areas.yaml");
  ASSERT_OK(areas);
  Event e;
  e.report.observed_at = 1000;
  e.area = "KG-O-ARAVAN";
  e.severity = Severity::kHigh;
  e.categories = {"violence", "place"};
  auto deltas = CountersFor(e, *areas);
  std::map<std::string, std::int64_t> total_by_area;
  std::map<std::string, std::int64_t> dims_of_oblast;
  for (const auto& d : deltas) {
    EXPECT_EQ(d.at, 1000);
    if (d.dim == "total") total_by_area[d.area] += d.delta;
    if (d.area == "KG-O") dims_of_oblast[d.dim] += d.delta;
  }
  EXPECT_EQ(total_by_area,
            (std::map<std::string, std::int64_t>{{"KG", 1}, {"KG-O", 1}, {"KG-O-ARAVAN", 1}}));
  EXPECT_EQ(dims_of_oblast, (std::map<std::string, std::int64_t>{{"total", 1},
                                                                 {"severity:high", 1},
                                                                 {"category:violence", 1},
                                                                 {"category:place", 1},
                                                                 {"sevcat:high:violence", 1},
                                                                 {"sevcat:high:place", 1}}));
  e.area.clear();
  e.severity = Severity::kInfo;
  deltas = CountersFor(e, *areas);
  for (const auto& d : deltas) EXPECT_EQ(d.area, "KG");
}

using Sums = std::map<std::tuple<std::string, std::string, TimeMs>, std::int64_t>;

TEST(EventCounterPlanTest, SumsWhatCountersForCountsPerMinute) {
  auto areas = config::AreaTree::Parse(kAreasYaml, "areas.yaml");
  ASSERT_OK(areas);
  constexpr TimeMs kMinute = 60'000;
  std::vector<Event> events(6);
  events[0].area = "KG-O-ARAVAN";
  events[0].severity = Severity::kHigh;
  events[0].categories = {"violence", "rumour"};
  events[0].report.observed_at = 10 * kMinute + 5;
  events[1] = events[0];  // same minute: sums with the first
  events[1].report.observed_at = 10 * kMinute + 59'999;
  events[2].area = "KG-N";
  events[2].severity = Severity::kMedium;
  events[2].categories = {"rumour"};
  events[2].report.observed_at = 11 * kMinute;
  events[3].report.observed_at = 12 * kMinute + 1;  // no area: the root
  events[4].area = "KG-UNKNOWN";                    // not in the tree: the root
  events[4].report.observed_at = 12 * kMinute + 2;
  events[5].area = "KG-O";
  events[5].severity = Severity::kCritical;
  events[5].categories = {"violence"};
  events[5].report.observed_at = 10 * kMinute;

  Sums expected;
  for (const auto& e : events) {
    for (const auto& d : CountersFor(e, *areas)) {
      expected[{d.area, d.dim, d.at / kMinute * kMinute}] += d.delta;
    }
  }
  const EventCounterPlan plan(*areas);
  CounterSums sums;
  for (const auto& e : events) plan.Add(e, sums);
  Sums got;
  for (const auto& d : sums.Deltas()) {
    EXPECT_TRUE(got.emplace(std::tuple{d.area, d.dim, d.at}, d.delta).second)
        << "one delta per key: " << d.area << " " << d.dim << " " << d.at;
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.at({"KG", "total", 10 * kMinute}), 3);
  EXPECT_EQ(got.at({"KG-O-ARAVAN", "sevcat:high:violence", 10 * kMinute}), 2);
  EXPECT_EQ(got.at({"KG", "total", 12 * kMinute}), 2);

  sums.clear();
  EXPECT_TRUE(sums.Deltas().empty());
}

}  // namespace
}  // namespace sakchy::analytics::event_counters_test
