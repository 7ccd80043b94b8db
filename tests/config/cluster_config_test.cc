// The `cluster:` section of the config (cluster mode on NATS JetStream).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/cluster.h"
#include "config/config.h"
#include "testutil/testutil.h"

namespace sakchy::config::cluster_config_test {
namespace {

using ::testing::HasSubstr;

class ClusterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = (dir_.path() / "cluster.yaml").string(); }
  // The whole file is checked (as `sakchy config check` does), then the section read.
  Result<ClusterConfig> Load(const std::string& yaml) {
    std::ofstream(path_, std::ios::binary) << yaml;
    auto all = LoadConfigFile(path_);
    if (!all) return tl::unexpected(all.error());
    return LoadClusterConfig(path_);
  }
  void ExpectIssue(const std::string& yaml, int line, const std::string& rest) {
    auto config = Load(yaml);
    ASSERT_FALSE(config.has_value()) << "loaded unexpectedly:\n" << yaml;
    EXPECT_TRUE(sakchy::testing::HasIssueLine(config.error().message, path_, line, rest));
  }

  sakchy::testing::TempDir dir_;
  std::string path_;
};

TEST_F(ClusterConfigTest, AbsentMeansSingleNode) {
  auto config = Load("");
  ASSERT_OK(config);
  EXPECT_FALSE(config->enabled());
  EXPECT_TRUE(config->nats_urls.empty());
  EXPECT_EQ(config->replicas, 3);
}

TEST_F(ClusterConfigTest, ReadsTheSection) {
  auto config = Load(
      "cluster:\n"
      "  nats_urls: [nats://10.0.0.1:4222, nats://10.0.0.2:4222]\n"
      "  node_name: osh-1\n"
      "  replicas: 5\n"
      "  publish_timeout_ms: 1500\n");
  ASSERT_OK(config);
  const ClusterConfig& c = *config;
  EXPECT_TRUE(c.enabled());
  EXPECT_EQ(c.nats_urls.size(), 2u);
  EXPECT_EQ(c.nats_urls[1], "nats://10.0.0.2:4222");
  EXPECT_EQ(c.node_name, "osh-1");
  EXPECT_EQ(c.replicas, 5);
  EXPECT_EQ(c.publish_timeout_ms, 1500);
  EXPECT_EQ(c.stream, "SAKCHY_REPORTS");
  EXPECT_EQ(c.origin, path_ + ":2");
}

TEST_F(ClusterConfigTest, LoadClusterConfigReportsProblemsToo) {
  std::ofstream(path_, std::ios::binary) << "cluster:\n  nats_urls: []\n  node_name: a\n";
  auto c = LoadClusterConfig(path_);
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("cluster.nats_urls: at least one NATS URL is required"));
}

TEST_F(ClusterConfigTest, RefusesWhatCannotWork) {
  ExpectIssue("cluster:\n  node_name: a\n", 2, "cluster.nats_urls: required");
  ExpectIssue("cluster:\n  nats_urls: [nats://h:4222]\n", 2, "cluster.node_name: required");
  ExpectIssue("cluster:\n  nats_urls: [http://h:4222]\n  node_name: a\n", 2,
              "cluster.nats_urls: 'http://h:4222' is not a NATS URL (nats://host:port or "
              "tls://host:port)");
  ExpectIssue("cluster:\n  nats_urls: [nats://h:4222]\n  node_name: a.b\n", 3,
              "cluster.node_name: use 1 to 64 letters, digits, '-' or '_' (it names the node's "
              "JetStream consumer)");
  auto bad = Load("cluster:\n  nats_urls: [nats://h:4222]\n  node_name: a\n  replicas: 7\n");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("cluster.replicas"));
  auto unknown = Load("cluster:\n  nats_urls: [nats://h:4222]\n  node_name: a\n  leader: x\n");
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message, HasSubstr("leader"));
}

}  // namespace
}  // namespace sakchy::config::cluster_config_test
