// The `sources:` and `privacy:` sections of the config.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "config/config.h"
#include "testutil/testutil.h"

namespace sakchy::config::sources_config_test {
namespace {

using ::testing::HasSubstr;

constexpr char kBotEnv[] = "SAKCHY_SOURCES_TEST_BOT";
constexpr char kKeyEnv[] = "SAKCHY_SOURCES_TEST_KEY";

class SourcesConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(setenv(kBotEnv, "123456:bot-token-from-env", 1), 0);
    ASSERT_EQ(setenv(kKeyEnv, "a-pseudonym-key-of-some-length", 1), 0);
    path_ = (dir_.path() / "sources.yaml").string();
  }
  void TearDown() override {
    unsetenv(kBotEnv);
    unsetenv(kKeyEnv);
  }
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

TEST_F(SourcesConfigTest, ParsesEveryType) {
  auto config = Load(R"yaml(privacy:
  pseudonym_key_env: SAKCHY_SOURCES_TEST_KEY
sources:
  - id: tg-osh
    type: telegram
    token_env: SAKCHY_SOURCES_TEST_BOT
    interval_ms: 5000
    long_poll_timeout_s: 10
    area: KG-O
  - id: news
    type: rss
    url: https://news.example.kg/rss
    timeout_ms: 3000
    max_body_bytes: 4096
    backoff_max_ms: 60000
  - id: social
    type: mastodon
    url: https://social.example
    timeline: tag:Ош
    enabled: false
    token_env: SAKCHY_SOURCES_TEST_UNSET
)yaml");
  ASSERT_OK(config);
  EXPECT_EQ(config->privacy.pseudonym_key, "a-pseudonym-key-of-some-length");
  ASSERT_EQ(config->sources.size(), 3u);
  const SourceConfig& tg = config->sources[0];
  EXPECT_EQ(tg.type, "telegram");
  EXPECT_EQ(tg.url, "https://api.telegram.org");
  EXPECT_EQ(tg.token, "123456:bot-token-from-env");
  EXPECT_EQ(tg.interval_ms, 5000);
  EXPECT_EQ(tg.long_poll_timeout_s, 10);
  EXPECT_EQ(tg.area, "KG-O");
  EXPECT_EQ(tg.origin, path_ + ":4");
  const SourceConfig& news = config->sources[1];
  EXPECT_EQ(news.url, "https://news.example.kg/rss");
  EXPECT_EQ(news.timeout_ms, 3000);
  EXPECT_EQ(news.max_body_bytes, 4096u);
  EXPECT_EQ(news.backoff_max_ms, 60000);
  EXPECT_TRUE(news.enabled);
  EXPECT_EQ(news.interval_ms, 60000);
  EXPECT_EQ(SourceConfig{}.long_poll_timeout_s, 25) << "telegram long-polls by default";
  const SourceConfig& social = config->sources[2];
  EXPECT_EQ(social.timeline, "tag:Ош");
  EXPECT_FALSE(social.enabled);
  EXPECT_EQ(social.token, "");  // a disabled source's variable is not required
}

TEST_F(SourcesConfigTest, NoSectionsGiveDefaults) {
  auto config = Load("sources:\nprivacy:\n");
  ASSERT_OK(config);
  EXPECT_TRUE(config->sources.empty());
  EXPECT_EQ(config->privacy.pseudonym_key, "");
}

TEST_F(SourcesConfigTest, Errors) {
  ExpectIssue("sources: {id: x}\n", 1, "sources: expected a list of sources");
  ExpectIssue("sources:\n  - type: rss\n    url: http://x/\n", 2, "sources[0].id: required");
  ExpectIssue("sources:\n  - id: a b\n    type: rss\n    url: http://x/\n", 2,
              "sources[0].id: must be 1-64 letters, digits, '-', '_' or '.', got 'a b'");
  ExpectIssue("sources:\n  - id: a\n    type: fax\n", 3,
              "sources[0].type: unknown source type 'fax' (expected: telegram, rss, atom, "
              "mastodon, vk)");
  ExpectIssue("sources:\n  - id: a\n    type: rss\n", 2, "sources[0].url: required for a rss source");
  ExpectIssue("sources:\n  - id: a\n    type: rss\n    url: ftp://x/\n", 4,
              "sources[0].url: url must start with http:// or https://, got 'ftp://x/'");
  ExpectIssue("sources:\n  - id: a\n    type: telegram\n", 2,
              "sources[0].token_env: a telegram source needs token_env (the variable holding the "
              "bot token)");
  ExpectIssue("sources:\n  - id: a\n    type: telegram\n    token_env: SAKCHY_NOPE_UNSET\n", 4,
              "sources[0].token_env: environment variable SAKCHY_NOPE_UNSET is not set");
  ExpectIssue("sources:\n  - id: a\n    type: mastodon\n    url: https://m/\n    timeline: home\n",
              5, "sources[0].timeline: expected public, tag:NAME or account:ID, got 'home'");
  ExpectIssue("sources:\n  - id: a\n    type: rss\n    url: https://m/\n    timeline: public\n",
              5, "sources[0].timeline: only used by a mastodon source");
  ExpectIssue("sources:\n  - id: a\n    type: rss\n    url: https://m/\n    interval_ms: 1\n", 5,
              "sources[0].interval_ms: must be at least 10, got 1");
  ExpectIssue(
      "sources:\n  - id: a\n    type: rss\n    url: https://m/\n  - id: a\n    type: rss\n"
      "    url: https://n/\n",
      5, "sources[1].id: duplicate source id 'a' (first defined at " + path_ + ":2)");
  ExpectIssue("sources:\n  - id: a\n    type: rss\n    url: https://m/\n    colour: red\n", 5,
              "sources[0].colour: unknown key (expected one of: id, type, enabled, url, "
              "token_env, owner, api_version, comments_posts, timeline, interval_ms, timeout_ms, "
              "max_body_bytes, backoff_max_ms, "
              "long_poll_timeout_s, area, allow_private_targets)");
  ExpectIssue("sources:\n  - id: a\n    type: rss\n    url: https://m/\n    long_poll_timeout_s: 5\n",
              5, "sources[0].long_poll_timeout_s: only used by a telegram source");
  ASSERT_EQ(setenv("SAKCHY_SOURCES_TEST_BOT", "123456:bot-token-from-env", 1), 0);
  ExpectIssue("sources:\n  - id: a\n    type: telegram\n    token_env: SAKCHY_SOURCES_TEST_BOT\n"
              "    long_poll_timeout_s: 51\n",
              5, "sources[0].long_poll_timeout_s: must be between 0 and 50, got 51");
  ExpectIssue("privacy:\n  pseudonym_key_env: SAKCHY_NOPE_UNSET\n", 2,
              "privacy.pseudonym_key_env: environment variable SAKCHY_NOPE_UNSET is not set");
}

TEST_F(SourcesConfigTest, ShortPseudonymKeyIsRejected) {
  ASSERT_EQ(setenv(kKeyEnv, "short", 1), 0);
  ExpectIssue("privacy:\n  pseudonym_key_env: SAKCHY_SOURCES_TEST_KEY\n", 2,
              "privacy.pseudonym_key_env: the key in SAKCHY_SOURCES_TEST_KEY is too short (min "
              "16 characters)");
}

TEST(SourcesValidateAreasTest, UnknownSourceAreaIsNamedWithOrigin) {
  auto tree = AreaTree::Parse(
      "areas:\n  - {code: KG, level: country}\n  - {code: KG-O, parent: KG, level: oblast}\n",
      "areas.yaml");
  ASSERT_OK(tree);
  Config config;
  config.sources.push_back(SourceConfig{});
  config.sources[0].area = "KG-O";
  config.sources.push_back(SourceConfig{});
  config.sources[1].area = "KG-Z";
  config.sources[1].origin = "my.yaml:12";
  config.sources.push_back(SourceConfig{});  // no area: fine
  auto status = ValidateAreas(config, *tree);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message, "my.yaml:12: sources[1].area: unknown area code 'KG-Z'");
}

}  // namespace
}  // namespace sakchy::config::sources_config_test
