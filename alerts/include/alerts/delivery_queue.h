#pragma once
// Cluster mode (docs/ARCHITECTURE.md "Cluster mode", "Delivery happens once"): the ports between
// the alerts module and a shared, replicated work queue of notifications. Every node routes every
// event and writes the same notifications (same ids, same idempotency keys) to its own outbox;
// instead of delivering them itself it publishes them to the queue, where the copies of the
// nodes collapse into one (message id = the notification's idempotency key). Each notification in
// the queue is taken by one node at a time, which makes one delivery attempt through its channel
// and answers when the attempt's result is written to its store: settled (the queue forgets it)
// or to be retried after a delay (the queue hands it out again, maybe to another node). A node
// that dies mid-attempt answers nothing: the queue hands the notification out again after its
// acknowledgement wait, so a receiver may see a re-send, always with the same Idempotency-Key.
// The queue (NATS JetStream) lives in cluster/, which implements NotificationQueue and drives a
// NotificationTaker; alerts does not know NATS.

#include <functional>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "core/types.h"

namespace sakchy::alerts {

// What became of a notification taken from the queue.
struct TakeResult {
  bool settled = true;     // delivered, sent, failed, dead letter or not deliverable: forget it
  TimeMs retry_in_ms = 0;  // not settled: hand it out again after this long (backoff, quiet hours)
};
using TakeCallback = std::function<void(TakeResult)>;

// Port (implemented by cluster::JetStreamNode): the cluster's queue of notifications to deliver.
// Thread safety: Publish() from any thread; `done` runs on the queue's thread (keep it short).
class NotificationQueue {
 public:
  virtual ~NotificationQueue() = default;
  // Publishes `alerts` (pending outbox entries), each with its idempotency key as message id, and
  // calls `done` once every one is durable in the queue (a copy another node published first
  // counts), or with an error (kUnavailable): then some may be in the queue and the caller
  // publishes them all again later (the copies collapse).
  virtual void Publish(std::vector<Alert> alerts, std::function<void(Status)> done) = 0;
};

// Port (implemented by the alerts Engine, driven by cluster/): a notification this node took from
// the queue. Thread safety: Take() from any thread; `done` runs on the alerts' state thread.
class NotificationTaker {
 public:
  virtual ~NotificationTaker() = default;
  // One delivery attempt of `alert`; `deliveries`: how often the queue has handed it out, this
  // time included (attempts before this one: deliveries - 1). `done` once the attempt's result
  // is written to this node's outbox (the same id as its own copy), never before.
  virtual void Take(Alert alert, int deliveries, TakeCallback done) = 0;
};

class Engine;

// Cluster mode for `engine` (made by Engine::Create): notifications about events get ids every
// node computes alike and go to `queue` instead of being attempted here. Call before
// Engine::Start; without it (one node) every notification is attempted here. `queue` must
// outlive Engine::Stop(). (Free functions rather than Engine members, so engine.h and the many
// files that include it stay as they are.)
void UseDeliveryQueue(Engine& engine, NotificationQueue& queue);
// `engine` as the queue's taker: one attempt of a notification this node took (valid while
// `engine` lives; Take() after Engine::Start).
NotificationTaker& DeliveryTaker(Engine& engine);

}  // namespace sakchy::alerts
