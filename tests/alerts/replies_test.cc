// Replies to reporters: stop words, message catalogues, and the engine's acknowledgements and
// verified answers over SMS (Kannel sendsms), WhatsApp (Graph API fake) and Telegram (a source's
// bot), through the outbox.

#include "alerts/replies.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "alerts/alert_fixture.h"
#include "alerts/engine.h"
#include "alerts/templates.h"
#include "fakes/http_sink.h"
#include "fakes/telegram_fake.h"
#include "fakes/whatsapp_fake.h"
#include "testutil/kannel_fixture.h"

namespace sakchy::alerts::replies_test {
namespace {

using sakchy::testing::HttpSink;
using sakchy::testing::WaitFor;

TEST(RepliesTest, StopWordsInEveryLanguageAndCase) {
  for (const char* w : {"STOP", "stop", " Stop\n", "СТОП", "стоп", "ТОКТОТ", "токтот", "Токтот!",
                        "TO'XTAT", "to‘xtat", "ТЎХТАТ", "тўхтат", "STOPP"}) {
    EXPECT_TRUE(IsStopWord(w)) << w;
  }
  for (const char* w : {"", "stop the rumour", "Стоп, в Оше стреляют", "OK 4821", "ТОКТО"}) {
    EXPECT_FALSE(IsStopWord(w)) << w;
  }
}

TEST(RepliesTest, BundledCataloguesHaveEveryMessageInFourLanguages) {
  auto catalog = ReplyCatalog::Load("");
  ASSERT_TRUE(catalog.has_value()) << catalog.error().message;
  for (const char* lang : {"ky", "ru", "uz", "en"}) EXPECT_TRUE(catalog->HasLanguage(lang));
  EXPECT_EQ(catalog->Text("reply.ack", "ky", {{"ref", "4821"}}),
            "Кабарыңыз катталды, № 4821. Текшерип, жооп беребиз.");
  EXPECT_EQ(catalog->Text("reply.ack", "uz", {{"ref", "4821"}}),
            "Xabaringiz qayd etildi, № 4821. Tekshirib, javob beramiz.");
  EXPECT_NE(catalog->Text("reply.send_text", "ru").find("текстом"), std::string::npos);
  for (const char* key : {"reply.ack", "reply.answer", "reply.send_text", "status.false",
                          "status.confirmed", "status.misleading", "public.answer"}) {
    const std::string en = catalog->Text(key, "en");
    EXPECT_FALSE(en.empty()) << key;
    for (const char* lang : {"ky", "ru", "uz"}) {
      EXPECT_NE(catalog->Text(key, lang), en) << key << " is not translated to " << lang;
    }
  }
  EXPECT_EQ(catalog->Text("reply.ack", "xx", {{"ref", "1"}}),
            catalog->Text("reply.ack", "en", {{"ref", "1"}}))
      << "an unknown language falls back to English";
}

TEST(RepliesTest, BundledCataloguesAreValidGettextFiles) {
  if (::access("/usr/bin/msgfmt", X_OK) != 0) {
    GTEST_SKIP() << "msgfmt is not installed (apt-get install gettext)";
  }
  for (const char* lang : {"ky", "ru", "uz", "en"}) {
    const std::string path =
        sakchy::testing::SourcePath(std::string("config/defaults/messages/") + lang + ".po");
    auto [code, output] = sakchy::testing::RunShell(
        "/usr/bin/msgfmt --check -o /dev/null " + sakchy::testing::ShellQuote(path) + " 2>&1");
    EXPECT_EQ(code, 0) << path << ":\n" << output;
  }
}

TEST(RepliesTest, ADirectoryOverridesTheWordingWithoutARecompile) {
  sakchy::testing::TempDir dir;
  for (const char* lang : {"ky", "ru", "uz", "en"}) {
    std::ofstream(dir.str() + "/" + lang + ".po")
        << "# test\nmsgctxt \"reply.ack\"\nmsgid \"Registered {ref}\"\nmsgstr \"\"\n\n"
        << "msgctxt \"reply.answer\"\nmsgid \"{ref} {status} {statement}\"\nmsgstr \"\"\n"
        << "msgctxt \"reply.send_text\"\nmsgid \"Text please\"\nmsgstr \"\"\n"
        << "msgctxt \"public.answer\"\nmsgid \"{area} {status}\"\nmsgstr \"\"\n"
        << "msgctxt \"status.false\"\nmsgid \"F\"\nmsgstr \"\"\n"
        << "msgctxt \"status.confirmed\"\nmsgid \"C\"\nmsgstr \"\"\n"
        << "msgctxt \"status.misleading\"\nmsgid \"M\"\nmsgstr \"\"\n"
        << "msgctxt \"status.unverified\"\nmsgid \"U\"\nmsgstr \"\"\n";
  }
  std::ofstream(dir.str() + "/ky.po", std::ios::app)
      << "msgctxt \"reply.ack\"\nmsgid \"Registered {ref}\"\nmsgstr \"Катталды \"\n\"{ref}\"\n";
  auto catalog = ReplyCatalog::Load(dir.str());
  ASSERT_TRUE(catalog.has_value()) << catalog.error().message;
  EXPECT_EQ(catalog->Text("reply.ack", "ky", {{"ref", "7"}}), "Катталды 7");
  EXPECT_EQ(catalog->Text("reply.ack", "ru", {{"ref", "7"}}), "Registered 7");

  std::ofstream(dir.str() + "/en.po") << "msgctxt \"reply.ack\"\nmsgid \"x\"\nbogus\n";
  auto broken = ReplyCatalog::Load(dir.str());
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().message.find("en.po:3"), std::string::npos) << broken.error().message;
}

TEST(RepliesTest, AnAnswerBySmsFitsTwoPartsWithTheStatementCut) {
  auto catalog = ReplyCatalog::Load("");
  ASSERT_TRUE(catalog.has_value());
  const std::string statement(600, 'x');
  const std::string sms =
      AnswerText(*catalog, "ky", VerdictStatus::kFalse, "Аким: " + statement, "4821", true);
  EXPECT_LE(Utf16Units(sms), kSmsMaxUnits) << sms;
  EXPECT_NE(sms.find("№ 4821"), std::string::npos) << sms;
  EXPECT_NE(sms.find("ЖАЛГАН"), std::string::npos) << sms;
  EXPECT_NE(sms.find("…"), std::string::npos) << sms;
  const std::string whole =
      AnswerText(*catalog, "ky", VerdictStatus::kFalse, "Аким: " + statement, "4821", false);
  EXPECT_NE(whole.find(statement), std::string::npos) << "WhatsApp and Telegram get it whole";
}

// The engine with replies on: SMS through a sendsms receiver, WhatsApp through the Graph API
// fake, Telegram through a source's bot.
class ReplyEngineTest : public ::testing::Test {
 protected:
  ReplyEngineTest() : stores_("rocksdb") {
    auto areas = config::AreaTree::Parse(
        "areas:\n  - {code: \"KG\", parent: \"\", level: country, name_en: \"Kyrgyzstan\", "
        "name_ru: \"Кыргызстан\", name_ky: \"Кыргызстан\"}\n",
        "areas");
    EXPECT_TRUE(areas.has_value());
    areas_ = std::make_unique<config::AreaTree>(std::move(*areas));
    cfg_.backoff_initial_ms = 50;
    cfg_.backoff_max_ms = 100;
    config::SmsChannelConfig sms;
    sms.sendsms_url = kannel_.url("/cgi-bin/sendsms");
    sms.username = "ews";
    sms.password = "kannel-password";
    sms.from = "SAKCHY";
    cfg_.channels.sms = sms;
    config::WhatsAppConfig wa;
    wa.enabled = true;
    wa.access_token = "wa-access-token";
    wa.phone_number_id = "106540352242922";
    wa.api_base = whatsapp_.api_base();
    wa.template_name = "sakchy_answer";
    cfg_.channels.whatsapp = wa;
    config::TelegramChannelConfig bot;
    bot.api_base = telegram_.api_url();
    bot.token = "123:source-bot";
    cfg_.channels.source_bots["tg-osh"] = bot;
    cfg_.channels.reply_key = "reply-key-for-tests-0123";
    replies_.enabled = true;
    replies_.ack_max = 2;
  }
  void TearDown() override {
    if (engine_) engine_->Stop();
  }
  void Start() {
    engine_ = Engine::Create(stores_.store(), cfg_, {}, *areas_, clock_, metrics_);
    ASSERT_OK(engine_->EnableReplies(replies_));
    ASSERT_OK(engine_->Start());
  }
  ReporterMessage Sms(const std::string& report_id, const std::string& number = "+996700000001") {
    ReporterMessage m;
    m.channel = "sms";
    m.pseudonym = "sms:aaaaaaaaaaaaaaaa";
    m.reply_address = number;
    m.language = "ky";
    m.report_id = report_id;
    return m;
  }
  std::vector<Alert> Replies() {
    storage::AlertFilter f;
    f.kind = AlertKind::kReply;
    return stores_.store().ListAlerts(f, 100, {}).value_or(std::vector<Alert>{});
  }
  // Decoded "text" parameters of the sendsms calls.
  std::vector<std::string> SmsTexts() {
    std::vector<std::string> out;
    for (const auto& r : kannel_.requests()) {
      out.push_back(sakchy::testing::UrlDecodeBytes(sakchy::testing::QueryParam(r.target, "text")));
    }
    return out;
  }

  StoreFixture stores_;
  ManualClock clock_{kFixtureStart};
  IdGenerator ids_{clock_};
  MetricsRegistry metrics_;
  std::unique_ptr<config::AreaTree> areas_;
  config::AlertsConfig cfg_;
  config::RepliesConfig replies_;
  HttpSink kannel_;
  sakchy::testing::WhatsAppFake whatsapp_{"wa-access-token", "106540352242922"};
  sakchy::testing::TelegramFake telegram_{"123:source-bot"};
  std::unique_ptr<Engine> engine_;
};

TEST_F(ReplyEngineTest, ANewReportIsAcknowledgedWithItsReferenceWithinTheRateLimit) {
  Start();
  const std::string r1 = ids_.Next(), r2 = ids_.Next(), r3 = ids_.Next();
  engine_->Reported(Sms(r1));
  ASSERT_TRUE(WaitFor([&] { return kannel_.count() == 1; }));
  const auto req = kannel_.requests()[0];
  EXPECT_EQ(sakchy::testing::QueryParam(req.target, "to"), "%2B996700000001");
  EXPECT_EQ(SmsTexts()[0], "Кабарыңыз катталды, № " + ReportReference(r1) +
                               ". Текшерип, жооп беребиз.");
  // A duplicate or follow-up is not acknowledged; past ack_max in the window none is.
  auto dup = Sms(r1);
  dup.new_report = false;
  engine_->Reported(dup);
  engine_->Reported(Sms(r2));
  engine_->Reported(Sms(r3));
  ASSERT_TRUE(WaitFor([&] { return kannel_.count() == 2; }));
  EXPECT_TRUE(WaitFor([&] { return metrics_.RenderPrometheus().find(
                                       "sakchy_replies_skipped_total{reason=\"rate_limit\"} 1") !=
                                   std::string::npos; }));
  EXPECT_EQ(kannel_.count(), 2u);
  // The outbox and the directory hold the number sealed, never in clear.
  for (const Alert& a : Replies()) {
    EXPECT_EQ(a.target.find("700000001"), std::string::npos) << a.target;
    EXPECT_EQ(a.contact_id, "reporter:sms:aaaaaaaaaaaaaaaa");
  }
  auto record = stores_.store().GetRecord("reporters", "sms:aaaaaaaaaaaaaaaa");
  ASSERT_TRUE(record.has_value() && record->has_value());
  EXPECT_EQ((*record)->find("700000001"), std::string::npos) << **record;
  // A new hour: acknowledged again.
  clock_.Advance(3'600'001);
  engine_->Reported(Sms(ids_.Next()));
  EXPECT_TRUE(WaitFor([&] { return kannel_.count() == 3; }));
}

TEST_F(ReplyEngineTest, TheVerdictGoesOnceToEachReporterOnTheirChannelAndStopIsHonoured) {
  Start();
  const std::string sms_report = ids_.Next(), wa_report = ids_.Next(), tg_report = ids_.Next(),
                    stopped_report = ids_.Next();
  engine_->Reported(Sms(sms_report));
  ReporterMessage wa;
  wa.channel = "whatsapp";
  wa.pseudonym = "whatsapp:bbbbbbbbbbbbbbbb";
  wa.reply_address = "996700000002";
  wa.language = "ru";
  wa.report_id = wa_report;
  engine_->Reported(wa);
  ReporterMessage tg;
  tg.channel = "telegram";
  tg.pseudonym = "telegram:cccccccccccccccc";
  tg.reply_address = "tg-osh:555001";
  tg.language = "uz";
  tg.report_id = tg_report;
  engine_->Reported(tg);
  auto quiet = Sms(stopped_report, "+996700000004");
  quiet.pseudonym = "sms:dddddddddddddddd";
  engine_->Reported(quiet);
  auto stop = quiet;
  stop.kind = ReporterMessage::Kind::kStop;
  stop.report_id.clear();
  engine_->Reported(stop);
  ASSERT_TRUE(WaitFor([&] {
    return kannel_.count() == 2 && whatsapp_.sent().size() == 1 && telegram_.sent().size() == 1;
  })) << "acknowledgements";

  Verdict v;
  v.cluster_id = "42";
  v.status = VerdictStatus::kFalse;
  v.statement = "Акимиат: в Оше спокойно.";
  v.decided_by = "analyst";
  v.decided_at = clock_.NowMs();
  v.event_ids = {sms_report, wa_report, tg_report, stopped_report, ids_.Next()};
  auto answered = engine_->AnswerReporters(v, std::nullopt);
  ASSERT_TRUE(answered.has_value()) << answered.error().message;
  EXPECT_EQ(*answered, 3u) << "the one who said STOP hears nothing";
  ASSERT_TRUE(WaitFor([&] {
    return kannel_.count() == 3 && whatsapp_.sent().size() == 2 && telegram_.sent().size() == 2;
  }));
  EXPECT_EQ(SmsTexts()[2], "№ " + ReportReference(sms_report) +
                               ": сиз кабарлаган ушак текшерилди: ЖАЛГАН. Акимиат: в Оше спокойно.");
  EXPECT_EQ(whatsapp_.sent()[1].type, "text") << "inside the 24-hour window: free text";
  EXPECT_EQ(whatsapp_.sent()[1].to, "996700000002");
  EXPECT_NE(whatsapp_.sent()[1].text.find("ЛОЖЬ"), std::string::npos);
  EXPECT_EQ(telegram_.sent()[1].first, "555001");
  EXPECT_NE(telegram_.sent()[1].second.find("YOLG‘ON"), std::string::npos)
      << telegram_.sent()[1].second;
  // Once per verdict; each answer audited.
  auto again = engine_->AnswerReporters(v, std::nullopt);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 0u);
  int audited = 0;
  for (const auto& e : stores_.Audit("42")) audited += e.action == "reply.answer";
  EXPECT_EQ(audited, 3);
  EXPECT_EQ(stores_.AuditActions("sms:dddddddddddddddd"), std::vector<std::string>{"reply.stop"});
  // The WhatsApp message is `sent` until its status says delivered (biz_opaque_callback_data).
  const std::string wa_alert = whatsapp_.sent()[1].callback;
  ASSERT_TRUE(WaitFor([&] { return stores_.Stored(wa_alert).state == DeliveryState::kSent; }));
  auto delivered = engine_->DeliveryReport(wa_alert, 1);
  ASSERT_TRUE(delivered.has_value());
  EXPECT_EQ(delivered->state, DeliveryState::kDelivered);
}

TEST_F(ReplyEngineTest, OutsideTheWhatsAppWindowTheTemplateIsUsedAndMediaAsksForTextOnce) {
  Start();
  ReporterMessage media;
  media.kind = ReporterMessage::Kind::kMedia;
  media.channel = "whatsapp";
  media.pseudonym = "whatsapp:eeeeeeeeeeeeeeee";
  media.reply_address = "996700000005";
  media.language = "";  // a picture has no language: replies.default_language (ky)
  media.report_id = ids_.Next();
  engine_->Reported(media);
  media.report_id = ids_.Next();
  engine_->Reported(media);
  ASSERT_TRUE(WaitFor([&] { return whatsapp_.sent().size() == 1; }));
  EXPECT_NE(whatsapp_.sent()[0].text.find("текст менен"), std::string::npos)
      << whatsapp_.sent()[0].text;

  clock_.Advance(25LL * 3600 * 1000);
  Verdict v;
  v.cluster_id = "7";
  v.status = VerdictStatus::kConfirmed;
  v.statement = "Жол жабык.";
  v.decided_at = clock_.NowMs();
  v.event_ids = {media.report_id};
  auto answered = engine_->AnswerReporters(v, std::nullopt);
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(*answered, 1u);
  ASSERT_TRUE(WaitFor([&] { return whatsapp_.sent().size() == 2; }));
  EXPECT_EQ(whatsapp_.sent()[1].type, "template");
  EXPECT_EQ(whatsapp_.sent()[1].template_name, "sakchy_answer");
  EXPECT_NE(whatsapp_.sent()[1].text.find("ЧЫН"), std::string::npos);
  EXPECT_EQ(whatsapp_.sent().size(), 2u) << "the second picture did not ask again";
}

TEST_F(ReplyEngineTest, APublishedVerdictIsPostedToThePublicChannelOnce) {
  config::TelegramChannelConfig alerts_bot;
  alerts_bot.api_base = telegram_.api_url();
  alerts_bot.token = "123:source-bot";
  cfg_.channels.telegram = alerts_bot;
  replies_.public_telegram_chat = "@osh_answers";
  Start();
  Verdict v;
  v.cluster_id = "9";
  v.status = VerdictStatus::kFalse;
  v.statement = "Акимиат: в Оше спокойно.";
  v.decided_at = clock_.NowMs();
  v.event_ids = {ids_.Next()};  // no reporter of it can be answered
  // Not published: nothing public.
  auto quiet = engine_->AnswerReporters(v, std::nullopt);
  ASSERT_TRUE(quiet.has_value());
  EXPECT_EQ(*quiet, 0u);
  auto posted = engine_->AnswerReporters(v, std::string("Ош"));
  ASSERT_TRUE(posted.has_value()) << posted.error().message;
  EXPECT_EQ(*posted, 1u);
  ASSERT_TRUE(WaitFor([&] { return telegram_.sent().size() == 1; }));
  EXPECT_EQ(telegram_.sent()[0].first, "@osh_answers");
  EXPECT_EQ(telegram_.sent()[0].second, "Ош: текшерилди — ЖАЛГАН. Акимиат: в Оше спокойно.");
  // Once per verdict.
  auto again = engine_->AnswerReporters(v, std::string("Ош"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 0u);
  // An unverified verdict is never posted.
  v.status = VerdictStatus::kUnverified;
  v.decided_at += 1;
  auto unverified = engine_->AnswerReporters(v, std::string("Ош"));
  ASSERT_TRUE(unverified.has_value());
  EXPECT_EQ(*unverified, 0u);
  EXPECT_EQ(telegram_.sent().size(), 1u);
}

TEST_F(ReplyEngineTest, AnOutageIsRetriedThroughTheOutbox) {
  Start();
  whatsapp_.FailNext(2);
  ReporterMessage wa;
  wa.channel = "whatsapp";
  wa.pseudonym = "whatsapp:ffffffffffffffff";
  wa.reply_address = "996700000006";
  wa.language = "ru";
  wa.report_id = ids_.Next();
  engine_->Reported(wa);
  std::vector<Alert> replies;
  ASSERT_TRUE(WaitFor([&] {
    clock_.Advance(200);
    replies = Replies();
    return whatsapp_.sent().size() == 1 && replies.size() == 1 &&
           replies[0].state == DeliveryState::kSent;
  }));
  EXPECT_EQ(replies[0].attempts, 3) << "two 500s, then accepted";
}

}  // namespace
}  // namespace sakchy::alerts::replies_test

namespace sakchy::alerts::replies_test {
namespace {

TEST(RepliesTest, PluralEntriesKeepEveryForm) {
  auto parsed = ReplyCatalog::ParsePo(
      "msgctxt \"alert.people\"\nmsgid \"{n} report\"\nmsgid_plural \"{n} reports\"\n"
      "msgstr[0] \"{n} сообщение\"\nmsgstr[1] \"\"\nmsgstr[2] \"{n} \"\n\"сообщений\"\n\n"
      "msgctxt \"k\"\nmsgid \"one\"\nmsgstr \"\"\n",
      "t.po");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ((*parsed)["alert.people"], "{n} сообщение");
  EXPECT_EQ((*parsed)["alert.people#1"], "{n} reports") << "an empty form falls back to msgid_plural";
  EXPECT_EQ((*parsed)["alert.people#2"], "{n} сообщений");
  EXPECT_EQ((*parsed)["k"], "one");
  EXPECT_EQ(parsed->count("k#1"), 0u);
}

TEST(RepliesTest, PluralFormsOutOfOrderAreRefusedWithTheirLine) {
  auto parsed = ReplyCatalog::ParsePo(
      "msgctxt \"a\"\nmsgid \"x\"\nmsgid_plural \"xs\"\nmsgstr[0] \"y\"\nmsgstr[2] \"z\"\n", "t.po");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("t.po:5: expected msgstr[1]"), std::string::npos)
      << parsed.error().message;
}

}  // namespace
}  // namespace sakchy::alerts::replies_test
