// The WhatsApp Cloud API webhook: handshake, X-Hub-Signature-256, messages -> reports, statuses.

#include "ingest/whatsapp.h"

#include <gtest/gtest.h>

#include <cctype>

#include "core/crypto.h"
#include "fakes/whatsapp_fake.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::whatsapp_test {
namespace {

using sakchy::testing::WhatsAppFake;

constexpr const char* kSecret = "whatsapp-app-secret-0123";
constexpr const char* kVerify = "whatsapp-verify-token-0123";
constexpr const char* kKey = "pseudonym-key-0123456789";

WhatsAppSettings Settings() {
  WhatsAppSettings s;
  s.verify_token = kVerify;
  s.app_secret = kSecret;
  s.pseudonym_key = kKey;
  s.follow_up_window_ms = 600000;
  return s;
}

TEST(WhatsAppTest, HandshakeEchoesTheChallengeOnlyForTheVerifyToken) {
  std::map<std::string, std::string> q{
      {"hub.mode", "subscribe"}, {"hub.verify_token", kVerify}, {"hub.challenge", "1158201444"}};
  auto ok = WhatsAppHandshake(q, kVerify);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, "1158201444");
  q["hub.verify_token"] = "wrong-token-000000000";
  EXPECT_EQ(WhatsAppHandshake(q, kVerify).error().code, ErrorCode::kUnauthenticated);
  q.erase("hub.verify_token");
  EXPECT_EQ(WhatsAppHandshake(q, kVerify).error().code, ErrorCode::kUnauthenticated);
  q["hub.verify_token"] = kVerify;
  EXPECT_EQ(WhatsAppHandshake(q, "").error().code, ErrorCode::kUnauthenticated) << "fail closed";
  q["hub.mode"] = "unsubscribe";
  EXPECT_EQ(WhatsAppHandshake(q, kVerify).error().code, ErrorCode::kInvalidArgument);
  q["hub.mode"] = "subscribe";
  q.erase("hub.challenge");
  EXPECT_EQ(WhatsAppHandshake(q, kVerify).error().code, ErrorCode::kInvalidArgument);
}

TEST(WhatsAppTest, SignatureIsHmacSha256OfTheRawBodyWithTheAppSecret) {
  const std::string body = WhatsAppFake::TextWebhook("996700000001", "wamid.A", "Салам");
  const std::string sig = WhatsAppFake::Sign(kSecret, body);
  EXPECT_TRUE(VerifyWhatsAppSignature(sig, body, kSecret).has_value());
  std::string upper = sig;
  for (std::size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(VerifyWhatsAppSignature(upper, body, kSecret).has_value()) << "hex case-insensitive";
  EXPECT_FALSE(VerifyWhatsAppSignature(sig, body + " ", kSecret).has_value()) << "body changed";
  EXPECT_FALSE(VerifyWhatsAppSignature(WhatsAppFake::Sign("other-secret-0000000", body), body,
                                       kSecret).has_value());
  EXPECT_FALSE(VerifyWhatsAppSignature("", body, kSecret).has_value()) << "missing";
  EXPECT_FALSE(VerifyWhatsAppSignature("sha1=" + sig.substr(7), body, kSecret).has_value());
  EXPECT_FALSE(VerifyWhatsAppSignature(sig.substr(0, 20), body, kSecret).has_value());
  EXPECT_FALSE(VerifyWhatsAppSignature(sig, body, "").has_value()) << "no secret: fail closed";
  EXPECT_EQ(VerifyWhatsAppSignature("", body, kSecret).error().code, ErrorCode::kUnauthenticated);
}

TEST(WhatsAppTest, ATextMessageBecomesAPseudonymisedReportWithAThread) {
  const std::string body =
      WhatsAppFake::TextWebhook("996700000001", "wamid.HBgM", "Ошто атышуу болуп жатат дешет", 1717243200);
  auto parsed = ParseWhatsAppWebhook(body, Settings());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_EQ(parsed->messages.size(), 1u);
  const auto& m = parsed->messages[0];
  EXPECT_TRUE(m.media_type.empty());
  EXPECT_EQ(m.report.channel, "whatsapp");
  EXPECT_EQ(m.report.source_ref, "wa:wamid.HBgM");
  EXPECT_EQ(m.report.text, "Ошто атышуу болуп жатат дешет");
  EXPECT_EQ(m.report.observed_at, 1717243200000);
  EXPECT_EQ(m.report.submitted_by,
            "whatsapp:" + HmacSha256Hex(kKey, "+996700000001").substr(0, 16));
  EXPECT_EQ(m.report.submitted_by.find("700000001"), std::string::npos);
  EXPECT_EQ(m.report.thread_key, m.report.submitted_by);
  EXPECT_EQ(m.report.thread_window_ms, 600000);
  EXPECT_EQ(m.report.reply_address, "996700000001");
  // The same number over SMS has the same pseudonym digits: one person, two channels.
  EXPECT_EQ(m.report.submitted_by.substr(9), WhatsAppSenderPseudonym(kKey, "+996 700 000 001").substr(9));
}

TEST(WhatsAppTest, MediaIsStoredWithItsTypeAndNoText) {
  for (const char* type : {"image", "audio", "location", "sticker"}) {
    auto parsed =
        ParseWhatsAppWebhook(WhatsAppFake::MediaWebhook("996700000002", "wamid.M", type), Settings());
    ASSERT_TRUE(parsed.has_value());
    ASSERT_EQ(parsed->messages.size(), 1u);
    EXPECT_EQ(parsed->messages[0].media_type, type);
    EXPECT_TRUE(parsed->messages[0].report.text.empty());
    EXPECT_EQ(parsed->messages[0].report.source_ref, std::string("wa:wamid.M:") + type);
  }
}

TEST(WhatsAppTest, StatusesCarryTheOutboxIdAndFailures) {
  auto parsed = ParseWhatsAppWebhook(
      WhatsAppFake::StatusWebhook("wamid.fake.1", "failed", "01JALERT", "996700000001"),
      Settings());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->messages.empty());
  ASSERT_EQ(parsed->statuses.size(), 1u);
  EXPECT_EQ(parsed->statuses[0].message_id, "wamid.fake.1");
  EXPECT_EQ(parsed->statuses[0].status, "failed");
  EXPECT_EQ(parsed->statuses[0].alert_id, "01JALERT");
  EXPECT_EQ(parsed->statuses[0].error, "131047: Re-engagement message");
}

TEST(WhatsAppTest, OtherBodiesAreRefused) {
  EXPECT_EQ(ParseWhatsAppWebhook("not json", Settings()).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseWhatsAppWebhook(R"({"object":"page","entry":[]})", Settings()).error().code,
            ErrorCode::kInvalidArgument);
  auto no_key = Settings();
  no_key.pseudonym_key.clear();
  EXPECT_EQ(ParseWhatsAppWebhook(WhatsAppFake::TextWebhook("1", "a", "b"), no_key).error().code,
            ErrorCode::kInternal);
  // A message without a sender is skipped, the rest kept.
  auto parsed = ParseWhatsAppWebhook(
      R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":
      {"messages":[{"id":"x","type":"text","text":{"body":"a"}},
                   {"from":"996700000003","id":"y","type":"text","text":{"body":"b"}}]}}]}]})",
      Settings());
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->messages.size(), 1u);
  EXPECT_EQ(parsed->messages[0].report.source_ref, "wa:y");
}

}  // namespace
}  // namespace sakchy::ingest::whatsapp_test
