// The notification queue's encoding of a notification (cluster/jetstream.h): JSON, version 1,
// every field of the outbox entry (the receiver's address and rendered payload included: the
// node that takes it sends exactly what the node that created it rendered).
#include <simdjson.h>

#include <boost/json.hpp>

#include "cluster/jetstream.h"
#include "core/json_dom.h"

namespace sakchy::cluster {

namespace json = boost::json;

std::string EncodeQueuedNotification(const Alert& a) {
  json::object o;
  o["v"] = 1;
  o["id"] = a.id;
  o["kind"] = AlertKindName(a.kind);
  o["event_id"] = a.event_id;
  o["area"] = a.area;
  o["severity"] = SeverityName(a.severity);
  json::array cats;
  for (const auto& c : a.categories) cats.emplace_back(c);
  o["categories"] = std::move(cats);
  o["contact_id"] = a.contact_id;
  o["channel"] = a.channel;
  o["target"] = a.target;
  o["idempotency_key"] = a.idempotency_key;
  o["state"] = static_cast<int>(a.state);
  o["attempts"] = a.attempts;
  o["created_at"] = a.created_at;
  o["next_attempt_at"] = a.next_attempt_at;
  o["delivered_at"] = a.delivered_at;
  o["sent_at"] = a.sent_at;
  o["last_error"] = a.last_error;
  o["group_key"] = a.group_key;
  json::array events;
  for (const auto& e : a.event_ids) events.emplace_back(e);
  o["event_ids"] = std::move(events);
  o["subject_id"] = a.subject_id;
  o["sequence"] = a.sequence;
  o["escalation_step"] = a.escalation_step;
  o["channel_index"] = a.channel_index;
  o["payload"] = a.payload;
  return json::serialize(o);
}

Result<Alert> DecodeQueuedNotification(std::string_view data) {
  // Read with simdjson, as every JSON input (encoded above with Boost.JSON, as every output).
  simdjson::dom::parser parser;
  simdjson::dom::element o;
  const simdjson::padded_string padded(data);
  if (parser.parse(padded).get(o) != simdjson::SUCCESS ||
      o.type() != simdjson::dom::element_type::OBJECT) {
    return MakeError(ErrorCode::kInvalidArgument, "cluster: a queued notification is not a JSON object");
  }
  auto str = [o](std::string_view k) { return json_dom::Str(o, k).value_or(""); };
  auto num = [o](std::string_view k) { return json_dom::Int(o, k).value_or(0); };
  if (num("v") != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cluster: a queued notification of an unknown version (a newer node wrote it?)");
  }
  Alert a;
  a.id = str("id");
  auto kind = ParseAlertKind(str("kind"));
  auto severity = ParseSeverity(str("severity"));
  const std::int64_t state = num("state");
  if (a.id.empty() || !kind || !severity || str("channel").empty() || state < 0 ||
      state >= kDeliveryStateCount) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cluster: a queued notification without id, kind, severity, channel or state");
  }
  a.kind = *kind;
  a.severity = *severity;
  a.state = static_cast<DeliveryState>(state);
  a.event_id = str("event_id");
  a.area = str("area");
  a.categories = json_dom::Strings(o, "categories");
  a.contact_id = str("contact_id");
  a.channel = str("channel");
  a.target = str("target");
  a.idempotency_key = str("idempotency_key");
  a.attempts = static_cast<int>(num("attempts"));
  a.created_at = num("created_at");
  a.next_attempt_at = num("next_attempt_at");
  a.delivered_at = num("delivered_at");
  a.sent_at = num("sent_at");
  a.last_error = str("last_error");
  a.group_key = str("group_key");
  a.event_ids = json_dom::Strings(o, "event_ids");
  a.subject_id = str("subject_id");
  a.sequence = static_cast<int>(num("sequence"));
  a.escalation_step = static_cast<int>(num("escalation_step"));
  a.channel_index = static_cast<int>(num("channel_index"));
  a.payload = str("payload");
  return a;
}

}  // namespace sakchy::cluster
