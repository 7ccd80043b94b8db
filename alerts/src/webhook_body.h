#pragma once
// The JSON body of a webhook delivery (private to alerts).

#include <string>

#include "core/types.h"

namespace sakchy::alerts {

// {"type":"sakchy.alert","alert_id",...}: see alerts/README.md. Deterministic for a given alert
// and event, so every attempt of one alert sends the same bytes.
std::string WebhookBody(const Alert& alert, const Event& event);

}  // namespace sakchy::alerts
