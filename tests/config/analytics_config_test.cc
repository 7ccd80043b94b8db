// The `analytics:` and `retention:` sections: defaults, values and file:line errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "testutil/testutil.h"

namespace sakchy::config::analytics_config_test {
namespace {

using ::testing::HasSubstr;

class AnalyticsConfigTest : public ::testing::Test {
 protected:
  Result<Config> Load(const std::string& yaml) {
    const std::string path = dir_.str() + "/my.yaml";
    std::ofstream(path) << yaml;
    return LoadConfigFile(path);
  }
  std::string Errors(const std::string& yaml) {
    auto c = Load(yaml);
    return c ? std::string() : c.error().message;
  }
  sakchy::testing::TempDir dir_;
};

TEST_F(AnalyticsConfigTest, Defaults) {
  auto c = Load("logging: {level: info}\n");
  ASSERT_OK(c);
  EXPECT_EQ(c->analytics.tension.severity_weights, (std::array<double, 5>{0, 1, 3, 7, 15}));
  EXPECT_TRUE(c->analytics.tension.category_weights.empty());
  EXPECT_EQ(c->analytics.baseline.half_life_days, 7);
  EXPECT_EQ(c->analytics.baseline.window_days, 28);
  EXPECT_EQ(c->analytics.spikes.z_threshold, 4);
  EXPECT_EQ(c->analytics.spikes.check_interval_ms, 60000);
  EXPECT_EQ(c->retention.raw_text_days, 0);
}

TEST_F(AnalyticsConfigTest, Values) {
  auto c = Load(
      "analytics:\n"
      "  tension:\n"
      "    severity_weights: {high: 10, critical: 30}\n"
      "    category_weights: {violence: 1.5, hate: 0.5}\n"
      "  baseline: {half_life_days: 3, window_days: 14}\n"
      "  spikes: {z_threshold: 3.5, min_tension: 40, min_sd: 2, check_interval_ms: 0}\n"
      "retention: {raw_text_days: 90, sweep_interval_ms: 60000}\n");
  ASSERT_OK(c);
  EXPECT_EQ(c->analytics.tension.severity_weights, (std::array<double, 5>{0, 1, 3, 10, 30}));
  EXPECT_EQ(c->analytics.tension.category_weights,
            (std::map<std::string, double>{{"hate", 0.5}, {"violence", 1.5}}));
  EXPECT_EQ(c->analytics.baseline.half_life_days, 3);
  EXPECT_EQ(c->analytics.baseline.window_days, 14);
  EXPECT_EQ(c->analytics.spikes.z_threshold, 3.5);
  EXPECT_EQ(c->analytics.spikes.min_tension, 40);
  EXPECT_EQ(c->analytics.spikes.min_sd, 2);
  EXPECT_EQ(c->analytics.spikes.check_interval_ms, 0);
  EXPECT_EQ(c->retention.raw_text_days, 90);
  EXPECT_EQ(c->retention.sweep_interval_ms, 60000);
}

TEST_F(AnalyticsConfigTest, ErrorsNameFileLineAndField) {
  auto e = Errors(
      "analytics:\n"
      "  tension:\n"
      "    severity_weights: {severe: 3, high: -1}\n"
      "    category_weights: [violence]\n"
      "  baseline: {half_life_days: 30, window_days: 7}\n"
      "  spikes: {z_threshold: zero, colour: red}\n"
      "retention: {raw_text_days: -1}\n");
  EXPECT_THAT(e, HasSubstr("my.yaml:3: analytics.tension.severity_weights.high: must be between"));
  EXPECT_THAT(e, HasSubstr("my.yaml:3: analytics.tension.severity_weights.severe: unknown key"));
  EXPECT_THAT(e, HasSubstr("my.yaml:4: analytics.tension.category_weights: expected a mapping"));
  EXPECT_THAT(e, HasSubstr("my.yaml:5: analytics.baseline.window_days: must be at least half_life_days"));
  EXPECT_THAT(e, HasSubstr("my.yaml:6: analytics.spikes.z_threshold: expected a number"));
  EXPECT_THAT(e, HasSubstr("my.yaml:6: analytics.spikes.colour: unknown key"));
  EXPECT_THAT(e, HasSubstr("my.yaml:7: retention.raw_text_days: must be between"));
}

}  // namespace
}  // namespace sakchy::config::analytics_config_test
