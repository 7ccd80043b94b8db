// Alert routes: details, acknowledgement, Kannel delivery reports.

#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "alerts/contacts.h"
#include "alerts/silences.h"
#include "api_util.h"
#include "core/id.h"
#include "core/time.h"
#include "service/api.h"
#include "service/report_json.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxAckNote = 1000;

json::value AckToJson(const alerts::Ack& ack) {
  json::object o{{"id", ack.id},
                 {"alert_id", ack.alert_id},
                 {"contact_id", ack.contact_id},
                 {"actor", ack.actor},
                 {"via", ack.via},
                 {"at", FormatRfc3339(ack.at)}};
  if (!ack.note.empty()) o["note"] = ack.note;
  return o;
}

// Query parameters, plus the fields of a form body (Kannel may POST).
std::optional<std::map<std::string, std::string>> FormParams(const HttpRequest& req) {
  std::map<std::string, std::string> params = req.query;
  if (req.method != "POST") return params;
  const bool ok = ForEachQueryParam(req.body, /*skip_empty=*/false,
                                    [&params](std::string key, std::string value) {
                                      params[std::move(key)] = std::move(value);
                                    });
  if (!ok) return std::nullopt;
  return params;
}

}  // namespace

net::awaitable<HttpResponse> Api::AlertsDlr(HttpRequest req) {
  if (req.method != "GET" && req.method != "POST") {
    co_return Problem(405, "Method Not Allowed", req.method + " is not supported on " + req.path);
  }
  auto params = FormParams(req);
  if (!params) co_return Problem(400, "Invalid delivery report", "malformed form body", "body");
  auto get = [&](const char* name) -> std::string {
    auto it = params->find(name);
    return it == params->end() ? std::string() : it->second;
  };
  const std::string alert_id = get("alert_id");
  const std::string sig = get("sig");
  const std::string type_text = get("type");
  if (!IsValidId(alert_id)) {
    co_return Problem(400, "Invalid delivery report", "alert_id must be an alert id", "alert_id");
  }
  if (sig.empty() || !d_.alerts->CheckDlrToken(alert_id, sig)) {
    unauthenticated_.Inc();
    spdlog::warn("alerts: refused a delivery report for {} from {}: bad token", alert_id,
                 req.remote);
    co_return Problem(401, "Unauthorized", "the delivery report token (sig) is not valid");
  }
  int type = 0;
  auto [ptr, ec] = std::from_chars(type_text.data(), type_text.data() + type_text.size(), type);
  if (type_text.empty() || ec != std::errc() || ptr != type_text.data() + type_text.size()) {
    co_return Problem(400, "Invalid delivery report", "type must be a Kannel DLR type", "type");
  }
  alerts::Engine* engine = d_.alerts;
  auto apply = [engine, alert_id, type] { return engine->DeliveryReport(alert_id, type); };
  auto result = co_await RunBlocking<Result<Alert>>(*d_.blocking, apply);
  if (!result) {
    const auto& err = result.error();
    if (err.code == ErrorCode::kNotFound) co_return Problem(404, "Not Found", err.message);
    if (err.code == ErrorCode::kInvalidArgument) {
      co_return Problem(400, "Invalid delivery report", err.message, "type");
    }
    auto r = Problem(503, "Service Unavailable", "the delivery report could not be stored");
    r.headers.emplace_back("Retry-After", "5");
    co_return r;
  }
  HttpResponse r;  // Kannel ignores the body
  r.content_type = "text/plain";
  co_return r;
}

net::awaitable<std::variant<alerts::AlertDetail, HttpResponse>> Api::ReadAlertFor(
    std::string id, Principal who) {
  if (!IsValidId(id)) {
    co_return Problem(400, "Invalid alert id", "'" + id + "' is not an alert id (26-character ULID)",
                      "id");
  }
  alerts::Engine* engine = d_.alerts;
  auto read = [engine, id] { return engine->Describe(id); };
  auto detail = co_await RunBlocking<Result<std::optional<alerts::AlertDetail>>>(*d_.blocking, read);
  if (!detail) {
    spdlog::error("api: reading alert {} failed: {}", id, detail.error().ToString());
    co_return Problem(500, "Internal Server Error", "the alert could not be read");
  }
  if (!*detail) co_return Problem(404, "Not Found", "no alert with id " + id);
  if (auto why = who.ScopeViolation(*d_.areas, (**detail).alert.area)) {
    forbidden_.Inc();
    co_return Problem(403, "Forbidden", "alert " + id + " is outside your areas: " + *why, "id");
  }
  co_return std::move(**detail);
}

net::awaitable<HttpResponse> Api::GetAlert(std::string id, Principal who) {
  auto read = co_await ReadAlertFor(id, std::move(who));
  if (auto* refused = std::get_if<HttpResponse>(&read)) co_return std::move(*refused);
  const alerts::AlertDetail& d = std::get<alerts::AlertDetail>(read);
  json::array group;
  for (const Alert& a : d.group) group.push_back(AlertToJson(a));
  json::array acks;
  for (const alerts::Ack& a : d.acks) acks.push_back(AckToJson(a));
  json::object body{{"alert", AlertToJson(d.alert)},
                    {"group_key", d.alert.group_key},
                    {"acknowledged", !d.acks.empty()},
                    {"notifications", std::move(group)},
                    {"acks", std::move(acks)}};
  if (d.state) {
    json::object state{{"open", true},
                       {"route", d.state->route_id},
                       {"severity", SeverityName(d.state->severity)},
                       {"events", d.state->events},
                       {"sources", d.state->sources},
                       {"escalation_step", d.state->escalation_step}};
    if (!d.state->silenced_by.empty()) {
      state["silenced_by"] = d.state->silenced_by;
      state["silenced_notifications"] = d.state->silenced;
    }
    json::array recipients;
    for (const auto& [contact, r] : d.state->recipients) {
      recipients.push_back(json::object{{"contact_id", contact},
                                        {"notifications", r.sequence},
                                        {"escalation_step", r.step}});
    }
    state["recipients"] = std::move(recipients);
    body["group"] = std::move(state);
  } else {
    body["group"] = json::object{{"open", false}};
  }
  co_return Json(200, body);
}

net::awaitable<HttpResponse> Api::AckAlert(HttpRequest req, std::string id, Principal who) {
  if (!IsValidId(id)) {
    co_return Problem(400, "Invalid alert id", "'" + id + "' is not an alert id (26-character ULID)",
                      "id");
  }
  std::string note;
  if (!req.body.empty()) {
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object()) {
      co_return Problem(400, "Invalid acknowledgement", "the body must be a JSON object", "body");
    }
    for (const auto& [key, value] : body.as_object()) {
      if (key != "note") {
        co_return Problem(400, "Invalid acknowledgement", "unknown field (allowed: note)",
                          std::string(key));
      }
      if (!value.is_string() || value.as_string().size() > kMaxAckNote) {
        co_return Problem(400, "Invalid acknowledgement",
                          "must be a string of at most 1000 bytes", "note");
      }
      note = std::string(value.as_string());
    }
  }
  alerts::Engine* engine = d_.alerts;
  if (who.scoped()) {  // officials acknowledge the alerts of their own areas only
    storage::Store* store = d_.store;
    auto read = [store, id] { return store->GetAlert(id); };
    auto alert = co_await RunBlocking<Result<std::optional<Alert>>>(*d_.blocking, read);
    if (!alert) {
      spdlog::error("api: reading alert {} failed: {}", id, alert.error().ToString());
      co_return Problem(500, "Internal Server Error", "the alert could not be read");
    }
    if (!*alert) co_return Problem(404, "Not Found", "no alert with id " + id);
    if (auto why = who.ScopeViolation(*d_.areas, (*alert)->area)) {
      forbidden_.Inc();
      co_return Problem(403, "Forbidden", "alert " + id + " is outside your areas: " + *why, "id");
    }
  }
  alerts::AckRequest request{id, who.name, "api", note};
  auto ack = [engine, request] { return engine->Acknowledge(request); };
  auto result = co_await RunBlocking<Result<alerts::AckOutcome>>(*d_.blocking, ack);
  if (!result) {
    if (result.error().code == ErrorCode::kNotFound) {
      co_return Problem(404, "Not Found", result.error().message);
    }
    spdlog::error("api: acknowledging alert {} failed: {}", id, result.error().ToString());
    auto r = Problem(503, "Service Unavailable", "the acknowledgement could not be stored");
    r.headers.emplace_back("Retry-After", "5");
    co_return r;
  }
  json::object body{{"ack", AckToJson(result->ack)},
                    {"group_key", result->ack.group_key},
                    {"duplicate", result->duplicate}};
  co_return Json(result->duplicate ? 200 : 201, body);
}

}  // namespace sakchy::service

namespace sakchy::service {

namespace {

json::value ContactInfoToJson(const alerts::ContactInfo& info) {
  json::value v = json::parse(alerts::ContactToJson(info.contact));
  json::object& o = v.as_object();
  o["source"] = info.source;
  o["origin"] = info.contact.origin;
  o["reachable"] = info.reachable;
  json::array problems;
  for (const auto& p : info.problems) problems.emplace_back(p);
  o["problems"] = std::move(problems);
  return v;
}

HttpResponse ContactError(const Error& err) {
  switch (err.code) {
    case ErrorCode::kNotFound:
      return Problem(404, "Not Found", err.message);
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kPermissionDenied:
      return Problem(409, "Conflict", err.message, "id");
    default: {
      spdlog::error("api: contact change failed: {}", err.ToString());
      auto r = Problem(503, "Service Unavailable", "the contact could not be stored");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
  }
}

}  // namespace

json::value Api::AlertsReadiness() const {
  json::array problems;
  for (const auto& p : d_.alerts->ReadinessProblems()) problems.emplace_back(p);
  const auto contacts = d_.alerts->Contacts();
  std::size_t reachable = 0;
  for (const auto& c : contacts) reachable += c.reachable ? 1 : 0;
  return json::object{{"contacts", contacts.size()},
                      {"reachable_contacts", reachable},
                      {"backlog", d_.alerts->backlog()},
                      {"problems", std::move(problems)}};
}

net::awaitable<HttpResponse> Api::ContactsRoute(HttpRequest req, std::string id, Principal who) {
  alerts::Engine* engine = d_.alerts;
  const bool one = !id.empty();
  if (req.method == "GET") {
    if (!one) {
      json::array items;
      for (const auto& info : engine->Contacts()) items.push_back(ContactInfoToJson(info));
      co_return Json(200, json::object{{"contacts", std::move(items)}});
    }
    auto info = engine->FindContact(id);
    if (!info) co_return Problem(404, "Not Found", "no contact with id '" + id + "'");
    co_return Json(200, ContactInfoToJson(*info));
  }
  if (req.method == "DELETE") {
    std::string actor = who.name;
    auto remove = [engine, id, actor] { return engine->DeleteContact(id, actor); };
    auto status = co_await RunBlocking<Status>(*d_.blocking, remove);
    if (!status) co_return ContactError(status.error());
    HttpResponse r;
    r.status = 204;
    co_return r;
  }
  // POST (create) or PUT (create or replace).
  const std::string ct = req.Header("content-type");
  if (ct.substr(0, ct.find(';')) != "application/json") {
    co_return Problem(415, "Unsupported Media Type",
                      "send the contact as 'Content-Type: application/json'");
  }
  auto contact = alerts::ContactFromJson(req.body, *d_.areas, engine->WebhookTargets());
  if (!contact) {
    co_return Problem(400, "Invalid contact", contact.error().field + " " + contact.error().detail,
                      contact.error().field);
  }
  if (one && contact->id != id) {
    co_return Problem(400, "Invalid contact",
                      "id '" + contact->id + "' does not match the path ('" + id + "')", "id");
  }
  const bool create = req.method == "POST";
  const bool existed = engine->FindContact(contact->id).has_value();
  std::string actor = who.name;
  config::Contact value = std::move(*contact);
  auto put = [engine, value, actor, create] { return engine->PutContact(value, actor, create); };
  auto stored = co_await RunBlocking<Result<alerts::ContactInfo>>(*d_.blocking, put);
  if (!stored) co_return ContactError(stored.error());
  auto r = Json(existed ? 200 : 201, ContactInfoToJson(*stored));
  r.headers.emplace_back("Location", "/v1/admin/contacts/" + stored->contact.id);
  co_return r;
}

net::awaitable<HttpResponse> Api::SilencesRoute(HttpRequest req, std::string id, Principal who) {
  alerts::Engine* engine = d_.alerts;
  auto to_json = [](const alerts::Silence& s) { return json::parse(alerts::SilenceToJson(s)); };
  if (req.method == "GET") {
    const auto silences = engine->Silences();
    if (id.empty()) {
      json::array items;
      for (const auto& s : silences) items.push_back(to_json(s));
      co_return Json(200, json::object{{"silences", std::move(items)}});
    }
    for (const auto& s : silences) {
      if (s.id == id) co_return Json(200, to_json(s));
    }
    co_return Problem(404, "Not Found", "no silence with id '" + id + "'");
  }
  if (req.method == "DELETE") {
    std::string actor = who.name;
    auto expire = [engine, id, actor] { return engine->ExpireSilence(id, actor); };
    auto result = co_await RunBlocking<Result<alerts::Silence>>(*d_.blocking, expire);
    if (!result) {
      if (result.error().code == ErrorCode::kNotFound) {
        co_return Problem(404, "Not Found", result.error().message);
      }
      spdlog::error("api: expiring silence {} failed: {}", id, result.error().ToString());
      auto r = Problem(503, "Service Unavailable", "the silence could not be stored");
      r.headers.emplace_back("Retry-After", "5");
      co_return r;
    }
    co_return Json(200, to_json(*result));
  }
  const std::string ct = req.Header("content-type");
  if (ct.substr(0, ct.find(';')) != "application/json") {
    co_return Problem(415, "Unsupported Media Type",
                      "send the silence as 'Content-Type: application/json'");
  }
  auto silence = alerts::SilenceFromJson(req.body, *d_.areas, d_.clock->NowMs());
  if (!silence) {
    co_return Problem(400, "Invalid silence", silence.error().field + " " + silence.error().detail,
                      silence.error().field);
  }
  std::string actor = who.name;
  alerts::Silence value = std::move(*silence);
  auto create = [engine, value, actor] { return engine->CreateSilence(value, actor); };
  auto result = co_await RunBlocking<Result<alerts::Silence>>(*d_.blocking, create);
  if (!result) {
    spdlog::error("api: creating a silence failed: {}", result.error().ToString());
    auto r = Problem(503, "Service Unavailable", "the silence could not be stored");
    r.headers.emplace_back("Retry-After", "5");
    co_return r;
  }
  auto r = Json(201, to_json(*result));
  r.headers.emplace_back("Location", "/v1/silences/" + result->id);
  co_return r;
}

net::awaitable<std::optional<HttpResponse>> Api::SmsAckReply(std::string from, std::string text) {
  auto code = alerts::ParseSmsAck(text);
  if (!code) co_return std::nullopt;
  alerts::Engine* engine = d_.alerts;
  std::string c = *code;
  auto ack = [engine, from, c] { return engine->AcknowledgeBySms(from, c); };
  auto result = co_await RunBlocking<Result<std::optional<alerts::AckOutcome>>>(*d_.blocking, ack);
  if (!result) {
    // Kannel retries a failed callback: nothing is lost.
    spdlog::error("api: SMS acknowledgement failed: {}", result.error().ToString());
    auto r = Problem(503, "Service Unavailable", "the acknowledgement could not be stored");
    r.headers.emplace_back("Retry-After", "5");
    co_return r;
  }
  if (!*result) co_return std::nullopt;  // not a contact's code: an ordinary report
  HttpResponse r;  // empty: Kannel would send a body back as an SMS
  r.status = 200;
  r.content_type = "text/plain";
  co_return r;
}

namespace {

// A field problem of the signal / verdict documents.
struct InputError {
  std::string field;
  std::string detail;
};

std::optional<InputError> StringList(const json::object& o, const char* key,
                                     std::vector<std::string>& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array() || v->as_array().size() > 10000) {
    return InputError{key, "must be a list of strings"};
  }
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return InputError{key, "must be a list of strings"};
    out.emplace_back(item.as_string());
  }
  return std::nullopt;
}

std::optional<InputError> Text(const json::object& o, const char* key, std::string& out,
                               bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) return InputError{key, "is required"};
    return std::nullopt;
  }
  if (!v->is_string()) return InputError{key, "must be a string"};
  out = std::string(v->as_string());
  return std::nullopt;
}

std::optional<InputError> Time(const json::object& o, const char* key, TimeMs& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  auto t = v->is_string() ? ParseRfc3339(v->as_string()) : std::nullopt;
  if (!t) return InputError{key, "must be an RFC 3339 timestamp"};
  out = *t;
  return std::nullopt;
}

std::optional<InputError> ParseSignal(const json::object& o, const config::AreaTree& areas,
                                      TimeMs now, Signal& s) {
  for (const auto& [key, value] : o) {
    static constexpr std::string_view kKnown[] = {"kind", "subject_id", "area", "areas",
                                                  "severity", "categories", "reason", "summary",
                                                  "event_ids", "sources", "first_seen", "at"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return InputError{std::string(key), "unknown field"};
    }
  }
  std::string kind = "cluster_spread";
  if (auto e = Text(o, "kind", kind, false)) return e;
  if (kind == "area_spike") {
    s.kind = Signal::Kind::kAreaSpike;
  } else if (kind != "cluster_spread") {
    return InputError{"kind", "must be cluster_spread or area_spike"};
  }
  if (auto e = Text(o, "subject_id", s.subject_id, true)) return e;
  if (s.subject_id.empty() || s.subject_id.size() > 100) {
    return InputError{"subject_id", "must be 1..100 characters"};
  }
  if (auto e = Text(o, "area", s.area, false)) return e;
  if (!s.area.empty() && areas.Find(s.area) == nullptr) {
    return InputError{"area", "unknown area code '" + s.area + "'"};
  }
  if (auto e = StringList(o, "areas", s.areas)) return e;
  std::string severity = "high";
  if (auto e = Text(o, "severity", severity, false)) return e;
  auto parsed = ParseSeverity(severity);
  if (!parsed) return InputError{"severity", "must be info, low, medium, high or critical"};
  s.severity = *parsed;
  if (auto e = StringList(o, "categories", s.categories)) return e;
  if (auto e = Text(o, "reason", s.reason, false)) return e;
  if (auto e = Text(o, "summary", s.summary, false)) return e;
  if (auto e = StringList(o, "event_ids", s.event_ids)) return e;
  for (const auto& id : s.event_ids) {
    if (!IsValidId(id)) return InputError{"event_ids", "'" + id + "' is not an event id"};
  }
  if (const json::value* n = o.if_contains("sources")) {
    if (!n->is_int64() || n->as_int64() < 0 || n->as_int64() > 1'000'000) {
      return InputError{"sources", "must be a non-negative integer"};
    }
    s.sources = static_cast<int>(n->as_int64());
  }
  s.at = now;
  s.first_seen = now;
  if (auto e = Time(o, "first_seen", s.first_seen)) return e;
  if (auto e = Time(o, "at", s.at)) return e;
  return std::nullopt;
}

std::optional<InputError> ParseVerdict(const json::object& o, const std::string& who, TimeMs now,
                                       Verdict& v) {
  for (const auto& [key, value] : o) {
    static constexpr std::string_view kKnown[] = {"cluster_id", "status",     "statement",
                                                  "decided_by", "decided_at", "event_ids"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return InputError{std::string(key), "unknown field"};
    }
  }
  if (auto e = Text(o, "cluster_id", v.cluster_id, true)) return e;
  if (v.cluster_id.empty()) return InputError{"cluster_id", "must not be empty"};
  std::string status;
  if (auto e = Text(o, "status", status, true)) return e;
  auto parsed = ParseVerdictStatus(status);
  if (!parsed) {
    return InputError{"status", "must be unverified, confirmed, false or misleading"};
  }
  v.status = *parsed;
  if (auto e = Text(o, "statement", v.statement, false)) return e;
  if (v.statement.size() > 4000) return InputError{"statement", "is longer than 4000 bytes"};
  v.decided_by = who;
  if (auto e = Text(o, "decided_by", v.decided_by, false)) return e;
  v.decided_at = now;
  if (auto e = Time(o, "decided_at", v.decided_at)) return e;
  if (auto e = StringList(o, "event_ids", v.event_ids)) return e;
  return std::nullopt;
}

}  // namespace

net::awaitable<HttpResponse> Api::AnalyticsInput(HttpRequest req, std::string route,
                                                 Principal who) {
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object()) {
    co_return Problem(400, "Invalid request", "the body must be a JSON object", "body");
  }
  alerts::Engine* engine = d_.alerts;
  const TimeMs now = d_.clock->NowMs();
  if (route == "/v1/admin/alerts/signals") {
    Signal signal;
    if (auto e = ParseSignal(body.as_object(), *d_.areas, now, signal)) {
      co_return Problem(400, "Invalid signal", e->field + " " + e->detail, e->field);
    }
    auto raise = [engine, signal] { return engine->Raise(signal); };
    auto st = co_await RunBlocking<Status>(*d_.blocking, raise);
    if (!st) {
      spdlog::error("api: raising a signal failed: {}", st.error().ToString());
      co_return Problem(503, "Service Unavailable", "the signal could not be stored");
    }
    co_return Json(202, json::object{{"status", "raised"}, {"subject_id", signal.subject_id}});
  }
  Verdict verdict;
  if (auto e = ParseVerdict(body.as_object(), who.name, now, verdict)) {
    co_return Problem(400, "Invalid verdict", e->field + " " + e->detail, e->field);
  }
  auto follow = [engine, verdict] { return engine->FollowUp(verdict); };
  auto count = co_await RunBlocking<Result<std::size_t>>(*d_.blocking, follow);
  if (!count) {
    spdlog::error("api: verdict follow-ups failed: {}", count.error().ToString());
    co_return Problem(503, "Service Unavailable", "the follow-ups could not be stored");
  }
  co_return Json(202, json::object{{"status", "recorded"}, {"follow_ups", *count}});
}

}  // namespace sakchy::service
