#include "state_writer.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <thread>
#include <unordered_map>
#include <utility>

#include "audit_write.h"
#include "core/json_text.h"

namespace sakchy::alerts {

std::vector<StateChange> CoalesceChanges(std::vector<StateChange> batch) {
  std::unordered_map<std::string, std::size_t> last;
  std::unordered_map<std::string, DeliveryState> first_before;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    last[batch[i].alert.id] = i;
    first_before.try_emplace(batch[i].alert.id, batch[i].before);
  }
  std::vector<StateChange> unique;
  unique.reserve(last.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (last[batch[i].alert.id] != i) continue;
    batch[i].before = first_before[batch[i].alert.id];
    unique.push_back(std::move(batch[i]));
  }
  return unique;
}

StateWriter::StateWriter(storage::Outbox& outbox, const Clock& clock, IdGenerator& ids,
                         OnChange on_change, Added added, boost::asio::thread_pool& state_thread)
    : outbox_(outbox),
      clock_(clock),
      ids_(ids),
      on_change_(std::move(on_change)),
      added_(std::move(added)),
      state_thread_(state_thread) {}

void StateWriter::Persist(const Alert& alert, DeliveryState before) {
  std::lock_guard lock(mu_);
  queued_.push_back(StateChange{alert, before});
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  boost::asio::post(state_thread_, [this] { Flush(); });
}

void StateWriter::Flush() {
  std::vector<StateChange> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queued_);
    flush_scheduled_ = false;
  }
  if (batch.empty()) return;
  (void)Write(CoalesceChanges(std::move(batch)), {});  // a failure is logged by Write
}

bool StateWriter::Write(const std::vector<StateChange>& changes, const std::string& note) {
  std::vector<Alert> alerts;
  std::vector<storage::RecordWrite> audit;
  std::vector<Alert> added;
  alerts.reserve(changes.size());
  const TimeMs now = clock_.NowMs();
  for (const StateChange& c : changes) {
    alerts.push_back(c.alert);
    if (c.alert.state == c.before) continue;
    boost::json::object details{{"from", DeliveryStateName(c.before)},
                                {"channel", c.alert.channel},
                                {"contact_id", c.alert.contact_id},
                                {"attempts", c.alert.attempts}};
    if (!c.alert.last_error.empty()) details["error"] = c.alert.last_error;
    if (!note.empty()) details["note"] = note;
    audit.push_back(AuditWrite(ids_, now, "system",
                               "alert." + std::string(DeliveryStateName(c.alert.state)), c.alert.id,
                               ToJsonText(boost::json::value(details))));
    if (on_change_) {
      Reaction reaction = on_change_(c.alert, c.before);
      for (Alert& a : reaction.alerts) added.push_back(std::move(a));
      for (auto& r : reaction.records) audit.push_back(std::move(r));
    }
  }
  alerts.insert(alerts.end(), added.begin(), added.end());
  for (int attempt = 1;; ++attempt) {
    auto status = outbox_.UpdateAlerts(alerts, audit);
    if (status) {
      if (!added.empty() && added_) added_(std::move(added));
      return true;
    }
    spdlog::error("alerts: cannot persist {} alert state changes (attempt {}): {}", alerts.size(),
                  attempt, status.error().ToString());
    if (attempt == 3) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
  }
}

}  // namespace sakchy::alerts
