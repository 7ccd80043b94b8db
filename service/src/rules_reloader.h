#pragma once
// Holds the ruleset in use and replaces it atomically on reload (SIGHUP, POST
// /v1/admin/rules/reload, or a change in the rules directory). A new ruleset is loaded, compiled
// and its embedded examples run before the swap; on any error the old one keeps serving.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "classifier/classifier.h"
#include "config/areas.h"
#include "core/metrics.h"
#include "core/time.h"

namespace sakchy::service {

// Thread safety: all methods may be called concurrently; reloads are serialised.
// Blocking: Reload() compiles rules (tens of ms to a second); never call it on an io thread.
class RulesReloader {
 public:
  RulesReloader(std::string rules_dir, const config::AreaTree& areas,
                std::shared_ptr<const classifier::Classifier> initial, const Clock& clock,
                MetricsRegistry& metrics);
  ~RulesReloader();
  RulesReloader(const RulesReloader&) = delete;
  RulesReloader& operator=(const RulesReloader&) = delete;

  // Receives an audit record of every reload: who ("system" for SIGHUP and the watcher), the
  // action ("rules.reload" or "rules.reload_failed"), the subject (ruleset version) and details
  // (JSON). Set before reloads can happen.
  using AuditSink = std::function<void(std::string actor, std::string action, std::string subject,
                                       std::string details)>;
  void SetAuditSink(AuditSink sink) { audit_ = std::move(sink); }

  std::shared_ptr<const classifier::Classifier> Current() const;
  // Loads the directory again; swaps on success. `trigger` is logged ("SIGHUP", "api", "watch");
  // `actor` (a token name, or "system") goes to the audit log.
  Result<classifier::RuleSetInfo> Reload(const std::string& trigger,
                                         const std::string& actor = "system");
  // Polls the directory (names, sizes, modification times) every `interval` and reloads when it
  // changes. Does nothing for embedded rules.
  void StartWatching(std::chrono::milliseconds interval);
  void StopWatching();

 private:
  std::string Fingerprint() const;
  void Publish(const classifier::RuleSetInfo& info);

  const std::string rules_dir_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  mutable std::mutex mu_;  // guards current_
  std::shared_ptr<const classifier::Classifier> current_;
  std::mutex reload_mu_;   // one reload at a time
  std::string published_version_;
  Counter& reload_ok_;
  Counter& reload_failed_;
  Gauge& loaded_at_;
  Gauge& rule_count_;

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool watch_stop_ = false;
  std::thread watcher_;
  AuditSink audit_;
};

}  // namespace sakchy::service
