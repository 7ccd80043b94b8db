#pragma once
// The `cluster:` section of the config: cluster mode on NATS JetStream (docs/OPERATIONS.md
// "A cluster"). Absent (nats_urls empty): one node, no NATS. ParseConfig checks the section with
// the rest of the file (so `sakchy config check` reports its problems); the service reads it with
// LoadClusterConfig, which only the cluster wiring needs.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace sakchy::config {

struct ClusterConfig {
  std::vector<std::string> nats_urls;  // "nats://host:port"; empty = single-node mode
  std::string node_name;               // unique per node: its durable consumer's name
  int replicas = 3;                    // the stream's replication factor (1..5)
  std::string stream = "SAKCHY_REPORTS";
  std::int64_t publish_timeout_ms = 2000;      // a publish not acknowledged by then: 503
  std::int64_t connect_timeout_ms = 5000;      // start-up: NATS unreachable by then is an error
  std::int64_t duplicate_window_ms = 600'000;  // JetStream's Nats-Msg-Id window
  std::string origin;                  // "file:line" of the section
  bool enabled() const { return !nats_urls.empty(); }
};

// The `cluster:` section of the config file at `path` (defaults when absent); the same
// "file:line: field: problem" errors as LoadConfigFile.
[[nodiscard]] Result<ClusterConfig> LoadClusterConfig(const std::string& path);

}  // namespace sakchy::config
