#pragma once
// Area tension and spikes live in analytics/ (analytics/area_tension.h); these names stay visible
// in service/ for its handlers and wiring.

#include "analytics/area_tension.h"
#include "service/tension.h"

namespace sakchy::service {

using analytics::kAreaSpikesTable;
using analytics::RaisedSpike;
using analytics::TensionPoint;

}  // namespace sakchy::service
