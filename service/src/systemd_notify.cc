#include "systemd_notify.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace sakchy::service {

namespace {

void Send(std::string_view fields) {
  const std::string state(fields);
  (void)sd_notify(0, state.c_str());  // < 0: not sent; = 0: not started by systemd
}

// STATUS= is one line: newlines would end the field.
std::string StatusField(std::string_view text) {
  std::string s = "STATUS=";
  for (char c : text) s += (c == '\n' || c == '\r') ? ' ' : c;
  return s;
}

}  // namespace

// Re-arming timer handler (a plain struct, not a capturing coroutine).
struct SystemdNotifier::Tick {
  SystemdNotifier* self;
  void operator()(const boost::system::error_code& ec) const {
    if (ec || self->stopped_) return;  // cancelled
    Send("WATCHDOG=1");
    self->timer_->expires_after(self->watchdog_interval_);
    self->timer_->async_wait(*this);
  }
};

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  }
}

void SystemdNotifier::Status(std::string_view text) const { Send(StatusField(text)); }

void SystemdNotifier::Ready(std::string_view status) const {
  Send("READY=1\n" + StatusField(status));
}

void SystemdNotifier::Stopping(std::string_view status) const {
  Send("STOPPING=1\n" + StatusField(status));
}

void SystemdNotifier::StartWatchdog(const boost::asio::any_io_executor& io) {
  if (watchdog_interval_.count() == 0 || timer_) return;
  Send("WATCHDOG=1");
  timer_ = std::make_unique<boost::asio::steady_timer>(boost::asio::make_strand(io),
                                                       watchdog_interval_);
  timer_->async_wait(Tick{this});
}

void SystemdNotifier::StopWatchdog() {
  stopped_ = true;
  if (!timer_) return;
  boost::asio::steady_timer* timer = timer_.get();
  boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
}

}  // namespace sakchy::service
