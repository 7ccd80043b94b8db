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

// The notification queue's encoding: the node that takes a notification sends exactly what the
// node that created it rendered, to the same address, with the same idempotency key.
TEST(NotificationCodecTest, RoundTripsEveryField) {
  Alert a;
  a.id = "01JABCDEFGHJKMNPQRSTVWXYZ2";
  a.kind = AlertKind::kDigest;
  a.event_id = "01JABCDEFGHJKMNPQRSTVWXYZ0";
  a.area = "KG-O";
  a.severity = Severity::kCritical;
  a.categories = {"violence", "health"};
  a.contact_id = "osh-duty";
  a.channel = "webhook";
  a.target = "https://hooks.example.org/sakchy?x=1";
  a.idempotency_key = "0123456789abcdef0123456789abcdef";
  a.state = DeliveryState::kPending;
  a.attempts = 2;
  a.created_at = 1700000000000;
  a.next_attempt_at = 1700000005000;
  a.delivered_at = 7;
  a.sent_at = 8;
  a.last_error = "HTTP 503";
  a.group_key = "root/event=01JABCDEFGHJKMNPQRSTVWXYZ0";
  a.event_ids = {"01JABCDEFGHJKMNPQRSTVWXYZ0", "01JABCDEFGHJKMNPQRSTVWXYZ1"};
  a.subject_id = "cluster:42";
  a.sequence = 3;
  a.escalation_step = 1;
  a.channel_index = 1;
  a.payload = R"({"type":"sakchy.digest","text":"Ош \"беспорядки\"\n"})";
  auto back = DecodeQueuedNotification(EncodeQueuedNotification(a));
  ASSERT_OK(back);
  EXPECT_EQ(back->id, a.id);
  EXPECT_EQ(back->kind, a.kind);
  EXPECT_EQ(back->event_id, a.event_id);
  EXPECT_EQ(back->area, a.area);
  EXPECT_EQ(back->severity, a.severity);
  EXPECT_EQ(back->categories, a.categories);
  EXPECT_EQ(back->contact_id, a.contact_id);
  EXPECT_EQ(back->channel, a.channel);
  EXPECT_EQ(back->target, a.target);
  EXPECT_EQ(back->idempotency_key, a.idempotency_key);
  EXPECT_EQ(back->state, a.state);
  EXPECT_EQ(back->attempts, a.attempts);
  EXPECT_EQ(back->created_at, a.created_at);
  EXPECT_EQ(back->next_attempt_at, a.next_attempt_at);
  EXPECT_EQ(back->delivered_at, a.delivered_at);
  EXPECT_EQ(back->sent_at, a.sent_at);
  EXPECT_EQ(back->last_error, a.last_error);
  EXPECT_EQ(back->group_key, a.group_key);
  EXPECT_EQ(back->event_ids, a.event_ids);
  EXPECT_EQ(back->subject_id, a.subject_id);
  EXPECT_EQ(back->sequence, a.sequence);
  EXPECT_EQ(back->escalation_step, a.escalation_step);
  EXPECT_EQ(back->channel_index, a.channel_index);
  EXPECT_EQ(back->payload, a.payload);
}

TEST(NotificationCodecTest, RefusesWhatItCannotRead) {
  EXPECT_FALSE(DecodeQueuedNotification("not json"));
  EXPECT_FALSE(DecodeQueuedNotification("[1]"));
  const std::string ok =
      R"({"v":1,"id":"a","kind":"event","severity":"high","channel":"webhook","state":0})";
  EXPECT_TRUE(DecodeQueuedNotification(ok));
  EXPECT_FALSE(DecodeQueuedNotification(
      R"({"v":2,"id":"a","kind":"event","severity":"high","channel":"webhook","state":0})"));
  EXPECT_FALSE(DecodeQueuedNotification(
      R"({"v":1,"kind":"event","severity":"high","channel":"webhook","state":0})"));
  EXPECT_FALSE(DecodeQueuedNotification(
      R"({"v":1,"id":"a","kind":"nonsense","severity":"high","channel":"webhook","state":0})"));
  EXPECT_FALSE(DecodeQueuedNotification(
      R"({"v":1,"id":"a","kind":"event","severity":"loud","channel":"webhook","state":0})"));
  EXPECT_FALSE(DecodeQueuedNotification(
      R"({"v":1,"id":"a","kind":"event","severity":"high","channel":"webhook","state":99})"));
}

}  // namespace
}  // namespace sakchy::cluster::codec_test
