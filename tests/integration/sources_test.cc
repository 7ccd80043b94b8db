// Pull sources through the real binary: a Telegram Bot API fake feeds it; kill -9 in the middle,
// restart, and every update is stored exactly once.

#include <signal.h>

#include <boost/json.hpp>

#include "fakes/feed_fake.h"
#include "fakes/telegram_fake.h"
#include "integration/harness.h"

namespace sakchy::testing {
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
  return t.is_object() ? t.at("total").to_number<std::int64_t>() : -1;
}

TEST(SourcesTest, TelegramUpdatesSurviveKillNineExactlyOnce) {
  TelegramFake telegram(kBotToken);
  for (int i = 1; i <= 300; ++i) {
    telegram.AddText(-100123, i, 1000 + i % 7, "Говорят, в Оше беспорядки, сообщение " + std::to_string(i));
  }
  HarnessOptions opts;
  opts.env["SAKCHY_IT_BOT_TOKEN"] = kBotToken;
  opts.extra_yaml = "sources:\n  - id: tg-osh\n    type: telegram\n    url: " + telegram.api_url() +
                    "\n    token_env: SAKCHY_IT_BOT_TOKEN\n    interval_ms: 20\n"
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
                    "\n    interval_ms: 20\n";
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

}  // namespace
}  // namespace sakchy::testing
