// End-to-end alert routes of the real `sakchy` binary: details, acknowledgement, and Kannel
// delivery reports through a real Kannel (fakesmsc sees the SMS, its delivery report marks the
// alert delivered).

#include <signal.h>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <set>

#include "core/crypto.h"
#include "core/time.h"
#include "integration/harness.h"
#include "fakes/telegram_send_fake.h"
#include "testutil/kannel_fixture.h"

namespace sakchy::testing::alerts_test {
namespace {

namespace json = boost::json;

constexpr const char* kRumour =
    "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!";

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

// Posts the rumour and returns the alert id of the first webhook the Osh contact received.
std::string RaiseAlert(Harness& h, const std::string& source_ref) {
  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", source_ref}});
  EXPECT_EQ(posted.status, 202) << posted.body;
  EXPECT_TRUE(WaitFor([&] { return h.sink().count() >= 1; })) << "no webhook arrived";
  if (h.sink().count() == 0) return "";
  return Str(json::parse(h.sink().requests().front().body).at("alert_id"));
}

TEST(AlertsApiTest, DetailsAndAcknowledgement) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const std::string id = RaiseAlert(h, "ack-1");
  ASSERT_FALSE(id.empty());

  json::value detail;
  ASSERT_TRUE(WaitFor([&] {
    detail = h.GetJson("/v1/alerts/" + id);
    return detail.is_object() && detail.at("alert").at("state") == "delivered";
  })) << serialize(detail);
  const auto& alert = detail.at("alert").as_object();
  EXPECT_EQ(alert.at("contact_id"), "osh-duty");
  EXPECT_EQ(alert.at("channel"), "webhook");
  EXPECT_EQ(alert.at("kind"), "event");
  EXPECT_EQ(Str(alert.at("code")).size(), 4u);
  EXPECT_FALSE(alert.contains("target")) << "addresses are not shown";
  EXPECT_EQ(detail.at("acknowledged"), false);
  ASSERT_EQ(detail.at("notifications").as_array().size(), 1u);
  EXPECT_EQ(detail.at("acks").as_array().size(), 0u);

  auto ack = h.Call("POST", "/v1/alerts/" + id + "/ack", kAnalystToken,
                    R"({"note":"police informed"})");
  ASSERT_EQ(ack.status, 201) << ack.body;
  auto ack_body = json::parse(ack.body);
  EXPECT_EQ(ack_body.at("duplicate"), false);
  EXPECT_EQ(ack_body.at("ack").at("via"), "api");
  EXPECT_EQ(ack_body.at("ack").at("actor"), "env-analyst-1");
  auto again = h.Call("POST", "/v1/alerts/" + id + "/ack", kAnalystToken);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body).at("duplicate"), true);

  detail = h.GetJson("/v1/alerts/" + id);
  EXPECT_EQ(detail.at("acknowledged"), true);
  ASSERT_EQ(detail.at("acks").as_array().size(), 1u);
  EXPECT_EQ(detail.at("acks").as_array()[0].at("note"), "police informed");

  // The list shows the new state names; "pending" is still understood.
  auto delivered = h.GetJson("/v1/alerts?state=delivered");
  ASSERT_TRUE(delivered.is_object());
  EXPECT_EQ(delivered.at("alerts").as_array().size(), 1u);
  EXPECT_EQ(h.GetJson("/v1/alerts?state=pending").at("alerts").as_array().size(), 0u);
  EXPECT_EQ(h.GetJson("/v1/alerts?state=queued").at("alerts").as_array().size(), 0u);
  auto bad_state = h.Call("GET", "/v1/alerts?state=lost", kAnalystToken);
  EXPECT_EQ(bad_state.status, 400);
  EXPECT_NE(bad_state.body.find("dead_letter"), std::string::npos) << bad_state.body;
}

TEST(AlertsApiTest, BadRequestsAreRefusedPrecisely) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const std::string unknown = "01HZ9TQGG0CGJBYJTC5NBDV5KN";
  EXPECT_EQ(h.Call("GET", "/v1/alerts/" + unknown, kAnalystToken).status, 404);
  auto bad_id = h.Call("GET", "/v1/alerts/not-an-id", kAnalystToken);
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_NE(bad_id.body.find("\"field\":\"id\""), std::string::npos) << bad_id.body;
  EXPECT_EQ(h.Call("GET", "/v1/alerts/" + unknown, kMonitorToken).status, 403);
  EXPECT_EQ(h.Call("GET", "/v1/alerts/" + unknown, "").status, 401);
  EXPECT_EQ(h.Call("POST", "/v1/alerts/" + unknown + "/ack", kAnalystToken).status, 404);
  EXPECT_EQ(h.Call("POST", "/v1/alerts/" + unknown + "/ack", kMonitorToken).status, 403);
  auto bad_note = h.Call("POST", "/v1/alerts/" + unknown + "/ack", kAnalystToken, R"({"note":7})");
  EXPECT_EQ(bad_note.status, 400);
  EXPECT_NE(bad_note.body.find("\"field\":\"note\""), std::string::npos) << bad_note.body;
  auto unknown_field =
      h.Call("POST", "/v1/alerts/" + unknown + "/ack", kAnalystToken, R"({"by":"me"})");
  EXPECT_EQ(unknown_field.status, 400);
  EXPECT_NE(unknown_field.body.find("\"field\":\"by\""), std::string::npos);
  EXPECT_EQ(h.Call("GET", "/v1/alerts/" + unknown + "/ack", kAnalystToken).status, 405);
  // Without an SMS channel there are no delivery reports.
  EXPECT_EQ(h.Call("GET", "/v1/alerts/dlr?alert_id=" + unknown + "&type=1&sig=x", "").status,
            401);
}

TEST(AlertsApiTest, SmsDeliveryReportFromRealKannelMarksTheAlertDelivered) {
  if (!KannelFixture::Installed()) GTEST_SKIP() << "Kannel is not installed";
  const auto ports = FreePorts(1);
  ASSERT_EQ(ports.size(), 1u);
  const std::string base = "http://127.0.0.1:" + std::to_string(ports[0]);
  KannelFixture kannel;
  HarnessOptions opts;
  opts.alerts_yaml = "  channels:\n    sms:\n      sendsms_url: " + kannel.sendsms_url() +
                     "\n      username: ews\n      password_env: SAKCHY_TEST_SMS_PASSWORD\n"
                     "      from: Sakchy\n      dlr_url_base: " + base + "\n";
  opts.contacts_yaml =
      "  - id: osh-akim\n    name: Osh akim\n    language: ky\n    areas: [KG-GO]\n"
      "    channels:\n      - type: sms\n        to: \"+996700123456\"\n";
  opts.env = {{"SAKCHY_TEST_SMS_PASSWORD", KannelFixture::kPassword}};
  Harness h(opts);
  ASSERT_TRUE(h.Start({"--listen", "127.0.0.1:" + std::to_string(ports[0])}));
  ASSERT_TRUE(kannel.Start(ports[0], "unused-secret-0123456789"));

  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "dlr-1"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string event_id = Str(json::parse(posted.body).at("id"));
  std::string sms_id;
  json::value alerts;
  ASSERT_TRUE(WaitFor([&] {
    alerts = h.GetJson("/v1/alerts?event_id=" + event_id);
    if (!alerts.is_object()) return false;
    for (const auto& a : alerts.at("alerts").as_array()) {
      if (a.at("channel") == "sms") sms_id = Str(a.at("id"));
    }
    return !sms_id.empty();
  })) << serialize(alerts);
  ASSERT_TRUE(WaitFor([&] { return !FakeSmscMessages(kannel.Log("fakesmsc.log")).empty(); }))
      << kannel.Log("fakesmsc.log") << h.process().Stderr();
  EXPECT_NE(FakeSmscMessages(kannel.Log("fakesmsc.log"))[0].find("OK "), std::string::npos);
  json::value detail;
  ASSERT_TRUE(WaitFor([&] {
    detail = h.GetJson("/v1/alerts/" + sms_id);
    return detail.is_object() && detail.at("alert").at("state") == "delivered";
  })) << serialize(detail) << "\nsmsbox.log:\n" << kannel.Log("smsbox.log");
  EXPECT_TRUE(detail.at("alert").as_object().contains("sent_at"));
  EXPECT_TRUE(detail.at("alert").as_object().contains("delivered_at"));
  EXPECT_GE(h.Metric("sakchy_alert_dlr_total{result=\"delivered\"}"), 1);

  // Forged or broken reports.
  const std::string dlr = "/v1/alerts/dlr?alert_id=" + sms_id;
  auto forged = h.Call("GET", dlr + "&type=2&sig=0123456789abcdef0123456789abcdef", "");
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_EQ(h.GetJson("/v1/alerts/" + sms_id).at("alert").at("state"), "delivered");
  const std::string sig =
      HmacSha256Hex(HmacSha256Hex(KannelFixture::kPassword, "sakchy-dlr"), sms_id).substr(0, 32);
  auto bad_type = h.Call("GET", dlr + "&type=3&sig=" + sig, "");
  EXPECT_EQ(bad_type.status, 400) << bad_type.body;
  EXPECT_NE(bad_type.body.find("\"field\":\"type\""), std::string::npos) << bad_type.body;
  auto not_a_number = h.Call("GET", dlr + "&type=x&sig=" + sig, "");
  EXPECT_EQ(not_a_number.status, 400) << not_a_number.body;
  auto no_id = h.Call("GET", "/v1/alerts/dlr?type=1&sig=x", "");
  EXPECT_EQ(no_id.status, 400);
  EXPECT_NE(no_id.body.find("\"field\":\"alert_id\""), std::string::npos) << no_id.body;
}

// The contacts API is no way inside (SSRF) and no way to sign with another secret: internal
// targets and secret_env names outside SAKCHY_WEBHOOK_* are 400s, with one answer whether the
// variable exists or not. (The harness allows its loopback receiver, 127.0.0.1/32, only.)
TEST(ContactsApiTest, WebhooksToInternalAddressesAndForeignSecretsAreRefused) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto contact = [](const std::string& url, const std::string& env) {
    return R"({"id":"probe","areas":["KG"],"channels":[{"type":"webhook","url":")" + url +
           R"(","secret_env":")" + env + R"("}]})";
  };
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
                          "http://[::1]:8080/", "http://0x7f000002/", "http://2130706434/",
                          "http://[::ffff:192.168.1.1]/", "http://127.0.0.2:9/"}) {
    auto r = h.Call("POST", "/v1/admin/contacts", kAdminToken,
                    contact(url, "SAKCHY_WEBHOOK_TEST_SECRET"));
    EXPECT_EQ(r.status, 400) << url << ": " << r.body;
    EXPECT_NE(r.body.find("\"field\":\"channels[0].url\""), std::string::npos) << r.body;
  }
  std::set<std::string> answers;
  for (const char* env : {"SAKCHY_TEST_KANNEL_SECRET_NOT_SET", "SAKCHY_TOKENS", "HOME",
                          "NO_SUCH_VARIABLE_ANYWHERE"}) {
    auto r = h.Call("POST", "/v1/admin/contacts", kAdminToken,
                    contact("https://hooks.example.org/x", env));
    EXPECT_EQ(r.status, 400) << env << ": " << r.body;
    answers.insert(std::string(json::parse(r.body).at("detail").as_string()));
  }
  EXPECT_EQ(answers.size(), 1u);
  EXPECT_EQ(h.GetJson("/v1/admin/contacts", kAdminToken).at("contacts").as_array().size(), 2u);
}

TEST(ContactsApiTest, CrudIsAdminOnlyAuditedAndReportsContactsWithoutUsableChannel) {
  Harness h;
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.Call("GET", "/v1/admin/contacts", kAnalystToken).status, 403);
  auto list = h.GetJson("/v1/admin/contacts", kAdminToken);
  ASSERT_TRUE(list.is_object());
  ASSERT_EQ(list.at("contacts").as_array().size(), 2u);
  EXPECT_EQ(list.at("contacts").as_array()[0].at("source"), "config");

  const std::string hook = h.sink().url("/new");
  const std::string body = R"({"id":"osh-mediator","name":"Mediator","role":"mediator",
    "language":"ru","areas":["KG-GO","KG-O"],"channels":[{"type":"webhook","url":")" +
                           hook + R"(","secret_env":"SAKCHY_WEBHOOK_TEST_SECRET"}]})";
  auto created = h.Call("POST", "/v1/admin/contacts", kAdminToken, body);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body).at("reachable"), true);
  EXPECT_EQ(h.Call("POST", "/v1/admin/contacts", kAdminToken, body).status, 409);
  auto bad = h.Call("POST", "/v1/admin/contacts", kAdminToken,
                    R"({"id":"x","areas":["KG"],"channels":[{"type":"sms","to":"0555"}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"field\":\"channels[0].to\""), std::string::npos) << bad.body;
  auto yaml = h.Call("PUT", "/v1/admin/contacts/osh-duty", kAdminToken,
                     R"({"id":"osh-duty","areas":["KG"],"channels":[{"type":"sms","to":"+996555000000"}]})");
  EXPECT_EQ(yaml.status, 409) << yaml.body;
  auto mismatch = h.Call("PUT", "/v1/admin/contacts/other", kAdminToken, body);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(h.Call("POST", "/v1/admin/contacts", kAdminToken, body,
                   {{"Content-Type", "text/plain"}}).status,
            415);

  // The new contact is routed at once.
  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "contacts-1"}});
  ASSERT_EQ(posted.status, 202);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& r : h.sink().requests()) {
      if (r.target == "/new") return true;
    }
    return false;
  }));

  // A contact whose only channel is not configured is kept, and reported.
  auto unusable = h.Call("POST", "/v1/admin/contacts", kAdminToken,
                         R"({"id":"tg-only","areas":["KG"],"channels":[{"type":"telegram","chat_id":"42"}]})");
  ASSERT_EQ(unusable.status, 201) << unusable.body;
  EXPECT_EQ(json::parse(unusable.body).at("reachable"), false);
  auto ready = h.Call("GET", "/readyz", kAdminToken);
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("contact 'tg-only' (api): no usable channel"), std::string::npos)
      << ready.body;

  // After a restart it is reported at load, too.
  ASSERT_EQ(h.Stop(SIGTERM), 0);
  ASSERT_TRUE(h.Start());
  EXPECT_NE(h.process().Stderr().find("contact 'tg-only' (api) has no usable channel"),
            std::string::npos)
      << h.process().Stderr();
  EXPECT_NE(h.Call("GET", "/readyz", kAdminToken).body.find("tg-only"), std::string::npos);
  EXPECT_EQ(h.GetJson("/v1/admin/contacts/osh-mediator", kAdminToken).at("name"), "Mediator");

  auto removed = h.Call("DELETE", "/v1/admin/contacts/tg-only", kAdminToken);
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_EQ(h.Call("DELETE", "/v1/admin/contacts/tg-only", kAdminToken).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/admin/contacts/tg-only", kAdminToken).status, 404);
  EXPECT_EQ(h.Call("DELETE", "/v1/admin/contacts/osh-duty", kAdminToken).status, 409);
  EXPECT_EQ(h.Call("GET", "/readyz", kAdminToken).body.find("tg-only"), std::string::npos);
}

TEST(SilencesApiTest, SilenceHoldsAlertsUntilItIsEndedEarly) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_EQ(h.Call("POST", "/v1/silences", kMonitorToken, "{}").status, 403);
  auto none = h.Call("POST", "/v1/silences", kAnalystToken,
                     R"({"ends_at":"2099-01-01T00:00:00Z","comment":"x"})");
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(none.body.find("\"field\":\"areas\""), std::string::npos) << none.body;
  auto past = h.Call("POST", "/v1/silences", kAnalystToken,
                     R"({"areas":["KG-O"],"ends_at":"2001-01-01T00:00:00Z","comment":"x"})");
  EXPECT_EQ(past.status, 400);
  EXPECT_NE(past.body.find("\"field\":\"ends_at\""), std::string::npos) << past.body;
  auto no_comment = h.Call("POST", "/v1/silences", kAnalystToken,
                           R"({"areas":["KG-O"],"ends_at":")" + FormatRfc3339(now + 3'600'000) +
                               R"("})");
  EXPECT_EQ(no_comment.status, 400);

  auto created = h.Call("POST", "/v1/silences", kAnalystToken,
                        R"({"areas":["KG-O","KG-GO"],"ends_at":")" +
                            FormatRfc3339(now + 3'600'000) +
                            R"(","comment":"known incident, police on site"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Str(json::parse(created.body).at("id"));
  EXPECT_EQ(json::parse(created.body).at("created_by"), "env-analyst-1");
  auto listed = h.GetJson("/v1/silences");
  ASSERT_EQ(listed.at("silences").as_array().size(), 1u);
  EXPECT_EQ(h.GetJson("/v1/silences/" + id).at("comment"), "known incident, police on site");

  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "silenced-1"}});
  ASSERT_EQ(posted.status, 202);
  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_alerts_silenced_total") >= 1; }));
  EXPECT_EQ(h.sink().count(), 0u) << "silenced: nobody is notified";

  auto expired = h.Call("DELETE", "/v1/silences/" + id, kAnalystToken);
  ASSERT_EQ(expired.status, 200) << expired.body;
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() >= 1; })) << "held alert sent when it ended";
  const std::string alert_id = Str(json::parse(h.sink().requests()[0].body).at("alert_id"));
  auto detail = h.GetJson("/v1/alerts/" + alert_id);
  ASSERT_TRUE(detail.is_object());
  EXPECT_EQ(Str(detail.at("group").at("silenced_by")), id);
  EXPECT_EQ(h.Call("DELETE", "/v1/silences/NOPE", kAnalystToken).status, 404);
}

TEST(DeadLetterTest, UndeliverableAlertIsVisibleAndTheDutyContactIsTold) {
  const auto closed = FreePorts(1);
  ASSERT_EQ(closed.size(), 1u);
  HarnessOptions opts;
  opts.alerts_yaml = "  give_up_after_ms: 1500\n";
  opts.contacts_yaml = "  - id: osh-akim\n    name: Osh akim\n    areas: [KG-GO]\n"
                       "    channels:\n      - type: webhook\n        url: http://127.0.0.1:" +
                       std::to_string(closed[0]) +
                       "/down\n        secret_env: SAKCHY_WEBHOOK_TEST_SECRET\n";
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "dead-1"}});
  ASSERT_EQ(posted.status, 202);
  json::value dead;
  ASSERT_TRUE(WaitFor([&] {
    dead = h.GetJson("/v1/alerts?state=dead_letter");
    return dead.is_object() && dead.at("alerts").as_array().size() == 1;
  })) << serialize(dead);
  const auto& failed = dead.at("alerts").as_array()[0];
  EXPECT_EQ(failed.at("contact_id"), "osh-akim");
  EXPECT_NE(Str(failed.at("last_error")).find("gave up after"), std::string::npos);
  // The Osh duty officer (analyst_on_duty) hears about it.
  json::value notices;
  ASSERT_TRUE(WaitFor([&] {
    notices = h.GetJson("/v1/alerts?kind=notice");
    return notices.is_object() && notices.at("alerts").as_array().size() == 1;
  }));
  EXPECT_EQ(notices.at("alerts").as_array()[0].at("contact_id"), "osh-duty");
  EXPECT_EQ(notices.at("alerts").as_array()[0].at("subject_id"), failed.at("id"));
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& r : h.sink().requests()) {
      if (r.body.find("sakchy.notice") != std::string::npos) return true;
    }
    return false;
  }));
  EXPECT_EQ(h.Call("GET", "/v1/alerts?kind=route", kAnalystToken).status, 400);
}

TEST(AckRepliesTest, SmsReplyOkCodeThroughRealKannelAcknowledges) {
  if (!KannelFixture::Installed()) GTEST_SKIP() << "Kannel is not installed";
  const auto ports = FreePorts(1);
  ASSERT_EQ(ports.size(), 1u);
  const std::string secret = "kannel-secret-for-tests-0123";
  KannelFixture kannel;
  HarnessOptions opts;
  opts.alerts_yaml = "  channels:\n    sms:\n      sendsms_url: " + kannel.sendsms_url() +
                     "\n      username: ews\n      password_env: SAKCHY_TEST_SMS_PASSWORD\n"
                     "      from: Sakchy\n";
  opts.contacts_yaml =
      "  - id: osh-akim\n    name: Osh akim\n    language: ru\n    areas: [KG-GO]\n"
      "    channels:\n      - type: sms\n        to: \"+996700123456\"\n";
  opts.extra_yaml =
      "privacy:\n  pseudonym_key_env: SAKCHY_TEST_PSEUDONYM_KEY\n"
      "sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_TEST_KANNEL_SECRET\n"
      "    allowed_ips: [127.0.0.1]\n";
  opts.env = {{"SAKCHY_TEST_SMS_PASSWORD", KannelFixture::kPassword},
              {"SAKCHY_TEST_KANNEL_SECRET", secret},
              {"SAKCHY_TEST_PSEUDONYM_KEY", "pseudonym-key-for-tests-0123"}};
  Harness h(opts);
  ASSERT_TRUE(h.Start({"--listen", "127.0.0.1:" + std::to_string(ports[0])}));
  ASSERT_TRUE(kannel.Start(ports[0], secret));

  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "sms-ack-1"}});
  ASSERT_EQ(posted.status, 202);
  std::vector<std::string> sms;
  ASSERT_TRUE(WaitFor([&] {
    sms = FakeSmscMessages(kannel.Log("fakesmsc.log"));
    return !sms.empty();
  })) << h.process().Stderr();
  const auto at = sms[0].rfind("OK ");
  ASSERT_NE(at, std::string::npos) << sms[0];
  const std::string code = sms[0].substr(at + 3, 4);
  const std::string event_id = Str(json::parse(posted.body).at("id"));
  std::string sms_id;
  ASSERT_TRUE(WaitFor([&] {
    const json::value listed = h.GetJson("/v1/alerts?event_id=" + event_id);
    if (!listed.is_object()) return false;
    for (const auto& a : listed.at("alerts").as_array()) {
      if (a.at("channel") == "sms") sms_id = Str(a.at("id"));
    }
    return !sms_id.empty();
  }));
  EXPECT_EQ(Str(h.GetJson("/v1/alerts/" + sms_id).at("alert").at("code")), code);

  // The akim answers "OK <code>" by SMS.
  ASSERT_TRUE(kannel.SendMo("+996700123456 1234 text OK " + code));
  json::value detail;
  ASSERT_TRUE(WaitFor([&] {
    detail = h.GetJson("/v1/alerts/" + sms_id);
    return detail.is_object() && detail.at("acknowledged") == true;
  })) << serialize(detail) << "\nsmsbox.log:\n" << kannel.Log("smsbox.log");
  const auto& ack = detail.at("acks").as_array()[0];
  EXPECT_EQ(ack.at("via"), "sms");
  EXPECT_EQ(ack.at("actor"), "contact:osh-akim");
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 1) << "an acknowledgement is no report";

  // The same words from an unknown number are an ordinary report.
  ASSERT_TRUE(kannel.SendMo("+996555111222 1234 text OK " + code));
  ASSERT_TRUE(WaitFor([&] { return h.Metric("sakchy_reports_accepted_total") == 2; }));
}

TEST(AckRepliesTest, TelegramButtonOfTheRealBinaryAcknowledges) {
  TelegramSendFake bot("123456:alerts-bot-token", {"4242"});
  HarnessOptions opts;
  opts.alerts_yaml = "  channels:\n    telegram:\n      api_base: " + bot.api_base() +
                     "\n      token_env: SAKCHY_TEST_ALERTS_BOT\n";
  opts.contacts_yaml =
      "  - id: osh-tg\n    name: Osh mediator\n    language: ru\n    areas: [KG-GO]\n"
      "    channels:\n      - type: telegram\n        chat_id: \"4242\"\n";
  opts.env = {{"SAKCHY_TEST_ALERTS_BOT", "123456:alerts-bot-token"}};
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "tg-ack-1"}});
  ASSERT_EQ(posted.status, 202);
  ASSERT_TRUE(WaitFor([&] { return bot.sent().size() == 1; })) << h.process().Stderr();
  const std::string data = bot.sent()[0].callback_data;
  const std::string alert_id = data.substr(data.rfind(':') + 1);
  bot.AddCallbackQuery("4242", 5150, data);
  ASSERT_TRUE(WaitFor([&] { return bot.answers().size() == 1; })) << h.process().Stderr();
  EXPECT_EQ(bot.answers()[0].second, "Принято");
  auto detail = h.GetJson("/v1/alerts/" + alert_id);
  ASSERT_TRUE(detail.is_object());
  EXPECT_EQ(detail.at("acknowledged"), true);
  EXPECT_EQ(detail.at("acks").as_array()[0].at("via"), "telegram");
  EXPECT_EQ(h.process().Stderr().find("alerts-bot-token"), std::string::npos)
      << "the bot token must never be logged";
}

TEST(AnalyticsInputTest, SignalAndVerdictThroughTheAdminRoutes) {
  Harness h;
  ASSERT_TRUE(h.Start());
  auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "cluster-1"}});
  ASSERT_EQ(posted.status, 202);
  const std::string event_id = Str(json::parse(posted.body).at("id"));
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() == 1; }));
  ASSERT_TRUE(WaitFor([&] {
    auto listed = h.GetJson("/v1/alerts?event_id=" + event_id);
    return listed.is_object() && listed.at("alerts").as_array().size() == 1 &&
           listed.at("alerts").as_array()[0].at("state") == "delivered";
  }));

  const std::string signal = R"({"kind":"cluster_spread","subject_id":"C42","area":"KG-GO",
    "severity":"high","categories":["rumour_marker"],"reason":"4 distinct sources within 1h",
    "summary":"В Оше говорят о беспорядках","sources":4,"event_ids":[")" + event_id + R"("]})";
  EXPECT_EQ(h.Call("POST", "/v1/admin/alerts/signals", kAnalystToken, signal).status, 403);
  auto bad = h.Call("POST", "/v1/admin/alerts/signals", kAdminToken, R"({"area":"KG-GO"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"field\":\"subject_id\""), std::string::npos) << bad.body;
  auto raised = h.Call("POST", "/v1/admin/alerts/signals", kAdminToken, signal);
  ASSERT_EQ(raised.status, 202) << raised.body;
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() == 2; }));
  const auto signal_body = json::parse(h.sink().requests()[1].body);
  EXPECT_EQ(signal_body.at("kind"), "signal");
  EXPECT_EQ(signal_body.at("subject_id"), "C42");
  EXPECT_EQ(signal_body.at("signal").at("reason"), "4 distinct sources within 1h");

  const std::string verdict = R"({"cluster_id":"C42","status":"false",
    "statement":"Городская администрация: в Оше спокойно, беспорядков нет.","event_ids":[")" +
                              event_id + R"("]})";
  auto recorded = h.Call("POST", "/v1/admin/alerts/verdicts", kAdminToken, verdict);
  ASSERT_EQ(recorded.status, 202) << recorded.body;
  EXPECT_EQ(json::parse(recorded.body).at("follow_ups"), 1);
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() == 3; }));
  const auto follow_up = json::parse(h.sink().requests()[2].body);
  EXPECT_EQ(follow_up.at("type"), "sakchy.follow_up");
  EXPECT_EQ(follow_up.at("verdict").at("status"), "false");
  EXPECT_EQ(follow_up.at("verdict").at("decided_by"), "env-admin-1");
  auto bad_status = h.Call("POST", "/v1/admin/alerts/verdicts", kAdminToken,
                           R"({"cluster_id":"C42","status":"maybe"})");
  EXPECT_EQ(bad_status.status, 400);
  EXPECT_NE(bad_status.body.find("\"field\":\"status\""), std::string::npos);
}

TEST(CrashTest, KillNineWithHundredsPendingThenEveryOneDeliveredWithTheSameKey) {
  constexpr int kReports = 300;
  Harness h(WithoutClusters());
  h.sink().SetStatus(503);  // the receiver is down: notifications pile up
  ASSERT_TRUE(h.Start());
  std::string batch;
  for (int i = 0; i < kReports; ++i) {
    batch += json::serialize(json::object{{"text", kRumour},
                                          {"source_ref", "crash-" + std::to_string(i)}}) +
             "\n";
  }
  auto posted = h.Call("POST", "/v1/reports:batch", kMonitorToken, batch,
                       {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(posted.status, 200) << posted.body;
  ASSERT_EQ(json::parse(posted.body).at("accepted"), kReports);
  // Hundreds pending (some may still wait to be routed when the process dies).
  std::map<std::string, std::string> keys;  // alert id -> idempotency key before the crash
  ASSERT_TRUE(WaitFor([&] {
    const json::value pending = h.GetJson("/v1/alerts?state=queued&limit=1000");
    if (!pending.is_object()) return false;
    for (const auto& a : pending.at("alerts").as_array()) {
      keys[Str(a.at("id"))] = Str(a.at("idempotency_key"));
    }
    return keys.size() >= 200;
  }, std::chrono::seconds(30)));
  EXPECT_EQ(h.Stop(SIGKILL), 128 + SIGKILL);

  h.sink().SetStatus(200);
  ASSERT_TRUE(h.Start());
  json::value delivered;
  ASSERT_TRUE(WaitFor([&] {
    delivered = h.GetJson("/v1/alerts?kind=event&state=delivered&limit=1000");
    return delivered.is_object() && delivered.at("alerts").as_array().size() == kReports;
  }, std::chrono::seconds(60))) << "delivered: "
                                << (delivered.is_object() ? delivered.at("alerts").as_array().size()
                                                          : 0);
  // Exactly one notification per report, and nothing else in the outbox.
  std::set<std::string> events;
  for (const auto& a : delivered.at("alerts").as_array()) events.insert(Str(a.at("event_id")));
  EXPECT_EQ(events.size(), static_cast<std::size_t>(kReports));
  EXPECT_EQ(h.GetJson("/v1/alerts?kind=event&state=queued&limit=1000").at("alerts").as_array().size(), 0u);
  // Every request for one alert carried the same idempotency key, the one it had before the crash.
  std::map<std::string, std::set<std::string>> sent_keys;
  for (const auto& r : h.sink().requests()) {
    const auto body = json::parse(r.body);
    if (body.at("kind") != "event") continue;  // the area's tension spike alerts too
    sent_keys[Str(body.at("alert_id"))].insert(r.headers.at("idempotency-key"));
  }
  EXPECT_EQ(sent_keys.size(), static_cast<std::size_t>(kReports));
  for (const auto& [id, ks] : sent_keys) {
    EXPECT_EQ(ks.size(), 1u) << id;
    auto before = keys.find(id);
    if (before != keys.end()) {
      EXPECT_EQ(*ks.begin(), before->second) << id;
    }
  }
}

}  // namespace
}  // namespace sakchy::testing::alerts_test
