#pragma once
// Private: parser of the `cluster:` section (cluster mode on NATS JetStream), called by ParseConfig.

#include "config/cluster.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

void ParseCluster(const YAML::Node& node, ClusterConfig& out, Issues& issues);

}  // namespace sakchy::config::internal
