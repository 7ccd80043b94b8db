// Contact channel types (sms, telegram, email, webhook) and `alerts.channels`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "config/config.h"
#include "testutil/testutil.h"

namespace sakchy::config::channels_config_test {
namespace {

using ::testing::HasSubstr;

class ChannelsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(setenv("SAKCHY_TEST_KANNEL_PASSWORD", "kannel-pass", 1), 0);
    ASSERT_EQ(setenv("SAKCHY_TEST_BOT_TOKEN", "123456:ABC-token", 1), 0);
    ASSERT_EQ(setenv("SAKCHY_TEST_SMTP_PASSWORD", "smtp-pass", 1), 0);
    path_ = (dir_.path() / "channels.yaml").string();
  }
  void TearDown() override {
    unsetenv("SAKCHY_TEST_KANNEL_PASSWORD");
    unsetenv("SAKCHY_TEST_BOT_TOKEN");
    unsetenv("SAKCHY_TEST_SMTP_PASSWORD");
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

constexpr char kChannels[] = R"yaml(alerts:
  channels:
    sms:
      sendsms_url: http://127.0.0.1:13013/cgi-bin/sendsms
      username: ews
      password_env: SAKCHY_TEST_KANNEL_PASSWORD
      from: Sakchy
      dlr_url_base: http://127.0.0.1:8080
    telegram:
      api_base: http://127.0.0.1:9999/
      token_env: SAKCHY_TEST_BOT_TOKEN
    email:
      host: smtp.example.kg
      port: 587
      from: alerts@sakchy.kg
      starttls: true
      username: sakchy
      password_env: SAKCHY_TEST_SMTP_PASSWORD
)yaml";

TEST_F(ChannelsConfigTest, ParsesEveryChannel) {
  auto config = Load(std::string(kChannels) + R"yaml(contacts:
  - id: akim
    language: ky
    areas: [KG-O]
    channels:
      - {type: sms, to: "+996700123456"}
      - {type: telegram, chat_id: -1001234567}
      - {type: telegram, chat_id: "@aravan_duty"}
      - {type: email, to: akim@aravan.gov.kg}
      - {type: webhook, url: "https://hooks.example/x", secret: k}
)yaml");
  ASSERT_OK(config);
  const ChannelsConfig& ch = config->alerts.channels;
  ASSERT_TRUE(ch.sms && ch.telegram && ch.email);
  EXPECT_EQ(ch.sms->sendsms_url, "http://127.0.0.1:13013/cgi-bin/sendsms");
  EXPECT_EQ(ch.sms->username, "ews");
  EXPECT_EQ(ch.sms->password, "kannel-pass");
  EXPECT_EQ(ch.sms->from, "Sakchy");
  EXPECT_EQ(ch.sms->dlr_url_base, "http://127.0.0.1:8080");
  EXPECT_EQ(ch.telegram->api_base, "http://127.0.0.1:9999");  // trailing '/' dropped
  EXPECT_EQ(ch.telegram->token, "123456:ABC-token");
  EXPECT_EQ(ch.email->host, "smtp.example.kg");
  EXPECT_EQ(ch.email->port, 587);
  EXPECT_TRUE(ch.email->starttls);
  EXPECT_EQ(ch.email->password, "smtp-pass");
  ASSERT_EQ(config->contacts.size(), 1u);
  const auto& c = config->contacts[0].channels;
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].type, "sms");
  EXPECT_EQ(c[0].address, "+996700123456");
  EXPECT_EQ(c[1].address, "-1001234567");
  EXPECT_EQ(c[2].address, "@aravan_duty");
  EXPECT_EQ(c[3].type, "email");
  EXPECT_EQ(c[3].address, "akim@aravan.gov.kg");
}

TEST_F(ChannelsConfigTest, EmailTlsModesAuthAndEhloName) {
  const std::string head = "alerts:\n  channels:\n    email:\n      host: smtp.example.kg\n"
                           "      from: alerts@sakchy.kg\n";
  auto config = Load(head + "      port: 465\n");
  ASSERT_OK(config);
  EXPECT_TRUE(config->alerts.channels.email->implicit_tls);  // RFC 8314: 465 is implicit TLS
  EXPECT_EQ(config->alerts.channels.email->auth, SmtpAuth::kAny);
  EXPECT_EQ(config->alerts.channels.email->helo_name, "");
  config = Load(head + "      port: 2465\n      implicit_tls: true\n      helo_name: mx.sakchy.kg\n"
                       "      auth: xoauth2\n      username: sakchy\n"
                       "      password_env: SAKCHY_TEST_SMTP_PASSWORD\n");
  ASSERT_OK(config);
  EXPECT_TRUE(config->alerts.channels.email->implicit_tls);
  EXPECT_EQ(config->alerts.channels.email->helo_name, "mx.sakchy.kg");
  EXPECT_EQ(config->alerts.channels.email->auth, SmtpAuth::kXoauth2);
  config = Load(head + "      port: 587\n      starttls: true\n");
  ASSERT_OK(config);
  EXPECT_FALSE(config->alerts.channels.email->implicit_tls);
  ExpectIssue(head + "      starttls: true\n      implicit_tls: true\n", 7,
              "alerts.channels.email.implicit_tls: conflicts with starttls: choose one");
  ExpectIssue(head + "      auth: cram-md5\n", 6,
              "alerts.channels.email.auth: must be any, plain, login or xoauth2");
}

TEST_F(ChannelsConfigTest, ChannelNotConfiguredGlobally) {
  ExpectIssue(R"yaml(contacts:
  - id: akim
    areas: [KG]
    channels:
      - {type: sms, to: "+996700123456"}
)yaml",
              5,
              "contacts[0].channels[0].type: channel 'sms' is not configured (add "
              "alerts.channels.sms)");
}

TEST_F(ChannelsConfigTest, MalformedAddresses) {
  const std::string head = std::string(kChannels) +
                           "contacts:\n  - id: a\n    areas: [KG]\n"
                           "    channels:\n";
  // kChannels has 18 lines; the first channel is on line 23.
  ExpectIssue(head + "      - {type: sms, to: \"0700123456\"}\n", 23,
              "contacts[0].channels[0].to: malformed sms address '0700123456' (expected + and 7 "
              "to 15 digits, e.g. +996700123456)");
  ExpectIssue(head + "      - {type: telegram, chat_id: \"12ab\"}\n", 23,
              "contacts[0].channels[0].chat_id: malformed telegram address '12ab' (expected a "
              "numeric chat id or @username)");
  ExpectIssue(head + "      - {type: email, to: \"akim at aravan\"}\n", 23,
              "contacts[0].channels[0].to: malformed email address 'akim at aravan' (expected "
              "name@example.org)");
  ExpectIssue(head + "      - {type: sms}\n", 23,
              "contacts[0].channels[0].to: required for a sms channel");
  ExpectIssue(head + "      - {type: email, to: a@b.kg, url: \"http://x\"}\n", 23,
              "contacts[0].channels[0].url: unknown key (expected one of: type, to)");
}

TEST_F(ChannelsConfigTest, GlobalSectionErrors) {
  ExpectIssue(
      "alerts:\n  channels:\n    sms:\n      sendsms_url: ftp://x\n      username: u\n"
      "      password_env: SAKCHY_TEST_UNSET_VAR\n      from: S\n",
      4,
      "alerts.channels.sms.sendsms_url: url must start with http:// or https://, got "
      "'ftp://x'");
  ExpectIssue(
      "alerts:\n  channels:\n    sms:\n      sendsms_url: http://x\n      username: u\n"
      "      password_env: SAKCHY_TEST_UNSET_VAR\n      from: S\n",
      6,
      "alerts.channels.sms.password_env: environment variable SAKCHY_TEST_UNSET_VAR "
      "is not set");
  ExpectIssue("alerts:\n  channels:\n    telegram: {}\n", 3,
              "alerts.channels.telegram.token_env: required");
  ExpectIssue("alerts:\n  channels:\n    email: {host: h, from: nobody}\n", 3,
              "alerts.channels.email.from: malformed e-mail address 'nobody'");
  ExpectIssue("alerts:\n  channels:\n    pager: {}\n", 3,
              "alerts.channels.pager: unknown key (expected one of: sms, telegram, email)");
}

}  // namespace
}  // namespace sakchy::config::channels_config_test

namespace sakchy::config::channels_config_test {
namespace {

TEST_F(ChannelsConfigTest, CategoriesAndQuietHours) {
  auto config = Load(std::string(kChannels) + R"yaml(contacts:
  - id: akim
    areas: [KG]
    categories: [violence, hate]
    quiet_hours: {start: "22:30", end: "06:00"}
    channels:
      - type: sms
        to: "+996700123456"
)yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  const Contact& c = config->contacts[0];
  EXPECT_EQ(c.categories, (std::vector<std::string>{"violence", "hate"}));
  ASSERT_TRUE(c.quiet_hours.has_value());
  EXPECT_EQ(c.quiet_hours->start_minute, 22 * 60 + 30);
  EXPECT_EQ(c.quiet_hours->end_minute, 6 * 60);

  const std::string head = std::string(kChannels) +
                           "contacts:\n  - id: a\n    areas: [KG]\n"
                           "    channels: [{type: sms, to: \"+996700123456\"}]\n";
  ExpectIssue(head + "    quiet_hours: {start: \"22:00\", end: \"7am\"}\n", 23,
              "contacts[0].quiet_hours.end: expected HH:MM (00:00..23:59), got '7am'");
  ExpectIssue(head + "    quiet_hours: {start: \"22:00\"}\n", 23,
              "contacts[0].quiet_hours.end: required");
  ExpectIssue(head + "    quiet_hours: {start: \"22:00\", end: \"22:00\"}\n", 23,
              "contacts[0].quiet_hours: start and end are equal (give a real interval or leave "
              "it out)");
  ExpectIssue(head + "    categories: violence\n", 23,
              "contacts[0].categories: expected a list of strings");
}

TEST(ChannelAddressTest, ProblemsPerType) {
  EXPECT_EQ(ChannelAddressProblem("sms", "+996700123456"), "");
  EXPECT_THAT(ChannelAddressProblem("sms", "0700"), HasSubstr("malformed sms address '0700'"));
  EXPECT_EQ(ChannelAddressProblem("telegram", "@sakchy_bot"), "");
  EXPECT_EQ(ChannelAddressProblem("telegram", "-100123"), "");
  EXPECT_THAT(ChannelAddressProblem("telegram", "x y"), HasSubstr("malformed telegram address"));
  EXPECT_EQ(ChannelAddressProblem("email", "a@b.kg"), "");
  EXPECT_THAT(ChannelAddressProblem("email", "a@b"), HasSubstr("malformed email address"));
  EXPECT_EQ(ChannelAddressProblem("webhook", "https://x.kg/h"), "");
  EXPECT_THAT(ChannelAddressProblem("webhook", "x.kg/h"), HasSubstr("http://"));
  EXPECT_THAT(ChannelAddressProblem("fax", "1"), HasSubstr("unknown channel type 'fax'"));
}

TEST(ChannelAddressTest, ClockMinutes) {
  EXPECT_EQ(ParseClockMinutes("00:00"), 0);
  EXPECT_EQ(ParseClockMinutes("23:59"), 23 * 60 + 59);
  EXPECT_EQ(ParseClockMinutes("24:00"), std::nullopt);
  EXPECT_EQ(ParseClockMinutes("7:00"), std::nullopt);
  EXPECT_EQ(ParseClockMinutes("07:60"), std::nullopt);
  EXPECT_EQ(ParseClockMinutes("07-00"), std::nullopt);
}

}  // namespace
}  // namespace sakchy::config::channels_config_test

namespace sakchy::config::channels_config_test {
namespace {

TEST_F(ChannelsConfigTest, RouteTreeRateLimitAndDuty) {
  auto config = Load(R"yaml(alerts:
  route:
    group_by: [area, category]
    group_wait_ms: 30000
    repeat_interval_ms: 3600000
    parent_min_severity: [medium, high]
    escalation: {after_ms: 900000, max_steps: 2, roles: [analyst_on_duty]}
    routes:
      - match: {categories: [violence], min_severity: high}
        contacts: [police]
        continue: true
      - match: {areas: [KG-O], kinds: [signal]}
        group_by: [subject]
        escalation: {after_ms: 60000, steps: [[osh-duty]]}
        routes:
          - match: {max_severity: medium}
            roles: [mediator]
  rate_limit: {max: 10, per_ms: 3600000}
  resolve_after_ms: 7200000
  max_open_groups: 2000
  duty: [national-duty]
)yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  const RouteConfig& root = config->alerts.route;
  EXPECT_EQ(root.id, "root");
  EXPECT_EQ(root.group_by, (std::vector<std::string>{"area", "category"}));
  EXPECT_EQ(root.group_wait_ms, 30000);
  EXPECT_FALSE(root.group_interval_ms.has_value());  // the alerts module fills defaults
  ASSERT_TRUE(root.parent_min_severity.has_value());
  EXPECT_EQ(*root.parent_min_severity, (std::vector<Severity>{Severity::kMedium, Severity::kHigh}));
  ASSERT_TRUE(root.escalation.has_value());
  EXPECT_EQ(root.escalation->after_ms, 900000);
  EXPECT_EQ(root.escalation->max_steps, 2);
  ASSERT_EQ(root.routes.size(), 2u);
  EXPECT_EQ(root.routes[0].id, "root.0");
  EXPECT_TRUE(root.routes[0].continue_matching);
  EXPECT_EQ(root.routes[0].contacts, std::vector<std::string>{"police"});
  EXPECT_EQ(root.routes[0].match.min_severity, Severity::kHigh);
  EXPECT_EQ(root.routes[1].match.kinds, std::vector<std::string>{"signal"});
  EXPECT_EQ(root.routes[1].escalation->steps.size(), 1u);
  EXPECT_EQ(root.routes[1].escalation->max_steps, 1);  // no more steps than listed
  EXPECT_EQ(root.routes[1].routes[0].id, "root.1.0");
  EXPECT_EQ(root.routes[1].routes[0].match.max_severity, Severity::kMedium);
  EXPECT_EQ(config->alerts.rate_limit.max, 10);
  EXPECT_EQ(config->alerts.resolve_after_ms, 7200000);
  EXPECT_EQ(config->alerts.max_open_groups, 2000u);
  EXPECT_EQ(config->alerts.duty_contacts, std::vector<std::string>{"national-duty"});

  ExpectIssue("alerts:\n  route:\n    group_by: [town]\n", 3,
              "alerts.route.group_by[0]: unknown label 'town' (expected: event, area, category, "
              "severity, subject, kind)");
  ExpectIssue("alerts:\n  route:\n    match: {areas: [KG]}\n", 3,
              "alerts.route.match: the root route takes every alert; match in its routes");
  ExpectIssue("alerts:\n  route:\n    routes:\n      - match: {severity: high}\n", 4,
              "alerts.route.routes[0].match.severity: unknown key (expected one of: areas, "
              "categories, min_severity, max_severity, kinds)");
  ExpectIssue("alerts:\n  route:\n    routes:\n      - match: {kinds: [cluster]}\n", 4,
              "alerts.route.routes[0].match.kinds[0]: unknown kind 'cluster' (expected: event, "
              "signal)");
  ExpectIssue("alerts:\n  route:\n    escalation: {max_steps: 2}\n", 3,
              "alerts.route.escalation.after_ms: required");
  ExpectIssue("alerts:\n  route:\n    group_wait_ms: -1\n", 3,
              "alerts.route.group_wait_ms: must be between 0 and 2305843009213693951, got -1");
  ExpectIssue("alerts:\n  rate_limit: {max: 5, per_ms: 10}\n", 2,
              "alerts.rate_limit.per_ms: must be between 1000 and 2305843009213693951, got 10");
}

TEST_F(ChannelsConfigTest, RouteAreasAreChecked) {
  auto config = Load("alerts:\n  route:\n    routes:\n      - match: {areas: [KG-ZZ]}\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  auto areas = AreaTree::Parse("areas:\n  - {code: KG, parent: \"\", level: country}\n", "inline");
  ASSERT_TRUE(areas.has_value());
  auto st = ValidateAreas(*config, *areas);
  ASSERT_FALSE(st.has_value());
  EXPECT_THAT(st.error().message,
              HasSubstr(path_ + ":4: alerts.route.routes[0].match.areas[0]: unknown area code "
                                "'KG-ZZ'"));
}

}  // namespace
}  // namespace sakchy::config::channels_config_test
