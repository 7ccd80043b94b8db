#include "codec.h"

#include <bit>
#include <cstring>
#include <limits>

#include "core/varint.h"

namespace sakchy::storage::internal {
namespace {

// ---- Writing (varints, strings and fixed-width integers: core/varint.h) ----

void PutByte(std::string* out, std::uint8_t b) { out->push_back(static_cast<char>(b)); }

void PutStrings(std::string* out, const std::vector<std::string>& list) {
  varint::Put(*out, list.size());
  for (const auto& s : list) varint::PutString(*out, s);
}

// ---- Reading ----

// A cursor over encoded bytes. Every getter returns false (and leaves the output unspecified) when
// the bytes run out or are malformed.
class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  bool Done() const { return p_ == end_; }
  std::size_t Remaining() const { return static_cast<std::size_t>(end_ - p_); }

  bool Byte(std::uint8_t* b) {
    if (p_ == end_) return false;
    *b = static_cast<std::uint8_t>(*p_++);
    return true;
  }

  bool Bool(bool* b) {
    std::uint8_t v;
    if (!Byte(&v) || v > 1) return false;
    *b = v == 1;
    return true;
  }

  bool Varint(std::uint64_t* v) {
    std::uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (p_ == end_) return false;
      auto byte = static_cast<std::uint8_t>(*p_++);
      if (shift == 63 && byte > 1) return false;  // more than 64 bits
      result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool U32(std::uint32_t* v) {
    std::uint64_t u;
    if (!Varint(&u) || u > std::numeric_limits<std::uint32_t>::max()) return false;
    *v = static_cast<std::uint32_t>(u);
    return true;
  }

  bool Signed(std::int64_t* v) {
    std::uint64_t u;
    if (!Varint(&u)) return false;
    *v = static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }

  bool Int(int* v) {
    std::int64_t s;
    if (!Signed(&s) || s < std::numeric_limits<int>::min() || s > std::numeric_limits<int>::max()) {
      return false;
    }
    *v = static_cast<int>(s);
    return true;
  }

  bool StringView(std::string_view* s) {
    std::uint64_t n;
    if (!Varint(&n) || n > Remaining()) return false;
    *s = std::string_view(p_, static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }

  bool String(std::string* s) {
    std::string_view v;
    if (!StringView(&v)) return false;
    s->assign(v);
    return true;
  }

  bool Fixed64(std::uint64_t* v) {
    if (Remaining() < 8) return false;
    std::uint64_t r = 0;
    for (int i = 0; i < 8; ++i) {
      r |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(p_[i])) << (8 * i);
    }
    p_ += 8;
    *v = r;
    return true;
  }

  // A list length; each element takes at least `min_element_size` bytes, so a count larger than
  // the remaining bytes allow is corruption (and never drives a huge allocation).
  bool Count(std::size_t min_element_size, std::size_t* n) {
    std::uint64_t v;
    if (!Varint(&v) || v > Remaining() / min_element_size) return false;
    *n = static_cast<std::size_t>(v);
    return true;
  }

  bool Strings(std::vector<std::string>* list) {
    std::size_t n;
    if (!Count(1, &n)) return false;
    list->clear();
    list->resize(n);
    for (auto& s : *list) {
      if (!String(&s)) return false;
    }
    return true;
  }

  template <typename Enum>
  bool EnumByte(std::uint8_t count, Enum* e) {
    std::uint8_t b;
    if (!Byte(&b) || b >= count) return false;
    *e = static_cast<Enum>(b);
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

Status Corrupt(std::string_view what, std::string_view detail) {
  std::string msg("undecodable ");
  msg += what;
  msg += ": ";
  msg += detail;
  return MakeError(ErrorCode::kCorruption, std::move(msg));
}

// The report fields of the current format (event format 2, follow-up format 1).
void PutReport(std::string* out, const Report& r) {
  varint::PutString(*out, r.id);
  varint::PutString(*out, r.text);
  PutByte(out, r.area.has_value() ? 1 : 0);
  if (r.area) varint::PutString(*out, *r.area);
  varint::PutString(*out, r.channel);
  varint::PutString(*out, r.source_ref);
  varint::PutString(*out, r.submitted_by);
  varint::PutSigned(*out, r.observed_at);
  varint::PutSigned(*out, r.received_at);
  varint::PutString(*out, r.url);
  varint::PutSigned(*out, r.published_at);
  varint::PutSigned(*out, r.edited_at);
  varint::PutString(*out, r.thread_key);
  varint::PutSigned(*out, r.thread_window_ms);
  varint::PutString(*out, r.follow_up_of);
}

// `v2`: the fields added by event format 2 follow (absent in format 1: left empty / 0).
bool GetReport(Reader* in, Report* r, bool v2) {
  bool has_area = false;
  if (!in->String(&r->id) || !in->String(&r->text) || !in->Bool(&has_area)) return false;
  if (has_area) {
    r->area.emplace();
    if (!in->String(&*r->area)) return false;
  } else {
    r->area.reset();
  }
  if (!(in->String(&r->channel) && in->String(&r->source_ref) && in->String(&r->submitted_by) &&
        in->Signed(&r->observed_at) && in->Signed(&r->received_at))) {
    return false;
  }
  if (!v2) {
    r->url.clear();
    r->published_at = 0;
    r->edited_at = 0;
    r->thread_key.clear();
    r->thread_window_ms = 0;
    r->follow_up_of.clear();
    return true;
  }
  return in->String(&r->url) && in->Signed(&r->published_at) && in->Signed(&r->edited_at) &&
         in->String(&r->thread_key) && in->Signed(&r->thread_window_ms) &&
         in->String(&r->follow_up_of);
}

bool SkipReport(Reader* in, bool v2) {
  std::string_view s;
  bool has_area = false;
  std::int64_t t;
  if (!in->StringView(&s) || !in->StringView(&s) || !in->Bool(&has_area)) return false;
  if (has_area && !in->StringView(&s)) return false;
  if (!(in->StringView(&s) && in->StringView(&s) && in->StringView(&s) && in->Signed(&t) &&
        in->Signed(&t))) {
    return false;
  }
  if (!v2) return true;
  return in->StringView(&s) && in->Signed(&t) && in->Signed(&t) && in->StringView(&s) &&
         in->Signed(&t) && in->StringView(&s);
}

// Reads the version byte of an event: 1, 2 or 3.
bool EventVersion(Reader* in, std::uint8_t* version) {
  return in->Byte(version) && (*version == 1 || *version == kEventFormat ||
                               *version == kEventFormatWithModels);
}

// The version byte an event is written with: 3 with model scores, else 2.
std::uint8_t EventFormatOf(const Event& e) {
  return e.models.empty() ? kEventFormat : kEventFormatWithModels;
}

bool GetMatch(Reader* in, Match* m) {
  return in->String(&m->rule_id) && in->String(&m->category) && in->String(&m->term) &&
         in->U32(&m->begin) && in->U32(&m->end);
}

bool GetPlace(Reader* in, PlaceMention* p) {
  return in->String(&p->name) && in->Strings(&p->candidates) && in->U32(&p->begin) &&
         in->U32(&p->end);
}

}  // namespace

namespace {

// Everything of an event after its report (format 2).
void PutScoring(std::string* out, const Event& e, bool scored) {
  PutByte(out, scored ? 1 : 0);
  varint::Put(*out, e.follow_ups_scored);
  varint::Put(*out, e.matches.size());
  for (const auto& m : e.matches) {
    varint::PutString(*out, m.rule_id);
    varint::PutString(*out, m.category);
    varint::PutString(*out, m.term);
    varint::Put(*out, m.begin);
    varint::Put(*out, m.end);
  }
  PutStrings(out, e.categories);
  varint::PutFixed64(*out, std::bit_cast<std::uint64_t>(e.score));
  PutByte(out, static_cast<std::uint8_t>(e.severity));
  varint::PutString(*out, e.area);
  PutByte(out, static_cast<std::uint8_t>(e.area_source));
  varint::Put(*out, e.places.size());
  for (const auto& p : e.places) {
    varint::PutString(*out, p.name);
    PutStrings(out, p.candidates);
    varint::Put(*out, p.begin);
    varint::Put(*out, p.end);
  }
  varint::PutString(*out, e.ruleset_version);
  varint::PutSigned(*out, e.scored_at);
  if (e.models.empty()) return;  // format 2
  varint::PutFixed64(*out, std::bit_cast<std::uint64_t>(e.rules_score));
  varint::Put(*out, e.models.size());
  for (const auto& m : e.models) {
    varint::PutString(*out, m.model);
    varint::PutString(*out, m.version);
    varint::PutFixed64(*out, std::bit_cast<std::uint64_t>(m.probability));
    varint::PutFixed64(*out, std::bit_cast<std::uint64_t>(m.contribution));
  }
}

// The offset just past the report of an event value of format 2 or 3 (their reports are
// encoded alike); 0 when `bytes` is not one.
std::size_t ReportEnd(std::string_view bytes) {
  Reader in(bytes);
  std::uint8_t version = 0;
  if (!in.Byte(&version) || (version != kEventFormat && version != kEventFormatWithModels) ||
      !SkipReport(&in, /*v2=*/true)) {
    return 0;
  }
  return bytes.size() - in.Remaining();
}

}  // namespace

void EncodeEvent(const Event& e, bool scored, std::string* out) {
  out->clear();
  PutByte(out, EventFormatOf(e));
  PutReport(out, e.report);
  PutScoring(out, e, scored);
}

void EncodeEventScoring(const Event& e, std::string* out) {
  out->clear();
  PutByte(out, EventFormatOf(e));
  Report id_only;
  id_only.id = e.report.id;
  PutReport(out, id_only);
  PutScoring(out, e, /*scored=*/true);
}

Status MergeEventScoring(const std::string_view* base, std::string_view scoring,
                         std::string* out) {
  const std::size_t scoring_report_end = ReportEnd(scoring);
  if (scoring_report_end == 0) return Corrupt("event scoring", "bad header or report fields");
  if (base == nullptr) {  // the event is gone (e.g. removed by retention before its scoring)
    out->assign(scoring);
    return OkStatus();
  }
  if (const std::size_t base_report_end = ReportEnd(*base); base_report_end != 0) {
    // The scoring's version byte (2 or 3: it says what follows the report), the base's report.
    out->clear();
    out->reserve(base_report_end + scoring.size() - scoring_report_end);
    out->push_back(scoring[0]);
    out->append(base->substr(1, base_report_end - 1));
    out->append(scoring.substr(scoring_report_end));
    return OkStatus();
  }
  Event stored, scored;  // a format-1 event: re-encoded in the current format
  if (auto st = DecodeEvent(*base, &stored); !st) return st;
  if (auto st = DecodeEvent(scoring, &scored); !st) return st;
  scored.report = std::move(stored.report);
  EncodeEvent(scored, /*scored=*/true, out);
  return OkStatus();
}

void EncodeUnscoredReport(const Report& report, std::string* out) {
  // Same bytes as EncodeEvent(Event{report}) without copying the report into an Event.
  static const Event kUnscored;
  out->clear();
  PutByte(out, kEventFormat);
  PutReport(out, report);
  PutScoring(out, kUnscored, /*scored=*/false);
}

Status DecodeEvent(std::string_view bytes, Event* e) {
  Reader in(bytes);
  std::uint8_t version = 0;
  if (!in.Byte(&version)) return Corrupt("event", "empty value");
  if (version != 1 && version != kEventFormat && version != kEventFormatWithModels) {
    return Corrupt("event", "unknown format version " + std::to_string(version));
  }
  const bool v2 = version >= 2;
  if (!GetReport(&in, &e->report, v2)) return Corrupt("event", "bad report fields");
  if (!in.Bool(&e->scored)) return Corrupt("event", "bad scored flag");
  e->follow_ups.clear();
  e->follow_ups_scored = 0;
  if (v2 && !in.U32(&e->follow_ups_scored)) return Corrupt("event", "bad follow-up count");
  std::size_t n;
  // A match takes at least 5 bytes (three empty strings, two varints).
  if (!in.Count(5, &n)) return Corrupt("event", "bad match count");
  e->matches.clear();
  e->matches.resize(n);
  for (auto& m : e->matches) {
    if (!GetMatch(&in, &m)) return Corrupt("event", "bad match");
  }
  if (!in.Strings(&e->categories)) return Corrupt("event", "bad categories");
  std::uint64_t score_bits;
  if (!in.Fixed64(&score_bits)) return Corrupt("event", "bad score");
  e->score = std::bit_cast<double>(score_bits);
  if (!in.EnumByte(kSeverityCount, &e->severity)) return Corrupt("event", "bad severity");
  if (!in.String(&e->area)) return Corrupt("event", "bad area");
  if (!in.EnumByte(3, &e->area_source)) return Corrupt("event", "bad area source");
  // A place takes at least 4 bytes (empty name, empty list, two varints).
  if (!in.Count(4, &n)) return Corrupt("event", "bad place count");
  e->places.clear();
  e->places.resize(n);
  for (auto& p : e->places) {
    if (!GetPlace(&in, &p)) return Corrupt("event", "bad place");
  }
  if (!in.String(&e->ruleset_version)) return Corrupt("event", "bad ruleset version");
  if (!in.Signed(&e->scored_at)) return Corrupt("event", "bad scored_at");
  e->models.clear();
  e->rules_score = e->score;
  if (version == kEventFormatWithModels) {
    std::uint64_t bits;
    if (!in.Fixed64(&bits)) return Corrupt("event", "bad rules score");
    e->rules_score = std::bit_cast<double>(bits);
    // A model score takes at least 18 bytes (two empty strings, two doubles).
    if (!in.Count(18, &n) || n == 0) return Corrupt("event", "bad model count");
    e->models.resize(n);
    for (auto& m : e->models) {
      std::uint64_t p, c;
      if (!in.String(&m.model) || !in.String(&m.version) || !in.Fixed64(&p) || !in.Fixed64(&c)) {
        return Corrupt("event", "bad model score");
      }
      m.probability = std::bit_cast<double>(p);
      m.contribution = std::bit_cast<double>(c);
    }
  }
  if (!in.Done()) return Corrupt("event", "trailing bytes");
  return OkStatus();
}

Result<EventState> DecodeEventState(std::string_view bytes) {
  Reader in(bytes);
  std::uint8_t version = 0;
  EventState state;
  if (!EventVersion(&in, &version) || !SkipReport(&in, version >= 2) || !in.Bool(&state.scored) ||
      (version >= 2 && !in.U32(&state.follow_ups_scored))) {
    return tl::unexpected(Corrupt("event", "bad header or report fields").error());
  }
  return state;
}

void EncodeFollowUp(const Report& r, std::string* out) {
  out->clear();
  PutByte(out, kFollowUpFormat);
  PutReport(out, r);
}

Status DecodeFollowUp(std::string_view bytes, Report* r) {
  Reader in(bytes);
  std::uint8_t version = 0;
  if (!in.Byte(&version)) return Corrupt("follow-up", "empty value");
  if (version != kFollowUpFormat) {
    return Corrupt("follow-up", "unknown format version " + std::to_string(version));
  }
  if (!GetReport(&in, r, /*v2=*/true)) return Corrupt("follow-up", "bad report fields");
  if (!in.Done()) return Corrupt("follow-up", "trailing bytes");
  return OkStatus();
}

void EncodeThread(const ThreadState& t, std::string* out) {
  out->clear();
  PutByte(out, kThreadFormat);
  varint::PutString(*out, t.parent_id);
  varint::PutSigned(*out, t.started_at);
  varint::Put(*out, t.follow_ups);
}

Status DecodeThread(std::string_view bytes, ThreadState* t) {
  Reader in(bytes);
  std::uint8_t version = 0;
  if (!in.Byte(&version)) return Corrupt("thread", "empty value");
  if (version != kThreadFormat) {
    return Corrupt("thread", "unknown format version " + std::to_string(version));
  }
  if (!in.String(&t->parent_id) || !in.Signed(&t->started_at) || !in.U32(&t->follow_ups) ||
      !in.Done()) {
    return Corrupt("thread", "truncated or trailing bytes");
  }
  return OkStatus();
}

void FollowUpKey(std::string_view parent_id, std::uint32_t seq, std::string* out) {
  out->assign(parent_id);
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>((seq >> (8 * (3 - i))) & 0xff);
  out->append(buf, 4);
}

void EncodeAlert(const Alert& a, std::string* out) {
  out->clear();
  PutByte(out, kAlertFormat);
  varint::PutString(*out, a.id);
  varint::PutString(*out, a.event_id);
  varint::PutString(*out, a.area);
  PutByte(out, static_cast<std::uint8_t>(a.severity));
  PutStrings(out, a.categories);
  varint::PutString(*out, a.contact_id);
  varint::PutString(*out, a.channel);
  varint::PutString(*out, a.target);
  varint::PutString(*out, a.idempotency_key);
  PutByte(out, static_cast<std::uint8_t>(a.state));
  varint::PutSigned(*out, a.attempts);
  varint::PutSigned(*out, a.created_at);
  varint::PutSigned(*out, a.next_attempt_at);
  varint::PutSigned(*out, a.delivered_at);
  varint::PutString(*out, a.last_error);
  // Format 2.
  PutByte(out, static_cast<std::uint8_t>(a.kind));
  varint::PutString(*out, a.group_key);
  PutStrings(out, a.event_ids);
  varint::PutString(*out, a.subject_id);
  varint::PutSigned(*out, a.sequence);
  varint::PutSigned(*out, a.escalation_step);
  varint::PutSigned(*out, a.channel_index);
  varint::PutString(*out, a.payload);
  varint::PutSigned(*out, a.sent_at);
}

Status DecodeAlert(std::string_view bytes, Alert* a) {
  Reader in(bytes);
  std::uint8_t version = 0;
  if (!in.Byte(&version)) return Corrupt("alert", "empty value");
  if (version != kAlertFormat && version != kAlertFormatV1) {
    return Corrupt("alert", "unknown format version " + std::to_string(version));
  }
  // Format 1 knew three states (pending, delivered, failed).
  const auto states = static_cast<std::uint8_t>(version == kAlertFormatV1 ? 3 : kDeliveryStateCount);
  bool ok = in.String(&a->id) && in.String(&a->event_id) && in.String(&a->area) &&
            in.EnumByte(kSeverityCount, &a->severity) && in.Strings(&a->categories) &&
            in.String(&a->contact_id) && in.String(&a->channel) && in.String(&a->target) &&
            in.String(&a->idempotency_key) && in.EnumByte(states, &a->state) &&
            in.Int(&a->attempts) && in.Signed(&a->created_at) && in.Signed(&a->next_attempt_at) &&
            in.Signed(&a->delivered_at) && in.String(&a->last_error);
  if (!ok) return Corrupt("alert", "truncated or malformed fields");
  if (version == kAlertFormatV1) {
    // One alert per event and contact: the event is its group.
    a->kind = AlertKind::kEvent;
    a->group_key = "event:" + a->event_id;
    a->event_ids = {a->event_id};
    a->subject_id.clear();
    a->sequence = 1;
    a->escalation_step = 0;
    a->channel_index = 0;
    a->payload.clear();
    a->sent_at = 0;
  } else {
    ok = in.EnumByte(kAlertKindCount, &a->kind) && in.String(&a->group_key) &&
         in.Strings(&a->event_ids) && in.String(&a->subject_id) && in.Int(&a->sequence) &&
         in.Int(&a->escalation_step) && in.Int(&a->channel_index) && in.String(&a->payload) &&
         in.Signed(&a->sent_at);
    if (!ok) return Corrupt("alert", "truncated or malformed format-2 fields");
  }
  if (!in.Done()) return Corrupt("alert", "trailing bytes");
  return OkStatus();
}

// ---- Keys ----

void IdempotencyKey(std::string_view channel, std::string_view submitted_by,
                    std::string_view source_ref, std::string* out) {
  out->clear();
  out->reserve(channel.size() + 3 + submitted_by.size() + source_ref.size());
  out->append(channel);
  out->push_back('\0');
  out->push_back('\x01');
  out->append(submitted_by);
  out->push_back('\0');
  out->append(source_ref);
}

void LegacyIdempotencyKey(std::string_view channel, std::string_view key, std::string* out) {
  out->clear();
  out->reserve(channel.size() + 1 + key.size());
  out->append(channel);
  out->push_back('\0');
  out->append(key);
}

void CounterKeyPrefix(std::string_view area, Resolution resolution, std::string* out) {
  out->clear();
  out->append(area);
  out->push_back('\0');
  out->push_back(static_cast<char>(resolution));
}

void AppendBucketStart(TimeMs start, std::string* out) {
  auto biased = static_cast<std::uint64_t>(start) ^ (std::uint64_t{1} << 63);
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((biased >> (8 * (7 - i))) & 0xff);
  out->append(buf, 8);
}

void CounterKey(std::string_view area, Resolution resolution, TimeMs start, std::string_view dim,
                std::string* out) {
  CounterKeyPrefix(area, resolution, out);
  AppendBucketStart(start, out);
  out->append(dim);
}

bool ParseCounterKeySuffix(std::string_view suffix, TimeMs* start, std::string_view* dim) {
  if (suffix.size() < 8) return false;
  std::uint64_t biased = 0;
  for (int i = 0; i < 8; ++i) biased = (biased << 8) | static_cast<std::uint8_t>(suffix[i]);
  *start = static_cast<TimeMs>(biased ^ (std::uint64_t{1} << 63));
  *dim = suffix.substr(8);
  return true;
}

void EncodeAudit(const AuditEntry& e, std::string* out) {
  out->clear();
  PutByte(out, kAuditFormat);
  varint::PutSigned(*out, e.at);
  varint::PutString(*out, e.actor);
  varint::PutString(*out, e.action);
  varint::PutString(*out, e.subject);
  varint::PutString(*out, e.details);
}

Status DecodeAudit(std::string_view bytes, AuditEntry* e) {
  Reader in(bytes);
  std::uint8_t version = 0;
  if (!in.Byte(&version)) return Corrupt("audit entry", "empty");
  if (version != kAuditFormat) return Corrupt("audit entry", "unknown format version");
  if (!in.Signed(&e->at) || !in.String(&e->actor) || !in.String(&e->action) ||
      !in.String(&e->subject) || !in.String(&e->details) || !in.Done()) {
    return Corrupt("audit entry", "truncated or trailing bytes");
  }
  return OkStatus();
}

void AlertByEventKey(std::string_view event_id, std::string_view alert_id, std::string* out) {
  out->clear();
  out->append(event_id);
  out->push_back('\0');
  out->append(alert_id);
}

void EncodeCounter(std::int64_t value, std::string* out) {
  out->clear();
  varint::PutFixed64(*out, static_cast<std::uint64_t>(value));
}

bool DecodeCounter(std::string_view in, std::int64_t* value) {
  if (in.size() != 8) return false;
  Reader r(in);
  std::uint64_t u = 0;
  if (!r.Fixed64(&u)) return false;
  *value = static_cast<std::int64_t>(u);
  return true;
}

}  // namespace sakchy::storage::internal
