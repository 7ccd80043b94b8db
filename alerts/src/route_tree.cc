#include "route_tree.h"

namespace sakchy::alerts::notifier_internal {

RouteTree::RouteTree(const config::RouteConfig& root, const config::AreaTree& areas)
    : areas_(areas) {
  Build(root, nullptr);
}

std::size_t RouteTree::Build(const config::RouteConfig& c, const Route* parent) {
  Route r;
  r.id = c.id.empty() ? (parent == nullptr ? "root" : parent->id + ".x") : c.id;
  r.match = c.match;
  r.cont = c.continue_matching;
  if (parent != nullptr) {
    r.group_by = parent->group_by;
    r.group_wait = parent->group_wait;
    r.group_interval = parent->group_interval;
    r.repeat_interval = parent->repeat_interval;
    r.parent_min_severity = parent->parent_min_severity;
    r.escalation = parent->escalation;
  } else {
    r.group_by = {"event"};
    r.parent_min_severity = {Severity::kHigh, Severity::kCritical};
  }
  if (c.group_by) r.group_by = *c.group_by;
  if (c.group_wait_ms) r.group_wait = *c.group_wait_ms;
  if (c.group_interval_ms) r.group_interval = *c.group_interval_ms;
  if (c.repeat_interval_ms) r.repeat_interval = *c.repeat_interval_ms;
  if (c.parent_min_severity) r.parent_min_severity = *c.parent_min_severity;
  if (c.escalation) r.escalation = c.escalation;
  r.contacts = c.contacts;
  r.roles = c.roles;
  const std::size_t index = routes_.size();
  routes_.push_back(r);
  index_[r.id] = index;
  for (const auto& child : c.routes) {
    const std::size_t child_index = Build(child, &routes_[index]);
    routes_[index].children.push_back(child_index);
  }
  return index;
}

const Route& RouteTree::Find(const std::string& id) const {
  auto it = index_.find(id);
  return routes_[it == index_.end() ? 0 : it->second];
}

bool RouteTree::Matches(const Route& r, const RoutingInput& in) const {
  const config::RouteMatch& m = r.match;
  if (!m.areas.empty()) {
    if (in.area.empty()) return false;
    bool within = false;
    for (const auto& a : m.areas) within = within || areas_.IsWithin(in.area, a);
    if (!within) return false;
  }
  if (!m.categories.empty()) {
    bool any = false;
    for (const auto& c : in.categories) any = any || Contains(m.categories, c);
    if (!any) return false;
  }
  if (m.min_severity && in.severity < *m.min_severity) return false;
  if (m.max_severity && in.severity > *m.max_severity) return false;
  if (!m.kinds.empty() && !Contains(m.kinds, std::string(AlertKindName(in.kind)))) return false;
  return true;
}

std::vector<const Route*> RouteTree::Destinations(const RoutingInput& in) const {
  std::vector<const Route*> out;
  Collect(0, in, out);
  return out;
}

void RouteTree::Collect(std::size_t index, const RoutingInput& in,
                        std::vector<const Route*>& out) const {
  bool taken = false;
  for (std::size_t child : routes_[index].children) {
    if (!Matches(routes_[child], in)) continue;
    Collect(child, in, out);
    taken = true;
    if (!routes_[child].cont) break;
  }
  if (!taken) out.push_back(&routes_[index]);
}

std::string RouteTree::GroupKey(const Route& r, const RoutingInput& in) {
  std::string key = r.id + "/";
  // A signal's updates form one group per cluster / area, never mixed with event groups.
  std::string suffix;
  if (in.kind == AlertKind::kSignal && !Contains(r.group_by, "subject") &&
      !Contains(r.group_by, "event")) {
    suffix = std::string(r.group_by.empty() ? "" : ",") + "signal=" + in.key;
  }
  if (r.group_by.empty()) return key + (suffix.empty() ? "*" : suffix);
  bool first = true;
  for (const auto& label : r.group_by) {
    std::string value;
    if (label == "event") {
      value = in.key;
    } else if (label == "area") {
      value = in.area.empty() ? "-" : in.area;
    } else if (label == "category") {
      value = JoinCategories(in.categories);
    } else if (label == "severity") {
      value = std::string(SeverityName(in.severity));
    } else if (label == "subject") {
      value = in.subject;
    } else if (label == "kind") {
      value = std::string(AlertKindName(in.kind));
    }
    key += (first ? "" : ",") + label + "=" + value;
    first = false;
  }
  return key + suffix;
}

}  // namespace sakchy::alerts::notifier_internal
