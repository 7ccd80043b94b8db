// The `whatsapp:` and `replies:` sections and VK sources.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "config/config.h"
#include "testutil/testutil.h"

namespace sakchy::config::reach_config_test {
namespace {

using ::testing::HasSubstr;

class ReachConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SAKCHY_RC_WA_VERIFY", "verify-token-0123456789", 1);
    setenv("SAKCHY_RC_WA_SECRET", "app-secret-0123456789ab", 1);
    setenv("SAKCHY_RC_WA_TOKEN", "EAAG-access-token", 1);
    setenv("SAKCHY_RC_VK_TOKEN", "vk-service-token", 1);
    path_ = (dir_.path() / "reach.yaml").string();
  }
  void TearDown() override {
    for (const char* v : {"SAKCHY_RC_WA_VERIFY", "SAKCHY_RC_WA_SECRET", "SAKCHY_RC_WA_TOKEN",
                          "SAKCHY_RC_VK_TOKEN"}) {
      unsetenv(v);
    }
  }
  Result<Config> Load(const std::string& yaml) {
    std::ofstream(path_, std::ios::binary) << yaml;
    return LoadConfigFile(path_);
  }
  sakchy::testing::TempDir dir_;
  std::string path_;
};

TEST_F(ReachConfigTest, OffByDefault) {
  auto config = Load("server:\n  listen: 127.0.0.1:0\n");
  ASSERT_OK(config);
  EXPECT_FALSE(config->whatsapp.enabled);
  EXPECT_FALSE(config->replies.enabled);
  EXPECT_EQ(config->replies.default_language, "ky");
  EXPECT_EQ(config->replies.ack_max, 3);
}

TEST_F(ReachConfigTest, ParsesWhatsAppRepliesAndVk) {
  auto config = Load(R"yaml(whatsapp:
  enabled: true
  verify_token_env: SAKCHY_RC_WA_VERIFY
  app_secret_env: SAKCHY_RC_WA_SECRET
  access_token_env: SAKCHY_RC_WA_TOKEN
  phone_number_id: "106540352242922"
  api_base: https://graph.example/v21.0/
  template: {name: sakchy_answer, language: ky}
  follow_up_window_ms: 300000
replies:
  enabled: true
  acknowledge: false
  default_language: uz
  rate_limit: {max: 5, per_ms: 600000}
  public_telegram_chat: "@osh_answers"
  messages_dir: messages
sources:
  - {id: vk-osh, type: vk, owner: "-123456", token_env: SAKCHY_RC_VK_TOKEN, api_version: "5.131", comments_posts: 3}
contacts:
  - {id: uz-contact, name: Nookat, language: uz, areas: [KG], channels: [{type: webhook, url: "https://hooks.example/x", secret: k}]}
)yaml");
  ASSERT_OK(config);
  const auto& wa = config->whatsapp;
  EXPECT_TRUE(wa.enabled);
  EXPECT_EQ(wa.verify_token, "verify-token-0123456789");
  EXPECT_EQ(wa.app_secret, "app-secret-0123456789ab");
  EXPECT_EQ(wa.access_token, "EAAG-access-token");
  EXPECT_EQ(wa.phone_number_id, "106540352242922");
  EXPECT_EQ(wa.api_base, "https://graph.example/v21.0");
  EXPECT_EQ(wa.template_name, "sakchy_answer");
  EXPECT_EQ(wa.template_language, "ky");
  EXPECT_EQ(wa.follow_up_window_ms, 300000);
  const auto& r = config->replies;
  EXPECT_TRUE(r.enabled);
  EXPECT_FALSE(r.acknowledge);
  EXPECT_EQ(r.default_language, "uz");
  EXPECT_EQ(r.ack_max, 5);
  EXPECT_EQ(r.ack_per_ms, 600000);
  EXPECT_EQ(r.public_telegram_chat, "@osh_answers");
  EXPECT_EQ(r.messages_dir, (dir_.path() / "messages").string());
  ASSERT_EQ(config->sources.size(), 1u);
  const auto& vk = config->sources[0];
  EXPECT_EQ(vk.type, "vk");
  EXPECT_EQ(vk.url, "https://api.vk.com/method");
  EXPECT_EQ(vk.vk_owner, "-123456");
  EXPECT_EQ(vk.api_version, "5.131");
  EXPECT_EQ(vk.comments_posts, 3);
  EXPECT_EQ(vk.token, "vk-service-token");
  ASSERT_EQ(config->contacts.size(), 1u);
  EXPECT_EQ(config->contacts[0].language, "uz");
}

TEST_F(ReachConfigTest, MissingSecretsAndBadValuesAreNamed) {
  auto config = Load(R"yaml(whatsapp:
  enabled: true
  verify_token_env: SAKCHY_RC_UNSET
  phone_number_id: "12ab"
replies:
  default_language: de
sources:
  - {id: vk, type: vk, owner: "bad owner!"}
)yaml");
  ASSERT_FALSE(config.has_value());
  const std::string& m = config.error().message;
  EXPECT_THAT(m, HasSubstr("whatsapp.verify_token_env: environment variable SAKCHY_RC_UNSET is not set"));
  EXPECT_THAT(m, HasSubstr("whatsapp.app_secret_env: required when enabled"));
  EXPECT_THAT(m, HasSubstr("whatsapp.access_token_env: required when enabled"));
  EXPECT_THAT(m, HasSubstr("whatsapp.phone_number_id: expected the digits"));
  EXPECT_THAT(m, HasSubstr("replies.default_language: unknown language 'de'"));
  EXPECT_THAT(m, HasSubstr("sources[0].token_env: a vk source needs token_env"));
  EXPECT_THAT(m, HasSubstr("sources[0].owner: expected a community id"));
  // A disabled channel may name variables this environment lacks.
  EXPECT_OK(Load("whatsapp:\n  enabled: false\n  app_secret_env: SAKCHY_RC_UNSET\n"));
}

}  // namespace
}  // namespace sakchy::config::reach_config_test
