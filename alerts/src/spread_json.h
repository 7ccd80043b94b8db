#pragma once
// The figures of a cluster spread signal (core SpreadWhy) as JSON, private to alerts: kept in the
// routing state and the signal record, and sent in webhook bodies.
//   {"people": 6, "public_sources": 0, "span_ms": 95000, "trend": "accelerating",
//    "new_areas": ["KG-J"]}

#include <boost/json.hpp>

#include <optional>

#include "core/types.h"

namespace sakchy::alerts {

boost::json::object SpreadWhyJson(const SpreadWhy& why);
// std::nullopt unless `v` is such an object (missing members read as 0 / steady / none).
std::optional<SpreadWhy> SpreadWhyFromJson(const boost::json::value* v);

}  // namespace sakchy::alerts
