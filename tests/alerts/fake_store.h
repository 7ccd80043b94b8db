#pragma once
// An in-memory store for alerts tests: the three storage ports alerts use (AlertStore: events by
// id, the outbox, records), nothing else.
// Thread safety: all methods may be called concurrently.

#include <algorithm>
#include <map>
#include <mutex>

#include "alerts/store.h"

namespace sakchy::alerts {

class FakeStore final : public storage::EventReader,
                        public storage::Outbox,
                        public storage::RecordStore {
 public:
  void PutEvent(const Event& event) {
    std::lock_guard lock(mu_);
    events_[event.report.id] = event;
  }
  std::size_t tickets() const {
    std::lock_guard lock(mu_);
    return tickets_.size();
  }
  std::size_t update_calls() const {
    std::lock_guard lock(mu_);
    return update_calls_;
  }
  // Calls made with Sync::kBuffered (not synced before returning).
  std::size_t buffered_calls() const {
    std::lock_guard lock(mu_);
    return buffered_calls_;
  }

  Result<std::optional<Event>> GetEvent(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = events_.find(std::string(id));
    if (it == events_.end()) return std::optional<Event>();
    return std::optional<Event>(it->second);
  }
  using storage::Outbox::UpdateAlerts;
  Status UpdateAlerts(std::span<const Alert> alerts, std::span<const storage::RecordWrite> records,
                      Sync sync) override {
    std::lock_guard lock(mu_);
    ++update_calls_;
    if (sync == Sync::kBuffered) ++buffered_calls_;
    for (const Alert& a : alerts) {
      if (a.kind != AlertKind::kRoute) {
        alerts_[a.id] = a;
      } else if (a.state == DeliveryState::kPending) {
        tickets_[a.id] = a;  // like the real store: kept only while pending
      } else {
        tickets_.erase(a.id);
      }
    }
    ApplyRecords(records);
    return OkStatus();
  }
  Result<std::optional<Alert>> GetAlert(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = alerts_.find(std::string(id));
    if (it == alerts_.end()) return std::optional<Alert>();
    return std::optional<Alert>(it->second);
  }
  // Newest first, every filter applied (no index).
  Result<std::vector<Alert>> ListAlerts(const storage::AlertFilter& filter, std::size_t limit,
                                        std::string_view before_id) override {
    std::lock_guard lock(mu_);
    std::vector<Alert> out;
    for (auto it = alerts_.rbegin(); it != alerts_.rend() && out.size() < limit; ++it) {
      const Alert& a = it->second;
      if (!before_id.empty() && a.id >= before_id) continue;
      if (filter.state && a.state != *filter.state) continue;
      if (filter.kind && a.kind != *filter.kind) continue;
      if (filter.contact_id && a.contact_id != *filter.contact_id) continue;
      if (filter.group_key && a.group_key != *filter.group_key) continue;
      if (filter.subject_id && a.subject_id != *filter.subject_id) continue;
      if (filter.event_id && a.event_id != *filter.event_id &&
          std::find(a.event_ids.begin(), a.event_ids.end(), *filter.event_id) ==
              a.event_ids.end()) {
        continue;
      }
      out.push_back(a);
    }
    return out;
  }
  Result<std::vector<Alert>> PendingAlerts() override {
    std::lock_guard lock(mu_);
    std::vector<Alert> out;
    for (const auto& [id, a] : alerts_) {
      if (a.state == DeliveryState::kPending) out.push_back(a);
    }
    for (const auto& [id, a] : tickets_) out.push_back(a);
    return out;  // map order = id order = oldest first
  }
  Status WriteRecords(std::span<const storage::RecordWrite> writes) override {
    std::lock_guard lock(mu_);
    ApplyRecords(writes);
    return OkStatus();
  }
  Result<std::optional<std::string>> GetRecord(std::string_view table,
                                               std::string_view key) override {
    std::lock_guard lock(mu_);
    auto t = records_.find(std::string(table));
    if (t == records_.end()) return std::optional<std::string>();
    auto it = t->second.find(std::string(key));
    if (it == t->second.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<std::vector<storage::Record>> ScanRecords(std::string_view table,
                                                   const storage::RecordScan& scan) override {
    std::lock_guard lock(mu_);
    std::vector<storage::Record> out;
    auto t = records_.find(std::string(table));
    if (t == records_.end()) return out;
    auto keep = [&](const std::string& k) {
      if (!k.starts_with(scan.prefix)) return false;
      if (scan.start_after.empty()) return true;
      return scan.reverse ? k < scan.start_after : k > scan.start_after;
    };
    if (scan.reverse) {
      for (auto it = t->second.rbegin(); it != t->second.rend() && out.size() < scan.limit; ++it)
        if (keep(it->first)) out.push_back({it->first, it->second});
    } else {
      for (auto it = t->second.begin(); it != t->second.end() && out.size() < scan.limit; ++it)
        if (keep(it->first)) out.push_back({it->first, it->second});
    }
    return out;
  }

 private:
  void ApplyRecords(std::span<const storage::RecordWrite> writes) {
    for (const auto& w : writes) {
      auto& table = records_[w.table];
      if (w.value) {
        table[w.key] = *w.value;
      } else {
        table.erase(w.key);
      }
    }
  }

  mutable std::mutex mu_;
  std::map<std::string, Event> events_;
  std::map<std::string, Alert> alerts_;
  std::map<std::string, Alert> tickets_;
  std::map<std::string, std::map<std::string, std::string>> records_;
  std::size_t update_calls_ = 0;
  std::size_t buffered_calls_ = 0;
};

}  // namespace sakchy::alerts
