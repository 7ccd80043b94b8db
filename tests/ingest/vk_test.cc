// VK walls as a pull source: the wire format (parser), paging with the stored cursor, comments,
// VK error codes (6 backs off, 5/15/30 are configuration errors), the 3 requests/s pacing and
// long posts cut at a word.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/time.h"
#include "fakes/vk_fake.h"
#include "ingest/sources/source.h"
#include "ingest/sources/vk_parser.h"
#include "sources_test_util.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::sources::vk_test {
namespace {

using sakchy::testing::VkFake;
using sakchy::testing::WaitFor;
using ::testing::HasSubstr;

constexpr char kKey[] = "0123456789abcdef-pseudonym-key";
constexpr std::int64_t kOwner = -123456;

config::SourceConfig VkSource(const VkFake& fake, const std::string& token) {
  config::SourceConfig s;
  s.id = "vk-osh";
  s.type = "vk";
  s.url = fake.api_url();
  s.token_env = "SAKCHY_TEST_VK_TOKEN";
  s.token = token;
  s.vk_owner = std::to_string(kOwner);
  s.api_version = "5.199";
  s.interval_ms = 20;
  s.timeout_ms = 2000;
  s.backoff_max_ms = 50;
  s.allow_private_targets = {"127.0.0.1/32"};  // the fake listens on loopback
  return s;
}

TEST(VkParserTest, WallAndErrors) {
  auto wall = ParseVkResponse(
      R"({"response":{"count":2,"items":[{"id":12,"owner_id":-1,"from_id":-1,"date":1717243200,)"
      R"("text":"Ошто митинг болот","is_pinned":1},{"id":11,"owner_id":-1,"from_id":5,)"
      R"("date":1717240000,"edited":1717241000,"text":""}]}})");
  ASSERT_TRUE(wall.has_value());
  EXPECT_FALSE(wall->error_code);
  EXPECT_EQ(wall->count, 2);
  ASSERT_EQ(wall->items.size(), 2u);
  EXPECT_TRUE(wall->items[0].pinned);
  EXPECT_EQ(wall->items[1].edited, 1717241000);
  auto err = ParseVkResponse(R"({"error":{"error_code":6,"error_msg":"Too many requests per second"}})");
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->error_code, 6);
  EXPECT_FALSE(ParseVkResponse("[]").has_value());
  EXPECT_TRUE(VkConfigurationError(5));
  EXPECT_TRUE(VkConfigurationError(15));
  EXPECT_TRUE(VkConfigurationError(30));
  EXPECT_FALSE(VkConfigurationError(6));
}

TEST(VkParserTest, LongTextIsCutAtAWordAndMarked) {
  std::string text;
  while (text.size() < 20000) text += "Ошто сөз ";
  const std::string cut = CutAtWord(text, 16384);
  EXPECT_LE(cut.size(), 16384u);
  ASSERT_TRUE(cut.ends_with(kCutMarker)) << cut.substr(cut.size() - 40);
  // What is kept is the text's start up to the end of a whole word.
  const std::string kept = cut.substr(0, cut.size() - kCutMarker.size());
  EXPECT_TRUE(text.starts_with(kept));
  EXPECT_EQ(text[kept.size()], ' ') << kept.substr(kept.size() - 20);
  EXPECT_GT(kept.size(), 16000u);
  EXPECT_EQ(CutAtWord("short", 16384), "short");
}

TEST(VkParserTest, ThePacerAllowsThreeRequestsInAnySecond) {
  RequestPacer pacer(3);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  using std::chrono::milliseconds;
  EXPECT_EQ(pacer.Reserve(t0), milliseconds(0));
  EXPECT_EQ(pacer.Reserve(t0), milliseconds(0));
  EXPECT_EQ(pacer.Reserve(t0 + milliseconds(100)), milliseconds(0));
  EXPECT_EQ(pacer.Reserve(t0 + milliseconds(200)), milliseconds(800)) << "the 4th waits for t0+1s";
  EXPECT_EQ(pacer.Reserve(t0 + milliseconds(200)), milliseconds(800));
  EXPECT_EQ(pacer.Reserve(t0 + milliseconds(200)), milliseconds(900));
  EXPECT_EQ(pacer.Reserve(t0 + milliseconds(5000)), milliseconds(0));
}

class VkSourceTest : public ::testing::Test {
 protected:
  SourceStatus StatusOf(const SourceManager& m) {
    for (auto& s : m.Statuses()) {
      if (s.id == "vk-osh") return s;
    }
    return {};
  }
  MemorySink sink_;
  ManualClock clock_{*ParseRfc3339("2024-06-01T12:30:00Z")};
  MetricsRegistry metrics_;
};

TEST_F(VkSourceTest, PostsArePagedFromTheCursorAndCommentsRead) {
  VkFake vk("vk-token-paging", "5.199", kOwner);
  for (int i = 0; i < 30; ++i) vk.AddPost("Эски пост " + std::to_string(i), 1717000000 + i);
  {
    SourceManager manager;
    ASSERT_OK(manager.Start({VkSource(vk, "vk-token-paging")}, kKey, sink_, sink_, clock_, metrics_));
    ASSERT_TRUE(WaitFor([&] { return sink_.cursor("vk-osh") == "30:1717000029"; }))
        << StatusOf(manager).last_error;
    manager.Stop();
  }
  EXPECT_EQ(sink_.stored_count(), 30u) << "first run: the newest page";
  // 250 new posts while it was stopped: paged back to the cursor, submitted oldest first.
  const auto pinned = vk.AddPost("Бекитилген пост", 1717100000, 0, true);
  for (int i = 0; i < 249; ++i) vk.AddPost("Жаңы пост " + std::to_string(i), 1717200000 + i);
  vk.AddComment(pinned + 249, "Бул чынбы? Ошто атышуу болуп жатат дешет", 777, 1717300000);
  auto src = VkSource(vk, "vk-token-paging");
  src.comments_posts = 2;
  SourceManager manager;
  ASSERT_OK(manager.Start({src}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 30u + 250u + 1u; }))
      << sink_.stored_count() << " " << StatusOf(manager).last_error;
  manager.Stop();
  EXPECT_EQ(sink_.cursor("vk-osh"), std::to_string(pinned + 249) + ":" + std::to_string(1717200248));
  const auto stored = sink_.stored();
  EXPECT_EQ(stored[30].source_ref, "vk:-123456_31") << "oldest new post first";
  EXPECT_EQ(stored[30].url, "https://vk.com/wall-123456_31");
  EXPECT_EQ(stored[30].channel, "vk");
  EXPECT_EQ(stored[30].published_at, 1717100000000);
  bool comment = false;
  for (const auto& r : stored) {
    if (r.source_ref == "vk:-123456_" + std::to_string(pinned + 249) + "_c1000") {
      comment = true;
      EXPECT_EQ(r.url, "https://vk.com/wall-123456_" + std::to_string(pinned + 249) + "?reply=1000");
      EXPECT_EQ(r.submitted_by, Pseudonym(kKey, "vk", "777"));
    }
  }
  EXPECT_TRUE(comment);
  // Every request named the pinned version and never showed the token in the status.
  for (const auto& r : vk.requests()) EXPECT_THAT(r.target, HasSubstr("v=5.199"));
}

TEST_F(VkSourceTest, TooManyRequestsBacksOffAndConfigurationErrorsSaySo) {
  VkFake vk("vk-token-errors", "5.199", kOwner);
  vk.AddPost("Ошто баары тынч", 1717000000);
  vk.FailNext(2, 6);
  SourceManager manager;
  ASSERT_OK(manager.Start({VkSource(vk, "vk-token-errors")}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; })) << StatusOf(manager).last_error;
  manager.Stop();

  VkFake denied("vk-token-right", "5.199", kOwner);
  SourceManager wrong;
  ASSERT_OK(wrong.Start({VkSource(denied, "vk-token-wrong")}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return StatusOf(wrong).consecutive_failures >= 1; }));
  const auto status = StatusOf(wrong);
  EXPECT_THAT(status.last_error, HasSubstr("VK error 5"));
  EXPECT_THAT(status.last_error, HasSubstr("configuration error"));
  EXPECT_THAT(status.last_error, HasSubstr("$SAKCHY_TEST_VK_TOKEN"));
  EXPECT_THAT(status.last_error, ::testing::Not(HasSubstr("vk-token-wrong")));
  wrong.Stop();
}

TEST_F(VkSourceTest, RequestsWithOneTokenAreAtMostThreePerSecond) {
  VkFake vk("vk-token-pace", "5.199", kOwner);
  for (int i = 0; i < 3; ++i) vk.AddPost("Пост " + std::to_string(i), 1717000000 + i);
  auto src = VkSource(vk, "vk-token-pace");
  src.comments_posts = 3;  // 1 wall.get + 3 wall.getComments per poll
  SourceManager manager;
  ASSERT_OK(manager.Start({src}, kKey, sink_, sink_, clock_, metrics_));
  ASSERT_TRUE(WaitFor([&] { return vk.request_times().size() >= 8; },
                      std::chrono::seconds(10)));
  manager.Stop();
  const auto times = vk.request_times();
  // The times are taken where the fake receives: a request held up in flight on a loaded host
  // narrows its gap to the next one by that delay (988 ms seen under a parallel build). Unpaced,
  // four requests would arrive within a few tens of milliseconds.
  for (std::size_t i = 3; i < times.size(); ++i) {
    EXPECT_GE(times[i] - times[i - 3], std::chrono::milliseconds(900)) << "request " << i;
  }
}

}  // namespace
}  // namespace sakchy::ingest::sources::vk_test
