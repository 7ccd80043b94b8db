#include "rules_reloader.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "config/files.h"
#include "core/json_text.h"
#include "model_loading.h"

namespace sakchy::service {

RulesReloader::RulesReloader(std::string rules_dir, const config::AreaTree& areas,
                             std::shared_ptr<const classifier::Classifier> initial,
                             const Clock& clock, MetricsRegistry& metrics,
                             std::vector<config::ModelConfig> model_configs,
                             std::vector<classifier::ModelUse> initial_models)
    : rules_dir_(std::move(rules_dir)),
      areas_(areas),
      clock_(clock),
      metrics_(metrics),
      model_configs_(std::move(model_configs)),
      rules_(std::move(initial)),
      models_(std::move(initial_models)),
      current_(classifier::WithModels(rules_, models_)),
      reload_ok_(metrics.GetCounter("sakchy_ruleset_reloads_total", "Ruleset reloads by result",
                                    {{"result", "ok"}})),
      reload_failed_(metrics.GetCounter("sakchy_ruleset_reloads_total",
                                        "Ruleset reloads by result", {{"result", "failed"}})),
      loaded_at_(metrics.GetGauge("sakchy_ruleset_loaded_timestamp_seconds",
                                  "When the ruleset in use was loaded (Unix seconds)")),
      rule_count_(metrics.GetGauge("sakchy_ruleset_rules", "Rules in the ruleset in use")),
      model_reload_failed_(metrics.GetCounter(
          "sakchy_model_reload_failures_total",
          "Reloads refused because a learned model could not be loaded (the old one serves)")) {
  Publish(current_->info());
  PublishModels(models_);
}

RulesReloader::~RulesReloader() { StopWatching(); }

std::shared_ptr<const classifier::Classifier> RulesReloader::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::vector<classifier::ModelUse> RulesReloader::Models() const {
  std::lock_guard lock(mu_);
  return models_;
}

void RulesReloader::PublishModels(const std::vector<classifier::ModelUse>& models) {
  constexpr const char* kHelp = "The learned models in use (value 1), by name and version";
  for (const auto& [name, version] : published_models_) {
    metrics_.GetGauge("sakchy_model_info", kHelp, {{"model", name}, {"version", version}}).Set(0);
  }
  published_models_.clear();
  for (const auto& use : models) {
    published_models_.emplace_back(use.model->card().name, use.model->version());
    metrics_
        .GetGauge("sakchy_model_info", kHelp,
                  {{"model", use.model->card().name}, {"version", use.model->version()}})
        .Set(1);
  }
}

void RulesReloader::Publish(const classifier::RuleSetInfo& info) {
  if (!published_version_.empty()) {
    metrics_.GetGauge("sakchy_ruleset_info", "The ruleset in use (value 1), by version",
                      {{"version", published_version_}})
        .Set(0);
  }
  published_version_ = info.version.substr(0, 16);
  metrics_.GetGauge("sakchy_ruleset_info", "The ruleset in use (value 1), by version",
                    {{"version", published_version_}})
      .Set(1);
  loaded_at_.Set(static_cast<double>(info.loaded_at) / 1000.0);
  rule_count_.Set(static_cast<double>(info.rule_count));
}

Result<classifier::RuleSetInfo> RulesReloader::Reload(const std::string& trigger,
                                                      const std::string& actor) {
  std::lock_guard reload_lock(reload_mu_);
  auto loaded = classifier::Classifier::Load(rules_dir_, areas_, clock_.NowMs());
  auto models = LoadModels(model_configs_);
  if (!loaded || !models) {
    std::string message;
    if (!loaded) message = loaded.error().message;
    if (!models) message += (message.empty() ? "" : "\n") + models.error().message;
    const Error error{!loaded ? loaded.error().code : models.error().code, message};
    reload_failed_.Inc();
    if (!models) model_reload_failed_.Inc();
    spdlog::error("reload ({}) failed; the previous rules and models keep serving:\n{}", trigger,
                  message);
    if (audit_) {
      boost::json::array errors;
      std::string_view msg = message;
      while (!msg.empty() && errors.size() < 50) {
        const auto nl = msg.find('\n');
        if (nl != 0) errors.emplace_back(msg.substr(0, nl));
        if (nl == std::string_view::npos) break;
        msg.remove_prefix(nl + 1);
      }
      audit_(actor, "rules.reload_failed", Current()->info().version.substr(0, 16),
             ToJsonText(boost::json::value(
                 boost::json::object{{"trigger", trigger}, {"errors", std::move(errors)}})));
    }
    return tl::unexpected(error);
  }
  classifier::RuleSetInfo info = (*loaded)->info();
  std::string old_version;
  boost::json::array model_versions;
  for (const auto& use : *models) {
    model_versions.emplace_back(use.model->card().name + "@" + use.model->version());
  }
  {
    std::lock_guard lock(mu_);
    old_version = rules_->info().version;
    rules_ = std::move(*loaded);
    models_ = *models;
    current_ = classifier::WithModels(rules_, models_);
  }
  Publish(info);
  PublishModels(*models);
  reload_ok_.Inc();
  if (audit_) {
    audit_(actor, "rules.reload", info.version.substr(0, 16),
           ToJsonText(boost::json::value(boost::json::object{{"trigger", trigger},
                                                             {"previous", old_version.substr(0, 16)},
                                                             {"rules", info.rule_count},
                                                             {"terms", info.term_count},
                                                             {"models", model_versions}})));
  }
  spdlog::info("rules reloaded ({}): version {} -> {}, {} rules, {} terms, {} models", trigger,
               old_version.substr(0, 12), info.version.substr(0, 12), info.rule_count,
               info.term_count, models->size());
  return info;
}

std::string RulesReloader::Fingerprint() const {
  std::string fp;
  auto add_dir = [&fp](const std::string& dir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      std::error_code e2;
      auto size = entry.file_size(e2);
      auto mtime = entry.last_write_time(e2).time_since_epoch().count();
      fp += entry.path().filename().string() + ":" + std::to_string(size) + ":" +
            std::to_string(mtime) + ";";
    }
    fp += '|';
  };
  if (rules_dir_.rfind(config::kEmbeddedPrefix, 0) != 0) add_dir(rules_dir_);
  for (const auto& m : model_configs_) add_dir(m.dir);
  return fp;
}

void RulesReloader::StartWatching(std::chrono::milliseconds interval) {
  const bool embedded = rules_dir_.rfind(config::kEmbeddedPrefix, 0) == 0;
  if ((embedded && model_configs_.empty()) || watcher_.running()) return;
  watcher_.Start("sakchy-rules", interval, PeriodicWorker::FirstRun::kAfterInterval,
                 [this, last = Fingerprint()]() mutable {
                   std::string now = Fingerprint();
                   if (now == last) return;
                   last = std::move(now);
                   (void)Reload("rules or model directory changed");
                 });
}

void RulesReloader::StopWatching() { watcher_.Stop(); }

}  // namespace sakchy::service
