// Contact documents (API and record table), channel usability, quiet hours.

#include "alerts/contacts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include <cstdlib>

#include "testutil/testutil.h"

namespace sakchy::alerts::contacts_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAreasYaml[] = R"(areas:
  - {code: "KG", parent: "", level: country}
  - {code: "KG-O", parent: "KG", level: oblast}
  - {code: "KG-O-ARAVAN", parent: "KG-O", level: raion}
)";

class ContactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tree = config::AreaTree::Parse(kAreasYaml, "inline");
    ASSERT_OK(tree);
    areas_ = std::move(*tree);
    ::setenv("SAKCHY_WEBHOOK_TEST_CONTACT_SECRET", "hook-secret", 1);
  }
  FieldProblem Bad(const std::string& json) {
    auto c = ContactFromJson(json, areas_, targets_);
    EXPECT_FALSE(c.has_value()) << json;
    return c ? FieldProblem{} : c.error();
  }
  config::AreaTree areas_;
  AddressFilter targets_;  // nothing internal allowed
};

constexpr char kFull[] = R"({"id":"aravan-akim","name":"Akim of Aravan","role":"akim",
  "language":"ky","areas":["KG-O-ARAVAN"],"min_severity":"medium","categories":["violence"],
  "quiet_hours":{"start":"22:00","end":"07:30"},
  "channels":[{"type":"sms","to":"+996700123456"},{"type":"telegram","chat_id":"-100123"},
              {"type":"email","to":"akim@aravan.kg"},
              {"type":"webhook","url":"https://hooks.example/a","secret_env":"SAKCHY_WEBHOOK_TEST_CONTACT_SECRET"}]})";

TEST_F(ContactsTest, FullDocumentRoundTrips) {
  auto c = ContactFromJson(kFull, areas_, targets_);
  ASSERT_TRUE(c.has_value()) << c.error().field << " " << c.error().detail;
  EXPECT_EQ(c->id, "aravan-akim");
  EXPECT_EQ(c->name, "Akim of Aravan");
  EXPECT_EQ(c->role, "akim");
  EXPECT_EQ(c->language, "ky");
  EXPECT_EQ(c->areas, std::vector<std::string>{"KG-O-ARAVAN"});
  EXPECT_EQ(c->min_severity, Severity::kMedium);
  EXPECT_EQ(c->categories, std::vector<std::string>{"violence"});
  ASSERT_TRUE(c->quiet_hours.has_value());
  EXPECT_EQ(c->quiet_hours->start_minute, 22 * 60);
  EXPECT_EQ(c->quiet_hours->end_minute, 7 * 60 + 30);
  ASSERT_EQ(c->channels.size(), 4u);
  EXPECT_EQ(c->channels[1].address, "-100123");
  EXPECT_EQ(c->channels[3].secret_env, "SAKCHY_WEBHOOK_TEST_CONTACT_SECRET");
  EXPECT_EQ(c->channels[3].secret, "hook-secret");  // resolved, never written out
  const std::string out = ContactToJson(*c);
  EXPECT_EQ(out.find("hook-secret"), std::string::npos);
  auto again = ContactFromJson(out, areas_, targets_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(ContactToJson(*again), out);
}

TEST_F(ContactsTest, ProblemsNameTheField) {
  auto p = Bad("[1]");
  EXPECT_EQ(p.field, "body");
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"sms","to":"+996700123456"}],"x":1})");
  EXPECT_EQ(p.field, "x");
  p = Bad(R"({"id":"Bad Id","areas":["KG"],"channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "id");
  p = Bad(R"({"areas":["KG"],"channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "id");
  EXPECT_EQ(p.detail, "is required");
  p = Bad(R"({"id":"a","areas":["KG-Z"],"channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "areas[0]");
  EXPECT_THAT(p.detail, HasSubstr("unknown area code 'KG-Z'"));
  p = Bad(R"({"id":"a","areas":[],"channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "areas");
  p = Bad(R"({"id":"a","areas":["KG"],"language":"de","channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "language");
  p = Bad(R"({"id":"a","areas":["KG"],"min_severity":"huge","channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "min_severity");
  p = Bad(R"({"id":"a","areas":["KG"],"quiet_hours":{"start":"25:00","end":"07:00"},"channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "quiet_hours.start");
  p = Bad(R"({"id":"a","areas":["KG"],"quiet_hours":{"start":"07:00","end":"07:00"},"channels":[{"type":"sms","to":"+996700123456"}]})");
  EXPECT_EQ(p.field, "quiet_hours");
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[]})");
  EXPECT_EQ(p.field, "channels");
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"pigeon","to":"roof"}]})");
  EXPECT_EQ(p.field, "channels[0].type");
  EXPECT_THAT(p.detail, HasSubstr("unknown channel type 'pigeon'"));
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"sms","to":"+996700123456"},{"type":"sms","to":"0700123456"}]})");
  EXPECT_EQ(p.field, "channels[1].to");
  EXPECT_THAT(p.detail, HasSubstr("malformed sms address '0700123456'"));
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"telegram","chat_id":"12ab"}]})");
  EXPECT_EQ(p.field, "channels[0].chat_id");
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"email","to":"akim at aravan"}]})");
  EXPECT_EQ(p.field, "channels[0].to");
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"webhook","url":"ftp://x","secret_env":"E"}]})");
  EXPECT_EQ(p.field, "channels[0].url");
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"webhook","url":"https://x.kg/h"}]})");
  EXPECT_EQ(p.field, "channels[0].secret_env");
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"webhook","url":"https://x.kg/h","secret":"s"}]})");
  EXPECT_EQ(p.field, "channels[0].secret");  // secrets are never taken through the API
  p = Bad(R"({"id":"a","areas":["KG"],"channels":[{"type":"sms"}]})");
  EXPECT_EQ(p.field, "channels[0].to");
}

// The contacts API must not become a way to reach inside (SSRF) or to sign with another secret.
TEST_F(ContactsTest, WebhooksToInternalAddressesAndForeignSecretsAreRefused) {
  for (const char* url : {"http://127.0.0.1/h", "http://169.254.169.254/latest/meta-data",
                          "http://10.0.0.1/", "http://[::1]/", "http://0x7f000001/",
                          "http://2130706433:8080/", "http://[::ffff:127.0.0.1]/",
                          "http://localhost:9000/", "http://172.16.0.1/", "http://[fe80::1]/"}) {
    auto p = Bad(std::string(R"({"id":"a","areas":["KG"],"channels":[{"type":"webhook","url":")") +
                 url + R"(","secret_env":"SAKCHY_WEBHOOK_TEST_CONTACT_SECRET"}]})");
    EXPECT_EQ(p.field, "channels[0].url") << url;
    EXPECT_THAT(p.detail, HasSubstr("internal address")) << url;
  }
  // A deployment with a local receiver lists it.
  auto allowed = AddressFilter::FromCidrs({"127.0.0.1/32"});
  ASSERT_OK(allowed);
  auto local = ContactFromJson(
      R"({"id":"a","areas":["KG"],"channels":[{"type":"webhook","url":"http://127.0.0.1:9/h","secret_env":"SAKCHY_WEBHOOK_TEST_CONTACT_SECRET"}]})",
      areas_, *allowed);
  EXPECT_TRUE(local.has_value());
  // secret_env: only SAKCHY_WEBHOOK_*, with one answer whether the variable exists or not.
  ::setenv("SAKCHY_KANNEL_SECRET_CONTACTS_TEST", "kannel-secret-0123456789", 1);
  std::set<std::string> details;
  for (const char* name : {"SAKCHY_KANNEL_SECRET_CONTACTS_TEST", "PATH", "NO_SUCH_VARIABLE_Q"}) {
    auto p = Bad(std::string(R"({"id":"a","areas":["KG"],"channels":[{"type":"webhook","url":"https://x.kg/h","secret_env":")") +
                 name + R"("}]})");
    EXPECT_EQ(p.field, "channels[0].secret_env") << name;
    details.insert(p.detail);
  }
  EXPECT_EQ(details.size(), 1u);
  EXPECT_THAT(*details.begin(), HasSubstr("SAKCHY_WEBHOOK_"));
}

TEST_F(ContactsTest, UsableChannelsFollowTheConfiguration) {
  auto c = ContactFromJson(kFull, areas_, targets_);
  ASSERT_TRUE(c.has_value());
  config::ChannelsConfig none;
  EXPECT_THAT(UsableChannels(*c, none), ElementsAre(3));  // only the webhook
  config::ChannelsConfig all;
  all.sms.emplace();
  all.telegram.emplace();
  all.email.emplace();
  EXPECT_THAT(UsableChannels(*c, all), ElementsAre(0, 1, 2, 3));
  EXPECT_TRUE(ContactProblems(*c, all).empty());
  EXPECT_THAT(ContactProblems(*c, none),
              ElementsAre("channels[0]: channel 'sms' is not configured (alerts.channels.sms)",
                          "channels[1]: channel 'telegram' is not configured "
                          "(alerts.channels.telegram)",
                          "channels[2]: channel 'email' is not configured "
                          "(alerts.channels.email)"));
  c->channels.resize(1);
  EXPECT_TRUE(UsableChannels(*c, none).empty());
  EXPECT_EQ(ContactProblems(*c, none).back(), "no usable channel");
  config::ContactChannel unset;
  unset.type = "webhook";
  unset.secret_env = "SAKCHY_WEBHOOK_TEST_UNSET";
  EXPECT_EQ(ChannelProblem(unset, none),
            "webhook signing key: environment variable SAKCHY_WEBHOOK_TEST_UNSET is not set");
}

TEST_F(ContactsTest, QuietHours) {
  config::Contact c;
  EXPECT_EQ(QuietUntil(c, 0), std::nullopt);
  c.quiet_hours = config::QuietHours{13 * 60, 14 * 60};  // 13:00-14:00 Bishkek = 07:00-08:00Z
  const TimeMs day = 1'717'200'000'000;                   // 2024-06-01T00:00:00Z
  EXPECT_EQ(QuietUntil(c, day + 7 * 3'600'000 - 1), std::nullopt);
  EXPECT_EQ(QuietUntil(c, day + 7 * 3'600'000), day + 8 * 3'600'000);
  EXPECT_EQ(QuietUntil(c, day + 8 * 3'600'000 - 1), day + 8 * 3'600'000);
  EXPECT_EQ(QuietUntil(c, day + 8 * 3'600'000), std::nullopt);
}

TEST_F(ContactsTest, CategoriesOfInterest) {
  config::Contact c;
  EXPECT_TRUE(WantsCategories(c, {"x"}));
  c.categories = {"violence"};
  EXPECT_TRUE(WantsCategories(c, {"rumour", "violence"}));
  EXPECT_FALSE(WantsCategories(c, {"rumour"}));
  EXPECT_FALSE(WantsCategories(c, {}));
}

}  // namespace
}  // namespace sakchy::alerts::contacts_test
