#include "webhook_body.h"

#include <boost/json.hpp>

#include "core/json_text.h"
#include "core/time.h"

namespace sakchy::alerts {

std::string WebhookBody(const Alert& alert, const Event& event) {
  namespace json = boost::json;
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
  return ToJsonText(json::value(body));
}

}  // namespace sakchy::alerts
