// The report log's encoding (cluster/jetstream.h): every stored field survives; the transient
// reply address is never written; unreadable entries are refused, not guessed.

#include <gtest/gtest.h>

#include "cluster/jetstream.h"
#include "testutil/testutil.h"

namespace sakchy::cluster::codec_test {
namespace {

TEST(LogCodecTest, RoundTripsAReport) {
  Report r;
  r.id = "01JABCDEFGHJKMNPQRSTVWXYZ0";
  r.text = "Говорят, в Оше \"беспорядки\"\n";
  r.area = "KG-O";
  r.channel = "sms";
  r.source_ref = "kannel/42";
  r.submitted_by = "3f2a";
  r.observed_at = 1700000000000;
  r.received_at = 1700000000123;
  r.url = "https://t.me/x/1";
  r.published_at = 1699999999000;
  r.edited_at = 1699999999500;
  r.thread_key = "3f2a";
  r.thread_window_ms = 600000;
  r.reply_address = "+996555000111";
  const std::string data = EncodeLogReport(r);
  EXPECT_EQ(data.find("+996555000111"), std::string::npos) << "reply addresses stay local";
  auto back = DecodeLogReport(data);
  ASSERT_OK(back);
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->text, r.text);
  EXPECT_EQ(back->area, r.area);
  EXPECT_EQ(back->channel, r.channel);
  EXPECT_EQ(back->source_ref, r.source_ref);
  EXPECT_EQ(back->submitted_by, r.submitted_by);
  EXPECT_EQ(back->observed_at, r.observed_at);
  EXPECT_EQ(back->received_at, r.received_at);
  EXPECT_EQ(back->url, r.url);
  EXPECT_EQ(back->published_at, r.published_at);
  EXPECT_EQ(back->edited_at, r.edited_at);
  EXPECT_EQ(back->thread_key, r.thread_key);
  EXPECT_EQ(back->thread_window_ms, r.thread_window_ms);
  EXPECT_TRUE(back->reply_address.empty());

  Report plain;
  plain.id = "01JABCDEFGHJKMNPQRSTVWXYZ1";
  plain.text = "x";
  plain.channel = "api";
  plain.received_at = 5;
  auto p = DecodeLogReport(EncodeLogReport(plain));
  ASSERT_OK(p);
  EXPECT_FALSE(p->area.has_value());
  EXPECT_TRUE(p->source_ref.empty());
}

TEST(LogCodecTest, RefusesWhatItCannotRead) {
  EXPECT_FALSE(DecodeLogReport("not json"));
  EXPECT_FALSE(DecodeLogReport("[1]"));
  EXPECT_FALSE(DecodeLogReport(R"({"v":2,"id":"a","channel":"api","received_at":1})"));
  EXPECT_FALSE(DecodeLogReport(R"({"v":1,"channel":"api","received_at":1})"));
  EXPECT_TRUE(DecodeLogReport(R"({"v":1,"id":"a","channel":"api","received_at":1})"));
}

}  // namespace
}  // namespace sakchy::cluster::codec_test
