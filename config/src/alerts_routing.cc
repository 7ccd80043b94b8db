#include "alerts_routing.h"

#include <algorithm>
#include <limits>

namespace sakchy::config::internal {
namespace {

constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max() / 4;
const std::vector<std::string> kLabels = {"event", "area", "category", "severity", "subject", "kind"};
constexpr int kMaxDepth = 8;

std::optional<Severity> ReadSeverityValue(const YAML::Node& node, const std::string& field,
                                  Issues& issues) {
  auto value = ReadString(node, field, issues);
  if (!value) return std::nullopt;
  auto s = ParseSeverity(*value);
  if (!s) {
    issues.Add(node, field,
               "unknown severity '" + *value + "' (expected: info, low, medium, high, critical)");
  }
  return s;
}

std::optional<std::int64_t> Millis(MapReader& map, std::string_view key, Issues& issues) {
  auto n = map.Get(key);
  if (!n) return std::nullopt;
  return ReadInt(*n, map.Field(key), issues, 0, kMaxMs);
}

void ParseMatch(const YAML::Node& node, const std::string& path, RouteMatch& out,
                Issues& issues) {
  MapReader map(node, path, issues);
  if (!map.ok()) return;
  if (auto n = map.Get("areas")) {
    if (auto v = ReadStringList(*n, map.Field("areas"), issues)) out.areas = std::move(*v);
  }
  if (auto n = map.Get("categories")) {
    if (auto v = ReadStringList(*n, map.Field("categories"), issues)) out.categories = *v;
  }
  if (auto n = map.Get("min_severity")) out.min_severity = ReadSeverityValue(*n, map.Field("min_severity"), issues);
  if (auto n = map.Get("max_severity")) out.max_severity = ReadSeverityValue(*n, map.Field("max_severity"), issues);
  if (auto n = map.Get("kinds")) {
    if (auto v = ReadStringList(*n, map.Field("kinds"), issues)) {
      for (std::size_t i = 0; i < v->size(); ++i) {
        if ((*v)[i] != "event" && (*v)[i] != "signal") {
          issues.Add((*n)[i], map.Field("kinds") + "[" + std::to_string(i) + "]",
                     "unknown kind '" + (*v)[i] + "' (expected: event, signal)");
        }
      }
      out.kinds = std::move(*v);
    }
  }
  map.Finish();
  if (out.min_severity && out.max_severity && *out.min_severity > *out.max_severity) {
    issues.Add(node, path + ".max_severity", "is below min_severity");
  }
}

void ParseEscalation(const YAML::Node& node, const std::string& path, EscalationConfig& out,
                     Issues& issues) {
  MapReader map(node, path, issues);
  if (!map.ok()) return;
  if (auto n = map.Require("after_ms")) {
    if (auto v = ReadInt(*n, map.Field("after_ms"), issues, 1, kMaxMs)) out.after_ms = *v;
  }
  if (auto n = map.Get("max_steps")) {
    if (auto v = ReadInt(*n, map.Field("max_steps"), issues, 1, 10)) {
      out.max_steps = static_cast<int>(*v);
    }
  }
  if (auto n = map.Get("min_severity")) {
    if (auto v = ReadSeverityValue(*n, map.Field("min_severity"), issues)) out.min_severity = *v;
  }
  if (auto n = map.Get("roles")) {
    if (auto v = ReadStringList(*n, map.Field("roles"), issues)) out.roles = std::move(*v);
  }
  if (auto n = map.Get("steps")) {
    if (!n->IsSequence()) {
      issues.Add(*n, map.Field("steps"), "expected a list of contact id lists");
    } else {
      std::size_t i = 0;
      for (const YAML::Node& step : *n) {
        auto v = ReadStringList(step, map.Field("steps") + "[" + std::to_string(i++) + "]", issues);
        if (v && v->empty()) issues.Add(step, map.Field("steps"), "a step needs a contact");
        if (v) out.steps.push_back(std::move(*v));
      }
      if (!out.steps.empty() && static_cast<int>(out.steps.size()) < out.max_steps) {
        out.max_steps = static_cast<int>(out.steps.size());
      }
    }
  }
  map.Finish();
}

void ParseRoute(const YAML::Node& node, const std::string& path, RouteConfig& out, Issues& issues,
                int depth) {
  MapReader map(node, path, issues);
  if (!map.ok()) return;
  out.origin = issues.Origin(node);
  const bool root = depth == 0;
  if (auto n = map.Get("match")) {
    if (root) {
      issues.Add(*n, map.Field("match"), "the root route takes every alert; match in its routes");
    } else {
      ParseMatch(*n, map.Field("match"), out.match, issues);
    }
  }
  if (auto n = map.Get("continue")) {
    if (auto v = ReadBool(*n, map.Field("continue"), issues)) out.continue_matching = *v;
  }
  if (auto n = map.Get("group_by")) {
    if (auto v = ReadStringList(*n, map.Field("group_by"), issues)) {
      for (std::size_t i = 0; i < v->size(); ++i) {
        if (std::find(kLabels.begin(), kLabels.end(), (*v)[i]) == kLabels.end()) {
          issues.Add(*n, map.Field("group_by") + "[" + std::to_string(i) + "]",
                     "unknown label '" + (*v)[i] + "' (expected: " + JoinNames(kLabels) + ")");
        }
      }
      out.group_by = std::move(*v);
    }
  }
  if (auto v = Millis(map, "group_wait_ms", issues)) out.group_wait_ms = v;
  if (auto v = Millis(map, "group_interval_ms", issues)) out.group_interval_ms = v;
  if (auto v = Millis(map, "repeat_interval_ms", issues)) out.repeat_interval_ms = v;
  if (auto n = map.Get("parent_min_severity")) {
    if (auto v = ReadStringList(*n, map.Field("parent_min_severity"), issues)) {
      std::vector<Severity> levels;
      for (std::size_t i = 0; i < v->size(); ++i) {
        auto s = ParseSeverity((*v)[i]);
        if (!s) {
          issues.Add(*n, map.Field("parent_min_severity") + "[" + std::to_string(i) + "]",
                     "unknown severity '" + (*v)[i] + "'");
        } else {
          levels.push_back(*s);
        }
      }
      out.parent_min_severity = std::move(levels);
    }
  }
  if (auto n = map.Get("escalation")) {
    ParseEscalation(*n, map.Field("escalation"), out.escalation.emplace(), issues);
  }
  if (auto n = map.Get("contacts")) {
    if (auto v = ReadStringList(*n, map.Field("contacts"), issues)) out.contacts = std::move(*v);
  }
  if (auto n = map.Get("roles")) {
    if (auto v = ReadStringList(*n, map.Field("roles"), issues)) out.roles = std::move(*v);
  }
  if (auto n = map.Get("routes")) {
    if (depth >= kMaxDepth) {
      issues.Add(*n, map.Field("routes"), "routes nest deeper than 8 levels");
    } else if (!n->IsSequence()) {
      issues.Add(*n, map.Field("routes"), "expected a list of routes");
    } else {
      std::size_t i = 0;
      for (const YAML::Node& child : *n) {
        RouteConfig c;
        c.id = out.id + "." + std::to_string(i);
        ParseRoute(child, map.Field("routes") + "[" + std::to_string(i) + "]", c, issues,
                   depth + 1);
        out.routes.push_back(std::move(c));
        ++i;
      }
    }
  }
  map.Finish();
}

}  // namespace

void ParseRootRoute(const YAML::Node& node, RouteConfig& root, Issues& issues) {
  root = RouteConfig{};
  root.id = "root";
  ParseRoute(node, "alerts.route", root, issues, 0);
}

void ParseRateLimit(const YAML::Node& node, RateLimitConfig& out, Issues& issues) {
  MapReader map(node, "alerts.rate_limit", issues);
  if (!map.ok()) return;
  if (auto n = map.Require("max")) {
    if (auto v = ReadInt(*n, map.Field("max"), issues, 0, 1'000'000)) out.max = static_cast<int>(*v);
  }
  if (auto n = map.Get("per_ms")) {
    if (auto v = ReadInt(*n, map.Field("per_ms"), issues, 1000, kMaxMs)) out.per_ms = *v;
  }
  map.Finish();
}

void AppendRouteAreaProblems(const RouteConfig& route, const std::string& path,
                             const AreaTree& areas, std::string& message) {
  for (std::size_t i = 0; i < route.match.areas.size(); ++i) {
    if (areas.Find(route.match.areas[i]) != nullptr) continue;
    if (!message.empty()) message += '\n';
    message += route.origin + ": " + path + ".match.areas[" + std::to_string(i) +
               "]: unknown area code '" + route.match.areas[i] + "'";
  }
  for (std::size_t i = 0; i < route.routes.size(); ++i) {
    AppendRouteAreaProblems(route.routes[i], path + ".routes[" + std::to_string(i) + "]", areas,
                            message);
  }
}

}  // namespace sakchy::config::internal
