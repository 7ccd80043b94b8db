#include "service/api.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <charconv>
#include <limits>
#include <span>
#include <chrono>

#include "api_util.h"
#include "core/id.h"
#include "core/json_text.h"
#include "ingest/clustering.h"
#include "ingest/validation.h"
#include "api_analytics.h"
#include "area_scope.h"
#include "service/completion_inbox.h"
#include "service/console.h"
#include "service/openapi.h"
#include "service/report_json.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBatchReports = 10000;
constexpr std::size_t kBatchChunk = 1000;

// The longest JSON document of one report: a text of `max_text_bytes` with every byte escaped
// (\u00XX, 6 bytes), plus the other fields (area, source_ref <= 256 bytes, observed_at) and the
// syntax around them.
std::size_t MaxReportJsonBytes(std::size_t max_text_bytes) { return 6 * max_text_bytes + 4096; }

struct LongLine {
  std::size_t number = 0;  // 1-based
  std::size_t bytes = 0;
};

// The first line of `body` longer than `max_bytes` (without its line break), if any.
std::optional<LongLine> FindLongLine(std::string_view body, std::size_t max_bytes) {
  std::size_t number = 0;
  while (!body.empty()) {
    ++number;
    const auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_bytes) return LongLine{number, line.size()};
    if (nl == std::string_view::npos) break;
    body.remove_prefix(nl + 1);
  }
  return std::nullopt;
}

std::string Slug(unsigned status) {
  switch (status) {
    case 400: return "invalid-request";
    case 401: return "unauthenticated";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 405: return "method-not-allowed";
    case 409: return "conflict";
    case 413: return "payload-too-large";
    case 415: return "unsupported-media-type";
    case 422: return "rules-rejected";
    case 429: return "too-many-requests";
    case 431: return "headers-too-large";
    case 503: return "unavailable";
    default: return "error";
  }
}

// Submits to the pipeline and resumes the coroutine when the reports are durable (or refused).
// The completion travels through `inbox` (one io wake-up per group commit, not per request) and
// is dispatched from there: already on an io thread, it resumes without queueing a second time.
net::awaitable<ingest::SubmitResult> SubmitAsync(ingest::Pipeline& pipeline, CompletionInbox& inbox,
                                                 std::vector<Report> reports) {
  auto initiation = [&pipeline, &inbox](auto handler, std::vector<Report> batch) {
    auto ex = net::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    pipeline.Submit(std::move(batch), [shared, ex, &inbox](ingest::SubmitResult result) {
      inbox.Push([shared, ex, result = std::move(result)]() mutable {
        net::dispatch(ex, [shared, result = std::move(result)]() mutable {
          std::move (*shared)(std::move(result));
        });
      });
    });
  };
  auto op = net::async_initiate<decltype(net::use_awaitable), void(ingest::SubmitResult)>(
      initiation, net::use_awaitable, std::move(reports));
  co_return co_await std::move(op);
}

// Submits every chunk at once (the pipeline's writer groups them into few durable writes) and
// resumes the coroutine when all are durable or refused; results in chunk order. After the first
// chunk refused on the spot (queue full, stopping), the rest are not submitted and get that error.
net::awaitable<std::vector<ingest::SubmitResult>> SubmitChunksAsync(
    ingest::Pipeline& pipeline, CompletionInbox& inbox, std::vector<std::vector<Report>> chunks) {
  auto initiation = [&pipeline, &inbox](auto handler, std::vector<std::vector<Report>> all) {
    using Handler = decltype(handler);
    struct State {
      explicit State(Handler h, std::size_t n) : handler(std::move(h)), results(n) {}
      Handler handler;
      std::vector<ingest::SubmitResult> results;
      std::atomic<std::size_t> remaining{0};
    };
    auto ex = net::get_associated_executor(handler);
    auto state = std::make_shared<State>(std::move(handler), all.size());
    state->remaining = all.size() + 1;  // +1 until every chunk is handed over
    auto finish = [state, ex, &inbox]() {
      inbox.Push([state, ex] {
        net::dispatch(ex, [state]() mutable { std::move(state->handler)(std::move(state->results)); });
      });
    };
    bool refused = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (refused) {
        state->results[i] = state->results[i - 1];
        --state->remaining;
        continue;
      }
      // A refusal comes back inside Submit(); `in_submit` tells it from a later store error.
      auto in_submit = std::make_shared<std::atomic<bool>>(true);
      auto inline_error = std::make_shared<std::atomic<bool>>(false);
      pipeline.Submit(std::move(all[i]), [state, finish, i, in_submit,
                                          inline_error](ingest::SubmitResult result) {
        if (*in_submit && !result) *inline_error = true;
        state->results[i] = std::move(result);
        if (--state->remaining == 0) finish();
      });
      *in_submit = false;
      refused = inline_error->load();
    }
    if (--state->remaining == 0) finish();
  };
  auto op = net::async_initiate<decltype(net::use_awaitable),
                                void(std::vector<ingest::SubmitResult>)>(
      initiation, net::use_awaitable, std::move(chunks));
  co_return co_await std::move(op);
}

// One line of a batch and what became of it.
struct BatchLine {
  std::size_t number = 0;
  std::string status;  // accepted | duplicate | rejected
  std::string id, field, detail;
};

// True for application/x-ndjson and application/jsonl (parameters ignored).
bool IsNdjsonContentType(std::string ct) {
  auto base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  for (auto& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return base == "application/x-ndjson" || base == "application/jsonl";
}

// The batch answer: counts and one result per line. Written directly: 10,000 result objects
// through Boost.JSON cost more than the parsing.
std::string BatchResultsJson(const std::vector<BatchLine>& lines) {
  std::size_t accepted = 0, duplicate = 0, rejected = 0;
  for (const auto& l : lines) {
    accepted += l.status == "accepted";
    duplicate += l.status == "duplicate";
    rejected += l.status == "rejected";
  }
  std::string out;
  out.reserve(64 + lines.size() * 64);
  out += "{\"accepted\":" + std::to_string(accepted) + ",\"duplicate\":" +
         std::to_string(duplicate) + ",\"rejected\":" + std::to_string(rejected) +
         ",\"results\":[";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (i > 0) out += ',';
    out += "{\"line\":";
    out += std::to_string(l.number);
    out += ",\"status\":";
    AppendJsonString(out, l.status);
    if (!l.id.empty()) {
      out += ",\"id\":";
      AppendJsonString(out, l.id);
    }
    if (!l.field.empty()) {
      out += ",\"field\":";
      AppendJsonString(out, l.field);
    }
    if (!l.detail.empty()) {
      out += ",\"detail\":";
      AppendJsonString(out, l.detail);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace

std::string ValidUtf8(std::string_view s) {
  std::string out(s);
  ingest::SanitizeText(out, std::numeric_limits<std::size_t>::max());
  return out;
}

bool IsJsonContentType(std::string_view ct) {
  auto semi = ct.find(';');
  std::string_view base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  std::string lower(base);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json";
}

HttpResponse Problem(unsigned status, std::string_view title, std::string_view detail,
                     std::string_view field) {
  json::object o;
  o["type"] = "/problems/" + Slug(status);
  o["title"] = title;
  o["status"] = status;
  // Details and fields may quote what the client sent (a path, a parameter name): invalid UTF-8
  // there becomes U+FFFD, so the answer is always valid JSON text.
  o["detail"] = ValidUtf8(detail);
  if (!field.empty()) o["field"] = ValidUtf8(field);
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = ToJsonText(json::value(o));
  return r;
}

Api::Api(ApiDeps deps)
    : d_(std::move(deps)),
      rejected_invalid_(d_.metrics->GetCounter("sakchy_reports_rejected_total",
                                               "Reports rejected before storage",
                                               {{"reason", "invalid"}})),
      rejected_too_large_(d_.metrics->GetCounter("sakchy_reports_rejected_total",
                                                 "Reports rejected before storage",
                                                 {{"reason", "too_large"}})),
      rejected_media_type_(d_.metrics->GetCounter("sakchy_reports_rejected_total",
                                                  "Reports rejected before storage",
                                                  {{"reason", "media_type"}})),
      unauthenticated_(d_.metrics->GetCounter("sakchy_auth_failures_total",
                                              "Requests refused by authentication",
                                              {{"reason", "unauthenticated"}})),
      forbidden_(d_.metrics->GetCounter("sakchy_auth_failures_total",
                                        "Requests refused by authentication",
                                        {{"reason", "forbidden"}})),
      audit_ids_(d_.clock ? *d_.clock : SystemClock::Instance()),
      analytics_(std::make_unique<AnalyticsApi>(d_)),
      inbox_(std::make_unique<CompletionInbox>(d_.io)) {}

Api::~Api() = default;

HttpResponse Api::Reject(unsigned status, const std::string& title, const std::string& detail) {
  if (status == 413) rejected_too_large_.Inc();
  Record("unrouted", status, 0);
  return Problem(status, title, detail);
}

net::awaitable<HttpResponse> Api::Handle(HttpRequest request) {
  auto start = std::chrono::steady_clock::now();
  std::string route = "unmatched";
  HttpResponse response;
  try {
    response = co_await Route(std::move(request), route);
  } catch (const std::exception& e) {
    // The edge of the connection: nothing below should throw, but never take the server down.
    spdlog::error("api: unexpected exception on {}: {}", route, e.what());
    response = Problem(500, "Internal Server Error", "an unexpected error occurred; it was logged");
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Record(route, response.status, seconds);
  co_return response;
}

void Api::Record(const std::string& route, unsigned status, double seconds) {
  Counter* counter;
  Histogram* latency;
  {
    std::lock_guard lock(metrics_mu_);
    auto& m = route_metrics_[route];
    if (!m.latency) {
      m.latency = &d_.metrics->GetHistogram("sakchy_http_request_seconds",
                                            "HTTP request latency by route", {{"route", route}});
    }
    auto& c = m.by_status[status];
    if (!c) {
      c = &d_.metrics->GetCounter("sakchy_http_requests_total", "HTTP requests by route and status",
                                  {{"route", route}, {"code", std::to_string(status)}});
    }
    counter = c;
    latency = m.latency;
  }
  counter->Inc();
  latency->Observe(seconds);
}

net::awaitable<HttpResponse> Api::PostReport(HttpRequest req, Principal who) {
  if (!IsJsonContentType(req.Header("content-type"))) {
    rejected_media_type_.Inc();
    co_return Problem(415, "Unsupported Media Type",
                      "send the report as 'Content-Type: application/json'");
  }
  auto parsed = ParseReportJson(req.body);
  if (!parsed) {
    rejected_invalid_.Inc();
    co_return Problem(400, "Invalid report", parsed.error().field + " " + parsed.error().detail,
                      parsed.error().field);
  }
  Report report;
  report.text = std::move(parsed->text);
  report.area = std::move(parsed->area);
  report.channel = "api";
  report.source_ref = std::move(parsed->source_ref);
  if (report.source_ref.empty()) report.source_ref = req.Header("idempotency-key");
  report.submitted_by = who.name;
  report.observed_at = parsed->observed_at.value_or(0);
  const ingest::ValidationLimits limits{d_.max_text_bytes, d_.clock->NowMs(), d_.observed_window};
  if (auto bad = ingest::ValidateReport(report, *d_.areas, limits)) {
    if (bad->field == "text" && report.text.size() > limits.max_text_bytes) {
      rejected_too_large_.Inc();
    } else {
      rejected_invalid_.Inc();
    }
    co_return Problem(400, "Invalid report", bad->field + " " + bad->problem, bad->field);
  }
  std::vector<Report> batch;
  batch.push_back(std::move(report));
  auto result = co_await SubmitAsync(*d_.pipeline, *inbox_, std::move(batch));
  if (!result) {
    const auto& err = result.error();
    if (err.code == ErrorCode::kResourceExhausted || err.code == ErrorCode::kUnavailable) {
      auto r = Problem(503, "Service Unavailable", err.message);
      r.headers.emplace_back("Retry-After", "1");
      co_return r;
    }
    spdlog::error("api: storing a report failed: {}", err.ToString());
    auto r = Problem(503, "Service Unavailable",
                     "the report could not be stored; nothing was saved, retry later");
    r.headers.emplace_back("Retry-After", "5");
    co_return r;
  }
  const auto& outcome = result->front();
  // The id is a ULID (Crockford base32): no escaping needed.
  HttpResponse r;
  r.status = outcome.duplicate ? 200 : 202;
  r.body.reserve(64);
  r.body += "{\"id\":\"";
  r.body += outcome.id;
  r.body += outcome.duplicate ? "\",\"status\":\"duplicate\"}" : "\",\"status\":\"accepted\"}";
  r.headers.emplace_back("Location", "/v1/events/" + outcome.id);
  co_return r;
}

net::awaitable<HttpResponse> Api::PostReportBatch(HttpRequest req, Principal who) {
  if (!IsNdjsonContentType(req.Header("content-type"))) {
    rejected_media_type_.Inc();
    co_return Problem(415, "Unsupported Media Type",
                      "send one JSON report per line as 'Content-Type: application/x-ndjson'");
  }
  using Line = BatchLine;
  std::vector<Line> lines;
  std::vector<Report> valid;
  std::vector<std::size_t> valid_line;  // index into `lines`
  const ingest::ValidationLimits limits{d_.max_text_bytes, d_.clock->NowMs(), d_.observed_window};
  // A line longer than any valid report is refused before anything is parsed (the JSON parser
  // needs memory in proportion to the document).
  const std::size_t max_line = MaxReportJsonBytes(d_.max_text_bytes);
  if (auto long_line = FindLongLine(req.body, max_line)) {
    rejected_too_large_.Inc();
    auto r = Problem(413, "Payload Too Large",
                     "line " + std::to_string(long_line->number) + " is " +
                         std::to_string(long_line->bytes) + " bytes; a report line holds at most " +
                         std::to_string(max_line) + " bytes (a text of " +
                         std::to_string(d_.max_text_bytes) + " bytes, JSON-escaped, and the "
                         "other fields); nothing of this batch was stored",
                     "body");
    auto problem = json::parse(r.body).as_object();
    problem["line"] = long_line->number;
    r.body = ToJsonText(json::value(problem));
    co_return r;
  }
  std::string_view body = req.body;
  std::size_t number = 0;
  while (!body.empty()) {
    auto nl = body.find('\n');
    std::string_view raw = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank line
    if (lines.size() == kMaxBatchReports) {
      co_return Problem(413, "Payload Too Large",
                        "a batch holds at most " + std::to_string(kMaxBatchReports) + " reports");
    }
    Line line;
    line.number = number;
    auto parsed = ParseReportJson(raw);
    if (!parsed) {
      line.status = "rejected";
      line.field = parsed.error().field;
      line.detail = parsed.error().field + " " + parsed.error().detail;
      lines.push_back(std::move(line));
      continue;
    }
    Report report;
    report.text = std::move(parsed->text);
    report.area = std::move(parsed->area);
    report.channel = "api";
    report.source_ref = std::move(parsed->source_ref);
    report.submitted_by = who.name;
    report.observed_at = parsed->observed_at.value_or(0);
    if (auto bad = ingest::ValidateReport(report, *d_.areas, limits)) {
      line.status = "rejected";
      line.field = bad->field;
      line.detail = bad->field + " " + bad->problem;
      lines.push_back(std::move(line));
      continue;
    }
    valid_line.push_back(lines.size());
    lines.push_back(std::move(line));
    valid.push_back(std::move(report));
  }
  std::size_t rejected_lines = 0;
  for (const auto& l : lines) rejected_lines += l.status == "rejected";
  rejected_invalid_.Inc(rejected_lines);

  // Submit in chunks so a large batch never needs the whole queue at once (all handed over
  // together, so the writer groups them); when the queue is full the remaining lines are
  // reported as refused (nothing of them stored) with Retry-After.
  bool refused = false;
  std::vector<std::vector<Report>> chunks;
  for (std::size_t next = 0; next < valid.size(); next += kBatchChunk) {
    const std::size_t n = std::min(kBatchChunk, valid.size() - next);
    chunks.emplace_back(std::make_move_iterator(valid.begin() + static_cast<long>(next)),
                        std::make_move_iterator(valid.begin() + static_cast<long>(next + n)));
  }
  std::vector<ingest::SubmitResult> outcomes;
  if (!chunks.empty()) outcomes = co_await SubmitChunksAsync(*d_.pipeline, *inbox_, std::move(chunks));
  for (std::size_t c = 0; c < outcomes.size(); ++c) {
    const std::size_t first = c * kBatchChunk;
    const std::size_t n = std::min(kBatchChunk, valid.size() - first);
    const auto& result = outcomes[c];
    for (std::size_t i = 0; i < n; ++i) {
      auto& l = lines[valid_line[first + i]];
      if (!result) {
        refused = true;
        l.status = "rejected";
        l.detail = result.error().code == ErrorCode::kResourceExhausted
                       ? "not stored: the scoring queue is full; retry this line later"
                       : "not stored: " + result.error().message;
      } else {
        l.id = (*result)[i].id;
        l.status = (*result)[i].duplicate ? "duplicate" : "accepted";
      }
    }
  }
  HttpResponse r;
  r.body = BatchResultsJson(lines);
  if (refused) r.headers.emplace_back("Retry-After", "1");
  co_return r;
}

net::awaitable<HttpResponse> Api::KannelMo(HttpRequest req) {
  std::map<std::string, std::string> params = req.query;
  if (req.method == "POST") {
    // post-url with a form body: fields add to (and override) the query parameters.
    const bool ok = ForEachQueryParam(req.body, /*skip_empty=*/false,
                                      [&params](std::string key, std::string value) {
                                        params[std::move(key)] = std::move(value);
                                      });
    if (!ok) co_return Problem(400, "Invalid SMS callback", "malformed form body", "body");
  }
  auto report = ingest::ParseKannelMo(params, req.remote, *d_.kannel);
  if (!report) {
    const auto& err = report.error();
    if (err.code == ErrorCode::kUnauthenticated) {
      unauthenticated_.Inc();
      spdlog::warn("kannel: refused callback from {}: {}", req.remote, err.message);
      co_return Problem(401, "Unauthorized", err.message);
    }
    rejected_invalid_.Inc();
    spdlog::warn("kannel: rejected callback: {}", err.message);
    co_return Problem(400, "Invalid SMS callback", err.message);
  }
  // "OK 4821" from a contact's number acknowledges an alert instead of becoming a report.
  if (d_.alerts) {
    if (auto ack = co_await SmsAckReply(params["from"], report->text)) co_return std::move(*ack);
  }
  // "STOP" stops replies to this sender; it is no report.
  if (alerts::IsStopWord(report->text)) {
    TellReplies(*report, nullptr, false, true);
    HttpResponse r;
    r.content_type = "text/plain";
    co_return r;
  }
  // The gateway cannot be asked to fix a time: an SMSC clock off by more than the window is
  // clamped into it, never refused.
  const TimeMs now = d_.clock->NowMs();
  ingest::ClampObservedAt(*report, now, d_.observed_window);
  const ingest::ValidationLimits limits{d_.max_text_bytes, now, d_.observed_window};
  if (auto bad = ingest::ValidateReport(*report, *d_.areas, limits)) {
    rejected_invalid_.Inc();
    co_return Problem(400, "Invalid SMS callback", bad->field + " " + bad->problem, bad->field);
  }
  std::vector<Report> batch;
  batch.push_back(std::move(*report));
  const Report stored = batch.front();
  auto result = co_await SubmitAsync(*d_.pipeline, *inbox_, std::move(batch));
  if (!result) {
    // Kannel retries a failed callback, so a temporary refusal loses nothing.
    auto r = Problem(503, "Service Unavailable", result.error().message);
    r.headers.emplace_back("Retry-After", "1");
    co_return r;
  }
  TellReplies(stored, &result->front(), false, false);
  // An empty body: Kannel would send any body back to the sender as an SMS reply.
  HttpResponse r;
  r.status = result->front().duplicate ? 200 : 202;
  r.content_type = "text/plain";
  co_return r;
}

net::awaitable<ingest::SubmitResult> Api::Submit(std::vector<Report> reports) {
  co_return co_await SubmitAsync(*d_.pipeline, *inbox_, std::move(reports));
}

HttpResponse Api::ListSources() {
  json::array items;
  auto statuses = d_.sources ? d_.sources() : std::vector<ingest::sources::SourceStatus>{};
  auto opt_time = [](const std::optional<TimeMs>& t) {
    return t ? json::value(FormatRfc3339(*t)) : json::value(nullptr);
  };
  for (const auto& st : statuses) {
    json::object o{{"id", st.id},
                   {"type", st.type},
                   {"enabled", st.enabled},
                   {"last_success_at", opt_time(st.last_success_at)},
                   {"last_error_at", opt_time(st.last_error_at)},
                   {"last_error", st.last_error.empty() ? json::value(nullptr) : json::value(st.last_error)},
                   {"polls", st.polls},
                   {"items_accepted", st.items_accepted},
                   {"duplicates", st.duplicates},
                   {"consecutive_failures", st.consecutive_failures},
                   {"newest_item_at", opt_time(st.newest_item_at)},
                   {"paused", st.paused}};
    o["lag_seconds"] = st.lag_ms ? json::value(static_cast<double>(*st.lag_ms) / 1000.0)
                                 : json::value(nullptr);
    items.push_back(std::move(o));
  }
  return Json(200, json::object{{"sources", std::move(items)}});
}

net::awaitable<HttpResponse> Api::GetEvent(std::string id, Principal who) {
  if (!IsValidId(id)) {
    co_return Problem(400, "Invalid event id", "'" + id + "' is not an event id (26-character ULID)",
                      "id");
  }
  storage::Store* store = d_.store;
  auto read = [store, id]() { return store->GetEvent(id); };
  auto event = co_await RunBlocking<Result<std::optional<Event>>>(*d_.blocking, read);
  if (!event) {
    spdlog::error("api: reading event {} failed: {}", id, event.error().ToString());
    co_return Problem(500, "Internal Server Error", "the event could not be read");
  }
  if (!*event) co_return Problem(404, "Not Found", "no event with id " + id);
  if (auto why = who.ScopeViolation(*d_.areas, (*event)->area)) {
    forbidden_.Inc();
    co_return Problem(403, "Forbidden", "event " + id + " is outside your areas: " + *why, "id");
  }
  json::value body = EventToJson(**event, SubmitterView::For(who, d_.pseudonym_key));
  // Its rumour cluster and that cluster's latest verdict (a report that joined a cluster judged
  // false has the category known_false; the statement is read here, so a correction shows).
  struct ClusterAndVerdict {
    std::optional<ingest::ClusterId> cluster;
    std::optional<ingest::ClusterVerdictRecord> verdict;
  };
  auto read_cluster = [store, id]() -> Result<ClusterAndVerdict> {
    ClusterAndVerdict out;
    auto cluster = ingest::ClusterOfEvent(*store, id);
    if (!cluster) return tl::unexpected(cluster.error());
    out.cluster = *cluster;
    if (!out.cluster) return out;
    auto verdict = ingest::ClusterVerdict(*store, *out.cluster);
    if (!verdict) return tl::unexpected(verdict.error());
    out.verdict = std::move(*verdict);
    return out;
  };
  auto cluster = co_await RunBlocking<Result<ClusterAndVerdict>>(*d_.blocking, read_cluster);
  if (!cluster) {
    spdlog::error("api: reading the cluster of event {} failed: {}", id, cluster.error().ToString());
    co_return Problem(500, "Internal Server Error", "the event's cluster could not be read");
  }
  body.as_object()["cluster_id"] = cluster->cluster
                                       ? json::value(ingest::ClusterIdText(*cluster->cluster))
                                       : json::value(nullptr);
  if (const auto& v = cluster->verdict) {
    body.as_object()["verdict"] = json::object{{"status", VerdictStatusName(v->status)},
                                               {"statement", v->statement},
                                               {"decided_by", v->decided_by},
                                               {"decided_at", FormatRfc3339(v->decided_at)}};
  } else {
    body.as_object()["verdict"] = nullptr;
  }
  co_return Json(200, body);
}

net::awaitable<HttpResponse> Api::ListAlerts(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 5> kAllowed = {"state", "event_id", "limit",
                                                               "before", "kind"};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return Problem(400, "Invalid query", "unknown parameter (allowed: " + AllowedList(kAllowed) + ")",
                      *bad);
  }
  storage::AlertFilter filter;
  if (auto it = req.query.find("state"); it != req.query.end()) {
    filter.state = ParseDeliveryState(it->second);
    if (!filter.state) {
      co_return Problem(400, "Invalid query",
                        "state must be queued, sent, delivered, failed, dead_letter or suppressed",
                        "state");
    }
  }
  if (auto it = req.query.find("event_id"); it != req.query.end()) {
    if (!IsValidId(it->second)) co_return Problem(400, "Invalid query", "not an event id", "event_id");
    filter.event_id = it->second;
  }
  if (auto it = req.query.find("kind"); it != req.query.end()) {
    filter.kind = ParseAlertKind(it->second);
    if (!filter.kind || *filter.kind == AlertKind::kRoute) {
      co_return Problem(400, "Invalid query",
                        "kind must be event, signal, digest, follow_up, notice or reply", "kind");
    }
  }
  std::size_t limit = 100;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const auto& s = it->second;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), limit);
    if (ec != std::errc() || ptr != s.data() + s.size() || limit < 1 || limit > 1000) {
      co_return Problem(400, "Invalid query", "limit must be an integer from 1 to 1000", "limit");
    }
  }
  std::string before;
  if (auto it = req.query.find("before"); it != req.query.end()) {
    if (!IsValidId(it->second)) co_return Problem(400, "Invalid query", "not a cursor", "before");
    before = it->second;
  }
  storage::Store* store = d_.store;
  const config::AreaTree* areas = d_.areas;
  auto read = [store, filter, limit, before, who, areas]() -> Result<ScopedAlerts> {
    // Officials: their areas only.
    auto page = ListAlertsInScope(*store, filter, limit, before, who, *areas);
    if (!page) return page;
    if (auto s = MarkAcknowledged(*store, *page); !s) return tl::unexpected(s.error());
    return page;
  };
  auto alerts = co_await RunBlocking<Result<ScopedAlerts>>(*d_.blocking, read);
  if (!alerts) {
    spdlog::error("api: listing alerts failed: {}", alerts.error().ToString());
    co_return Problem(500, "Internal Server Error", "alerts could not be read");
  }
  json::array items;
  for (const auto& a : alerts->alerts) {
    json::value item = AlertToJson(a);
    item.as_object()["acknowledged"] = alerts->acknowledged_groups.count(a.group_key) > 0;
    items.push_back(std::move(item));
  }
  json::object body;
  body["alerts"] = std::move(items);
  body["next_cursor"] =
      alerts->next_cursor.empty() ? json::value(nullptr) : json::value(alerts->next_cursor);
  co_return Json(200, body);
}

HttpResponse Api::RulesInfo() {
  auto c = d_.classifier();
  const auto& info = c->info();
  json::array files;
  for (const auto& f : info.files) files.emplace_back(f);
  json::array models;
  if (d_.models) {
    for (const auto& use : d_.models()) {
      const auto& card = use.model->card();
      models.push_back(json::object{{"name", card.name},
                                    {"version", use.model->version()},
                                    {"task", card.task},
                                    {"positive", card.positive},
                                    {"trained_at", card.trained_at},
                                    {"weight", use.weight},
                                    {"min_probability", use.min_probability},
                                    {"category", use.category}});
    }
  }
  return Json(200, json::object{{"version", info.version},
                                {"loaded_at", FormatRfc3339(info.loaded_at)},
                                {"rules", info.rule_count},
                                {"terms", info.term_count},
                                {"place_patterns", info.place_pattern_count},
                                {"files", std::move(files)},
                                {"models", std::move(models)}});
}

net::awaitable<HttpResponse> Api::ReloadRules(std::string actor) {
  auto reload = [fn = d_.reload_rules, actor]() { return fn(actor); };
  auto result = co_await RunBlocking<Result<classifier::RuleSetInfo>>(*d_.blocking, reload);
  if (!result) {
    // Every problem, one per line as "file:line: rule <id>: problem"; the old ruleset still serves.
    json::array errors;
    std::string_view msg = result.error().message;
    while (!msg.empty()) {
      auto nl = msg.find('\n');
      if (nl != 0) errors.emplace_back(msg.substr(0, nl));
      if (nl == std::string_view::npos) break;
      msg.remove_prefix(nl + 1);
    }
    auto r = Problem(422, "Rules rejected",
                     "the new rules and models were not loaded; the previous ones keep serving");
    auto body = json::parse(r.body).as_object();
    body["errors"] = std::move(errors);
    body["version"] = d_.classifier()->info().version;
    r.body = ToJsonText(json::value(body));
    co_return r;
  }
  co_return RulesInfo();
}

HttpResponse Api::Readyz(const HttpRequest& req) {
  const bool ready = d_.ready && d_.ready();
  json::object body{{"status", ready ? "ready" : "not ready"}};
  // Open to orchestrators: ready or not. The details (queue, contacts that cannot be reached,
  // with their config file:line) only for an admin token.
  auto who = d_.auth->Authenticate(req.Header("authorization"));
  if (who && who->role == config::Role::kAdmin) {
    body["queue_depth"] = d_.pipeline->queue_depth();
    body["queue_capacity"] = d_.pipeline->capacity();
    if (d_.alerts) body["alerts"] = AlertsReadiness();
  }
  if (d_.cluster_connected) {
    // Cluster mode: without NATS no report can be accepted (503), so not ready.
    const bool nats = d_.cluster_connected();
    body["nats"] = nats ? "connected" : "reconnecting";
    if (!nats) {
      body["status"] = "not ready";
      return Json(503, body);
    }
  }
  return Json(ready ? 200 : 503, body);
}

}  // namespace sakchy::service
