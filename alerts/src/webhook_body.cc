#include "webhook_body.h"

#include <boost/json.hpp>

#include "core/json_text.h"
#include "core/time.h"

namespace sakchy::alerts {

namespace {

namespace json = boost::json;

json::object BaseBody(const Alert& alert, const Event& event) {
  json::object body;
  body["type"] = "sakchy.alert";
  body["alert_id"] = alert.id;
  body["event_id"] = alert.event_id;
  body["idempotency_key"] = alert.idempotency_key;
  if (alert.area.empty()) {
    body["area"] = nullptr;
  } else {
    body["area"] = alert.area;
  }
  body["severity"] = SeverityName(alert.severity);
  json::array categories;
  for (const std::string& c : alert.categories) categories.emplace_back(c);
  body["categories"] = std::move(categories);
  body["score"] = event.score;
  body["text"] = event.report.text;
  json::array matches;
  for (const Match& m : event.matches) {
    matches.emplace_back(json::object{{"rule_id", m.rule_id},
                                      {"category", m.category},
                                      {"term", m.term},
                                      {"begin", m.begin},
                                      {"end", m.end}});
  }
  body["matches"] = std::move(matches);
  body["observed_at"] = FormatRfc3339(event.report.observed_at);
  body["created_at"] = FormatRfc3339(alert.created_at);
  body["contact_id"] = alert.contact_id;
  return body;
}

}  // namespace

std::string WebhookBody(const Alert& alert, const Event& event) {
  return ToJsonText(json::value(BaseBody(alert, event)));
}

std::string NotificationBody(const Alert& alert, const Event* event, int events, int sources,
                             std::string_view extra_json) {
  json::object body;
  if (event != nullptr) {
    body = BaseBody(alert, *event);
  } else {
    body["type"] = "sakchy.alert";
    body["alert_id"] = alert.id;
    body["idempotency_key"] = alert.idempotency_key;
    body["area"] = alert.area.empty() ? json::value(nullptr) : json::value(alert.area);
    body["severity"] = SeverityName(alert.severity);
    json::array categories;
    for (const std::string& c : alert.categories) categories.emplace_back(c);
    body["categories"] = std::move(categories);
    body["created_at"] = FormatRfc3339(alert.created_at);
    body["contact_id"] = alert.contact_id;
  }
  body["kind"] = AlertKindName(alert.kind);
  body["group_key"] = alert.group_key;
  body["sequence"] = alert.sequence;
  body["escalation_step"] = alert.escalation_step;
  json::array ids;
  for (const std::string& id : alert.event_ids) ids.emplace_back(id);
  body["event_ids"] = std::move(ids);
  body["events"] = events;
  body["sources"] = sources;
  if (!alert.subject_id.empty()) body["subject_id"] = alert.subject_id;
  if (!extra_json.empty()) {
    boost::system::error_code ec;
    json::value extra = json::parse(extra_json, ec);
    if (!ec && extra.is_object()) {
      for (auto& [key, value] : extra.as_object()) body[key] = value;
    }
  }
  return ToJsonText(json::value(body));
}

}  // namespace sakchy::alerts
