#pragma once
// Cluster mode's notification queue (alerts/delivery_queue.h) on JetStream: the work-queue stream
// SAKCHY_NOTIFY (subject "sakchy.notify", file storage, the report stream's replicas), one message
// per notification with Nats-Msg-Id = its idempotency key, and the durable pull consumer
// "sakchy-delivery" every node shares. Private to cluster/ (libnats); JetStreamNode owns it.

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "alerts/delivery_queue.h"
#include "cluster/jetstream.h"
#include "config/cluster.h"
#include "core/metrics.h"

namespace sakchy::cluster {

inline constexpr const char* kNotifyStream = "SAKCHY_NOTIFY";
inline constexpr const char* kNotifySubject = "sakchy.notify";
inline constexpr const char* kNotifyConsumer = "sakchy-delivery";

class NotifyQueue final : public alerts::NotificationQueue {
 public:
  // `js` and `cfg` must outlive this object.
  NotifyQueue(jsCtx* js, const config::ClusterConfig& cfg, const DeliveryOptions& options,
              MetricsRegistry& metrics);
  ~NotifyQueue() override;

  // Creates the stream and the shared consumer when they do not exist (kUnavailable otherwise).
  Status Ensure();
  // The publisher thread; Publish() before it fails.
  void StartPublishing();
  // The taker thread: fetches notifications and hands each to `taker`; acknowledges a settled
  // one, hands a retry back with its delay (nak), after `taker` answered.
  void StartTaking(alerts::NotificationTaker& taker);
  // Stops both (a batch being attempted is answered first); failing publishes still waiting.
  void Stop();

  void Publish(std::vector<Alert> alerts, std::function<void(Status)> done) override;

 private:
  struct Pending {
    std::vector<Alert> alerts;
    std::function<void(Status)> done;
  };
  Status PublishAll(const std::vector<Alert>& alerts);
  void PublishLoop();
  void TakeLoop();
  Status Subscribe();

  jsCtx* js_;
  const config::ClusterConfig& cfg_;
  const DeliveryOptions options_;
  alerts::NotificationTaker* taker_ = nullptr;
  natsSubscription* sub_ = nullptr;  // the taker thread's
  std::atomic<bool> publishing_{false};
  std::atomic<bool> taking_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::thread publisher_;
  std::thread taker_thread_;
  Counter& published_;
  Counter& duplicates_;
  Counter& publish_failures_;
  Counter& taken_;
  Counter& handed_back_;
  Counter& unreadable_;
};

}  // namespace sakchy::cluster
