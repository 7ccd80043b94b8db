// GET /v1/cluster: the nodes of a cluster (cluster/jetstream.h), their roles and how far each
// has applied the report log; in single-node mode, that this node is alone.
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include "api_util.h"
#include "service/api.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

json::value RenderCluster(const cluster::ClusterView& v) {
  json::array servers;
  for (const auto& p : v.stream_peers) {
    servers.push_back(json::object{{"name", p.name},
                                   {"role", p.role},
                                   {"current", p.current},
                                   {"offline", p.offline},
                                   {"lag", p.lag}});
  }
  json::array nodes;
  for (const auto& c : v.nodes) {
    const std::uint64_t lag = v.last_sequence > c.ack_floor ? v.last_sequence - c.ack_floor : 0;
    nodes.push_back(json::object{{"name", c.name},
                                 {"self", c.name == v.node},
                                 {"roles", json::array{"intake", "replica"}},
                                 {"applied_through", c.ack_floor},
                                 {"delivered_through", c.delivered},
                                 {"lag", lag},
                                 {"ack_pending", c.ack_pending}});
  }
  json::object body{{"mode", "cluster"},
                    {"node", v.node},
                    {"applied_through", v.applied},
                    {"nats", json::object{{"connected", v.connected},
                                          {"url", v.connected_url},
                                          {"reconnects", v.reconnects},
                                          {"disconnects", v.disconnects}}},
                    {"stream", json::object{{"name", v.stream},
                                            {"replicas", v.replicas},
                                            {"messages", v.messages},
                                            {"last_sequence", v.last_sequence},
                                            {"servers", std::move(servers)}}},
                    {"nodes", std::move(nodes)}};
  if (!v.error.empty()) body["error"] = v.error;
  return body;
}

}  // namespace

net::awaitable<HttpResponse> Api::OnCluster(ApiCall) {
  if (!d_.cluster) {
    co_return Json(200, json::object{{"mode", "single"}, {"nodes", json::array{}}});
  }
  // Reading the stream's state asks NATS: off the io threads.
  auto view = co_await RunBlocking<cluster::ClusterView>(*d_.blocking, d_.cluster);
  co_return Json(200, RenderCluster(view));
}

}  // namespace sakchy::service
