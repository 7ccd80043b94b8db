#pragma once
// A named thread that runs one task periodically: the one helper for background sweeps, checks
// and watchers.
//
// Thread safety: Start, Stop and running by the owner (one thread at a time, never the task); the
// task runs on the worker thread only, never two at a time. Blocking: Stop waits for a running task
// to return (it is not interrupted) and then joins, without waiting out the interval.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace sakchy {

class PeriodicWorker {
 public:
  enum class FirstRun {
    kAtStart,         // the task runs at once, then every interval
    kAfterInterval,   // the first run is one interval after Start
  };

  PeriodicWorker() = default;
  ~PeriodicWorker() { Stop(); }
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  // Starts the thread named `name` (at most 15 bytes are kept). A no-op while it runs. The task
  // must not call Start or Stop of this worker.
  void Start(std::string name, std::chrono::milliseconds interval, FirstRun first,
             std::function<void()> task);
  // Wakes the thread, waits for a running task to return and joins. Start may follow.
  void Stop();
  bool running() const;

 private:
  mutable std::mutex mu_;  // guards stop_ and the waits
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sakchy
