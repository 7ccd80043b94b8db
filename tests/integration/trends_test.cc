// GET /v1/trends against a brute-force recount of the stored events (read back one by one through
// GET /v1/events/{id}): areas with roll-up, children and levels as series with cursor pages,
// severity and category filters, minute/hour/day buckets at Bishkek time, tension with weights.

#include <boost/json.hpp>

#include <map>
#include <random>
#include <set>

#include "config/areas.h"
#include "core/local_time.h"
#include "core/time.h"
#include "integration/harness.h"

namespace sakchy::testing::trends_test {
namespace {

namespace json = boost::json;

constexpr TimeMs kHour = 3'600'000;
constexpr TimeMs kDay = 24 * kHour;
const TimeMs kT0 = *ParseRfc3339("2026-03-01T00:00:00+06:00");

const std::vector<std::string> kTexts = {
    "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!",
    "В Бишкеке прошло заседание городского кенеша по бюджету.",
    "Срочно! Говорят, завтра будет нападение, готовьте оружие и выходите все!",
    "Передайте всем: они хотят убить наших, надо ответить силой",
    "Слухи: на базаре драка, есть раненые",
    "Обычный день, погода хорошая"};
const std::vector<std::string> kAreas = {"KG-O-ARAVAN", "KG-O", "KG-GO", "KG-N-NARYN",
                                         "KG-C", "KG-J-SUZAK", ""};
const std::map<std::string, double> kCategoryWeights = {{"violence", 1.0},
                                                        {"call_to_action", 0.5}};
constexpr double kSeverityWeights[] = {0, 1, 3, 7, 15};

struct StoredEvent {
  std::string area;
  int severity = 0;
  std::vector<std::string> categories;
  TimeMs observed_at = 0;
};

struct Bucket {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> severity;
  std::map<std::string, std::int64_t> category;
  double tension = 0;
};

TimeMs Start(const std::string& bucket, TimeMs t) {
  const TimeMs width = bucket == "minute" ? 60'000 : bucket == "hour" ? kHour : kDay;
  const TimeMs shift = bucket == "day" ? 6 * kHour : 0;
  const TimeMs local = t + shift;
  return local - (((local % width) + width) % width) - shift;
}

class TrendsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HarnessOptions o;
    o.extra_yaml =
        "analytics:\n  tension:\n    category_weights: {violence: 1, call_to_action: 0.5}\n"
        "  spikes: {check_interval_ms: 0}\n";
    h_ = new Harness(o);
    ASSERT_TRUE(h_->Start());
    std::mt19937_64 rng(42);
    std::string ndjson;
    for (int i = 0; i < 160; ++i) {
      json::object r{{"text", kTexts[rng() % kTexts.size()]},
                     {"source_ref", "trend-" + std::to_string(i)},
                     {"observed_at", FormatRfc3339(kT0 + static_cast<TimeMs>(rng() % (3 * kDay)))}};
      const auto& area = kAreas[rng() % kAreas.size()];
      if (!area.empty()) r["area"] = area;
      ndjson += json::serialize(r) + "\n";
    }
    auto posted = h_->Call("POST", "/v1/reports:batch", kMonitorToken, ndjson,
                           {{"Content-Type", "application/x-ndjson"}});
    ASSERT_EQ(posted.status, 200) << posted.body;
    auto body = json::parse(posted.body);
    ASSERT_EQ(body.at("accepted").to_number<int>(), 160);
    for (const auto& line : body.at("results").as_array()) {
      auto e = h_->WaitScored(std::string(line.at("id").as_string()));
      ASSERT_TRUE(e.is_object());
      StoredEvent s;
      s.area = std::string(e.at("area").is_string() ? e.at("area").as_string() : "");
      s.severity = static_cast<int>(*ParseSeverity(std::string(e.at("severity").as_string())));
      for (const auto& c : e.at("categories").as_array()) s.categories.emplace_back(c.as_string());
      s.observed_at = *ParseRfc3339(std::string(e.at("observed_at").as_string()));
      events_->push_back(std::move(s));
    }
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
  }

  // The expected buckets of `area` by recounting every stored event.
  static std::map<TimeMs, Bucket> Recount(const std::string& area, const std::string& bucket,
                                          const std::set<std::string>& severities,
                                          const std::set<std::string>& categories) {
    std::map<TimeMs, Bucket> out;
    for (const auto& e : *events_) {
      const bool inside = e.area.empty() ? area == "KG" : tree_->IsWithin(e.area, area);
      if (!inside) continue;
      Bucket& b = out[Start(bucket, e.observed_at)];
      double cw = 0;
      for (const auto& c : e.categories) {
        if (auto it = kCategoryWeights.find(c); it != kCategoryWeights.end()) cw += it->second;
      }
      b.tension += kSeverityWeights[e.severity] * (1 + cw);
      const std::string sev(SeverityName(static_cast<Severity>(e.severity)));
      if (!severities.empty() && !severities.count(sev)) continue;
      if (categories.empty()) {
        b.total += 1;
        b.severity[sev] += 1;
        for (const auto& c : e.categories) b.category[c] += 1;
      } else {
        for (const auto& c : e.categories) {
          if (!categories.count(c)) continue;
          b.total += 1;
          b.severity[sev] += 1;
          b.category[c] += 1;
        }
      }
    }
    return out;
  }

  // Fetches every page of `query` and checks each series against the recount.
  static std::vector<std::string> CheckAllPages(const std::string& query, const std::string& bucket,
                                                TimeMs from, TimeMs to,
                                                const std::set<std::string>& severities = {},
                                                const std::set<std::string>& categories = {}) {
    std::vector<std::string> areas;
    std::string cursor;
    do {
      auto r = h_->Call("GET", "/v1/trends?" + query + "&bucket=" + bucket + "&from=" +
                                   FormatRfc3339(from) + "&to=" + FormatRfc3339(to) +
                                   (cursor.empty() ? "" : "&cursor=" + cursor),
                        kAnalystToken);
      EXPECT_EQ(r.status, 200) << query << ": " << r.body;
      if (r.status != 200) break;
      auto body = json::parse(r.body);
      EXPECT_EQ(body.at("timezone"), "Asia/Bishkek");
      for (const auto& s : body.at("series").as_array()) {
        const std::string area(s.at("area").as_string());
        areas.push_back(area);
        auto want = Recount(area, bucket, severities, categories);
        const TimeMs first = Start(bucket, from);
        std::int64_t want_total = 0;
        for (const auto& [start, b] : want) want_total += start >= first && start < to ? b.total : 0;
        EXPECT_EQ(s.at("total").to_number<std::int64_t>(), want_total) << query << " " << area;
        const auto& buckets = s.at("buckets").as_array();
        const TimeMs width = bucket == "minute" ? 60'000 : bucket == "hour" ? kHour : kDay;
        EXPECT_EQ(buckets.size(), static_cast<std::size_t>((to - first + width - 1) / width));
        for (std::size_t i = 0; i < buckets.size(); ++i) {
          const auto& got = buckets[i].as_object();
          const TimeMs start = first + static_cast<TimeMs>(i) * width;
          EXPECT_EQ(got.at("start"), FormatLocalTime(start).c_str());
          Bucket w;
          if (auto it = want.find(start); it != want.end()) w = it->second;
          const std::string where = query + " " + area + " " + FormatLocalTime(start);
          EXPECT_EQ(got.at("total").to_number<std::int64_t>(), w.total) << where;
          EXPECT_NEAR(got.at("tension").to_number<double>(), w.tension, 1e-9) << where;
          for (const auto& [name, v] : got.at("severity").as_object()) {
            EXPECT_EQ(v.to_number<std::int64_t>(), w.severity[std::string(name)]) << where << name;
            if (!severities.empty()) {
              EXPECT_TRUE(severities.count(std::string(name))) << where;
            }
          }
          std::map<std::string, std::int64_t> cats;
          for (const auto& [name, v] : got.at("category").as_object()) {
            cats[std::string(name)] = v.to_number<std::int64_t>();
          }
          EXPECT_EQ(cats, w.category) << where;
        }
      }
      cursor = body.at("next_cursor").is_null() ? "" : std::string(body.at("next_cursor").as_string());
    } while (!cursor.empty());
    return areas;
  }

  static Harness* h_;
  static std::vector<StoredEvent>* events_;
  static config::AreaTree* tree_;
};

Harness* TrendsTest::h_ = nullptr;
std::vector<StoredEvent>* TrendsTest::events_ = new std::vector<StoredEvent>();
config::AreaTree* TrendsTest::tree_ =
    new config::AreaTree(*config::AreaTree::Load(SourcePath("config/defaults/areas.yaml")));

TEST_F(TrendsTest, EventsSpreadOverAreasSeveritiesAndCategories) {
  std::set<int> severities;
  std::set<std::string> categories, areas;
  for (const auto& e : *events_) {
    severities.insert(e.severity);
    for (const auto& c : e.categories) categories.insert(c);
    areas.insert(e.area);
  }
  EXPECT_GE(severities.size(), 3u);
  EXPECT_GE(categories.size(), 3u);
  EXPECT_GE(areas.size(), 5u);
}

TEST_F(TrendsTest, CountryAndOblastMatchRecountAtEveryResolution) {
  CheckAllPages("area=KG", "hour", kT0, kT0 + 3 * kDay);
  CheckAllPages("area=KG-O", "day", kT0 - kDay - 5 * kHour, kT0 + 4 * kDay);
  CheckAllPages("area=KG-O-ARAVAN", "minute", kT0 + 10 * kHour, kT0 + 20 * kHour);
  CheckAllPages("", "day", kT0, kT0 + 3 * kDay);  // the country by default
}

TEST_F(TrendsTest, ChildrenAndLevelsAsSeriesWithCursorPages) {
  auto children = CheckAllPages("area=KG&level=children&limit=3", "day", kT0, kT0 + 3 * kDay);
  std::vector<std::string> want;
  for (const auto& a : tree_->areas()) {
    if (a.parent == "KG") want.push_back(a.code);
  }
  EXPECT_EQ(children, want);
  auto raions = CheckAllPages("area=KG-O&level=raion&limit=100", "day", kT0, kT0 + 3 * kDay);
  EXPECT_FALSE(raions.empty());
  for (const auto& a : raions) EXPECT_EQ(tree_->Find(a)->level, "raion");
}

TEST_F(TrendsTest, SeverityAndCategoryFilters) {
  std::string top_category;
  std::map<std::string, int> count;
  for (const auto& e : *events_) {
    for (const auto& c : e.categories) ++count[c];
  }
  for (const auto& [c, n] : count) {
    if (top_category.empty() || n > count[top_category]) top_category = c;
  }
  CheckAllPages("area=KG&severity=high,critical", "hour", kT0, kT0 + 3 * kDay, {"high", "critical"});
  CheckAllPages("area=KG&category=" + top_category + ",violence", "day", kT0, kT0 + 3 * kDay, {},
                {top_category, "violence"});
  CheckAllPages("area=KG-O&severity=critical&category=violence", "hour", kT0, kT0 + 3 * kDay,
                {"critical"}, {"violence"});
  CheckAllPages("area=KG&level=oblast&severity=info", "day", kT0, kT0 + 3 * kDay, {"info"});
}

TEST_F(TrendsTest, BadParametersAreNamed) {
  struct Case {
    std::string query;
    std::string field;
  };
  const std::string range = "&from=2026-03-01T00:00:00%2B06:00&to=2026-03-02T00:00:00%2B06:00";
  for (const auto& c : std::vector<Case>{
           {"area=KG-XX" + range, "area"},
           {"bucket=week" + range, "bucket"},
           {"severity=high,severe" + range, "severity"},
           {"category=Violence!" + range, "category"},
           {"level=village" + range, "level"},
           {"limit=0" + range, "limit"},
           {"limit=1000" + range, "limit"},
           {"cursor=KG-O" + range, "cursor"},
           {"colour=red" + range, "colour"},
           {"from=2026-03-01T00:00:00%2B06:00", "to"},
           {"to=2026-03-01T00:00:00%2B06:00", "from"},
           {"from=yesterday&to=2026-03-01T00:00:00Z", "from"},
           {"from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"},
           {"bucket=minute&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"},
           {"area=KG&area=KG-O" + range, "area"}}) {
    auto r = h_->Call("GET", "/v1/trends?" + c.query, kAnalystToken);
    EXPECT_EQ(r.status, 400) << c.query << " " << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json");
    EXPECT_EQ(std::string(json::parse(r.body).at("field").as_string()), c.field) << c.query;
  }
}

}  // namespace
}  // namespace sakchy::testing::trends_test
