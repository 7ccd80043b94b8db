// The private codec: round trips and strict rejection of damaged bytes.

// The codec is private to storage (storage/src); tests reach it by path.
#include "../../storage/src/codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "testutil/testutil.h"

namespace sakchy::storage::internal {
namespace {

Event FullEvent() {
  Event e;
  e.report.id = "01HZX3V1Q6ZP8Y4C7M2N5K9T0B";
  e.report.text = "Ошга суу келбейт деп айтышат \xF0\x9F\x98\x80";
  e.report.area = "KG-O";
  e.report.channel = "sms";
  e.report.source_ref = std::string("ref\0with nul", 12);
  e.report.submitted_by = "pseud:ab12";
  e.report.observed_at = -5;
  e.report.received_at = 1717243200123;
  e.scored = true;
  e.matches = {{"water.1", "water", "суу", 10, 16}, {"r2", "panic", "", 0, 4294967295u}};
  e.categories = {"panic", "water"};
  e.score = -0.1234567890123;
  e.severity = Severity::kCritical;
  e.area = "KG-O-ARAVAN";
  e.area_source = AreaSource::kText;
  e.places = {{"Ош", {"KG-O", "KG-GO"}, 0, 4}, {"", {}, 7, 7}};
  e.ruleset_version = "2024-06-01.3";
  e.scored_at = std::numeric_limits<TimeMs>::max();
  return e;
}

Alert FullAlert() {
  Alert a;
  a.id = "01HZX3V1Q6ZP8Y4C7M2N5K9T0C";
  a.event_id = "01HZX3V1Q6ZP8Y4C7M2N5K9T0B";
  a.area = "KG-O";
  a.severity = Severity::kHigh;
  a.categories = {"panic", "water"};
  a.contact_id = "akim-aravan";
  a.channel = "webhook";
  a.target = "https://example.org/hook?x=1";
  a.idempotency_key = "sha256:abc";
  a.state = DeliveryState::kFailed;
  a.attempts = -3;
  a.created_at = 1;
  a.next_attempt_at = std::numeric_limits<TimeMs>::min();
  a.delivered_at = 3;
  a.last_error = "HTTP 503";
  a.kind = AlertKind::kSignal;
  a.group_key = "cluster:C1";
  a.event_ids = {"01HZX3V1Q6ZP8Y4C7M2N5K9T0B", "01HZX3V1Q6ZP8Y4C7M2N5K9T0D"};
  a.subject_id = "C1";
  a.sequence = 3;
  a.escalation_step = 2;
  a.channel_index = 1;
  a.payload = "{\"text\":\"Ош\"}";
  a.sent_at = 2;
  return a;
}

void ExpectEventEq(const Event& a, const Event& b) {
  EXPECT_EQ(a.report.id, b.report.id);
  EXPECT_EQ(a.report.text, b.report.text);
  EXPECT_EQ(a.report.area, b.report.area);
  EXPECT_EQ(a.report.channel, b.report.channel);
  EXPECT_EQ(a.report.source_ref, b.report.source_ref);
  EXPECT_EQ(a.report.submitted_by, b.report.submitted_by);
  EXPECT_EQ(a.report.observed_at, b.report.observed_at);
  EXPECT_EQ(a.report.received_at, b.report.received_at);
  EXPECT_EQ(a.scored, b.scored);
  ASSERT_EQ(a.matches.size(), b.matches.size());
  for (std::size_t i = 0; i < a.matches.size(); ++i) {
    EXPECT_EQ(a.matches[i].rule_id, b.matches[i].rule_id);
    EXPECT_EQ(a.matches[i].category, b.matches[i].category);
    EXPECT_EQ(a.matches[i].term, b.matches[i].term);
    EXPECT_EQ(a.matches[i].begin, b.matches[i].begin);
    EXPECT_EQ(a.matches[i].end, b.matches[i].end);
  }
  EXPECT_EQ(a.categories, b.categories);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.area, b.area);
  EXPECT_EQ(a.area_source, b.area_source);
  ASSERT_EQ(a.places.size(), b.places.size());
  for (std::size_t i = 0; i < a.places.size(); ++i) {
    EXPECT_EQ(a.places[i].name, b.places[i].name);
    EXPECT_EQ(a.places[i].candidates, b.places[i].candidates);
    EXPECT_EQ(a.places[i].begin, b.places[i].begin);
    EXPECT_EQ(a.places[i].end, b.places[i].end);
  }
  EXPECT_EQ(a.ruleset_version, b.ruleset_version);
  EXPECT_EQ(a.scored_at, b.scored_at);
}

TEST(CodecTest, EventRoundTrip) {
  Event in = FullEvent();
  std::string bytes;
  EncodeEvent(in, &bytes);
  Event out;
  ASSERT_OK(DecodeEvent(bytes, &out));
  ExpectEventEq(in, out);
  auto scored = DecodeEventScored(bytes);
  ASSERT_OK(scored);
  EXPECT_TRUE(*scored);
}

TEST(CodecTest, EncodeEventOverridesScoredFlag) {
  Event in = FullEvent();
  in.scored = false;
  std::string bytes;
  EncodeEvent(in, /*scored=*/true, &bytes);
  Event out;
  ASSERT_OK(DecodeEvent(bytes, &out));
  EXPECT_TRUE(out.scored);
}

TEST(CodecTest, UnscoredReportEqualsDefaultEvent) {
  Event e = FullEvent();
  Event plain;
  plain.report = e.report;
  plain.report.area.reset();
  std::string a;
  std::string b;
  EncodeUnscoredReport(plain.report, &a);
  EncodeEvent(plain, &b);
  EXPECT_EQ(a, b);
  Event out;
  ASSERT_OK(DecodeEvent(a, &out));
  EXPECT_FALSE(out.scored);
  EXPECT_FALSE(out.report.area.has_value());
  auto scored = DecodeEventScored(a);
  ASSERT_OK(scored);
  EXPECT_FALSE(*scored);
}

TEST(CodecTest, AlertRoundTrip) {
  Alert in = FullAlert();
  std::string bytes;
  EncodeAlert(in, &bytes);
  Alert out;
  ASSERT_OK(DecodeAlert(bytes, &out));
  EXPECT_EQ(out.id, in.id);
  EXPECT_EQ(out.event_id, in.event_id);
  EXPECT_EQ(out.area, in.area);
  EXPECT_EQ(out.severity, in.severity);
  EXPECT_EQ(out.categories, in.categories);
  EXPECT_EQ(out.contact_id, in.contact_id);
  EXPECT_EQ(out.channel, in.channel);
  EXPECT_EQ(out.target, in.target);
  EXPECT_EQ(out.idempotency_key, in.idempotency_key);
  EXPECT_EQ(out.state, in.state);
  EXPECT_EQ(out.attempts, in.attempts);
  EXPECT_EQ(out.created_at, in.created_at);
  EXPECT_EQ(out.next_attempt_at, in.next_attempt_at);
  EXPECT_EQ(out.delivered_at, in.delivered_at);
  EXPECT_EQ(out.last_error, in.last_error);
  EXPECT_EQ(out.kind, in.kind);
  EXPECT_EQ(out.group_key, in.group_key);
  EXPECT_EQ(out.event_ids, in.event_ids);
  EXPECT_EQ(out.subject_id, in.subject_id);
  EXPECT_EQ(out.sequence, in.sequence);
  EXPECT_EQ(out.escalation_step, in.escalation_step);
  EXPECT_EQ(out.channel_index, in.channel_index);
  EXPECT_EQ(out.payload, in.payload);
  EXPECT_EQ(out.sent_at, in.sent_at);
}

// Alerts written by the first release (format 1: no kind, group, payload; three states) still
// decode: they become per-event notifications whose group is their event.
TEST(CodecTest, AlertFormat1StillDecodes) {
  // Format 1, byte by byte: version, id, event_id, area, severity, categories, contact, channel,
  // target, key, state, attempts (zig-zag), created_at, next_attempt_at, delivered_at, error.
  std::string v1;
  auto str = [&](std::string_view s) {
    v1.push_back(static_cast<char>(s.size()));
    v1.append(s);
  };
  v1.push_back(1);
  str("01HZX3V1Q6ZP8Y4C7M2N5K9T0C");
  str("01HZX3V1Q6ZP8Y4C7M2N5K9T0B");
  str("KG-O");
  v1.push_back(3);  // high
  v1.push_back(1);  // one category
  str("water");
  str("akim");
  str("webhook");
  str("https://example.org/hook");
  str("key");
  v1.push_back(0);  // pending
  v1.push_back(4);  // attempts 2
  v1.push_back(2);  // created_at 1
  v1.push_back(6);  // next_attempt_at 3
  v1.push_back(0);  // delivered_at 0
  str("HTTP 503");
  Alert a;
  ASSERT_OK(DecodeAlert(v1, &a));
  EXPECT_EQ(a.id, "01HZX3V1Q6ZP8Y4C7M2N5K9T0C");
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.categories, std::vector<std::string>{"water"});
  EXPECT_EQ(a.state, DeliveryState::kPending);
  EXPECT_EQ(a.attempts, 2);
  EXPECT_EQ(a.created_at, 1);
  EXPECT_EQ(a.next_attempt_at, 3);
  EXPECT_EQ(a.last_error, "HTTP 503");
  EXPECT_EQ(a.kind, AlertKind::kEvent);
  EXPECT_EQ(a.group_key, "event:01HZX3V1Q6ZP8Y4C7M2N5K9T0B");
  EXPECT_EQ(a.event_ids, std::vector<std::string>{"01HZX3V1Q6ZP8Y4C7M2N5K9T0B"});
  EXPECT_EQ(a.sequence, 1);
  EXPECT_TRUE(a.payload.empty());
  // Format 1 knew no state beyond failed (2).
  std::string bad_state = v1;
  bad_state[bad_state.size() - 14] = 3;
  EXPECT_FALSE(DecodeAlert(bad_state, &a));
  EXPECT_FALSE(DecodeAlert(v1 + '\0', &a));
}

TEST(CodecTest, EveryTruncationIsCorruption) {
  std::string event_bytes;
  EncodeEvent(FullEvent(), &event_bytes);
  std::string alert_bytes;
  EncodeAlert(FullAlert(), &alert_bytes);
  for (std::size_t n = 0; n < event_bytes.size(); ++n) {
    Event e;
    auto st = DecodeEvent(std::string_view(event_bytes).substr(0, n), &e);
    ASSERT_FALSE(st) << "prefix " << n;
    EXPECT_EQ(st.error().code, ErrorCode::kCorruption);
  }
  for (std::size_t n = 0; n < alert_bytes.size(); ++n) {
    Alert a;
    auto st = DecodeAlert(std::string_view(alert_bytes).substr(0, n), &a);
    ASSERT_FALSE(st) << "prefix " << n;
    EXPECT_EQ(st.error().code, ErrorCode::kCorruption);
  }
}

TEST(CodecTest, TrailingBytesAndUnknownVersionAreCorruption) {
  std::string bytes;
  EncodeEvent(FullEvent(), &bytes);
  Event e;
  EXPECT_FALSE(DecodeEvent(bytes + "x", &e));
  std::string future = bytes;
  future[0] = static_cast<char>(kEventFormat + 1);
  auto st = DecodeEvent(future, &e);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kCorruption);
  EXPECT_NE(st.error().message.find("version"), std::string::npos);
  EXPECT_FALSE(DecodeEventScored(future));

  std::string alert;
  EncodeAlert(FullAlert(), &alert);
  Alert a;
  EXPECT_FALSE(DecodeAlert(alert + '\0', &a));
  alert[0] = 9;
  EXPECT_FALSE(DecodeAlert(alert, &a));
}

TEST(CodecTest, OutOfRangeEnumsAndHugeCountsAreCorruption) {
  Alert alert = FullAlert();
  std::string bytes;
  EncodeAlert(alert, &bytes);
  // Severity byte follows version, id, event_id, area (each 1-byte length + content).
  std::size_t severity_at =
      1 + 1 + alert.id.size() + 1 + alert.event_id.size() + 1 + alert.area.size();
  ASSERT_EQ(static_cast<std::uint8_t>(bytes[severity_at]),
            static_cast<std::uint8_t>(Severity::kHigh));
  bytes[severity_at] = 5;
  Alert a;
  EXPECT_FALSE(DecodeAlert(bytes, &a));

  // A list count far beyond the remaining bytes must fail without allocating.
  std::string huge;
  huge.push_back(static_cast<char>(kAlertFormat));
  for (int i = 0; i < 3; ++i) huge.push_back('\0');     // id, event_id, area
  huge.push_back('\0');                                 // severity
  huge.append("\xff\xff\xff\xff\xff\xff\xff\xff\x7f");  // categories count
  EXPECT_FALSE(DecodeAlert(huge, &a));

  // An over-long varint (more than 64 bits).
  std::string overlong(1, static_cast<char>(kAlertFormat));
  overlong.append("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02");
  EXPECT_FALSE(DecodeAlert(overlong, &a));
}

TEST(CodecTest, RandomGarbageNeverCrashesAndFlippedBytesMostlyFail) {
  std::mt19937 rng(12345);  // fixed seed: deterministic
  std::string good;
  EncodeEvent(FullEvent(), &good);
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    }
    Event e;
    (void)DecodeEvent(bytes, &e);  // must not crash, overread (ASan) or throw
    Alert a;
    (void)DecodeAlert(bytes, &a);
    std::string garbage(rng() % 64, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng() & 0xff);
    (void)DecodeEvent(garbage, &e);
    (void)DecodeAlert(garbage, &a);
  }
  // Not a valid value for either kind.
  Event e;
  EXPECT_FALSE(DecodeEvent("", &e));
  EXPECT_FALSE(DecodeEvent(std::string(1, static_cast<char>(kEventFormat)), &e));
  Alert a;
  EXPECT_FALSE(DecodeAlert("", &a));
}

TEST(CodecTest, CounterKeysSortByTimeIncludingNegative) {
  std::vector<TimeMs> times = {
      std::numeric_limits<TimeMs>::min(), -86400000, -1, 0, 1, 60000, 1717243200000,
      std::numeric_limits<TimeMs>::max()};
  std::string prev;
  for (TimeMs t : times) {
    std::string key;
    CounterKey("KG", Resolution::kMinute, t, "total", &key);
    if (!prev.empty()) {
      EXPECT_LT(prev, key) << t;
    }
    prev = key;
    std::string prefix;
    CounterKeyPrefix("KG", Resolution::kMinute, &prefix);
    ASSERT_TRUE(key.starts_with(prefix));
    TimeMs start = 0;
    std::string_view dim;
    ASSERT_TRUE(ParseCounterKeySuffix(std::string_view(key).substr(prefix.size()), &start, &dim));
    EXPECT_EQ(start, t);
    EXPECT_EQ(dim, "total");
  }
  TimeMs start;
  std::string_view dim;
  EXPECT_FALSE(ParseCounterKeySuffix("short", &start, &dim));
}

TEST(CodecTest, CounterValues) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1} << 40,
                         std::numeric_limits<std::int64_t>::min()}) {
    std::string bytes;
    EncodeCounter(v, &bytes);
    ASSERT_EQ(bytes.size(), 8u);
    std::int64_t out = 0;
    ASSERT_TRUE(DecodeCounter(bytes, &out));
    EXPECT_EQ(out, v);
  }
  std::int64_t out;
  EXPECT_FALSE(DecodeCounter("1234567", &out));
  EXPECT_FALSE(DecodeCounter("123456789", &out));
}

}  // namespace
}  // namespace sakchy::storage::internal
