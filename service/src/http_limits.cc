#include "http_limits.h"

namespace sakchy::service::internal {

ConnectionTable::ConnectionTable(std::size_t max_total, std::size_t max_per_ip)
    : max_total_(max_total), max_per_ip_(max_per_ip) {}

std::shared_ptr<TrackedConnection> ConnectionTable::PickVictim(const std::string* ip) {
  TrackedConnection* best = nullptr;
  std::size_t best_index = 0;
  std::chrono::steady_clock::rep best_since = 0;
  for (std::size_t i = 0; i < raw_.size(); ++i) {
    TrackedConnection* c = raw_[i];
    if (c->evicting_ || !c->idle_.load(std::memory_order_acquire)) continue;
    if (ip && c->ip_ != *ip) continue;
    const auto since = c->idle_since_.load(std::memory_order_relaxed);
    if (!best || since < best_since) {
      best = c;
      best_index = i;
      best_since = since;
    }
  }
  if (!best) return nullptr;
  auto victim = all_[best_index].lock();
  if (!victim) return nullptr;  // its session is ending; Remove() comes next
  best->evicting_ = true;
  ++evicting_;
  return victim;
}

ConnectionTable::AdmitResult ConnectionTable::Admit(const std::shared_ptr<TrackedConnection>& c) {
  AdmitResult result;
  std::shared_ptr<TrackedConnection> victim;
  {
    std::lock_guard lock(mu_);
    auto& same_ip = per_ip_[c->ip_];
    if (max_per_ip_ > 0 && same_ip >= max_per_ip_) {
      victim = PickVictim(&c->ip_);
      if (!victim) {
        if (same_ip == 0) per_ip_.erase(c->ip_);
        result.admission = Admission::kRefusedPerIp;
        return result;
      }
    } else if (raw_.size() - evicting_ >= max_total_) {
      victim = PickVictim(nullptr);
      if (!victim) {
        if (same_ip == 0) per_ip_.erase(c->ip_);
        result.admission = Admission::kRefusedTotal;
        return result;
      }
    }
    c->index_ = raw_.size();
    all_.push_back(c);
    raw_.push_back(c.get());
    ++same_ip;
  }
  if (victim) {
    result.evicted = true;
    victim->Evict();
  }
  return result;
}

void ConnectionTable::Remove(TrackedConnection* c) {
  std::lock_guard lock(mu_);
  const std::size_t i = c->index_;
  if (i >= raw_.size() || raw_[i] != c) return;
  if (c->evicting_) --evicting_;
  c->evicting_ = false;
  raw_[i] = raw_.back();
  all_[i] = std::move(all_.back());
  raw_[i]->index_ = i;
  raw_.pop_back();
  all_.pop_back();
  auto it = per_ip_.find(c->ip_);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

bool ConnectionTable::EvictOldestIdle() {
  std::shared_ptr<TrackedConnection> victim;
  {
    std::lock_guard lock(mu_);
    victim = PickVictim(nullptr);
  }
  if (!victim) return false;
  victim->Evict();
  return true;
}

std::size_t ConnectionTable::size() const {
  std::lock_guard lock(mu_);
  return raw_.size();
}

bool BodyBudget::TryTake(std::size_t n) {
  std::size_t used = used_.load(std::memory_order_relaxed);
  do {
    if (n > capacity_ || used > capacity_ - n) return false;
  } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
  in_use_.Add(static_cast<double>(n));
  return true;
}

void BodyBudget::Give(std::size_t n) {
  used_.fetch_sub(n, std::memory_order_relaxed);
  in_use_.Add(-static_cast<double>(n));
}

std::optional<std::uint64_t> LogLimiter::Allow(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (last_ && now - *last_ < interval_) {
    ++held_back_;
    return std::nullopt;
  }
  last_ = now;
  const std::uint64_t held = held_back_;
  held_back_ = 0;
  return held;
}

namespace {

Counter& Timeouts(MetricsRegistry& m, const char* phase) {
  return m.GetCounter("sakchy_http_timeouts_total",
                      "Connections closed by a deadline, by what they were doing",
                      {{"phase", phase}});
}

}  // namespace

HttpProbe::HttpProbe(MetricsRegistry& m)
    : connections(m.GetGauge("sakchy_http_connections", "Open HTTP connections")),
      body_bytes_in_flight(m.GetGauge("sakchy_http_body_bytes_in_flight",
                                      "Bytes of request bodies held (server.max_body_bytes_in_flight)")),
      refused_total(m.GetCounter("sakchy_http_connections_refused_total",
                                 "Connections refused at a limit with nothing idle to close",
                                 {{"limit", "max_connections"}})),
      refused_per_ip(m.GetCounter("sakchy_http_connections_refused_total",
                                  "Connections refused at a limit with nothing idle to close",
                                  {{"limit", "max_connections_per_ip"}})),
      evicted(m.GetCounter("sakchy_http_connections_evicted_total",
                           "Idle connections closed to make room for new ones")),
      accept_descriptors(m.GetCounter("sakchy_http_accept_errors_total",
                                      "Failed accepts (descriptors: EMFILE/ENFILE, the server "
                                      "backs off)",
                                      {{"reason", "descriptors"}})),
      accept_other(m.GetCounter("sakchy_http_accept_errors_total",
                                "Failed accepts (descriptors: EMFILE/ENFILE, the server "
                                "backs off)",
                                {{"reason", "other"}})),
      body_budget_refused(m.GetCounter("sakchy_http_body_budget_refused_total",
                                       "Requests answered 503: server.max_body_bytes_in_flight")),
      tls_handshake_failed(m.GetCounter("sakchy_http_tls_handshake_failures_total",
                                        "TLS handshakes that failed or timed out")),
      timeout_idle(Timeouts(m, "idle")),
      timeout_header(Timeouts(m, "header")),
      timeout_body(Timeouts(m, "body")),
      timeout_write(Timeouts(m, "write")) {}

Counter& HttpProbe::Timeout(TimeoutPhase phase) {
  switch (phase) {
    case TimeoutPhase::kIdle: return timeout_idle;
    case TimeoutPhase::kHeader: return timeout_header;
    case TimeoutPhase::kBody: return timeout_body;
    case TimeoutPhase::kWrite: return timeout_write;
  }
  return timeout_idle;
}

}  // namespace sakchy::service::internal
