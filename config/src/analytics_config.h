#pragma once
// Private: parsers of the `analytics:` and `retention:` sections, called by ParseConfig.

#include "config/analytics.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

void ParseAnalytics(const YAML::Node& node, AnalyticsConfig& out, Issues& issues);
void ParseRetention(const YAML::Node& node, RetentionConfig& out, Issues& issues);

}  // namespace sakchy::config::internal
