#pragma once
// The HTTP server's resource limits (http.cc): the table of open connections with its caps and
// idle-first eviction, the budget of request bodies in flight, a log limiter, and the server's
// metrics in one place.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"

namespace sakchy::service::internal {

// A connection as the table sees it. Idle means waiting for the first byte of a request: a fresh
// connection, or a keep-alive one between requests. Idle connections are the first to go when
// the server is at a limit.
class TrackedConnection {
 public:
  explicit TrackedConnection(std::string ip) : ip_(std::move(ip)) {}
  virtual ~TrackedConnection() = default;
  TrackedConnection(const TrackedConnection&) = delete;
  TrackedConnection& operator=(const TrackedConnection&) = delete;

  // Closes the connection (posted to its own executor; any thread may call it).
  virtual void Evict() = 0;

  // Called by the connection's own coroutine; cheap (two relaxed atomic stores).
  void SetIdle(bool idle, std::chrono::steady_clock::time_point now) {
    if (idle) idle_since_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    idle_.store(idle, std::memory_order_release);
  }
  const std::string& ip() const { return ip_; }

 private:
  friend class ConnectionTable;
  const std::string ip_;
  std::atomic<bool> idle_{true};
  std::atomic<std::chrono::steady_clock::rep> idle_since_{0};
  // Guarded by the table's mutex.
  std::size_t index_ = 0;
  bool evicting_ = false;
};

// The open connections, at most `max_total` of them and `max_per_ip` per peer address.
// Thread safety: all methods may be called concurrently.
class ConnectionTable {
 public:
  enum class Admission { kAdmitted, kRefusedTotal, kRefusedPerIp };
  struct AdmitResult {
    Admission admission = Admission::kAdmitted;
    bool evicted = false;  // an idle connection was evicted to make room
  };
  ConnectionTable(std::size_t max_total, std::size_t max_per_ip);

  // Registers `c`. At a limit the oldest idle connection (of the same address, for the per-IP
  // limit) is evicted to make room; without one, `c` is refused and not registered.
  AdmitResult Admit(const std::shared_ptr<TrackedConnection>& c);
  // Unregisters `c` (its session ended). Idempotent.
  void Remove(TrackedConnection* c);
  // Evicts the oldest idle connection (e.g. descriptors ran out); false when none is idle.
  bool EvictOldestIdle();
  std::size_t size() const;
  std::size_t max_total() const { return max_total_; }

 private:
  // The oldest idle connection not yet being evicted, of `ip` when given; marks it evicting.
  // Requires mu_.
  std::shared_ptr<TrackedConnection> PickVictim(const std::string* ip);

  const std::size_t max_total_;
  const std::size_t max_per_ip_;
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<TrackedConnection>> all_;  // guarded by mu_
  std::vector<TrackedConnection*> raw_;                 // parallel to all_; guarded by mu_
  std::unordered_map<std::string, std::size_t> per_ip_;  // guarded by mu_
  std::size_t evicting_ = 0;                             // guarded by mu_
};

// Bytes of request bodies the server holds at once, shown in `in_use`. Thread safety: lock-free,
// any thread.
class BodyBudget {
 public:
  BodyBudget(std::size_t capacity, Gauge& in_use) : capacity_(capacity), in_use_(in_use) {}
  // Takes `n` bytes; false (nothing taken) when that would exceed the capacity.
  [[nodiscard]] bool TryTake(std::size_t n);
  void Give(std::size_t n);
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  Gauge& in_use_;
  std::atomic<std::size_t> used_{0};
};

// Lets a repeated log line through at most once per interval and counts the ones it held back.
// Thread safety: any thread.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  // std::nullopt: hold this one back. Otherwise log it, with the number held back since the
  // previous line.
  std::optional<std::uint64_t> Allow(std::chrono::steady_clock::time_point now);

 private:
  const std::chrono::steady_clock::duration interval_;
  std::mutex mu_;
  std::optional<std::chrono::steady_clock::time_point> last_;  // guarded by mu_
  std::uint64_t held_back_ = 0;                                // guarded by mu_
};

// Which deadline closed a connection.
enum class TimeoutPhase { kIdle, kHeader, kBody, kWrite };

// The HTTP server's metrics (docs/OPERATIONS.md, "HTTP limits").
struct HttpProbe {
  explicit HttpProbe(MetricsRegistry& metrics);
  Counter& Timeout(TimeoutPhase phase);

  Gauge& connections;
  Gauge& body_bytes_in_flight;
  Counter& refused_total;       // max_connections reached, nothing idle to evict
  Counter& refused_per_ip;      // max_connections_per_ip reached, nothing idle of that address
  Counter& evicted;             // idle connections closed to make room
  Counter& accept_descriptors;  // accept failed: EMFILE/ENFILE (and ENOBUFS/ENOMEM)
  Counter& accept_other;        // accept failed otherwise
  Counter& body_budget_refused; // 503: max_body_bytes_in_flight
  Counter& tls_handshake_failed;
  Counter& timeout_idle;
  Counter& timeout_header;
  Counter& timeout_body;
  Counter& timeout_write;
};

}  // namespace sakchy::service::internal
