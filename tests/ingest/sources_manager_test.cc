// SourceManager end to end against loopback fakes speaking the real wire formats.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/metrics.h"
#include "core/time.h"
#include "fakes/feed_fake.h"
#include "fakes/mastodon_fake.h"
#include "fakes/telegram_fake.h"
#include "ingest/reporters.h"
#include "ingest/sources/source.h"
#include "sources_test_util.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::sources::sources_manager_test {
namespace {

using sakchy::testing::FeedFake;
using sakchy::testing::MastodonFake;
using sakchy::testing::ScriptedResponse;
using sakchy::testing::TelegramFake;
using sakchy::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "123456:TEST-bot-token_secret";
constexpr char kKey[] = "0123456789abcdef-pseudonym-key";

config::SourceConfig TelegramSource(const TelegramFake& fake) {
  config::SourceConfig s;
  s.id = "tg";
  s.type = "telegram";
  s.url = fake.api_url();
  s.token_env = "SAKCHY_TEST_BOT_TOKEN";
  s.token = kToken;
  s.interval_ms = 20;
  s.timeout_ms = 2000;
  s.area = "KG-O";
  s.allow_private_targets = {"127.0.0.1/32"};  // the fake listens on loopback
  return s;
}

class SourcesTest : public ::testing::Test {
 protected:
  SourceStatus StatusOf(const SourceManager& m, const std::string& id) {
    for (auto& s : m.Statuses()) {
      if (s.id == id) return s;
    }
    ADD_FAILURE() << "no status for " << id;
    return {};
  }

  MemorySink sink_;
  ManualClock clock_{*ParseRfc3339("2024-06-01T12:30:00Z")};
  MetricsRegistry metrics_;
};

TEST_F(SourcesTest, TelegramMessagesBecomeReportsAndTheOffsetAdvances) {
  TelegramFake tg(kToken);
  tg.AddText(-1001, 5, 777, "Эртең Ошто суу болбойт", 1717243200);
  tg.AddUpdate("message",
               R"({"message_id":6,"date":1717243260,"chat":{"id":-1001,"type":"group"},)"
               R"("from":{"id":778},"sticker":{"file_id":"x"}})");
  tg.AddUpdate("edited_message",
               R"({"message_id":5,"date":1717243200,"edit_date":1717243300,)"
               R"("chat":{"id":-1001,"type":"group"},"from":{"id":777},"text":"Эртең суу жок!"})");
  SourceManager manager;
  ASSERT_OK(manager.Start({TelegramSource(tg)}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return sink_.cursor("tg") == "4"; }));
  ASSERT_TRUE(WaitFor([&] {
    auto offsets = tg.offsets();
    return std::find(offsets.begin(), offsets.end(), "4") != offsets.end();
  }));
  manager.Stop();

  const auto stored = sink_.stored();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].channel, "telegram");
  EXPECT_EQ(stored[0].source_ref, "-1001:5");
  EXPECT_EQ(stored[0].text, "Эртең Ошто суу болбойт");
  EXPECT_EQ(stored[0].observed_at, 1717243200000);
  EXPECT_EQ(stored[0].area, "KG-O");
  EXPECT_EQ(stored[0].submitted_by, Pseudonym(kKey, "telegram", "777"));
  EXPECT_EQ(stored[0].submitted_by.size(), 16u);
  EXPECT_EQ(stored[1].source_ref, "-1001:5:edit:1717243300");  // an edit is a new report
  EXPECT_EQ(stored[1].observed_at, 1717243300000);
  // The original times and the link stay with the item.
  EXPECT_EQ(stored[0].published_at, 1717243200000);
  EXPECT_EQ(stored[0].edited_at, 0);
  EXPECT_EQ(stored[0].url, "https://t.me/c/1/5") << "a supergroup without a username";
  EXPECT_EQ(stored[1].published_at, 1717243200000);
  EXPECT_EQ(stored[1].edited_at, 1717243300000);
  EXPECT_EQ(tg.offsets().front(), "");  // no stored cursor: from the beginning

  const auto status = StatusOf(manager, "tg");
  EXPECT_EQ(status.items_accepted, 2u);
  EXPECT_EQ(status.consecutive_failures, 0u);
  EXPECT_EQ(status.cursor, "4");
  EXPECT_EQ(status.newest_item_at, 1717243300000);
  EXPECT_EQ(status.lag_ms, clock_.NowMs() - 1717243300000);
  const std::string prom = metrics_.RenderPrometheus();
  EXPECT_THAT(prom, HasSubstr("sakchy_source_items_total{source=\"tg\",result=\"accepted\"} 2"));
  EXPECT_THAT(prom, HasSubstr("sakchy_source_last_success_timestamp_seconds{source=\"tg\"}"));
}

// A private chat's id is the person's user id and its "username" theirs: neither is stored
// (source_ref and url), only keyed pseudonyms as for SMS senders.
TEST_F(SourcesTest, TelegramPrivateChatsArePseudonymised) {
  TelegramFake tg(kToken);
  tg.AddUpdate("message",
               R"({"message_id":9,"date":1717243200,)"
               R"("chat":{"id":424242,"type":"private","username":"aigul_osh","first_name":"A"},)"
               R"("from":{"id":424242,"username":"aigul_osh"},"text":"В Оше перекрыли дорогу"})");
  SourceManager manager;
  ASSERT_OK(manager.Start({TelegramSource(tg)}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored().size() == 1; }));
  manager.Stop();
  const Report r = sink_.stored()[0];
  const std::string who = Pseudonym(kKey, "telegram", "424242");
  EXPECT_EQ(r.source_ref, "p" + who + ":9");
  EXPECT_EQ(r.submitted_by, who);
  EXPECT_EQ(r.url, "");
  // Still a person who chose to tell the service (spread among independent people).
  EXPECT_EQ(ReporterKindOf(r), classifier::ReporterKind::kPerson);
  for (const std::string& field : {r.source_ref, r.url, r.submitted_by}) {
    EXPECT_THAT(field, Not(HasSubstr("424242")));
    EXPECT_THAT(field, Not(HasSubstr("aigul")));
  }
}

TEST_F(SourcesTest, TelegramLongPollIsHeldAndAnUpdateArrivesAtOnce) {
  TelegramFake tg(kToken);
  auto cfg = TelegramSource(tg);
  cfg.long_poll_timeout_s = 20;
  cfg.interval_ms = 600000;  // never waited for: long polling polls again at once
  SourceManager manager;
  ASSERT_OK(manager.Start({cfg}, kKey, sink_, sink_, clock_, metrics_));
  // The first poll is parked at the server, asking for a 20 s hold.
  ASSERT_TRUE(WaitFor([&] { return tg.held() == 1; }));
  const auto first = tg.requests().front().target;
  EXPECT_EQ(sakchy::testing::QueryParam(first, "timeout"), "20");
  EXPECT_EQ(tg.calls(), 1u);

  // An update ends the hold; the report is stored and the next poll (new offset) is parked.
  tg.AddText(-1001, 7, 777, "Базарда мушташ болуп жатат");
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return tg.held() == 1 && tg.calls() == 2; }));
  EXPECT_EQ(tg.offsets().back(), "2");
  tg.AddText(-1001, 8, 777, "Экинчи билдирүү");
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 2; }));
  ASSERT_TRUE(WaitFor([&] { return tg.held() == 1 && tg.calls() == 3; }));
  const auto status = StatusOf(manager, "tg");
  EXPECT_EQ(status.consecutive_failures, 0u);
  EXPECT_EQ(status.next_delay_ms, 0);
  manager.Stop();
}

TEST_F(SourcesTest, TheHttpTimeoutOfALongPollIsAboveTheHold) {
  TelegramFake tg(kToken);
  auto cfg = TelegramSource(tg);
  cfg.long_poll_timeout_s = 1;  // the fake holds an empty poll for 1 s ...
  cfg.timeout_ms = 300;         // ... longer than the plain timeout: the client waits 1.3 s
  SourceManager manager;
  ASSERT_OK(manager.Start({cfg}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return tg.calls() >= 2; }));
  const auto status = StatusOf(manager, "tg");
  EXPECT_EQ(status.consecutive_failures, 0u) << status.last_error;
  EXPECT_TRUE(status.last_error.empty()) << status.last_error;
  EXPECT_TRUE(status.last_success_at.has_value());
  // After an empty answer it pauses briefly (at most interval_ms, here 20 ms) rather than
  // hammering a server that does not hold.
  EXPECT_LE(status.next_delay_ms, 20);
}

TEST_F(SourcesTest, TelegramShortPollingWhenLongPollingIsOff) {
  TelegramFake tg(kToken);
  auto cfg = TelegramSource(tg);
  cfg.long_poll_timeout_s = 0;
  SourceManager manager;
  ASSERT_OK(manager.Start({cfg}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return tg.calls() >= 3; }));
  EXPECT_EQ(sakchy::testing::QueryParam(tg.requests().front().target, "timeout"), "0");
  EXPECT_EQ(tg.held(), 0);
}

TEST_F(SourcesTest, TelegramConflictAndRateLimitAreRetriedHonouringRetryAfter) {
  TelegramFake tg(kToken);
  tg.AddText(-1001, 1, 1, "first");
  tg.FailNextWith409();
  tg.FailNextWith429(1);
  SourceManager manager;
  ASSERT_OK(manager.Start({TelegramSource(tg)}, kKey, sink_, sink_, clock_, metrics_));
  // After the 409 the source backs off; after the 429 it waits exactly retry_after.
  ASSERT_TRUE(WaitFor([&] {
    auto s = StatusOf(manager, "tg");
    return s.consecutive_failures == 2 && s.next_delay_ms == 1000;
  }));
  auto status = StatusOf(manager, "tg");
  EXPECT_THAT(status.last_error, HasSubstr("429"));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "tg").consecutive_failures == 0; }));
  const std::string prom = metrics_.RenderPrometheus();
  EXPECT_THAT(prom, HasSubstr("sakchy_source_errors_total{source=\"tg\"} 2"));
}

TEST_F(SourcesTest, TelegramConflictMessageSaysWhatToDo) {
  TelegramFake tg(kToken);
  tg.FailNextWith409();
  auto cfg = TelegramSource(tg);
  cfg.interval_ms = 5000;  // back off long enough to read the status
  SourceManager manager;
  ASSERT_OK(manager.Start({cfg}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "tg").consecutive_failures == 1; }));
  EXPECT_THAT(StatusOf(manager, "tg").last_error, HasSubstr("another getUpdates consumer"));
}

TEST_F(SourcesTest, ErrorsNeverShowTheBotToken) {
  std::string dead;
  {
    TelegramFake gone(kToken);
    dead = gone.api_url();
  }
  config::SourceConfig cfg;
  cfg.id = "tg";
  cfg.type = "telegram";
  cfg.url = dead;
  cfg.token = kToken;
  cfg.interval_ms = 20;
  cfg.allow_private_targets = {"127.0.0.1/32"};
  SourceManager manager;
  ASSERT_OK(manager.Start({cfg}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "tg").consecutive_failures >= 1; }));
  const auto status = StatusOf(manager, "tg");
  EXPECT_THAT(status.last_error, HasSubstr("/bot<redacted>/getUpdates"));
  EXPECT_THAT(status.last_error, Not(HasSubstr("TEST-bot-token")));
}

constexpr char kFeed[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Жаңылыктар</title>
<item><title>Слух о закрытии границы</title><guid>n1</guid>
<description><![CDATA[<p>Говорят, что граница <b>закрыта</b>.</p>]]></description>
<pubDate>Sat, 01 Jun 2024 18:00:00 +0600</pubDate></item>
<item><title>Второй</title><guid>n2</guid><description>Текст &amp; ещё</description></item>
</channel></rss>)";

config::SourceConfig FeedSource(const FeedFake& fake) {
  config::SourceConfig s;
  s.id = "news";
  s.type = "rss";
  s.url = fake.url();
  s.interval_ms = 20;
  s.timeout_ms = 2000;
  s.allow_private_targets = {"127.0.0.1/32"};  // the fake listens on loopback
  return s;
}

TEST_F(SourcesTest, FeedUsesETagAndGets304OnRepeat) {
  FeedFake feed;
  feed.SetDocument(kFeed, "\"v1\"");
  SourceManager manager;
  ASSERT_OK(manager.Start({FeedSource(feed)}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return feed.not_modified_count() >= 2; }));
  manager.Stop();
  const auto requests = feed.requests();
  EXPECT_EQ(requests[0].headers.count("if-none-match"), 0u);
  EXPECT_EQ(requests[1].headers.at("if-none-match"), "\"v1\"");
  EXPECT_EQ(sink_.cursor("news"), "etag=\"v1\"");
  const auto stored = sink_.stored();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].channel, "rss");
  EXPECT_EQ(stored[0].source_ref, "news:n1");
  EXPECT_EQ(stored[0].text, "Слух о закрытии границы\nГоворят, что граница закрыта.");
  EXPECT_EQ(stored[0].observed_at, *ParseRfc3339("2024-06-01T12:00:00Z"));
  EXPECT_EQ(stored[1].text, "Второй\nТекст & ещё");
  EXPECT_EQ(stored[1].observed_at, clock_.NowMs());  // no date: time of the fetch
  EXPECT_EQ(sink_.submits(), 1);  // 304s submit nothing
}

TEST_F(SourcesTest, ServerErrorsBackOffThenRecover) {
  FeedFake feed;
  feed.SetDocument(kFeed, "");
  feed.FailNext(ScriptedResponse{503, {}, "maintenance", {}});
  feed.FailNext(ScriptedResponse{502, {}, "bad gateway", {}});
  SourceManager manager;
  ASSERT_OK(manager.Start({FeedSource(feed)}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "news").consecutive_failures == 2; }));
  const auto failing = StatusOf(manager, "news");
  // Status and standard reason only: the body a server sent is never echoed.
  EXPECT_EQ(failing.last_error, "HTTP 502 Bad Gateway from " + feed.url());
  EXPECT_GE(failing.next_delay_ms, 36);  // 2 * 20 ms, -10% jitter
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 2; }));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "news").consecutive_failures == 0; }));
  EXPECT_EQ(StatusOf(manager, "news").last_error, "");
  // Without an ETag the feed is fetched whole each time: items come back as duplicates.
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "news").duplicates >= 2; }));
  EXPECT_EQ(sink_.stored_count(), 2u);
}

TEST_F(SourcesTest, SlowServerTimesOutAndGiganticResponseIsRefused) {
  FeedFake slow;
  slow.FailNext(ScriptedResponse{200, {}, kFeed, std::chrono::milliseconds(3000)});
  FeedFake big;
  big.SetDocument("<rss>" + std::string(2 << 20, ' ') + "</rss>", "");
  auto slow_cfg = FeedSource(slow);
  slow_cfg.id = "slow";
  slow_cfg.timeout_ms = 150;
  slow_cfg.interval_ms = 5000;
  auto big_cfg = FeedSource(big);
  big_cfg.id = "big";
  big_cfg.max_body_bytes = 1 << 20;
  big_cfg.interval_ms = 5000;
  SourceManager manager;
  ASSERT_OK(manager.Start({slow_cfg, big_cfg}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "slow").consecutive_failures == 1; }));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "big").consecutive_failures == 1; }));
  EXPECT_EQ(StatusOf(manager, "slow").last_error,
            "timeout after 150 ms fetching " + slow.url());
  EXPECT_THAT(StatusOf(manager, "big").last_error,
              HasSubstr("response larger than 1048576 bytes"));
}

TEST_F(SourcesTest, CursorAdvancesOnlyAfterASuccessfulSubmit) {
  TelegramFake tg(kToken);
  tg.AddText(-5, 1, 1, "один");
  tg.AddText(-5, 2, 2, "два");
  sink_.FailNext(2, ErrorCode::kIo);
  SourceManager manager;
  ASSERT_OK(manager.Start({TelegramSource(tg)}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return sink_.cursor("tg") == "3"; }));
  ASSERT_TRUE(WaitFor([&] {
    auto offsets = tg.offsets();
    return std::find(offsets.begin(), offsets.end(), "3") != offsets.end();
  }));
  manager.Stop();
  const auto offsets = tg.offsets();
  // The first three fetches (two failed submits, then the successful one) carry no offset.
  ASSERT_GE(offsets.size(), 4u);
  EXPECT_EQ(offsets[0], "");
  EXPECT_EQ(offsets[1], "");
  EXPECT_EQ(offsets[2], "");
  EXPECT_EQ(offsets[3], "3");
  const auto batches = sink_.batches();
  ASSERT_GE(batches.size(), 3u);
  EXPECT_EQ(batches[0].size(), 2u);
  EXPECT_EQ(batches[2].size(), 2u);  // the same items, re-submitted
  EXPECT_EQ(sink_.stored_count(), 2u);
  EXPECT_THAT(StatusOf(manager, "tg").last_error, "");
}

TEST_F(SourcesTest, FullSinkPausesAndRetriesTheSameBatch) {
  TelegramFake tg(kToken);
  tg.AddText(-5, 1, 1, "один");
  sink_.FailNext(3, ErrorCode::kResourceExhausted);
  SourceManager manager;
  ASSERT_OK(manager.Start({TelegramSource(tg)}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; }));
  EXPECT_EQ(sink_.batches().size(), 4u);
  EXPECT_EQ(tg.offsets().front(), "");
  EXPECT_EQ(tg.calls() >= 1, true);
  // Backpressure is not a failure of the source, and the fetch was not repeated.
  EXPECT_EQ(StatusOf(manager, "tg").consecutive_failures, 0u);
  EXPECT_EQ(metrics_.GetCounter("sakchy_source_errors_total", "", {{"source", "tg"}}).Value(),
            0u);
}

TEST_F(SourcesTest, RestartReadsTheStoredCursorAndDoesNotRefetch) {
  TelegramFake tg(kToken);
  tg.AddText(-5, 1, 1, "один");
  tg.AddText(-5, 2, 1, "два");
  {
    SourceManager first;
    ASSERT_OK(first.Start({TelegramSource(tg)}, kKey, sink_, sink_, clock_, metrics_));
    ASSERT_TRUE(WaitFor([&] { return sink_.cursor("tg") == "3"; }));
  }
  // A fresh fake (Telegram forgot nothing, but this one would resend everything without offset).
  TelegramFake tg2(kToken);
  tg2.AddText(-5, 1, 1, "один");
  tg2.AddText(-5, 2, 1, "два");
  tg2.AddText(-5, 3, 1, "три");
  SourceManager second;
  MetricsRegistry metrics2;
  ASSERT_OK(second.Start({TelegramSource(tg2)}, kKey, sink_, sink_, clock_, metrics2));
  ASSERT_TRUE(WaitFor([&] { return sink_.cursor("tg") == "4"; }));
  second.Stop();
  EXPECT_EQ(tg2.offsets().front(), "3");
  EXPECT_EQ(sink_.stored_count(), 3u);
  EXPECT_EQ(StatusOf(second, "tg").duplicates, 0u);
  EXPECT_EQ(StatusOf(second, "tg").items_accepted, 1u);
}

TEST_F(SourcesTest, MastodonHonoursSinceId) {
  MastodonFake masto;
  masto.AddStatus("101", "<p>Слух: <b>банк</b> закрывается&nbsp;завтра</p>", "42",
                  "2024-06-01T12:00:00.000Z");
  masto.AddStatus("102", "<p>второй</p>", "43", "2024-06-01T12:05:00.000Z", "CW");
  config::SourceConfig cfg;
  cfg.id = "social";
  cfg.type = "mastodon";
  cfg.url = masto.base_url();
  cfg.interval_ms = 20;
  cfg.allow_private_targets = {"127.0.0.1/32"};
  SourceManager manager;
  ASSERT_OK(manager.Start({cfg}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return sink_.cursor("social") == "102"; }));
  masto.AddStatus("103", "третий", "42", "2024-06-01T12:10:00.000Z");
  ASSERT_TRUE(WaitFor([&] { return sink_.cursor("social") == "103"; }));
  ASSERT_TRUE(WaitFor([&] {
    auto ids = masto.since_ids();
    return std::find(ids.begin(), ids.end(), "103") != ids.end();
  }));
  manager.Stop();
  EXPECT_EQ(masto.since_ids().front(), "");
  const auto stored = sink_.stored();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].source_ref, "social:101");  // oldest first
  EXPECT_EQ(stored[0].channel, "mastodon");
  EXPECT_EQ(stored[0].text, "Слух: банк закрывается завтра");
  EXPECT_EQ(stored[0].observed_at, *ParseRfc3339("2024-06-01T12:00:00Z"));
  EXPECT_EQ(stored[1].text, "CW\n\nвторой");
  EXPECT_EQ(stored[2].source_ref, "social:103");
  EXPECT_EQ(stored[0].submitted_by, stored[2].submitted_by);  // same account, same pseudonym
  EXPECT_NE(stored[0].submitted_by, stored[1].submitted_by);
  EXPECT_EQ(StatusOf(manager, "social").duplicates, 0u);
}

TEST_F(SourcesTest, AFailingSourceDoesNotStallTheOthers) {
  std::string dead;
  {
    FeedFake gone;
    dead = gone.url();
  }
  FeedFake feed;
  feed.SetDocument(kFeed, "\"v1\"");
  auto broken = FeedSource(feed);
  broken.id = "broken";
  broken.url = dead;
  auto disabled = FeedSource(feed);
  disabled.id = "off";
  disabled.enabled = false;
  SourceManager manager;
  ASSERT_OK(manager.Start({broken, FeedSource(feed), disabled}, kKey, sink_, sink_, clock_,
                          metrics_));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(manager, "broken").consecutive_failures >= 3; }));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 2; }));
  const auto statuses = manager.Statuses();
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_EQ(statuses[2].id, "off");
  EXPECT_FALSE(statuses[2].enabled);
  EXPECT_EQ(statuses[2].polls, 0u);
  EXPECT_THAT(statuses[0].last_error, HasSubstr("cannot connect"));
}

TEST_F(SourcesTest, StartRejectsASourceThatCannotBeSetUp) {
  config::SourceConfig cfg;
  cfg.id = "tg";
  cfg.type = "telegram";
  cfg.url = "https://api.telegram.org";
  cfg.token_env = "SAKCHY_NOT_SET";
  SourceManager manager;
  auto started = manager.Start({cfg}, kKey, sink_, sink_, clock_, metrics_);
  ASSERT_FALSE(started.has_value());
  EXPECT_THAT(started.error().message, HasSubstr("no bot token (set $SAKCHY_NOT_SET)"));
}

TEST(PseudonymTest, IsAKeyedSixteenHexDigest) {
  const std::string a = Pseudonym("key-one-0123456789", "telegram", "777");
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, Pseudonym("key-one-0123456789", "telegram", "777"));
  EXPECT_NE(a, Pseudonym("key-two-0123456789", "telegram", "777"));
  EXPECT_NE(a, Pseudonym("key-one-0123456789", "mastodon", "777"));
}

}  // namespace
}  // namespace sakchy::ingest::sources::sources_manager_test
