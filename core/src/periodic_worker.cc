#include "core/periodic_worker.h"

#include <pthread.h>

#include <utility>

namespace sakchy {

void PeriodicWorker::Start(std::string name, std::chrono::milliseconds interval, FirstRun first,
                           std::function<void()> task) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this, name = std::move(name), interval, first, task = std::move(task)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    std::unique_lock lock(mu_);
    if (first == FirstRun::kAfterInterval &&
        wake_.wait_for(lock, interval, [this] { return stop_; })) {
      return;
    }
    while (!stop_) {
      lock.unlock();
      task();
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stop_; });
    }
  });
}

void PeriodicWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PeriodicWorker::running() const {
  std::lock_guard lock(mu_);
  return thread_.joinable();
}

}  // namespace sakchy
