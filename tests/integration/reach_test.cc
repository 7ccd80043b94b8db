// Reaching the people who report, end to end with the real binary: three reporters ask about one
// rumour on three channels — SMS through a real Kannel (fakesmsc -> bearerbox -> smsbox ->
// get-url; answers through sendsms), WhatsApp (the Cloud API fake: signed webhooks in, Graph API
// messages out) and a private Telegram chat with a source's bot (the Bot API fake) —, each gets
// an acknowledgement with a reference; an analyst publishes one verdict on the rumour's cluster;
// each gets the verified answer once, in their language, with an audit entry; a fourth who sent
// STOP gets nothing more; the public Atom feed and JSON list show the statement and nothing
// private.

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include <boost/json.hpp>

#include <cstring>

#include "core/crypto.h"
#include "fakes/telegram_fake.h"
#include "fakes/whatsapp_fake.h"
#include "integration/harness.h"
#include "testutil/kannel_fixture.h"

namespace sakchy::testing::reach_test {
namespace {

namespace json = boost::json;

constexpr const char* kKannelSecret = "kannel-secret-for-tests-0123";
constexpr const char* kPseudonymKey = "pseudonym-key-for-tests-0123";
constexpr const char* kWaSecret = "whatsapp-app-secret-for-tests";
constexpr const char* kWaVerify = "whatsapp-verify-token-tests";
constexpr const char* kWaToken = "whatsapp-access-token";
constexpr const char* kWaPhoneId = "106540352242922";
constexpr const char* kBotToken = "4242:source-bot-token";
constexpr const char* kRumour = "Говорят, в Оше начались беспорядки, передайте всем";
constexpr const char* kStatement = "Акимиат: в Оше спокойно, беспорядков нет.";

std::string Str(const json::value& v) { return std::string(v.as_string()); }

HarnessOptions ReachOptions(const std::string& sendsms_url, const WhatsAppFake& wa,
                            const TelegramFake& tg) {
  HarnessOptions opts;
  opts.alerts_yaml = "  channels:\n    sms:\n      sendsms_url: " + sendsms_url +
                     "\n      username: ews\n      password_env: SAKCHY_TEST_SMS_PASSWORD\n"
                     "      from: Sakchy\n";
  opts.extra_yaml =
      std::string("privacy:\n  pseudonym_key_env: SAKCHY_TEST_PSEUDONYM_KEY\n") +
      "sms:\n  kannel:\n    enabled: true\n    secret_env: SAKCHY_TEST_KANNEL_SECRET\n"
      "    allowed_ips: [127.0.0.1]\n" +
      "whatsapp:\n  enabled: true\n  verify_token_env: SAKCHY_TEST_WA_VERIFY\n"
      "  app_secret_env: SAKCHY_TEST_WA_SECRET\n  access_token_env: SAKCHY_TEST_WA_TOKEN\n"
      "  phone_number_id: \"" + kWaPhoneId + "\"\n  api_base: " + wa.api_base() + "\n" +
      "replies:\n  enabled: true\n" +
      "sources:\n  - id: tg-osh\n    type: telegram\n    url: " + tg.api_url() +
      "\n    token_env: SAKCHY_TEST_TG_TOKEN\n    interval_ms: 20\n    long_poll_timeout_s: 1\n"
      "    allow_private_targets: [127.0.0.1/32]\n";
  opts.env = {{"SAKCHY_TEST_SMS_PASSWORD", KannelFixture::kPassword},
              {"SAKCHY_TEST_KANNEL_SECRET", kKannelSecret},
              {"SAKCHY_TEST_PSEUDONYM_KEY", kPseudonymKey},
              {"SAKCHY_TEST_WA_VERIFY", kWaVerify},
              {"SAKCHY_TEST_WA_SECRET", kWaSecret},
              {"SAKCHY_TEST_WA_TOKEN", kWaToken},
              {"SAKCHY_TEST_TG_TOKEN", kBotToken}};
  return opts;
}

HttpResult PostWhatsApp(Harness& h, const std::string& body, const std::string& secret = kWaSecret) {
  return h.Call("POST", "/v1/ingest/whatsapp", "", body,
                {{"Content-Type", "application/json"},
                 {"X-Hub-Signature-256", WhatsAppFake::Sign(secret, body)}});
}

// RELAX NG (XML syntax) of the Atom elements Sakchy emits, after RFC 4287 Appendix B: feed with
// id, title, updated, author, link; entries with id, title, updated, category, text content.
constexpr const char* kAtomRng = R"(<grammar xmlns="http://relaxng.org/ns/structure/1.0"
    datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes" ns="http://www.w3.org/2005/Atom">
  <start><element name="feed"><interleave>
    <element name="id"><data type="anyURI"/></element>
    <element name="title"><text/></element>
    <element name="updated"><data type="dateTime"/></element>
    <element name="author"><element name="name"><text/></element></element>
    <element name="link"><attribute name="rel"><value>self</value></attribute>
      <attribute name="type"><text/></attribute><attribute name="href"><data type="anyURI"/></attribute></element>
    <zeroOrMore><element name="entry"><interleave>
      <element name="id"><data type="anyURI"/></element>
      <element name="title"><text/></element>
      <element name="updated"><data type="dateTime"/></element>
      <zeroOrMore><element name="category"><attribute name="term"><text/></attribute></element></zeroOrMore>
      <element name="content"><attribute name="type"><value>text</value></attribute><text/></element>
    </interleave></element></zeroOrMore>
  </interleave></element></start>
</grammar>)";

::testing::AssertionResult ValidAtom(const std::string& xml) {
  xmlRelaxNGParserCtxtPtr pctx = xmlRelaxNGNewMemParserCtxt(kAtomRng, static_cast<int>(std::strlen(kAtomRng)));
  xmlRelaxNGPtr schema = xmlRelaxNGParse(pctx);
  xmlRelaxNGFreeParserCtxt(pctx);
  if (schema == nullptr) return ::testing::AssertionFailure() << "schema does not parse";
  xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "feed.xml", "UTF-8",
                                XML_PARSE_NONET);
  if (doc == nullptr) {
    xmlRelaxNGFree(schema);
    return ::testing::AssertionFailure() << "not well-formed XML:\n" << xml;
  }
  xmlRelaxNGValidCtxtPtr vctx = xmlRelaxNGNewValidCtxt(schema);
  const int rc = xmlRelaxNGValidateDoc(vctx, doc);
  xmlRelaxNGFreeValidCtxt(vctx);
  xmlFreeDoc(doc);
  xmlRelaxNGFree(schema);
  if (rc != 0) return ::testing::AssertionFailure() << "not valid Atom (rc " << rc << "):\n" << xml;
  return ::testing::AssertionSuccess();
}

TEST(ReachIntegrationTest, OneVerdictAnswersThreeReportersOnThreeChannelsAndThePublic) {
  if (!KannelFixture::Installed()) {
    GTEST_SKIP() << "Kannel is not installed (apt-get install kannel kannel-extras)";
  }
  const auto ports = FreePorts(1);
  ASSERT_EQ(ports.size(), 1u);
  KannelFixture kannel;
  WhatsAppFake whatsapp(kWaToken, kWaPhoneId);
  TelegramFake telegram(kBotToken);
  Harness h(ReachOptions(kannel.sendsms_url(), whatsapp, telegram));
  ASSERT_TRUE(h.Start({"--listen", "127.0.0.1:" + std::to_string(ports[0])}));
  ASSERT_TRUE(kannel.Start(ports[0], kKannelSecret));

  // The subscription handshake.
  auto hs = h.Call("GET", "/v1/ingest/whatsapp?hub.mode=subscribe&hub.verify_token=" +
                              std::string(kWaVerify) + "&hub.challenge=1158201444", "");
  EXPECT_EQ(hs.status, 200) << hs.body;
  EXPECT_EQ(hs.body, "1158201444");
  EXPECT_EQ(h.Call("GET", "/v1/ingest/whatsapp?hub.mode=subscribe&hub.verify_token=wrong"
                          "&hub.challenge=1", "").status, 403);

  // Three reporters, three channels, one rumour; a fourth who then says STOP.
  ASSERT_TRUE(kannel.SendMo("+996700000001 1234 text " + std::string(kRumour)));
  const std::string wa_body = WhatsAppFake::TextWebhook("996700000002", "wamid.R1", kRumour);
  auto bad = PostWhatsApp(h, wa_body, "not-the-app-secret-000");
  EXPECT_EQ(bad.status, 401) << "a wrong signature stores nothing";
  auto wa = PostWhatsApp(h, wa_body);
  EXPECT_EQ(wa.status, 200) << wa.body;
  EXPECT_EQ(PostWhatsApp(h, wa_body).status, 200) << "a redelivery is a duplicate";
  telegram.AddPrivateText(555001, 1, kRumour);
  ASSERT_EQ(PostWhatsApp(h, WhatsAppFake::TextWebhook("996700000009", "wamid.Q1", kRumour)).status,
            200);
  ASSERT_EQ(PostWhatsApp(h, WhatsAppFake::TextWebhook("996700000009", "wamid.Q2", "СТОП")).status,
            200);

  // Acknowledgements with a reference, in Russian (the language they wrote in).
  std::vector<std::string> sms;
  ASSERT_TRUE(WaitFor([&] {
    sms = FakeSmscMessages(kannel.Log("fakesmsc.log"));
    return !sms.empty() && whatsapp.sent().size() >= 2 && telegram.sent().size() >= 1;
  }, std::chrono::seconds(30)))
      << "sms " << sms.size() << ", whatsapp " << whatsapp.sent().size() << ", telegram "
      << telegram.sent().size() << "\n" << h.process().Stderr();
  EXPECT_NE(sms[0].find("Ваше сообщение зарегистрировано, № "), std::string::npos) << sms[0];
  EXPECT_EQ(whatsapp.sent()[0].type, "text");
  EXPECT_NE(whatsapp.sent()[0].text.find("зарегистрировано"), std::string::npos);
  EXPECT_EQ(telegram.sent()[0].first, "555001");
  // WhatsApp statuses move the acknowledgement from sent to delivered.
  const std::string ack_id = whatsapp.sent()[0].callback;
  ASSERT_EQ(PostWhatsApp(h, WhatsAppFake::StatusWebhook(whatsapp.sent()[0].id, "delivered",
                                                        ack_id, "996700000002")).status, 200);
  ASSERT_TRUE(WaitFor([&] {
    auto a = h.GetJson("/v1/alerts/" + ack_id);
    return a.is_object() && a.at("alert").at("state") == "delivered";
  })) << serialize(h.GetJson("/v1/alerts/" + ack_id));

  // The rumour's cluster, with the four reports.
  std::string cluster;
  ASSERT_TRUE(WaitFor([&] {
    auto list = h.GetJson("/v1/clusters?sort=size");
    if (!list.is_object() || list.at("clusters").as_array().empty()) return false;
    const auto& c = list.at("clusters").as_array()[0];
    cluster = Str(c.at("id"));
    return c.at("members").to_number<int>() >= 4;
  }, std::chrono::seconds(30))) << serialize(h.GetJson("/v1/clusters?sort=size"));

  auto verdict = h.Call("POST", "/v1/clusters/" + cluster + "/verdict", kAnalystToken,
                        json::serialize(json::object{{"status", "false"},
                                                     {"statement", kStatement},
                                                     {"publish", true}}));
  ASSERT_EQ(verdict.status, 200) << verdict.body;

  // The answer, once each, on their channel; nothing to the one who said STOP.
  ASSERT_TRUE(WaitFor([&] {
    sms = FakeSmscMessages(kannel.Log("fakesmsc.log"));
    return sms.size() >= 2 && whatsapp.sent().size() >= 3 && telegram.sent().size() >= 2;
  }, std::chrono::seconds(30))) << h.process().Stderr();
  EXPECT_NE(sms[1].find("ЛОЖЬ"), std::string::npos) << sms[1];
  EXPECT_NE(whatsapp.sent()[2].text.find(kStatement), std::string::npos);
  EXPECT_EQ(whatsapp.sent()[2].to, "996700000002");
  EXPECT_NE(telegram.sent()[1].second.find(kStatement), std::string::npos);
  auto audit = h.GetJson("/v1/admin/audit?action=reply.answer", kAdminToken);
  ASSERT_TRUE(audit.is_object());
  EXPECT_EQ(audit.at("entries").as_array().size(), 3u) << serialize(audit);
  // The one who said STOP may have had the acknowledgement of the report sent before it, never
  // the answer.
  for (const auto& sent : whatsapp.sent()) {
    if (sent.to == "996700000009") {
      EXPECT_EQ(sent.text.find(kStatement), std::string::npos) << sent.text;
    }
  }
  EXPECT_EQ(FakeSmscMessages(kannel.Log("fakesmsc.log")).size(), 2u);

  // The public answers: no token, the statement and area, nothing private.
  auto feed = h.Call("GET", "/v1/public/answers.atom", "");
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_TRUE(ValidAtom(feed.body));
  EXPECT_NE(feed.body.find(kStatement), std::string::npos);
  auto list = h.Call("GET", "/v1/public/answers", "");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(kStatement), std::string::npos);
  for (const std::string& secret :
       {std::string(kRumour), std::string("700000001"), std::string("996700000002"),
        std::string("555001"), std::string("whatsapp:"), std::string("sms:"),
        std::string("env-analyst")}) {
    EXPECT_EQ(feed.body.find(secret), std::string::npos) << secret;
    EXPECT_EQ(list.body.find(secret), std::string::npos) << secret;
  }
  // Raw numbers never reach the disk.
  EXPECT_EQ(h.Call("GET", "/v1/alerts?kind=reply&limit=100", kAnalystToken).body.find("700000001"),
            std::string::npos);
}

TEST(ReachIntegrationTest, WhatsAppWebhooksWithoutAValidSignatureStoreNothing) {
  WhatsAppFake whatsapp(kWaToken, kWaPhoneId);
  TelegramFake telegram(kBotToken);
  Harness h(ReachOptions("http://127.0.0.1:9/cgi-bin/sendsms", whatsapp, telegram));
  ASSERT_TRUE(h.Start());
  const std::string body = WhatsAppFake::TextWebhook("996700000002", "wamid.X", kRumour);
  EXPECT_EQ(h.Call("POST", "/v1/ingest/whatsapp", "", body,
                   {{"Content-Type", "application/json"}}).status, 401);
  EXPECT_EQ(PostWhatsApp(h, body, "wrong-secret-0000000000").status, 401);
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 0);
  // A picture is stored without text, and its sender is asked for text once.
  ASSERT_EQ(PostWhatsApp(h, WhatsAppFake::MediaWebhook("996700000003", "wamid.I1", "image")).status,
            200);
  ASSERT_EQ(PostWhatsApp(h, WhatsAppFake::MediaWebhook("996700000003", "wamid.I2", "audio")).status,
            200);
  ASSERT_TRUE(WaitFor([&] { return whatsapp.sent().size() == 1; })) << h.process().Stderr();
  EXPECT_EQ(h.Metric("sakchy_reports_accepted_total"), 2);
  EXPECT_NE(whatsapp.sent()[0].text.find("текст"), std::string::npos) << whatsapp.sent()[0].text;
}

TEST(ReachIntegrationTest, PublishedAnswersAreAValidAtomFeedWithNothingPrivate) {
  Harness h;
  ASSERT_TRUE(h.Start());
  for (int i = 0; i < 3; ++i) {
    auto posted = h.PostReport({{"text", kRumour}, {"source_ref", "feed-" + std::to_string(i)}});
    ASSERT_EQ(posted.status, 202) << posted.body;
  }
  std::string cluster;
  ASSERT_TRUE(WaitFor([&] {
    auto list = h.GetJson("/v1/clusters?sort=size");
    if (!list.is_object() || list.at("clusters").as_array().empty()) return false;
    const auto& c = list.at("clusters").as_array()[0];
    cluster = Str(c.at("id"));
    return c.at("members").to_number<int>() >= 3;
  })) << serialize(h.GetJson("/v1/clusters?sort=size"));
  // Not published: not public.
  auto first = h.Call("POST", "/v1/clusters/" + cluster + "/verdict", kAnalystToken,
                      R"({"status":"unverified","statement":"Проверяем."})");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(h.Call("GET", "/v1/public/answers", "").body, R"({"answers":[]})");
  auto empty = h.Call("GET", "/v1/public/answers.atom", "");
  ASSERT_EQ(empty.status, 200);
  EXPECT_TRUE(ValidAtom(empty.body));
  // Published, with characters XML must escape.
  const std::string statement = "Акимиат: <в Оше> спокойно & \"тихо\".";
  auto published = h.Call("POST", "/v1/clusters/" + cluster + "/verdict", kAnalystToken,
                          json::serialize(json::object{{"status", "false"},
                                                       {"statement", statement},
                                                       {"publish", true}}));
  ASSERT_EQ(published.status, 200) << published.body;
  EXPECT_EQ(json::parse(published.body).at("published"), true);
  auto feed = h.Call("GET", "/v1/public/answers.atom", "");
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_EQ(feed.headers["content-type"], "application/atom+xml; charset=utf-8");
  EXPECT_TRUE(ValidAtom(feed.body));
  EXPECT_NE(feed.body.find("&lt;в Оше&gt; спокойно &amp;"), std::string::npos) << feed.body;
  auto list = json::parse(h.Call("GET", "/v1/public/answers", "").body);
  ASSERT_EQ(list.at("answers").as_array().size(), 1u) << serialize(list);
  const auto& a = list.at("answers").as_array()[0];
  EXPECT_EQ(a.at("status"), "false");
  EXPECT_EQ(a.at("statement"), json::value(statement));
  ASSERT_FALSE(a.at("areas").as_array().empty()) << serialize(a);
  const std::string area = Str(a.at("areas").as_array()[0].at("code"));
  auto by_area = h.Call("GET", "/v1/public/answers.atom?area=" + area, "");
  EXPECT_TRUE(ValidAtom(by_area.body));
  EXPECT_NE(by_area.body.find("<category term=\"" + area + "\"/>"), std::string::npos)
      << by_area.body;
  EXPECT_EQ(h.Call("GET", "/v1/public/answers?area=KG-N", "").body, R"({"answers":[]})")
      << "Naryn's feed does not show an Osh rumour";
  for (const std::string& secret : {std::string(kRumour), std::string("env-analyst"),
                                    std::string("env-monitor"), std::string("feed-0")}) {
    EXPECT_EQ(feed.body.find(secret), std::string::npos) << secret;
    EXPECT_EQ(serialize(list).find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(h.Call("GET", "/v1/public/answers?area=NOPE", "").status, 400);
  EXPECT_EQ(h.Call("GET", "/v1/public/answers?token=x", "").status, 400);
  EXPECT_EQ(h.Call("POST", "/v1/public/answers", "", "{}").status, 405);
}

}  // namespace
}  // namespace sakchy::testing::reach_test
