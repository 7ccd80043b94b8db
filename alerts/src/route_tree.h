#pragma once
// The routing tree of `alerts.route` (private to alerts): every route with its inherited settings
// resolved, Alertmanager's walk from the root to the routes an input goes to, and the group key
// a route gives an input. Immutable once built; read by the Notifier on the state thread.

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "alerts/notifier.h"
#include "config/areas.h"
#include "config/config.h"
#include "notifier_state.h"

namespace sakchy::alerts::notifier_internal {

class RouteTree {
 public:
  // `areas` must outlive the tree.
  RouteTree(const config::RouteConfig& root, const config::AreaTree& areas);

  // The routes `in` goes to, in walk order: children in order, the first that matches takes it
  // unless it says `continue`; a route no child takes is itself a destination.
  [[nodiscard]] std::vector<const Route*> Destinations(const RoutingInput& in) const;

  // The route with that id; the root when there is none (a group restored after a config change
  // removed its route).
  [[nodiscard]] const Route& Find(const std::string& id) const;

  // The key of the group `in` joins on route `r`: the route id and its group_by labels' values.
  [[nodiscard]] static std::string GroupKey(const Route& r, const RoutingInput& in);

 private:
  std::size_t Build(const config::RouteConfig& c, const Route* parent);
  bool Matches(const Route& r, const RoutingInput& in) const;
  void Collect(std::size_t index, const RoutingInput& in, std::vector<const Route*>& out) const;

  const config::AreaTree& areas_;
  std::vector<Route> routes_;  // [0] is the root
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace sakchy::alerts::notifier_internal
