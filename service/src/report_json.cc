#include "service/report_json.h"

#include "alerts/templates.h"

#include <boost/json.hpp>
#include <simdjson.h>

#include "core/time.h"
#include "core/utf8.h"

namespace sakchy::service {

namespace json = boost::json;

namespace {

// A thread's parser keeps buffers in proportion to the largest document it parsed; after a
// larger one than this they are given back, so a few large bodies do not pin memory per thread.
constexpr std::size_t kKeptParserCapacity = 64 << 10;

struct ShrinkAfterLargeDocument {
  simdjson::dom::parser& parser;
  ~ShrinkAfterLargeDocument() {
    if (parser.capacity() > kKeptParserCapacity) parser = simdjson::dom::parser();
  }
};

}  // namespace

tl::expected<ReportRequest, BodyError> ParseReportJson(std::string_view body) {
  // simdjson validates UTF-8 while parsing (SIMD); the slow scan only runs to name the offset.
  thread_local simdjson::dom::parser parser;
  // Runs after the result is built (it copies what it needs out of the parser's document).
  ShrinkAfterLargeDocument shrink{parser};
  simdjson::dom::element root;
  auto err = parser.parse(body.data(), body.size(), true).get(root);
  if (err) {
    if (auto bad = FindInvalidUtf8(body)) {
      return tl::unexpected(
          BodyError{"body", "is not valid UTF-8 (invalid byte sequence at offset " +
                                std::to_string(*bad) + ")"});
    }
    return tl::unexpected(
        BodyError{"body", std::string("is not valid JSON: ") + simdjson::error_message(err)});
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    return tl::unexpected(BodyError{"body", "must be a JSON object"});
  }
  ReportRequest out;
  bool seen_text = false, seen_area = false, seen_ref = false, seen_observed = false;
  for (auto field : obj) {
    std::string_view key = field.key;
    auto dup = [&](bool& seen) {
      if (seen) return true;
      seen = true;
      return false;
    };
    std::string_view sv;
    if (key == "text") {
      if (dup(seen_text)) return tl::unexpected(BodyError{"text", "is given twice"});
      if (field.value.get_string().get(sv)) {
        return tl::unexpected(BodyError{"text", "must be a string"});
      }
      out.text = std::string(sv);
    } else if (key == "area") {
      if (dup(seen_area)) return tl::unexpected(BodyError{"area", "is given twice"});
      if (field.value.is_null()) continue;
      if (field.value.get_string().get(sv)) {
        return tl::unexpected(BodyError{"area", "must be a string (an area code) or null"});
      }
      if (!sv.empty()) out.area = std::string(sv);
    } else if (key == "source_ref") {
      if (dup(seen_ref)) return tl::unexpected(BodyError{"source_ref", "is given twice"});
      if (field.value.is_null()) continue;
      if (field.value.get_string().get(sv)) {
        return tl::unexpected(BodyError{"source_ref", "must be a string"});
      }
      out.source_ref = std::string(sv);
    } else if (key == "observed_at") {
      if (dup(seen_observed)) return tl::unexpected(BodyError{"observed_at", "is given twice"});
      if (field.value.is_null()) continue;
      if (field.value.get_string().get(sv)) {
        return tl::unexpected(BodyError{"observed_at", "must be an RFC 3339 string"});
      }
      auto t = ParseRfc3339(sv);
      if (!t) {
        return tl::unexpected(BodyError{
            "observed_at", "is not an RFC 3339 timestamp (e.g. 2024-06-01T12:00:00+06:00)"});
      }
      out.observed_at = *t;
    } else {
      return tl::unexpected(BodyError{std::string(key),
                                      "unknown field (allowed: text, area, source_ref, observed_at)"});
    }
  }
  if (!seen_text) return tl::unexpected(BodyError{"text", "is required"});
  return out;
}

json::value EventToJson(const Event& e) {
  json::object o;
  o["id"] = e.report.id;
  o["status"] = e.scored ? "scored" : "pending";
  // Retention removes raw texts (never empty when stored): null, and text_expired says why.
  o["text"] = e.report.text.empty() ? json::value(nullptr) : json::value(e.report.text);
  if (e.report.text.empty()) o["text_expired"] = true;
  o["channel"] = e.report.channel;
  // A token name, or a pseudonym (keyed HMAC) for SMS senders and social-media authors.
  if (!e.report.submitted_by.empty()) o["submitted_by"] = e.report.submitted_by;
  if (!e.report.source_ref.empty()) o["source_ref"] = e.report.source_ref;
  o["observed_at"] = FormatRfc3339(e.report.observed_at);
  o["received_at"] = FormatRfc3339(e.report.received_at);
  // Pulled items: the item at its source and the source's own times.
  if (!e.report.url.empty()) o["url"] = e.report.url;
  if (e.report.published_at != 0) o["published_at"] = FormatRfc3339(e.report.published_at);
  if (e.report.edited_at != 0) o["edited_at"] = FormatRfc3339(e.report.edited_at);
  if (e.report.area) o["requested_area"] = *e.report.area;
  // SMS follow-ups of the same sender, in arrival order; the score covers the first
  // follow_ups_scored of them (match offsets index into the report text, then each follow-up's
  // text after a '\n').
  if (!e.follow_ups.empty() || e.follow_ups_scored > 0) {
    json::array follow_ups;
    for (const auto& f : e.follow_ups) {
      json::object fo{{"id", f.id},
                      {"text", f.text},
                      {"observed_at", FormatRfc3339(f.observed_at)},
                      {"received_at", FormatRfc3339(f.received_at)}};
      if (!f.source_ref.empty()) fo["source_ref"] = f.source_ref;
      follow_ups.push_back(std::move(fo));
    }
    o["follow_ups"] = std::move(follow_ups);
    o["follow_ups_scored"] = e.follow_ups_scored;
  }
  if (e.scored) {
    o["scored_at"] = FormatRfc3339(e.scored_at);
    o["area"] = e.area.empty() ? json::value(nullptr) : json::value(e.area);
    o["area_source"] = AreaSourceName(e.area_source);
    o["score"] = e.score;
    o["severity"] = SeverityName(e.severity);
    json::array cats;
    for (const auto& c : e.categories) cats.emplace_back(c);
    o["categories"] = std::move(cats);
    o["matches"] = e.follow_ups_scored == 0 ? MatchesToJson(e.report.text, e.matches)
                                             : MatchesToJson(ScoredText(e), e.matches);
    o["places"] = PlacesToJson(e.places);
    o["ruleset_version"] = e.ruleset_version;
  }
  return o;
}

json::array MatchesToJson(std::string_view text, const std::vector<Match>& matches) {
  json::array out;
  out.reserve(matches.size());
  for (const auto& m : matches) {
    std::string_view excerpt =
        m.begin <= m.end && m.end <= text.size() ? text.substr(m.begin, m.end - m.begin) : "";
    out.emplace_back(json::object{{"rule_id", m.rule_id},
                                  {"category", m.category},
                                  {"term", m.term},
                                  {"begin", m.begin},
                                  {"end", m.end},
                                  {"excerpt", excerpt}});
  }
  return out;
}

json::array PlacesToJson(const std::vector<PlaceMention>& places) {
  json::array out;
  out.reserve(places.size());
  for (const auto& p : places) {
    json::array cands;
    for (const auto& c : p.candidates) cands.emplace_back(c);
    out.emplace_back(json::object{{"name", p.name},
                                  {"candidates", std::move(cands)},
                                  {"ambiguous", p.candidates.size() > 1},
                                  {"begin", p.begin},
                                  {"end", p.end}});
  }
  return out;
}

json::value AlertToJson(const Alert& a) {
  json::object o;
  o["id"] = a.id;
  o["kind"] = AlertKindName(a.kind);
  o["group_key"] = a.group_key;
  o["event_id"] = a.event_id;
  json::array events;
  for (const auto& e : a.event_ids) events.emplace_back(e);
  o["event_ids"] = std::move(events);
  if (!a.subject_id.empty()) o["subject_id"] = a.subject_id;
  o["area"] = a.area;
  o["severity"] = SeverityName(a.severity);
  json::array cats;
  for (const auto& c : a.categories) cats.emplace_back(c);
  o["categories"] = std::move(cats);
  o["contact_id"] = a.contact_id;
  o["channel"] = a.channel;
  o["code"] = alerts::AlertCode(a.id);
  o["sequence"] = a.sequence;
  o["escalation_step"] = a.escalation_step;
  o["state"] = DeliveryStateName(a.state);
  o["attempts"] = a.attempts;
  o["idempotency_key"] = a.idempotency_key;
  o["created_at"] = FormatRfc3339(a.created_at);
  if (a.state == DeliveryState::kPending) o["next_attempt_at"] = FormatRfc3339(a.next_attempt_at);
  if (a.sent_at) o["sent_at"] = FormatRfc3339(a.sent_at);
  if (a.delivered_at) o["delivered_at"] = FormatRfc3339(a.delivered_at);
  if (!a.last_error.empty()) o["last_error"] = a.last_error;
  return o;
}

}  // namespace sakchy::service
