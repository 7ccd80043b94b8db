// The Telegram Bot API getUpdates answer (core/telegram_updates.h): messages for intake, button
// presses for alerts.
#include "core/telegram_updates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace sakchy::telegram::telegram_updates_test {
namespace {

using ::testing::HasSubstr;

TEST(TelegramUpdatesTest, MessagesEditsChannelPostsAndNoText) {
  const std::string json = R"({"ok":true,"result":[
    {"update_id":10,"message":{"message_id":5,"date":1717243200,
      "chat":{"id":-1001234,"type":"supergroup","title":"Ош чат","username":"osh_chat"},
      "from":{"id":777,"is_bot":false,"first_name":"Бакыт"},"text":"Эртең суу болбойт"}},
    {"update_id":11,"edited_message":{"message_id":5,"date":1717243200,"edit_date":1717243300,
      "chat":{"id":-1001234,"type":"supergroup"},"from":{"id":777},"text":"Эртең суу болбойт!"}},
    {"update_id":12,"channel_post":{"message_id":9,"date":1717243400,
      "chat":{"id":-1009,"type":"channel","title":"Канал"},"sender_chat":{"id":-1009},
      "caption":"Фото: очередь за бензином"}},
    {"update_id":13,"message":{"message_id":6,"date":1717243500,
      "chat":{"id":-1001234,"type":"supergroup"},"from":{"id":778},"sticker":{"file_id":"x"}}},
    {"update_id":14,"my_chat_member":{"chat":{"id":1}}}
  ]})";
  auto r = ParseUpdates(json);
  ASSERT_OK(r);
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->next_offset, 15);
  ASSERT_EQ(r->messages.size(), 3u);
  EXPECT_EQ(r->messages[0].kind, "message");
  EXPECT_EQ(r->messages[0].chat_id, -1001234);
  EXPECT_EQ(r->messages[0].chat_username, "osh_chat");
  EXPECT_EQ(r->messages[0].from_id, 777);
  EXPECT_EQ(r->messages[0].text, "Эртең суу болбойт");
  EXPECT_EQ(r->messages[1].kind, "edited_message");
  EXPECT_EQ(r->messages[1].edit_date, 1717243300);
  EXPECT_EQ(r->messages[2].kind, "channel_post");
  EXPECT_EQ(r->messages[2].text, "Фото: очередь за бензином");
  EXPECT_FALSE(r->messages[2].from_id);
  EXPECT_EQ(r->messages[2].sender_chat_id, -1009);
}

TEST(TelegramUpdatesTest, ErrorsAndEmptyResults) {
  auto limited = ParseUpdates(
      R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",)"
      R"("parameters":{"retry_after":7}})");
  ASSERT_OK(limited);
  EXPECT_FALSE(limited->ok);
  EXPECT_EQ(limited->error_code, 429);
  EXPECT_EQ(limited->retry_after_s, 7);
  auto conflict = ParseUpdates(
      R"({"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active"})");
  ASSERT_OK(conflict);
  EXPECT_EQ(conflict->error_code, 409);
  EXPECT_FALSE(conflict->retry_after_s);
  auto empty = ParseUpdates(R"({"ok":true,"result":[]})");
  ASSERT_OK(empty);
  EXPECT_FALSE(empty->next_offset);
  for (const char* bad : {"", "not json", "[]", R"({"result":[]})", R"({"ok":true})",
                          R"({"ok":true,"result":[{"message":{}}]})", R"({"ok":true,"result":[)"}) {
    auto r = ParseUpdates(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("getUpdates")) << bad;
  }
}

TEST(TelegramUpdatesTest, CallbackQueriesBesideMessagesWithIdsAsText) {
  // A press of "Acknowledge" (alerts) beside a message (intake): both listed, in update order;
  // ids come as numbers or strings; a press without from/message keeps those empty.
  const std::string json = R"({"ok":true,"result":[
    {"update_id":40,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"id":777,"is_bot":false},
      "message":{"message_id":12,"chat":{"id":-1001234,"type":"supergroup"}},
      "chat_instance":"-5","data":"ack:4821:01J0ALERT"}},
    {"update_id":41,"message":{"message_id":13,"date":1717243500,
      "chat":{"id":55,"type":"private"},"from":{"id":55},"text":"рахмат"}},
    {"update_id":42,"callback_query":{"id":98765,"data":"ack:1:x"}},
    {"update_id":43,"callback_query":{"id":"q3","from":{"id":"778"},"data":7}}
  ]})";
  auto r = ParseUpdates(json);
  ASSERT_OK(r);
  EXPECT_EQ(r->next_offset, 44);
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].text, "рахмат");
  ASSERT_EQ(r->callback_queries.size(), 3u);
  const CallbackQuery& press = r->callback_queries[0];
  EXPECT_EQ(press.update_id, 40);
  EXPECT_EQ(press.id, "4382bfdwdsb323b2d9");
  EXPECT_EQ(press.from_id, "777");
  EXPECT_EQ(press.chat_id, "-1001234");
  EXPECT_EQ(press.data, "ack:4821:01J0ALERT");
  EXPECT_EQ(r->callback_queries[1].id, "98765");
  EXPECT_EQ(r->callback_queries[1].from_id, "");
  EXPECT_EQ(r->callback_queries[1].chat_id, "");
  EXPECT_EQ(r->callback_queries[2].from_id, "778");
  EXPECT_EQ(r->callback_queries[2].data, "");  // callback_data is a string or nothing
}

}  // namespace
}  // namespace sakchy::telegram::telegram_updates_test
