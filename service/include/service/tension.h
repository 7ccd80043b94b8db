#pragma once
// The tension model lives in analytics/ (analytics/tension.h); these names stay visible in
// service/ for its handlers.

#include "analytics/tension.h"

namespace sakchy::analytics {
class AreaTension;  // analytics/area_tension.h
}  // namespace sakchy::analytics

namespace sakchy::service {

using analytics::AreaTension;

using analytics::Baseline;
using analytics::BaselineWindow;
using analytics::Baselines;
using analytics::DenseTension;
using analytics::IsSpike;
using analytics::TensionModel;
using analytics::WindowFor;
using analytics::ZScore;

}  // namespace sakchy::service
