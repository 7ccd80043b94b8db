// Training data from people: POST /v1/events/{id}/label and GET /v1/export/labels.ndjson
// (docs/MODELS.md, docs/API.md).

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <set>

#include "api_util.h"
#include "classifier/model_training.h"
#include "core/id.h"
#include "core/time.h"
#include "ingest/clustering.h"
#include "labels.h"
#include "service/api.h"
#include "service/export.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

struct LabelRequest {
  std::string label;
  std::string task;
};

// {"label": NAME, "task": NAME}; a problem as (field, detail).
std::optional<std::pair<std::string, std::string>> ParseLabelBody(std::string_view body,
                                                                  LabelRequest* out) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::pair<std::string, std::string>{"body", "must be a JSON object"};
  for (const auto& kv : v.as_object()) {
    if (kv.key() != "label" && kv.key() != "task") {
      return std::pair<std::string, std::string>{std::string(kv.key()),
                                                 "is not a field of a label (label, task)"};
    }
  }
  for (const auto& [name, dst] : {std::pair{"label", &out->label}, std::pair{"task", &out->task}}) {
    const json::value* field = v.as_object().if_contains(name);
    if (field == nullptr) return std::pair<std::string, std::string>{name, "is required"};
    if (!field->is_string() || !classifier::IsValidLabelName(field->as_string())) {
      return std::pair<std::string, std::string>{
          name, "must be a name of 1-64 letters, digits, '_' or '-'"};
    }
    *dst = field->as_string();
  }
  return std::nullopt;
}

void AppendLabelLine(std::string& out, std::string_view text, std::string_view label,
                     std::string_view task, std::string_view event_id, std::string_view source,
                     TimeMs at) {
  out += "{\"text\":";
  AppendJsonString(out, RedactPhoneNumbers(text));
  out += ",\"label\":";
  AppendJsonString(out, label);
  out += ",\"task\":";
  AppendJsonString(out, task);
  out += ",\"event_id\":";
  AppendJsonString(out, event_id);
  out += ",\"source\":";
  AppendJsonString(out, source);
  out += ",\"labelled_at\":";
  AppendJsonString(out, FormatRfc3339(at));
  out += "}\n";
}

// Analysts' labels (in event id order), then the members of clusters (of 2+ reports) with a
// false, confirmed or misleading verdict as "rumour" examples of task "rumour" (unless an analyst
// labelled the event for that task). Events whose text expired are skipped.
class LabelsStream final : public BodyStream {
 public:
  LabelsStream(storage::Store& store, const config::AreaTree& areas, net::thread_pool& pool,
               std::string task, TimeMs now)
      : store_(store),
        labels_(NewRecordsLabelStore(store)),
        areas_(areas),
        pool_(pool),
        task_(std::move(task)),
        now_(now) {}

  net::awaitable<Result<std::string>> Next() override {
    if (phase_ == Phase::kDone) co_return std::string();
    auto* self = this;
    auto work = [self]() { return self->Piece(); };
    co_return co_await RunBlocking<Result<std::string>>(pool_, work);
  }

 private:
  enum class Phase { kLabels, kVerdicts, kDone };
  static constexpr std::size_t kPage = 500;
  static constexpr VerdictStatus kRumourVerdicts[] = {VerdictStatus::kFalse,
                                                      VerdictStatus::kConfirmed,
                                                      VerdictStatus::kMisleading};

  // Blocking: the next piece; "" only when everything is done.
  Result<std::string> Piece() {
    std::string out;
    while (out.empty() && phase_ != Phase::kDone) {
      auto step = phase_ == Phase::kLabels ? LabelsPage(out) : VerdictsPage(out);
      if (!step) return tl::unexpected(step.error());
    }
    return out;
  }

  Result<std::optional<std::string>> TextOf(const std::string& event_id) {
    auto event = store_.GetEvent(event_id);
    if (!event) return tl::unexpected(event.error());
    if (!*event || (*event)->report.text.empty()) return std::optional<std::string>();
    return std::optional<std::string>(ScoredText(**event));
  }

  Status LabelsPage(std::string& out) {
    auto page = labels_->Scan(after_, kPage);
    if (!page) return tl::unexpected(page.error());
    for (const auto& l : *page) {
      after_ = LabelStore::Position(l);
      if (!task_.empty() && l.task != task_) continue;
      if (l.task == "rumour") labelled_rumour_.insert(l.event_id);
      auto text = TextOf(l.event_id);
      if (!text) return tl::unexpected(text.error());
      if (!*text) continue;
      AppendLabelLine(out, **text, l.label, l.task, l.event_id, "analyst:" + l.labelled_by,
                      l.labelled_at);
    }
    if (page->size() < kPage) phase_ = !task_.empty() && task_ != "rumour" ? Phase::kDone
                                                                           : Phase::kVerdicts;
    return OkStatus();
  }

  // One page of clusters of the current verdict status, with all their members.
  Status VerdictsPage(std::string& out) {
    ingest::ClusterQuery query;
    query.status = kRumourVerdicts[status_index_];
    query.min_members = 2;  // ListClusters' floor: a lone report is labelled on its event
    query.limit = 50;
    query.after = cursor_;
    auto page = ingest::ListClusters(store_, areas_, query, now_);
    if (!page) return tl::unexpected(page.error());
    for (const auto& c : page->clusters) {
      if (!c.verdict) continue;
      const std::string source = "verdict:" + std::string(VerdictStatusName(c.verdict->status)) +
                                 ":cluster " + ingest::ClusterIdText(c.info.id);
      ingest::ClusterDetailQuery members;
      members.members_limit = 1000;
      do {
        auto detail = ingest::GetCluster(store_, areas_, c.info.id, members, now_);
        if (!detail) return tl::unexpected(detail.error());
        if (!*detail) break;
        for (const auto& m : (*detail)->members) {
          if (labelled_rumour_.contains(m.event_id)) continue;
          auto text = TextOf(m.event_id);
          if (!text) return tl::unexpected(text.error());
          if (!*text) continue;
          AppendLabelLine(out, **text, "rumour", "rumour", m.event_id, source,
                          c.verdict->decided_at);
        }
        members.members_before = (*detail)->members_next;
      } while (!members.members_before.empty());
    }
    if (page->next_cursor.empty()) {
      cursor_.reset();
      if (++status_index_ == std::size(kRumourVerdicts)) phase_ = Phase::kDone;
    } else {
      cursor_ = ingest::DecodeClusterCursor(page->next_cursor);
      if (!cursor_) return MakeError(ErrorCode::kInternal, "clusters: bad cursor");
    }
    return OkStatus();
  }

  storage::Store& store_;
  std::unique_ptr<LabelStore> labels_;
  const config::AreaTree& areas_;
  net::thread_pool& pool_;
  const std::string task_;
  const TimeMs now_;
  Phase phase_ = Phase::kLabels;
  std::string after_;
  std::set<std::string> labelled_rumour_;
  std::size_t status_index_ = 0;
  std::optional<ingest::ClusterCursor> cursor_;
};

}  // namespace

net::awaitable<HttpResponse> Api::PostLabel(HttpRequest req, std::string id, Principal who) {
  if (!IsValidId(id)) co_return Problem(404, "Not Found", "no event with id " + id);
  if (!IsJsonContentType(req.Header("content-type"))) {
    co_return Problem(415, "Unsupported Media Type",
                      "send the label as 'Content-Type: application/json'");
  }
  LabelRequest body;
  if (auto bad = ParseLabelBody(req.body, &body)) {
    co_return Problem(400, "Invalid label", bad->first + " " + bad->second, bad->first);
  }
  storage::Store* store = d_.store;
  IdGenerator* audit_ids = &audit_ids_;
  const TimeMs now = d_.clock->NowMs();
  EventLabel label{id, body.task, body.label, who.name, now};
  auto put = [store, audit_ids, label]() -> Result<bool> {
    auto event = store->GetEvent(label.event_id);
    if (!event) return tl::unexpected(event.error());
    if (!*event) return false;
    storage::AuditEntry audit{audit_ids->Next(), label.labelled_at, label.labelled_by,
                              "event.label", label.event_id,
                              ToJsonText(json::value(json::object{{"task", label.task},
                                                                  {"label", label.label}}))};
    if (auto s = NewRecordsLabelStore(*store)->Put(label, audit); !s) {
      return tl::unexpected(s.error());
    }
    return true;
  };
  auto stored = co_await RunBlocking<Result<bool>>(*d_.blocking, put);
  if (!stored) {
    spdlog::error("api: storing a label on event {} failed: {}", id, stored.error().ToString());
    co_return Problem(500, "Internal Server Error", "the label could not be stored");
  }
  if (!*stored) co_return Problem(404, "Not Found", "no event with id " + id);
  d_.metrics->GetCounter("sakchy_event_labels_total", "Labels put on events by analysts")
      .Inc();
  co_return Json(200, json::object{{"event_id", id},
                                   {"task", label.task},
                                   {"label", label.label},
                                   {"labelled_by", label.labelled_by},
                                   {"labelled_at", FormatRfc3339(label.labelled_at)}});
}

net::awaitable<HttpResponse> Api::ExportLabels(HttpRequest req, Principal) {
  std::string task;
  if (auto it = req.query.find("task"); it != req.query.end()) {
    if (!classifier::IsValidLabelName(it->second)) {
      co_return Problem(400, "Invalid query", "task must be a name of 1-64 letters, digits, '_' or '-'",
                        "task");
    }
    task = it->second;
  }
  for (const auto& [key, value] : req.query) {
    if (key != "task") co_return Problem(400, "Invalid query", "unknown parameter " + key, key);
  }
  HttpResponse r;
  r.content_type = "application/x-ndjson; charset=utf-8";
  r.stream = std::make_shared<LabelsStream>(*d_.store, *d_.areas, *d_.blocking, std::move(task),
                                            d_.clock->NowMs());
  co_return r;
}

}  // namespace sakchy::service
