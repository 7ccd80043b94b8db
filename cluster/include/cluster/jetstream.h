#pragma once
// Cluster mode on NATS JetStream: this node's connection to the NATS cluster, the report log
// (stream `cluster.stream`, file storage, `cluster.replicas` replicas, subject
// "sakchy.reports"), and the node's durable pull consumer (named `cluster.node_name`) that applies
// the log, in stream order, to the local store through ingest::LogApplier.
// libnats stays inside this module; the ports are ingest's (ingest/report_log.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerts/delivery_queue.h"
#include "config/cluster.h"
#include "core/metrics.h"
#include "core/result.h"
#include "ingest/report_log.h"

namespace sakchy::cluster {

// One node's consumer of the log, as the NATS cluster sees it.
struct ConsumerView {
  std::string name;               // the sakchy node's name
  std::uint64_t delivered = 0;    // last stream sequence delivered to it
  std::uint64_t ack_floor = 0;    // every entry up to here is applied on that node
  std::uint64_t pending = 0;      // entries not yet delivered (lag)
  std::uint64_t ack_pending = 0;  // delivered, not yet applied
};

struct PeerView {
  std::string name;  // a NATS server
  std::string role;  // "leader" | "replica"
  bool current = false;
  bool offline = false;
  std::uint64_t lag = 0;
};

struct ClusterView {
  std::string node;            // this sakchy node
  bool connected = false;      // to a NATS server now
  std::string connected_url;   // which one
  std::uint64_t reconnects = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t applied = 0;   // log position applied here
  std::string stream;
  int replicas = 0;
  std::uint64_t messages = 0;
  std::uint64_t last_sequence = 0;
  std::string error;           // why the stream could not be read now (empty: it could)
  std::vector<PeerView> stream_peers;  // the NATS servers holding the stream
  std::vector<ConsumerView> nodes;     // every sakchy node's consumer
};

// The notification queue's settings (docs/ARCHITECTURE.md "Cluster mode", "Delivery happens
// once"), set by the service from the alerts' config.
struct DeliveryOptions {
  // A notification taken and not answered by then is handed to another node (its taker died):
  // longer than one attempt (alerts.timeout_ms) and the write of its result.
  std::int64_t ack_wait_ms = 30'000;
  // The copies of one notification published within this window collapse into one; at least
  // alerts.give_up_after_ms, since a restarted node publishes its pending copies that young again.
  std::int64_t duplicate_window_ms = 24LL * 3600 * 1000;
  int max_in_flight = 16;  // notifications one node attempts at a time
};

// Thread safety: Append(), Connected(), View() from any thread; Start/Stop by the owner.
class JetStreamNode final : public ingest::ReportLog {
 public:
  ~JetStreamNode() override;
  JetStreamNode(const JetStreamNode&) = delete;
  JetStreamNode& operator=(const JetStreamNode&) = delete;

  // Connects to `cfg.nats_urls` (kUnavailable when no server answers within
  // connect_timeout_ms: a clear start-up error) and creates the stream if it does not exist.
  // Reconnects are automatic afterwards (sakchy_cluster_nats_* metrics).
  [[nodiscard]] static Result<std::unique_ptr<JetStreamNode>> Connect(
      const config::ClusterConfig& cfg, MetricsRegistry& metrics,
      const DeliveryOptions& delivery = {});

  // Starts the publisher and the consumer threads: the consumer (re)creates this node's durable
  // consumer at applier.AppliedThrough() + 1 and applies the log from there, acknowledging an
  // entry after `applier` reported it durable. `applier` must outlive Stop().
  [[nodiscard]] Status Start(ingest::LogApplier& applier);
  // Stops consuming (entries not yet acknowledged are delivered again at the next start) and
  // fails appends still waiting (kUnavailable); closes the connection. Idempotent.
  void Stop();

  // Cluster mode's notification queue (alerts/delivery_queue.h): the work-queue stream
  // SAKCHY_NOTIFY (created with the report stream at Connect, `cluster.replicas` replicas, file
  // storage), message id = the notification's idempotency key. Valid from Connect to the
  // destruction; Publish works from Connect until Stop (then kUnavailable).
  alerts::NotificationQueue& Notifications();
  // Takes notifications from the queue through the durable consumer
  // every node shares ("sakchy-delivery"), handing each to `taker`: one node at a time attempts
  // a notification; it is acknowledged after `taker` answered settled, handed back with the
  // answered delay otherwise, and handed to another node after ack_wait_ms when its taker died.
  // `taker` must outlive Stop().
  [[nodiscard]] Status StartDelivery(alerts::NotificationTaker& taker);

  void Append(std::vector<Report> reports, ingest::AppendCallback done) override;

  bool Connected() const;
  // Reads the stream's and the consumers' state from NATS (blocking, bounded by the publish
  // timeout); `applied`: this node's applied position.
  ClusterView View(std::uint64_t applied) const;

 private:
  class Impl;
  explicit JetStreamNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The log's encoding of a report (JSON, version 1; Report::reply_address is never written).
std::string EncodeLogReport(const Report& report);
Result<Report> DecodeLogReport(std::string_view data);

// The notification queue's encoding of an outbox entry (JSON, version 1, every field).
std::string EncodeQueuedNotification(const Alert& alert);
Result<Alert> DecodeQueuedNotification(std::string_view data);

}  // namespace sakchy::cluster
