// The tension index, baselines and the spike rule (analytics/tension.h), against direct
// computations.

#include <cmath>
#include <random>

#include "analytics/tension.h"
#include "testutil/testutil.h"

namespace sakchy::analytics::tension_test {
namespace {

TEST(TensionModelTest, SeverityAndCategoryWeights) {
  config::TensionConfig cfg;
  cfg.category_weights = {{"violence", 1.0}, {"hate", 0.5}};
  TensionModel model(cfg);
  auto c = model.Coefficients({"total", "severity:info", "severity:high", "category:violence",
                               "sevcat:high:violence", "sevcat:critical:hate", "sevcat:low:place",
                               "sevcat:bogus:violence", "severity:bogus", "sevcat:"});
  EXPECT_EQ(c, (std::vector<double>{0, 0, 7, 0, 7, 7.5, 0, 0, 0, 0}));
}

TEST(TensionModelTest, DenseTensionOfOneEventMatchesTheDefinition) {
  // One high event with categories violence (w 1) and place (w 0): 7 * (1 + 1) = 14.
  config::TensionConfig cfg;
  cfg.category_weights = {{"violence", 1.0}};
  TensionModel model(cfg);
  storage::CounterTable t;
  t.dims = std::make_shared<std::vector<std::string>>(std::vector<std::string>{
      "total", "severity:high", "category:violence", "category:place", "sevcat:high:violence",
      "sevcat:high:place"});
  t.starts = {3600000};
  t.offsets = {0, 6};
  for (std::uint32_t i = 0; i < 6; ++i) t.cells.push_back({i, 1});
  auto x = DenseTension(t, model.Coefficients(*t.dims), 0, 3600000, 3);
  EXPECT_EQ(x, (std::vector<double>{0, 14, 0}));
  // Rows off the grid or outside it are ignored.
  t.starts = {1800000};
  EXPECT_EQ(DenseTension(t, model.Coefficients(*t.dims), 0, 3600000, 3),
            (std::vector<double>{0, 0, 0}));
}

TEST(BaselinesTest, MatchDirectWeightedMeanAndSd) {
  std::mt19937_64 rng(7);
  std::vector<double> x(500);
  for (auto& v : x) v = static_cast<double>(rng() % 50);
  BaselineWindow w{24, 0.9};
  auto got = Baselines(x, w);
  ASSERT_EQ(got.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    double sw = 0, sx = 0;
    const std::size_t n = std::min(i, w.window);
    for (std::size_t k = 1; k <= n; ++k) {
      const double weight = std::pow(w.decay, static_cast<double>(k - 1));
      sw += weight;
      sx += weight * x[i - k];
    }
    const double mean = sw > 0 ? sx / sw : 0;
    double sv = 0;
    for (std::size_t k = 1; k <= n; ++k) {
      sv += std::pow(w.decay, static_cast<double>(k - 1)) * (x[i - k] - mean) * (x[i - k] - mean);
    }
    const double sd = sw > 0 ? std::sqrt(sv / sw) : 0;
    EXPECT_NEAR(got[i].mean, mean, 1e-7) << i;
    EXPECT_NEAR(got[i].sd, sd, 1e-6) << i;
    EXPECT_EQ(got[i].history, n);
  }
}

TEST(BaselinesTest, WindowFromDaysAndHalfLife) {
  config::BaselineConfig cfg;
  cfg.half_life_days = 7;
  cfg.window_days = 28;
  auto hour = WindowFor(cfg, 3'600'000);
  EXPECT_EQ(hour.window, 672u);
  EXPECT_NEAR(std::pow(hour.decay, 168), 0.5, 1e-9);
  auto day = WindowFor(cfg, 86'400'000);
  EXPECT_EQ(day.window, 28u);
  EXPECT_NEAR(std::pow(day.decay, 7), 0.5, 1e-9);
}

TEST(SpikeRuleTest, ZScoreAndThresholds) {
  config::SpikeConfig cfg;
  cfg.z_threshold = 4;
  cfg.min_tension = 20;
  Baseline b{2, 3, 100};
  EXPECT_DOUBLE_EQ(ZScore(2 + 5 * std::sqrt(10.0), b, 1), 5);
  EXPECT_TRUE(IsSpike(30, 4, cfg));
  EXPECT_FALSE(IsSpike(19, 10, cfg));  // too small in absolute terms
  EXPECT_FALSE(IsSpike(100, 3.9, cfg));  // within the baseline's spread
}

}  // namespace
}  // namespace sakchy::analytics::tension_test
