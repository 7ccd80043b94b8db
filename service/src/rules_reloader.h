#pragma once
// Holds the ruleset and the learned models in use (classifier.models) and replaces them
// atomically on reload (SIGHUP, POST /v1/admin/rules/reload, or a change in the rules directory
// or a model directory). The new ruleset is loaded, compiled and its embedded examples run, and
// every model is loaded and checked, before the swap; on any error nothing is swapped: the old
// rules and models keep serving. Current() is the rules with the models (classifier::WithModels).

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "classifier/classifier.h"
#include "classifier/with_models.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/metrics.h"
#include "core/periodic_worker.h"
#include "core/time.h"

namespace sakchy::service {

// Thread safety: all methods may be called concurrently; reloads are serialised.
// Blocking: Reload() compiles rules (tens of ms to a second); never call it on an io thread.
class RulesReloader {
 public:
  RulesReloader(std::string rules_dir, const config::AreaTree& areas,
                std::shared_ptr<const classifier::Classifier> initial, const Clock& clock,
                MetricsRegistry& metrics, std::vector<config::ModelConfig> model_configs = {},
                std::vector<classifier::ModelUse> initial_models = {});
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
  // The models in use, in config order.
  std::vector<classifier::ModelUse> Models() const;
  // Loads the rules and the models again; swaps on success. An error lists every problem, one
  // per line (rule errors, then "<config file:line>: classifier.models: <problem>"). `trigger` is logged ("SIGHUP", "api", "watch");
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
  void PublishModels(const std::vector<classifier::ModelUse>& models);

  const std::string rules_dir_;
  const config::AreaTree& areas_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  const std::vector<config::ModelConfig> model_configs_;
  mutable std::mutex mu_;  // guards rules_, models_, current_
  std::shared_ptr<const classifier::Classifier> rules_;
  std::vector<classifier::ModelUse> models_;
  std::shared_ptr<const classifier::Classifier> current_;  // rules_ with models_
  std::mutex reload_mu_;   // one reload at a time
  std::string published_version_;
  Counter& reload_ok_;
  Counter& reload_failed_;
  Gauge& loaded_at_;
  Gauge& rule_count_;
  Counter& model_reload_failed_;
  std::vector<std::pair<std::string, std::string>> published_models_;  // (name, version)

  AuditSink audit_;
  PeriodicWorker watcher_;  // last: stopped before the members its task uses go
};

}  // namespace sakchy::service
