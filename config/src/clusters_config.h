#pragma once
// The `clusters:` section of the config (private to config/).

#include "config/config.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

void ParseClusters(const YAML::Node& node, ClustersConfig& out, Issues& issues);

}  // namespace sakchy::config::internal
