#pragma once
// The dispatcher's delivery-state writes (private to alerts). Changes are queued from any thread
// and written by one task on the alerts' state thread: the newest state of each notification, an
// audit entry per state change and what the owner adds to it (DispatcherHooks::on_change), in one
// atomic write; the owner's new notifications are then handed on.
//
// Thread safety: Persist from any thread; Flush and Write on the state thread only (the pool
// given to the constructor, one thread).

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/dispatcher.h"
#include "core/id.h"
#include "core/time.h"
#include "core/types.h"
#include "storage/ports.h"

namespace sakchy::alerts {

// A state change waiting to be written; `before` is the state the last write held.
struct StateChange {
  Alert alert;
  DeliveryState before = DeliveryState::kPending;
};

// The newest change of each notification in `batch`, with the `before` of its first one (the
// state the store still holds), in the order of their newest changes. Pure.
std::vector<StateChange> CoalesceChanges(std::vector<StateChange> batch);

class StateWriter {
 public:
  using OnChange = std::function<Reaction(const Alert& alert, DeliveryState before)>;
  using Added = std::function<void(std::vector<Alert>)>;

  // `state_thread` runs the writes (it must outlive this object's last Persist); `ids` numbers
  // the audit entries; `added` receives the notifications `on_change` added once they are written.
  StateWriter(storage::Outbox& outbox, const Clock& clock, IdGenerator& ids, OnChange on_change,
              Added added, boost::asio::thread_pool& state_thread);

  // Any thread. Queues a change; one task on the state thread writes what has accumulated.
  void Persist(const Alert& alert, DeliveryState before);

  // State thread. Writes every queued change (CoalesceChanges). Retries a failed write a few
  // times: the attempt has happened, and losing its outcome would repeat it after a restart
  // (with the same idempotency key).
  void Flush();

  // State thread. One atomic write of the alerts with an audit entry per state change (with
  // `note`, when not empty) and the owner's additions; false when three attempts failed.
  [[nodiscard]] bool Write(const std::vector<StateChange>& changes, const std::string& note);

 private:
  storage::Outbox& outbox_;
  const Clock& clock_;
  IdGenerator& ids_;
  OnChange on_change_;
  Added added_;
  boost::asio::thread_pool& state_thread_;

  std::mutex mu_;
  std::vector<StateChange> queued_;  // guarded by mu_
  bool flush_scheduled_ = false;     // guarded by mu_
};

}  // namespace sakchy::alerts
