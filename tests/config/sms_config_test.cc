// The `sms:` section of the config (Kannel SMS intake).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "config/config.h"
#include "testutil/testutil.h"

namespace sakchy::config::sms_config_test {
namespace {

using ::testing::HasSubstr;

constexpr char kSecretEnv[] = "SAKCHY_SMS_TEST_KANNEL_SECRET";

class SmsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(setenv(kSecretEnv, "kannel-secret-0123456789", 1), 0);
    path_ = (dir_.path() / "sms.yaml").string();
  }
  void TearDown() override { unsetenv(kSecretEnv); }
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

TEST_F(SmsConfigTest, DisabledByDefault) {
  auto config = Load("server:\n  listen: 127.0.0.1:0\n");
  ASSERT_OK(config);
  EXPECT_FALSE(config->sms.kannel_enabled);
  EXPECT_TRUE(config->sms.kannel_secret.empty());
  EXPECT_TRUE(config->sms.kannel_allowed_ips.empty());
  EXPECT_FALSE(config->sms.keep_raw_numbers);
  EXPECT_EQ(config->sms.follow_up_window_ms, 600000) << "follow-ups within 10 minutes by default";
}

TEST_F(SmsConfigTest, ParsesKannel) {
  auto config = Load(R"yaml(sms:
  kannel:
    enabled: true
    secret_env: SAKCHY_SMS_TEST_KANNEL_SECRET
    allowed_ips: [127.0.0.1, 10.0.0.0/8, "::1", "2001:db8::/32"]
    keep_raw_numbers: true
    follow_up_window_ms: 1800000
)yaml");
  ASSERT_OK(config);
  EXPECT_TRUE(config->sms.kannel_enabled);
  EXPECT_EQ(config->sms.kannel_secret_env, kSecretEnv);
  EXPECT_EQ(config->sms.kannel_secret, "kannel-secret-0123456789");
  EXPECT_EQ(config->sms.kannel_allowed_ips,
            (std::vector<std::string>{"127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"}));
  EXPECT_TRUE(config->sms.keep_raw_numbers);
  EXPECT_EQ(config->sms.follow_up_window_ms, 1800000);
  EXPECT_EQ(config->sms.origin, path_ + ":3");
}

TEST_F(SmsConfigTest, DisabledGatewayMayNameAnUnsetVariable) {
  auto config = Load("sms:\n  kannel:\n    enabled: false\n    secret_env: SAKCHY_SMS_UNSET\n");
  ASSERT_OK(config);
  EXPECT_FALSE(config->sms.kannel_enabled);
  EXPECT_EQ(config->sms.kannel_secret_env, "SAKCHY_SMS_UNSET");
  EXPECT_TRUE(config->sms.kannel_secret.empty());
}

TEST_F(SmsConfigTest, Errors) {
  ExpectIssue("sms:\n  kannel:\n    enabled: true\n", 3,
              "sms.kannel.secret_env: required when enabled (the variable holding the secret "
              "Kannel sends in its get-url)");
  ExpectIssue("sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_SMS_UNSET\n", 4,
              "sms.kannel.secret_env: environment variable SAKCHY_SMS_UNSET is not set");
  ASSERT_EQ(setenv(kSecretEnv, "short", 1), 0);
  ExpectIssue(
      "sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_SMS_TEST_KANNEL_SECRET\n", 4,
      "sms.kannel.secret_env: the secret in SAKCHY_SMS_TEST_KANNEL_SECRET is too short (min 16 "
      "characters)");
  ASSERT_EQ(setenv(kSecretEnv, "", 1), 0);
  ExpectIssue("sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_SMS_TEST_KANNEL_SECRET\n",
              4,
              "sms.kannel.secret_env: environment variable SAKCHY_SMS_TEST_KANNEL_SECRET is empty");
  ExpectIssue("sms:\n  kannel:\n    allowed_ips:\n      - 127.0.0.1\n      - localhost\n", 5,
              "sms.kannel.allowed_ips[1]: expected an IP address or CIDR range (e.g. 127.0.0.1, "
              "10.0.0.0/8), got 'localhost'");
  ExpectIssue("sms:\n  kannel:\n    allowed_ips: [10.0.0.0/33]\n", 3,
              "sms.kannel.allowed_ips[0]: expected an IP address or CIDR range (e.g. 127.0.0.1, "
              "10.0.0.0/8), got '10.0.0.0/33'");
  // Kannel's secret travels in its URL (and its logs): the source address is required too.
  ExpectIssue("sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_SMS_TEST_KANNEL_SECRET\n",
              3,
              "sms.kannel.allowed_ips: required when enabled: the addresses Kannel's smsbox calls "
              "from (e.g. [127.0.0.1])");
  ExpectIssue("sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_SMS_TEST_KANNEL_SECRET\n"
              "    allowed_ips: []\n",
              5,
              "sms.kannel.allowed_ips: required when enabled: the addresses Kannel's smsbox calls "
              "from (e.g. [127.0.0.1])");
  ExpectIssue("sms:\n  kannel:\n    enabled: yes please\n", 3,
              "sms.kannel.enabled: expected true or false, got 'yes please'");
  ExpectIssue("sms:\n  kannel:\n    secret: abc\n", 3,
              "sms.kannel.secret: unknown key (expected one of: enabled, secret_env, "
              "allowed_ips, keep_raw_numbers, follow_up_window_ms)");
  ExpectIssue("sms:\n  kannel:\n    follow_up_window_ms: -1\n", 3,
              "sms.kannel.follow_up_window_ms: must be between 0 and 86400000, got -1");
  ExpectIssue("sms:\n  kannel:\n    follow_up_window_ms: 86400001\n", 3,
              "sms.kannel.follow_up_window_ms: must be between 0 and 86400000, got 86400001");
  ExpectIssue("sms:\n  kannel:\n    follow_up_window_ms: soon\n", 3,
              "sms.kannel.follow_up_window_ms: expected an integer, got 'soon'");
  ExpectIssue("sms:\n  smpp: {}\n", 2, "sms.smpp: unknown key (expected one of: kannel)");
  ExpectIssue("sms: [1]\n", 1, "sms: expected a mapping of keys");
}

}  // namespace
}  // namespace sakchy::config::sms_config_test
