// The `clusters:` section of the config (rumour clusters and spread thresholds).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "testutil/testutil.h"

namespace sakchy::config::clusters_config_test {
namespace {

using ::testing::HasSubstr;

class ClustersConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = (dir_.path() / "clusters.yaml").string(); }
  Result<Config> Load(const std::string& yaml) {
    std::ofstream(path_, std::ios::binary) << yaml;
    return LoadConfigFile(path_);
  }
  void ExpectIssue(const std::string& yaml, int line, const std::string& rest) {
    auto config = Load(yaml);
    ASSERT_FALSE(config.has_value()) << "loaded unexpectedly:\n" << yaml;
    EXPECT_TRUE(sakchy::testing::HasIssueLine(config.error().message, path_, line, rest));
  }

  sakchy::testing::TempDir dir_;
  std::string path_;
};

TEST_F(ClustersConfigTest, DefaultsWhenAbsent) {
  auto config = Load("");
  ASSERT_OK(config);
  const ClustersConfig& c = config->clusters;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.window_ms, 6 * 3600 * 1000);
  EXPECT_EQ(c.min_matching_hashes, 9);
  EXPECT_EQ(c.min_tokens, 3);
  EXPECT_EQ(c.cache_clusters, 20000u);
  EXPECT_EQ(c.spread.min_sources, 5u);
  EXPECT_EQ(c.spread.sources_window_ms, 3600000);
  EXPECT_TRUE(c.spread.new_area);
  EXPECT_EQ(c.spread.accel_min_recent, 5u);
  EXPECT_DOUBLE_EQ(c.spread.accel_factor, 3.0);
  EXPECT_EQ(c.spread.people_floor, Severity::kHigh);
  EXPECT_EQ(c.spread.public_floor, Severity::kMedium);
}

TEST_F(ClustersConfigTest, FullSectionParses) {
  auto config = Load(R"yaml(clusters:
  enabled: false
  window_ms: 7200000
  min_matching_hashes: 10
  min_tokens: 4
  cache_clusters: 5000
  spread:
    min_sources: 3
    sources_window_ms: 600000
    new_area: false
    accel_min_recent: 8
    accel_factor: 2.5
    people_floor: critical
    public_floor: low
)yaml");
  ASSERT_OK(config);
  const ClustersConfig& c = config->clusters;
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.window_ms, 7200000);
  EXPECT_EQ(c.min_matching_hashes, 10);
  EXPECT_EQ(c.min_tokens, 4);
  EXPECT_EQ(c.cache_clusters, 5000u);
  EXPECT_EQ(c.spread.min_sources, 3u);
  EXPECT_EQ(c.spread.sources_window_ms, 600000);
  EXPECT_FALSE(c.spread.new_area);
  EXPECT_EQ(c.spread.accel_min_recent, 8u);
  EXPECT_DOUBLE_EQ(c.spread.accel_factor, 2.5);
  EXPECT_EQ(c.spread.people_floor, Severity::kCritical);
  EXPECT_EQ(c.spread.public_floor, Severity::kLow);
  EXPECT_EQ(c.origin, path_ + ":2");
}

TEST_F(ClustersConfigTest, BadValuesNameFileLineAndField) {
  ExpectIssue("clusters:\n  min_matching_hashes: 17\n", 2,
              "clusters.min_matching_hashes: must be between 4 and 16, got 17");
  ExpectIssue("clusters:\n  window_ms: 10\n", 2,
              "clusters.window_ms: must be between 60000 and 2592000000, got 10");
  ExpectIssue("clusters:\n  enabled: maybe\n", 2, "clusters.enabled: expected true or false, got 'maybe'");
  ExpectIssue("clusters:\n  spread:\n    min_sources: 1\n", 3,
              "clusters.spread.min_sources: must be between 2 and 1000000, got 1");
  ExpectIssue("clusters:\n  spread:\n    accel_factor: fast\n", 3,
              "clusters.spread.accel_factor: expected a number, got 'fast'");
  ExpectIssue("clusters:\n  spread:\n    min_source: 3\n", 3,
              "clusters.spread.min_source: unknown key (expected one of: min_sources, "
              "sources_window_ms, new_area, accel_min_recent, accel_factor, people_floor, "
              "public_floor)");
  ExpectIssue("clusters:\n  spread:\n    people_floor: urgent\n", 3,
              "clusters.spread.people_floor: unknown severity 'urgent' (expected: info, low, "
              "medium, high, critical)");
  ExpectIssue("clusters:\n  spread:\n    people_floor: medium\n    public_floor: high\n", 4,
              "clusters.spread.public_floor: is above people_floor (medium): public posts would "
              "count for more than independent people");
  ExpectIssue("clusters:\n  spread:\n    public_floor: critical\n", 3,
              "clusters.spread.public_floor: is above people_floor (high): public posts would "
              "count for more than independent people");
  ExpectIssue("clusters:\n  windows: 3\n", 2,
              "clusters.windows: unknown key (expected one of: enabled, window_ms, "
              "min_matching_hashes, min_tokens, cache_clusters, max_index_reports, spread)");
  ExpectIssue("clusters: [1, 2]\n", 1, "clusters: expected a mapping of keys");
}

}  // namespace
}  // namespace sakchy::config::clusters_config_test
