#pragma once
// Private to config: the alert route tree, rate limit and escalation sections of `alerts:`.

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/areas.h"
#include "config/config.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

// Reads `alerts.route` into `root` (ids "root", "root.0", ...; unset values stay unset: the
// alerts module applies the defaults).
void ParseRootRoute(const YAML::Node& node, RouteConfig& root, Issues& issues);
void ParseRateLimit(const YAML::Node& node, RateLimitConfig& out, Issues& issues);
// "<origin>: alerts.route...match.areas: unknown area code 'X'" lines for every unknown area.
void AppendRouteAreaProblems(const RouteConfig& route, const std::string& path,
                             const AreaTree& areas, std::string& message);

}  // namespace sakchy::config::internal
