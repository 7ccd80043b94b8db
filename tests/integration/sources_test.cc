// Pull sources through the real binary: a Telegram Bot API fake feeds it; kill -9 in the middle,
// restart, and every update is stored exactly once.

#include <signal.h>

#include <boost/json.hpp>

#include <map>

#include "fakes/feed_fake.h"
#include "fakes/telegram_fake.h"
#include "integration/harness.h"

namespace sakchy::testing::sources_test {
namespace {

constexpr const char* kBotToken = "123456:integration-test-bot-token";

std::int64_t SourceItems(Harness& h, const std::string& id) {
  auto v = h.GetJson("/v1/sources");
  if (!v.is_object()) return -1;
  for (const auto& s : v.at("sources").as_array()) {
    if (s.at("id") == id.c_str()) return s.at("items_accepted").to_number<std::int64_t>();
  }
  return -1;
}

std::int64_t TotalEvents(Harness& h) {
  auto t = h.GetJson("/v1/trends?area=KG&from=2020-01-01T00:00:00Z&to=2040-01-01T00:00:00Z&bucket=day");
  return t.is_object() ? t.at("series").at(0).at("total").to_number<std::int64_t>() : -1;
}

TEST(SourcesTest, TelegramUpdatesSurviveKillNineExactlyOnce) {
  TelegramFake telegram(kBotToken);
  for (int i = 1; i <= 300; ++i) {
    telegram.AddText(-100123, i, 1000 + i % 7, "Говорят, в Оше беспорядки, сообщение " + std::to_string(i));
  }
  HarnessOptions opts;
  opts.env["SAKCHY_IT_BOT_TOKEN"] = kBotToken;
  opts.extra_yaml = "sources:\n  - id: tg-osh\n    type: telegram\n    url: " + telegram.api_url() +
                    "\n    token_env: SAKCHY_IT_BOT_TOKEN\n    allow_private_targets: [127.0.0.1/32]\n    interval_ms: 20\n"
                    "    long_poll_timeout_s: 1\n";
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitFor([&] { return SourceItems(h, "tg-osh") > 0; })) << h.process().Stderr();
  EXPECT_EQ(h.Stop(SIGKILL), 128 + SIGKILL);

  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitFor([&] { return TotalEvents(h) >= 300; }, std::chrono::seconds(30)))
      << "total " << TotalEvents(h);
  // More (long) polls happen; nothing is stored twice.
  auto calls = telegram.calls();
  ASSERT_TRUE(WaitFor([&] { return telegram.calls() >= calls + 2; }));
  EXPECT_EQ(TotalEvents(h), 300);
  // After the restart the first getUpdates starts after the committed offset.
  auto sources = h.GetJson("/v1/sources");
  EXPECT_EQ(sources.at("sources").as_array()[0].at("type"), "telegram");
  EXPECT_TRUE(sources.at("sources").as_array()[0].at("last_success_at").is_string());
}

TEST(SourcesTest, RssFeedItemsBecomeEventsOnce) {
  FeedFake feed;
  feed.SetDocument(R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Новости</title>
<item><guid>n-1</guid><title>Срочно</title><description><![CDATA[<p>Говорят, в Баткене <b>стрельба</b>, передайте всем</p>]]></description><pubDate>Sat, 01 Jun 2024 12:00:00 +0600</pubDate></item>
<item><guid>n-2</guid><title>Кенеш</title><description>В Бишкеке прошло заседание кенеша</description></item>
</channel></rss>)", "\"v1\"");
  HarnessOptions opts;
  opts.extra_yaml = "sources:\n  - id: news\n    type: rss\n    url: " + feed.url() +
                    "\n    interval_ms: 20\n    allow_private_targets: [127.0.0.1/32]\n";
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitFor([&] { return TotalEvents(h) == 2; })) << h.process().Stderr();
  ASSERT_TRUE(WaitFor([&] { return feed.not_modified_count() >= 3; }));
  EXPECT_EQ(TotalEvents(h), 2);
  EXPECT_EQ(h.Stop(SIGTERM), 0);
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitFor([&] { return feed.not_modified_count() >= 6; }));
  EXPECT_EQ(TotalEvents(h), 2) << "a restart must not re-ingest the feed";
}

// Pulled items keep their link, original times and (pseudonymised) author, shown on the event.
TEST(SourcesTest, PulledItemsKeepTheirUrlTimesAndAuthor) {
  TelegramFake telegram(kBotToken);
  telegram.AddUpdate("channel_post",
                     R"({"message_id":42,"date":1717243200,)"
                     R"("chat":{"id":-1009876,"type":"channel","username":"osh_news"},)"
                     R"("sender_chat":{"id":-1009876},)"
                     R"("text":"Говорят, в Оше начались беспорядки, передайте всем"})");
  telegram.AddUpdate("edited_channel_post",
                     R"({"message_id":42,"date":1717243200,"edit_date":1717243500,)"
                     R"("chat":{"id":-1009876,"type":"channel","username":"osh_news"},)"
                     R"("sender_chat":{"id":-1009876},)"
                     R"("text":"Говорят, в Оше начались беспорядки! Передайте всем"})");
  HarnessOptions opts;
  opts.min_severity = "info";  // the Osh contact's webhook names every event
  opts.env["SAKCHY_IT_BOT_TOKEN"] = kBotToken;
  opts.env["SAKCHY_IT_PSEUDONYM_KEY"] = "pseudonym-key-for-tests-0123";
  opts.extra_yaml = "privacy:\n  pseudonym_key_env: SAKCHY_IT_PSEUDONYM_KEY\n"
                    "sources:\n  - id: tg-osh\n    type: telegram\n    url: " +
                    telegram.api_url() + "\n    token_env: SAKCHY_IT_BOT_TOKEN\n    allow_private_targets: [127.0.0.1/32]\n";
  Harness h(opts);
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(WaitFor([&] { return h.sink().count() >= 2; })) << h.process().Stderr();
  std::map<std::string, boost::json::value> by_ref;
  for (const auto& req : h.sink().requests()) {
    auto alert = boost::json::parse(req.body);
    auto event = h.WaitScored(std::string(alert.at("event_id").as_string()));
    ASSERT_TRUE(event.is_object());
    by_ref[std::string(event.at("source_ref").as_string())] = event;
  }
  ASSERT_EQ(by_ref.count("-1009876:42"), 1u);
  ASSERT_EQ(by_ref.count("-1009876:42:edit:1717243500"), 1u);
  const auto& post = by_ref["-1009876:42"];
  EXPECT_EQ(post.at("url"), "https://t.me/osh_news/42");
  EXPECT_EQ(post.at("published_at"), "2024-06-01T12:00:00.000Z");
  EXPECT_EQ(post.at("observed_at"), "2024-06-01T12:00:00.000Z");
  EXPECT_FALSE(post.as_object().contains("edited_at"));
  const std::string author(post.at("submitted_by").as_string());
  EXPECT_EQ(author.size(), 16u) << "a keyed pseudonym, not the channel id: " << author;
  EXPECT_EQ(author.find("9876"), std::string::npos);
  const auto& edit = by_ref["-1009876:42:edit:1717243500"];
  EXPECT_EQ(edit.at("url"), "https://t.me/osh_news/42");
  EXPECT_EQ(edit.at("published_at"), "2024-06-01T12:00:00.000Z") << "the original time stays";
  EXPECT_EQ(edit.at("edited_at"), "2024-06-01T12:05:00.000Z");
  EXPECT_EQ(edit.at("submitted_by"), post.at("submitted_by"));
}

}  // namespace
}  // namespace sakchy::testing::sources_test
