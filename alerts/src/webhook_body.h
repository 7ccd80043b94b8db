#pragma once
// The JSON body of a webhook delivery (private to alerts).

#include <string>

#include "core/types.h"

namespace sakchy::alerts {

// {"type":"sakchy.alert","alert_id",...}: see alerts/README.md. Deterministic for a given alert
// and event, so every attempt of one alert sends the same bytes.
std::string WebhookBody(const Alert& alert, const Event& event);

// The body of a notification planned by the engine: WebhookBody's fields (when `event` is given)
// plus "kind", "group_key", "sequence", "escalation_step", "event_ids", "events", "sources";
// `extra` (a JSON object's members, e.g. a digest's "items" or a signal's "summary") is merged in.
std::string NotificationBody(const Alert& alert, const Event* event, int events, int sources,
                             std::string_view extra_json = {});

}  // namespace sakchy::alerts
