// Acknowledgement texts: SMS replies and Telegram button data.

#include "alerts/acks.h"

#include <gtest/gtest.h>

namespace sakchy::alerts::acks_test {
namespace {

TEST(AcksTest, SmsReplies) {
  EXPECT_EQ(ParseSmsAck("OK 4821"), "4821");
  EXPECT_EQ(ParseSmsAck("ok4821"), "4821");
  EXPECT_EQ(ParseSmsAck("  Ok   0007 \n"), "0007");
  EXPECT_EQ(ParseSmsAck("OK"), std::nullopt);
  EXPECT_EQ(ParseSmsAck("OK 48210"), std::nullopt);
  EXPECT_EQ(ParseSmsAck("OK 482"), std::nullopt);
  EXPECT_EQ(ParseSmsAck("OK 4821 thanks"), std::nullopt);  // a sentence: an ordinary report
  EXPECT_EQ(ParseSmsAck("Okay 4821"), std::nullopt);
  EXPECT_EQ(ParseSmsAck("Ош 4821"), std::nullopt);
}

TEST(AcksTest, TelegramButtonData) {
  auto ok = ParseAckCallback("ack:4821:01HZ9TQGG0CGJBYJTC5NBDV5KN");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->first, "4821");
  EXPECT_EQ(ok->second, "01HZ9TQGG0CGJBYJTC5NBDV5KN");
  EXPECT_EQ(ParseAckCallback("ack:482:01HZ9TQGG0CGJBYJTC5NBDV5KN"), std::nullopt);
  EXPECT_EQ(ParseAckCallback("ack:48a1:01HZ9TQGG0CGJBYJTC5NBDV5KN"), std::nullopt);
  EXPECT_EQ(ParseAckCallback("ack:4821:short"), std::nullopt);
  EXPECT_EQ(ParseAckCallback("nack:4821:01HZ9TQGG0CGJBYJTC5NBDV5KN"), std::nullopt);
}

TEST(AcksTest, RecordRoundTrip) {
  Ack a{"01HZ9TQGG0CGJBYJTC5NBDV5KN", "root/event=E1", "01HZ9TQGG0CGJBYJTC5NBDV5KP",
        "akim", "contact:akim", "sms", "", 1717243200000};
  auto b = DecodeAck(EncodeAck(a));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->group_key, a.group_key);
  EXPECT_EQ(b->via, "sms");
  EXPECT_EQ(b->at, a.at);
  EXPECT_FALSE(DecodeAck("{}").has_value());
  EXPECT_EQ(AckKey(a), std::string("root/event=E1") + '\0' + a.id);
}

}  // namespace
}  // namespace sakchy::alerts::acks_test
