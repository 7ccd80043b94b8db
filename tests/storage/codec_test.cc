// The private codec: round trips and strict rejection of damaged bytes.

// The codec is private to storage (storage/src); tests reach it by path.
#include "../../storage/src/codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "testutil/testutil.h"

namespace sakchy::storage::internal::codec_test {
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
  e.rules_score = e.score;  // scored by the rules alone
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
  EXPECT_EQ(a.rules_score, b.rules_score);
  ASSERT_EQ(a.models.size(), b.models.size());
  for (std::size_t i = 0; i < a.models.size(); ++i) {
    EXPECT_EQ(a.models[i].model, b.models[i].model);
    EXPECT_EQ(a.models[i].version, b.models[i].version);
    EXPECT_EQ(a.models[i].probability, b.models[i].probability);
    EXPECT_EQ(a.models[i].contribution, b.models[i].contribution);
  }
}

// FullEvent scored by the rules and two learned models.
Event EventWithModels() {
  Event e = FullEvent();
  e.rules_score = 2.5;
  e.models = {{"rumour-osh", "3f2a00112233aabb", 0.91, 3.64}, {"hate", "", 0.2, 0}};
  e.score = 6.14;
  return e;
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

TEST(CodecTest, RulesOnlyEventsKeepFormat2AndDecodeWithRulesScoreEqualToScore) {
  Event in = FullEvent();
  in.rules_score = in.score;
  std::string bytes;
  EncodeEvent(in, &bytes);
  EXPECT_EQ(bytes[0], static_cast<char>(kEventFormat));
  Event out;
  out.rules_score = 99;
  out.models = {{"stale", "", 1, 1}};
  ASSERT_OK(DecodeEvent(bytes, &out));
  ExpectEventEq(in, out);
}

TEST(CodecTest, EventWithModelScoresRoundTripsAsFormat3) {
  const Event in = EventWithModels();
  std::string bytes;
  EncodeEvent(in, &bytes);
  EXPECT_EQ(bytes[0], static_cast<char>(kEventFormatWithModels));
  Event out;
  ASSERT_OK(DecodeEvent(bytes, &out));
  ExpectEventEq(in, out);
  auto state = DecodeEventState(bytes);
  ASSERT_OK(state);
  EXPECT_TRUE(state->scored);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    Event e;
    auto st = DecodeEvent(std::string_view(bytes).substr(0, n), &e);
    ASSERT_FALSE(st) << "prefix " << n;
    EXPECT_EQ(st.error().code, ErrorCode::kCorruption);
  }
  Event rules_only = FullEvent();
  rules_only.rules_score = 1;
  std::string two;
  EncodeEvent(rules_only, &two);
  two[0] = static_cast<char>(kEventFormatWithModels);
  two += std::string(8, '\0');  // rules score
  two += '\0';                   // zero models
  Event e;
  EXPECT_FALSE(DecodeEvent(two, &e));
}

TEST(CodecTest, ScoringWithModelsMergesOntoAStoredReportAndBack) {
  const Event e = EventWithModels();
  std::string stored, scoring, merged, whole;
  EncodeUnscoredReport(e.report, &stored);  // format 2
  EncodeEventScoring(e, &scoring);          // format 3
  EncodeEvent(e, /*scored=*/true, &whole);
  const std::string_view base = stored;
  ASSERT_OK(MergeEventScoring(&base, scoring, &merged));
  EXPECT_EQ(merged, whole);
  Event out;
  ASSERT_OK(DecodeEvent(merged, &out));
  ExpectEventEq(e, out);

  // Scored again by the rules alone (the models were removed): format 2 over format 3.
  Event rules_only = e;
  rules_only.models.clear();
  rules_only.rules_score = rules_only.score;
  std::string rescoring, rewhole;
  EncodeEventScoring(rules_only, &rescoring);
  EncodeEvent(rules_only, /*scored=*/true, &rewhole);
  const std::string_view base3 = merged;
  std::string remerged;
  ASSERT_OK(MergeEventScoring(&base3, rescoring, &remerged));
  EXPECT_EQ(remerged, rewhole);
}

TEST(CodecTest, EventFormat2RoundTripsTheNewFields) {
  Event in = FullEvent();
  in.report.url = "https://t.me/osh_news/42";
  in.report.published_at = 1717243000000;
  in.report.edited_at = -7;
  in.report.thread_key = "sms:0123456789abcdef";
  in.report.thread_window_ms = 600000;
  in.report.follow_up_of = "01HZX3V1Q6ZP8Y4C7M2N5K9T0A";
  in.follow_ups_scored = 3;
  std::string bytes;
  EncodeEvent(in, &bytes);
  EXPECT_EQ(bytes[0], 2);
  Event out;
  ASSERT_OK(DecodeEvent(bytes, &out));
  ExpectEventEq(in, out);
  EXPECT_EQ(out.report.url, in.report.url);
  EXPECT_EQ(out.report.published_at, in.report.published_at);
  EXPECT_EQ(out.report.edited_at, in.report.edited_at);
  EXPECT_EQ(out.report.thread_key, in.report.thread_key);
  EXPECT_EQ(out.report.thread_window_ms, in.report.thread_window_ms);
  EXPECT_EQ(out.report.follow_up_of, in.report.follow_up_of);
  EXPECT_EQ(out.follow_ups_scored, 3u);
  EXPECT_TRUE(out.follow_ups.empty()) << "follow-ups are stored apart from the event";
  auto state = DecodeEventState(bytes);
  ASSERT_OK(state);
  EXPECT_TRUE(state->scored);
  EXPECT_EQ(state->follow_ups_scored, 3u);
}

// Bytes written by event format 1 (before url, times, threads and follow-ups existed).
std::string EventFormat1Bytes() {
  return std::string(
    "\x01\x1a\x30\x31\x48\x5a\x58\x33\x56\x31\x51\x36\x5a\x50\x38\x59"
    "\x34\x43\x37\x4d\x32\x4e\x35\x4b\x39\x54\x30\x42\x1e\xd0\x9e\xd1"
    "\x88\xd0\xb3\xd0\xb0\x20\xd1\x81\xd1\x83\xd1\x83\x20\xd0\xba\xd0"
    "\xb5\xd0\xbb\xd0\xb1\xd0\xb5\xd0\xb9\xd1\x82\x01\x04\x4b\x47\x2d"
    "\x4f\x03\x73\x6d\x73\x09\x6b\x61\x6e\x6e\x65\x6c\x3a\x34\x32\x14"
    "\x73\x6d\x73\x3a\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x61\x62"
    "\x63\x64\x65\x66\x80\x88\xde\xba\xfa\x63\xf6\x89\xde\xba\xfa\x63"
    "\x01\x01\x07\x77\x61\x74\x65\x72\x2e\x31\x05\x77\x61\x74\x65\x72"
    "\x06\xd1\x81\xd1\x83\xd1\x83\x09\x0f\x01\x05\x77\x61\x74\x65\x72"
    "\x00\x00\x00\x00\x00\x00\x04\x40\x02\x04\x4b\x47\x2d\x4f\x01\x01"
    "\x04\xd0\x9e\xd1\x88\x02\x04\x4b\x47\x2d\x4f\x05\x4b\x47\x2d\x47"
    "\x4f\x00\x04\x02\x76\x31\x90\x8b\xde\xba\xfa\x63",
      188);
}

// Bytes written by event format 1 (before url, times, threads and follow-ups existed): values
// already on disk must still decode after the upgrade.
TEST(CodecTest, EventFormat1ValuesStillDecode) {
  const std::string v1 = EventFormat1Bytes();
  Event out;
  out.report.url = "stale";
  out.follow_ups_scored = 9;
  ASSERT_OK(DecodeEvent(v1, &out));
  EXPECT_EQ(out.report.id, "01HZX3V1Q6ZP8Y4C7M2N5K9T0B");
  EXPECT_EQ(out.report.text, "Ошга суу келбейт");
  EXPECT_EQ(out.report.area, std::optional<std::string>("KG-O"));
  EXPECT_EQ(out.report.channel, "sms");
  EXPECT_EQ(out.report.source_ref, "kannel:42");
  EXPECT_EQ(out.report.submitted_by, "sms:0123456789abcdef");
  EXPECT_EQ(out.report.observed_at, 1717243200000);
  EXPECT_EQ(out.report.received_at, 1717243200123);
  EXPECT_TRUE(out.report.url.empty());
  EXPECT_EQ(out.report.published_at, 0);
  EXPECT_TRUE(out.report.thread_key.empty());
  EXPECT_TRUE(out.report.follow_up_of.empty());
  EXPECT_TRUE(out.scored);
  EXPECT_EQ(out.follow_ups_scored, 0u);
  ASSERT_EQ(out.matches.size(), 1u);
  EXPECT_EQ(out.matches[0].rule_id, "water.1");
  EXPECT_EQ(out.matches[0].begin, 9u);
  EXPECT_EQ(out.categories, std::vector<std::string>{"water"});
  EXPECT_EQ(out.score, 2.5);
  EXPECT_EQ(out.severity, Severity::kMedium);
  EXPECT_EQ(out.area, "KG-O");
  EXPECT_EQ(out.area_source, AreaSource::kRequest);
  ASSERT_EQ(out.places.size(), 1u);
  EXPECT_EQ(out.places[0].candidates, (std::vector<std::string>{"KG-O", "KG-GO"}));
  EXPECT_EQ(out.ruleset_version, "v1");
  EXPECT_EQ(out.scored_at, 1717243200200);
  auto state = DecodeEventState(v1);
  ASSERT_OK(state);
  EXPECT_TRUE(state->scored);
  EXPECT_EQ(state->follow_ups_scored, 0u);
  // Re-encoding writes the current format, which decodes to the same event.
  std::string again;
  EncodeEvent(out, &again);
  EXPECT_EQ(again[0], kEventFormat);
  Event back;
  ASSERT_OK(DecodeEvent(again, &back));
  ExpectEventEq(out, back);
  // Every truncation of the old bytes is corruption too.
  for (std::size_t n = 0; n < v1.size(); ++n) {
    Event e;
    EXPECT_FALSE(DecodeEvent(std::string_view(v1).substr(0, n), &e)) << "prefix " << n;
  }
}

// A first scoring's merge operand (event_merge.h) carries no report, and merged onto the stored
// report it gives the bytes of the whole event.
TEST(CodecTest, ScoringMergedOntoTheStoredReportIsTheWholeEvent) {
  Event e = FullEvent();
  e.report.url = "https://t.me/osh/1";
  e.report.thread_key = "chat:1";
  e.follow_ups_scored = 2;
  std::string stored, scoring, merged, whole;
  EncodeUnscoredReport(e.report, &stored);
  EncodeEventScoring(e, &scoring);
  EncodeEvent(e, /*scored=*/true, &whole);
  EXPECT_EQ(scoring.find(e.report.text), std::string::npos);
  EXPECT_EQ(scoring.find(e.report.submitted_by), std::string::npos);
  const std::string_view base = stored;
  ASSERT_OK(MergeEventScoring(&base, scoring, &merged));
  EXPECT_EQ(merged, whole);

  // Onto an event scored before (the operand replaces its scoring, keeps its report).
  Event older = e;
  older.severity = Severity::kLow;
  older.matches.clear();
  std::string older_bytes;
  EncodeEvent(older, /*scored=*/true, &older_bytes);
  const std::string_view older_base = older_bytes;
  ASSERT_OK(MergeEventScoring(&older_base, scoring, &merged));
  EXPECT_EQ(merged, whole);

  // No stored event (removed before the merge): the scoring alone, still a valid event.
  ASSERT_OK(MergeEventScoring(nullptr, scoring, &merged));
  Event alone;
  ASSERT_OK(DecodeEvent(merged, &alone));
  EXPECT_EQ(alone.report.id, e.report.id);
  EXPECT_TRUE(alone.report.text.empty());
  EXPECT_EQ(alone.severity, Severity::kCritical);
}

TEST(CodecTest, ScoringMergedOntoAFormat1EventIsReencoded) {
  const std::string v1 = EventFormat1Bytes();
  Event stored;
  ASSERT_OK(DecodeEvent(v1, &stored));
  Event rescored = stored;
  rescored.severity = Severity::kHigh;
  rescored.score = 9.5;
  std::string scoring, merged, whole;
  EncodeEventScoring(rescored, &scoring);
  const std::string_view base = v1;
  ASSERT_OK(MergeEventScoring(&base, scoring, &merged));
  EncodeEvent(rescored, /*scored=*/true, &whole);
  EXPECT_EQ(merged, whole);
}

TEST(CodecTest, DamagedScoringOrBaseIsCorruption) {
  std::string scoring, stored, merged;
  EncodeEventScoring(FullEvent(), &scoring);
  EncodeUnscoredReport(FullEvent().report, &stored);
  const std::string_view base = stored;
  for (std::size_t n = 0; n < 3; ++n) {  // cut inside the header and the report id
    auto st = MergeEventScoring(&base, std::string_view(scoring).substr(0, n), &merged);
    ASSERT_FALSE(st) << n;
    EXPECT_EQ(st.error().code, ErrorCode::kCorruption);
  }
  const std::string_view garbage("\x01\x05" "abc", 5);  // format 1, report cut short
  auto st = MergeEventScoring(&garbage, scoring, &merged);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kCorruption);
}

TEST(CodecTest, FollowUpAndThreadRoundTrip) {
  Report f = FullEvent().report;
  f.follow_up_of = "01HZX3V1Q6ZP8Y4C7M2N5K9T0A";
  f.thread_key = "sms:ab";
  std::string bytes;
  EncodeFollowUp(f, &bytes);
  Report out;
  ASSERT_OK(DecodeFollowUp(bytes, &out));
  EXPECT_EQ(out.id, f.id);
  EXPECT_EQ(out.text, f.text);
  EXPECT_EQ(out.follow_up_of, f.follow_up_of);
  EXPECT_EQ(out.received_at, f.received_at);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeFollowUp(std::string_view(bytes).substr(0, n), &out)) << n;
  }
  EXPECT_FALSE(DecodeFollowUp(bytes + "x", &out));

  ThreadState t{"01HZX3V1Q6ZP8Y4C7M2N5K9T0A", 1717243200123, 7};
  EncodeThread(t, &bytes);
  ThreadState back;
  ASSERT_OK(DecodeThread(bytes, &back));
  EXPECT_EQ(back.parent_id, t.parent_id);
  EXPECT_EQ(back.started_at, t.started_at);
  EXPECT_EQ(back.follow_ups, 7u);
  EXPECT_FALSE(DecodeThread(bytes.substr(0, bytes.size() - 1), &back));
  EXPECT_FALSE(DecodeThread(bytes + "x", &back));

  std::string key;
  FollowUpKey("01HZX3V1Q6ZP8Y4C7M2N5K9T0A", 258, &key);
  EXPECT_EQ(key, std::string("01HZX3V1Q6ZP8Y4C7M2N5K9T0A\0\0\1\2", 30));
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
  future[0] = static_cast<char>(kEventFormatWithModels + 1);
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
}  // namespace sakchy::storage::internal::codec_test
