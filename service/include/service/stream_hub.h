#pragma once
// Live updates for GET /v1/stream (Server-Sent Events): new alert notifications and rumour
// clusters that spread. Notifications are created by the alerts module's state thread after
// routing, so a poller thread reads the outbox for those newer than the newest it has seen;
// cluster spread signals are handed over by the scoring path (PublishSignals). Each subscriber
// gets only what its Principal may see, as the REST API scopes it: an alert when MaySee(its
// area) (GET /v1/alerts), a cluster when one of its areas is visible (GET /v1/clusters); an
// official is told of a spreading cluster only its id, the time and their own areas it reached
// (the signal's reason, summary, counts and severity include other areas' reports).
//
// Thread safety: every method may be called from any thread. A stream runs on its connection's
// strand; a full subscriber queue is replaced by one `overflow` event (the client refetches),
// never dropped silently.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/areas.h"
#include "core/result.h"
#include "core/periodic_worker.h"
#include "core/types.h"
#include "service/auth.h"
#include "service/http.h"
#include "storage/store.h"

namespace sakchy::service {

struct StreamHubOptions {
  std::chrono::milliseconds poll_interval{1000};  // outbox reads for new notifications
  std::chrono::milliseconds heartbeat{15000};     // a comment line when nothing else was sent
  std::size_t max_subscribers = 256;              // more: Subscribe returns nullptr (503)
  std::size_t max_queued = 256;                   // frames waiting per subscriber
};

class StreamHub : public std::enable_shared_from_this<StreamHub> {
 public:
  // `store` and `areas` must outlive the hub's poller (Stop before they go).
  static std::shared_ptr<StreamHub> Create(storage::Outbox& store, const config::AreaTree& areas,
                                           StreamHubOptions options = {});
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;
  ~StreamHub();

  // Takes the newest notification as the starting point and starts the poller thread.
  // Blocking (a store read).
  [[nodiscard]] Status Start();
  // Stops and joins the poller. Open streams stay open (heartbeats) until their connection ends.
  void Stop();
  // Reads the notifications newer than the last one seen and publishes them, oldest first (the
  // poller calls this every poll_interval; tests call it directly). Blocking (store reads).
  [[nodiscard]] Status PollOnce();
  // Cluster spread signals (ingest::PipelineHooks::signals_committed). Does not block.
  void PublishSignals(const std::vector<Signal>& signals);

  // An event stream for `who`, running on `strand` (the connection's: wake-ups are posted to it,
  // so it must be a strand or a single-threaded executor). nullptr when max_subscribers streams
  // are open. The stream ends only when the connection does.
  std::shared_ptr<BodyStream> Subscribe(Principal who, boost::asio::any_io_executor strand);
  std::size_t subscribers() const;

 private:
  struct Subscriber;
  class Stream;
  StreamHub(storage::Outbox& store, const config::AreaTree& areas, StreamHubOptions options);
  // Queues `frame` for every subscriber that may see one of `areas`; a scoped subscriber (an
  // official) gets `scoped(the areas it may see)` instead when `scoped` is given.
  void Publish(const std::string& frame, const std::vector<AreaCode>& areas,
               const std::function<std::string(const std::vector<AreaCode>&)>* scoped = nullptr);
  void PublishOverflow();
  void Remove(const Subscriber* sub);

  storage::Outbox& store_;
  const config::AreaTree& areas_;
  const StreamHubOptions options_;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;  // guarded by mu_
  std::string last_alert_id_;                             // guarded by poll_mu_
  std::mutex poll_mu_;                                    // one PollOnce at a time

  PeriodicWorker poller_;  // last: stopped before the members its task uses go
};

}  // namespace sakchy::service
