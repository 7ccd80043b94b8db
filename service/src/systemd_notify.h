#pragma once
// systemd service notifications (sd_notify(3), Type=notify units): READY=1 once the listener
// accepts, STATUS= lines a person reads in `systemctl status`, STOPPING=1 on shutdown, WATCHDOG=1
// keep-alives at half of WatchdogSec. Every call is a no-op when the process was not started by
// systemd (NOTIFY_SOCKET unset). libsystemd is private to this file's implementation.
// Thread safety: all methods may be called concurrently (each sends one datagram).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string_view>

namespace sakchy::service {

class SystemdNotifier {
 public:
  SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  void Status(std::string_view text) const;
  // READY=1 with a status line: the service takes traffic.
  void Ready(std::string_view status) const;
  // STOPPING=1 with a status line: shutdown began.
  void Stopping(std::string_view status) const;
  // Half of WatchdogSec when systemd watches this process ($WATCHDOG_USEC, and $WATCHDOG_PID
  // names us or is unset); zero otherwise.
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }
  // Sends WATCHDOG=1 every watchdog_interval() from a timer on `io` (so a stuck event loop stops
  // the pings and systemd restarts the service), until StopWatchdog() or the io_context stops.
  void StartWatchdog(const boost::asio::any_io_executor& io);
  void StopWatchdog();
  // Frees the watchdog's timer. Call it once the io_context's threads have stopped and before
  // the io_context is destroyed (the timer belongs to it; the notifier usually outlives it).
  void ReleaseWatchdog() { timer_.reset(); }

 private:
  struct Tick;
  std::chrono::microseconds watchdog_interval_{0};
  std::atomic<bool> stopped_{false};
  std::unique_ptr<boost::asio::steady_timer> timer_;  // on a strand of the io_context
};

}  // namespace sakchy::service
