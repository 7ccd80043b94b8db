// Parsing of the `cluster:` section (config/config.h ClusterConfig).
#include "cluster_config.h"

#include <cctype>
#include <string>

#include "config_sections.h"

namespace sakchy::config::internal {

namespace {

// A node name names a JetStream durable consumer: letters, digits, '-' and '_' only.
bool IsNodeName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

void ParseCluster(const YAML::Node& node, ClusterConfig& out, Issues& issues) {
  MapReader map(node, "cluster", issues);
  if (!map.ok()) return;
  out.origin = issues.Origin(node);
  if (auto v = map.Require("nats_urls")) {
    if (auto urls = ReadStringList(*v, map.Field("nats_urls"), issues)) {
      if (urls->empty()) {
        issues.Add(LineOf(*v), map.Field("nats_urls"), "at least one NATS URL is required");
      }
      for (const auto& u : *urls) {
        if (u.rfind("nats://", 0) != 0 && u.rfind("tls://", 0) != 0) {
          issues.Add(LineOf(*v), map.Field("nats_urls"),
                     "'" + u + "' is not a NATS URL (nats://host:port or tls://host:port)");
        }
      }
      out.nats_urls = std::move(*urls);
    }
  }
  if (auto v = map.Require("node_name")) {
    if (auto name = ReadString(*v, map.Field("node_name"), issues)) {
      if (!IsNodeName(*name)) {
        issues.Add(LineOf(*v), map.Field("node_name"),
                   "use 1 to 64 letters, digits, '-' or '_' (it names the node's JetStream consumer)");
      }
      out.node_name = std::move(*name);
    }
  }
  ReadIntInto(map, "replicas", issues, 1, 5, out.replicas);
  if (auto v = map.Get("stream")) {
    if (auto name = ReadString(*v, map.Field("stream"), issues)) {
      if (!IsNodeName(*name)) {
        issues.Add(LineOf(*v), map.Field("stream"), "use letters, digits, '-' or '_'");
      }
      out.stream = std::move(*name);
    }
  }
  ReadIntInto(map, "publish_timeout_ms", issues, 100, 60'000, out.publish_timeout_ms);
  ReadIntInto(map, "connect_timeout_ms", issues, 100, 600'000, out.connect_timeout_ms);
  ReadIntInto(map, "duplicate_window_ms", issues, 1000, 7LL * 24 * 3600 * 1000,
              out.duplicate_window_ms);
  map.Finish();
}

}  // namespace sakchy::config::internal
