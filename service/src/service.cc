#include "service/service.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include "alerts/delivery_queue.h"
#include "alerts/engine.h"
#include "classifier/classifier.h"
#include "cluster/jetstream.h"
#include "classifier/language.h"
#include "config/areas.h"
#include "config/cluster.h"
#include "config/config.h"
#include "core/allocator.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/time.h"
#include "core/version.h"
#include "ingest/clustering.h"
#include "ingest/pipeline.h"
#include "ingest/report_log.h"
#include "ingest/sources/source.h"
#include "ingest/validation.h"
#include "service/area_shapes.h"
#include "analytics/area_tension.h"
#include "service/retention_sweeper.h"
#include "service/stream_hub.h"
#include "logging.h"
#include "model_loading.h"
#include "rules_reloader.h"
#include "service_parts.h"
#include "source_sink.h"
#include "systemd_notify.h"
#include "service/api.h"
#include "service/auth.h"
#include "service/http.h"
#include "storage/audit.h"
#include "storage/store.h"

namespace sakchy::service {

namespace net = boost::asio;

using internal::ApplyListen;
using internal::DemoSecrets;
using internal::Fail;
using internal::kDemoDir;
using internal::kDemoOfficialAreas;
using internal::LoadOrCreateDemoSecrets;
using internal::PipelineSink;
using internal::RaiseDescriptorLimit;
using internal::RegisterProcessMetrics;
using internal::ServerOptions;
using internal::StoreCursorReader;

namespace {

// Re-arming SIGHUP handler: each signal posts one reload of the rules and of the listener's TLS
// certificate to the blocking pool; systemd's status line tells how the rules reload went.
struct HupHandler {
  net::signal_set* signals;
  net::thread_pool* pool;
  RulesReloader* rules;
  HttpServer* server;
  const SystemdNotifier* systemd;
  std::string serving;  // the status line while serving
  void operator()(const boost::system::error_code& ec, int) const {
    if (ec) return;  // cancelled at shutdown
    RulesReloader* r = rules;
    HttpServer* s = server;
    const SystemdNotifier* notifier = systemd;
    std::string status = serving;
    notifier->Status("Reloading the rules (SIGHUP); " + status);
    net::post(*pool, [r, s, notifier, status] {
      auto reloaded = r->Reload("SIGHUP");
      notifier->Status(reloaded ? status
                                : "Rules reload failed, the previous rules keep serving; " + status);
      if (s->TlsDescription().empty()) return;
      if (auto st = s->ReloadTls(); !st) {
        spdlog::error("tls: certificate not reloaded, the previous one keeps serving: {}",
                      st.error().message);
      } else {
        spdlog::info("tls: certificate reloaded: {}", s->TlsDescription());
      }
    });
    signals->async_wait(*this);
  }
};

// The running service: its parts are started in order (Run), each needing the ones before it,
// and stopped by one sequence (Stop) whether start-up failed half-way or a signal came. Members
// are declared in start order, so they are destroyed in reverse. Used by Serve() only: Run once.
class Service {
 public:
  explicit Service(const ServeOptions& options) : options_(options) {}
  ~Service() { Stop(); }
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts every part, serves until SIGINT/SIGTERM, stops and flushes: 0. A start-up error is
  // printed, what started is stopped, and the result is non-zero.
  int Run();

 private:
  struct Failure {
    std::string what;
    Error error;
  };
  using Step = std::optional<Failure>;  // std::nullopt: the step succeeded

  Step Configure();       // configuration, tokens, logging, areas, rules, models
  Step OpenStore();       // the database, metrics, the rules reloader and its audit sink
  Step ConnectCluster();  // cluster mode: NATS, the streams (the notification queue before alerts)
  Step StartAlerts();     // pseudonym key, reply channels, the alerts engine, live updates
  Step StartPipeline();   // rumour clusters and the scoring pipeline
  Step StartCluster();    // cluster mode: the report log, this node's replica, delivery
  Step StartSources();    // the pull sources
  Step PrepareAnalytics();  // area polygons, area tension, retention
  Step StartHttp();       // io context, pools, the API and its listener, signals
  void StartServing();    // background threads and io threads; ready
  void Announce() const;  // log lines and the console's greeting
  ApiDeps MakeApiDeps();
  // Where intake goes: the cluster's log in cluster mode, else the local pipeline.
  ingest::Pipeline& Intake() { return intake_ ? static_cast<ingest::Pipeline&>(*intake_) : *pipeline_; }
  void Stop();            // the one stop sequence; skips what never started; idempotent

  const ServeOptions& options_;
  SystemdNotifier systemd_;  // no-op unless started by systemd (Type=notify)
  std::optional<DemoSecrets> demo_secrets_;
  config::Config cfg_;
  config::ClusterConfig cluster_cfg_;  // the `cluster:` section; empty = single node
  std::vector<std::pair<std::string, std::string>> printed_tokens_;
  std::optional<config::AreaTree> areas_;
  const Clock& clock_ = SystemClock::Instance();
  std::shared_ptr<const classifier::Classifier> loaded_;
  std::vector<classifier::ModelUse> models_;
  std::unique_ptr<storage::Store> store_;
  MetricsRegistry metrics_;
  std::optional<RulesReloader> rules_;
  std::optional<IdGenerator> audit_ids_;
  std::string pseudonym_key_;
  std::unique_ptr<alerts::Engine> dispatcher_;
  std::shared_ptr<StreamHub> stream_hub_;
  std::unique_ptr<ingest::ClusterStage> clusters_;
  std::unique_ptr<ingest::Pipeline> pipeline_;
  std::unique_ptr<cluster::JetStreamNode> cluster_;  // cluster mode only
  std::optional<ingest::LocalReplica> replica_;
  std::optional<ingest::ReplicatedIntake> intake_;
  ingest::ObservedWindow observed_window_{};
  std::optional<PipelineSink> sink_;
  std::optional<StoreCursorReader> cursors_;
  ingest::sources::SourceManager sources_;
  std::optional<AreaShapes> shapes_;
  std::optional<analytics::AreaTension> tension_;
  std::optional<RetentionSweeper> retention_;
  std::atomic<bool> ready_{false};
  std::optional<net::io_context> io_;
  std::optional<net::thread_pool> blocking_;
  std::optional<net::thread_pool> exports_;
  std::optional<Authenticator> auth_;
  std::optional<Api> api_;
  std::optional<HttpServer> server_;
  std::promise<int> stop_signal_;
  std::optional<net::signal_set> signals_;
  std::string base_;     // "http://host:port"
  std::string serving_;  // systemd's status line while serving
  std::optional<net::signal_set> hup_;
  std::vector<std::thread> io_threads_;

  // What has started, for Stop.
  bool dispatcher_started_ = false;
  bool stream_started_ = false;
  bool pipeline_started_ = false;
  bool cluster_started_ = false;
  bool sources_started_ = false;
  bool server_started_ = false;
  bool stopped_ = false;
};

int Service::Run() {
  systemd_.Status("Starting: reading the configuration");
  for (auto step : {&Service::Configure, &Service::OpenStore, &Service::ConnectCluster,
                    &Service::StartAlerts,
                    &Service::StartPipeline, &Service::StartCluster, &Service::StartSources, &Service::PrepareAnalytics,
                    &Service::StartHttp}) {
    if (auto failure = (this->*step)()) {
      const int code = Fail(failure->what, failure->error);
      Stop();
      return code;
    }
  }
  StartServing();
  Announce();

  int sig = stop_signal_.get_future().get();
  spdlog::info("received signal {}: stopping intake, draining the queue", sig);
  systemd_.Stopping("Stopping: intake closed, draining the queue and flushing");
  Stop();
  if (auto s = store_->Flush(); !s) spdlog::error("final flush failed: {}", s.error().ToString());
  spdlog::info("stopped cleanly");
  spdlog::default_logger()->flush();
  return 0;
}

Service::Step Service::Configure() {
  const bool demo = !options_.config_path.has_value();
  if (demo) {
    auto s = LoadOrCreateDemoSecrets();
    if (!s) return Failure{"cannot prepare the demo set-up", s.error()};
    demo_secrets_ = std::move(*s);
    if (!std::getenv("SAKCHY_WEBHOOK_DEMO_SECRET")) {
      ::setenv("SAKCHY_WEBHOOK_DEMO_SECRET", demo_secrets_->webhook_secret.c_str(), 1);
    }
  }
  auto cfg = demo ? config::LoadDefaultConfig() : config::LoadConfigFile(*options_.config_path);
  if (!cfg) return Failure{"invalid configuration", cfg.error()};
  cfg_ = std::move(*cfg);
  if (!demo) {
    auto cluster = config::LoadClusterConfig(*options_.config_path);
    if (!cluster) return Failure{"invalid configuration", cluster.error()};
    cluster_cfg_ = std::move(*cluster);
  }
  if (demo) EnableDemoTipline(*demo_secrets_, cfg_);
  if (options_.listen) {
    if (auto s = ApplyListen(*options_.listen, cfg_); !s) return Failure{"invalid option", s.error()};
  }
  if (options_.data_dir) cfg_.storage.data_dir = *options_.data_dir;
  const char* env_tokens = std::getenv("SAKCHY_TOKENS");
  if (env_tokens && *env_tokens) {
    if (auto s = config::AddTokensFromEnv(env_tokens, cfg_); !s) {
      return Failure{"invalid SAKCHY_TOKENS", s.error()};
    }
  }
  if (demo && cfg_.tokens.empty()) {
    std::string spec;
    for (const auto& [role, token] : demo_secrets_->tokens) {
      if (!spec.empty()) spec += ",";
      spec += role == "official" ? role + "@" + kDemoOfficialAreas + ":" + token
                                 : role + ":" + token;
      printed_tokens_.emplace_back(role, token);
    }
    if (auto s = config::AddTokensFromEnv(spec, cfg_); !s) return Failure{"demo tokens", s.error()};
  }

  const std::string log_format = options_.log_format.empty() ? cfg_.logging.format : options_.log_format;
  const std::string log_level = options_.log_level.empty() ? cfg_.logging.level : options_.log_level;
  if (auto s = SetupLogging(log_format, log_level); !s) {
    return Failure{"invalid logging options", s.error()};
  }

  auto areas = config::AreaTree::Load(cfg_.classifier.areas_file);
  if (!areas) return Failure{"cannot load areas", areas.error()};
  areas_.emplace(std::move(*areas));
  if (auto s = config::ValidateAreas(cfg_, *areas_); !s) {
    return Failure{"invalid configuration", s.error()};
  }
  auto loaded = classifier::Classifier::Load(cfg_.classifier.rules_dir, *areas_, clock_.NowMs());
  if (!loaded) return Failure{"cannot load rules from " + cfg_.classifier.rules_dir, loaded.error()};
  loaded_ = std::move(*loaded);
  auto models = LoadModels(cfg_.classifier.models);
  if (!models) return Failure{"cannot load the learned models", models.error()};
  models_ = std::move(*models);
  return std::nullopt;
}

Service::Step Service::OpenStore() {
  systemd_.Status("Starting: opening the database in " + cfg_.storage.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(cfg_.storage.data_dir, ec);
  auto store = storage::Store::Open({cfg_.storage.data_dir, cfg_.storage.sync_writes,
                                     cfg_.storage.background_write_mb_per_s,
                                     cfg_.storage.delete_mb_per_s});
  if (!store) return Failure{"cannot open the data directory " + cfg_.storage.data_dir, store.error()};
  store_ = std::move(*store);

  RegisterProcessMetrics(metrics_);
  storage::Store* memory_store = store_.get();
  for (const auto& entry : memory_store->MemoryUsage()) {
    metrics_.AddCallbackGauge("sakchy_storage_memory_bytes", "Memory held by RocksDB, by kind",
                              {{"kind", entry.first}}, [s = memory_store, kind = entry.first] {
                                const auto usage = s->MemoryUsage();
                                const auto it = usage.find(kind);
                                return it == usage.end() ? 0.0 : static_cast<double>(it->second);
                              });
  }
  rules_.emplace(cfg_.classifier.rules_dir, *areas_, loaded_, clock_, metrics_,
                 cfg_.classifier.models, std::move(models_));
  audit_ids_.emplace(clock_);
  storage::Store* audit_store = store_.get();
  IdGenerator* audit_ids = &*audit_ids_;
  const Clock* clock = &clock_;
  rules_->SetAuditSink([audit_store, audit_ids, clock](std::string actor, std::string action,
                                                       std::string subject, std::string details) {
    storage::AuditEntry e{audit_ids->Next(), clock->NowMs(), std::move(actor), std::move(action),
                          std::move(subject), std::move(details)};
    if (auto s = storage::AppendAudit(*audit_store, e); !s) {
      spdlog::error("audit: {} not recorded: {}", e.action, s.error().ToString());
    }
  });
  return std::nullopt;
}

Service::Step Service::StartAlerts() {
  systemd_.Status("Recovering: pending alerts, rumour clusters and the scoring queue");
  pseudonym_key_ = cfg_.privacy.pseudonym_key;
  if (pseudonym_key_.empty() && demo_secrets_) {
    pseudonym_key_ = demo_secrets_->webhook_secret + ":pseudonyms";
  }
  if (pseudonym_key_.empty()) {
    pseudonym_key_ = RandomHex(32);
    spdlog::warn("privacy.pseudonym_key_env is not set: author and sender pseudonyms use a random "
                 "key and will differ after a restart");
  }
  // Replies to reporters: WhatsApp's Graph API, the Telegram sources' bots (a private chat is
  // answered by the bot it wrote to), and the key that seals reply addresses in the store.
  if (cfg_.whatsapp.enabled) cfg_.alerts.channels.whatsapp = cfg_.whatsapp;
  for (const auto& src : cfg_.sources) {
    if (src.type == "telegram" && src.enabled && !src.token.empty()) {
      config::TelegramChannelConfig bot;
      bot.api_base = src.url.empty() ? bot.api_base : src.url;
      bot.token_env = src.token_env;
      bot.token = src.token;
      cfg_.alerts.channels.source_bots[src.id] = std::move(bot);
    }
  }
  cfg_.alerts.channels.reply_key = HmacSha256Hex(pseudonym_key_, "sakchy-reply-address");
  dispatcher_ = alerts::Engine::Create(*store_, cfg_.alerts, cfg_.contacts, *areas_, clock_, metrics_);
  if (cfg_.replies.enabled) {
    if (auto s = dispatcher_->EnableReplies(cfg_.replies); !s) {
      return Failure{"cannot load the reply messages (replies.messages_dir)", s.error()};
    }
  }
  // Alerts say when a rumour was already checked: the verdict of its cluster, read when the
  // notification is rendered.
  storage::Store* verdict_store = store_.get();
  alerts::VerdictLookup verdicts;
  verdicts.of_event = [verdict_store](std::string_view event_id) {
    return ingest::VerdictOfEvent(*verdict_store, event_id);
  };
  verdicts.of_cluster = [verdict_store](std::string_view cluster_id) -> Result<std::optional<Verdict>> {
    auto id = ingest::ParseClusterId(cluster_id);
    if (!id) return std::optional<Verdict>();
    auto record = ingest::ClusterVerdict(*verdict_store, *id);
    if (!record) return tl::unexpected(record.error());
    if (!*record) return std::optional<Verdict>();
    Verdict v;
    v.cluster_id = std::string(cluster_id);
    v.status = (*record)->status;
    v.statement = (*record)->statement;
    v.decided_by = (*record)->decided_by;
    v.decided_at = (*record)->decided_at;
    return std::optional<Verdict>(std::move(v));
  };
  dispatcher_->SetVerdictLookup(std::move(verdicts));
  // Cluster mode: notifications go to the cluster's queue, one node delivers each.
  if (cluster_) alerts::UseDeliveryQueue(*dispatcher_, cluster_->Notifications());
  if (auto s = dispatcher_->Start(); !s) return Failure{"cannot start alert delivery", s.error()};
  dispatcher_started_ = true;
  // Live updates (GET /v1/stream): new notifications read from the outbox, spreading clusters
  // from the scoring path.
  stream_hub_ = StreamHub::Create(*store_, *areas_);
  if (auto s = stream_hub_->Start(); !s) return Failure{"cannot start live updates", s.error()};
  stream_started_ = true;
  return std::nullopt;
}

Service::Step Service::StartPipeline() {
  ingest::PipelineHooks hooks;
  alerts::Engine* alerts_engine = dispatcher_.get();
  hooks.plan_alerts = [alerts_engine](const Event& e) { return alerts_engine->Plan(e); };
  hooks.alerts_committed = [alerts_engine](std::vector<Alert> a) {
    alerts_engine->Committed(std::move(a));
  };
  // Rumour clusters: every scored event is assigned in the scoring path; spread signals go to the
  // alerts module (PipelineHooks::signals_committed -> alerts::Engine::RaiseAll), verdicts too
  // (ApiDeps::verdict_recorded -> alerts::Engine::FollowUp).
  if (cfg_.clusters.enabled) {
    auto stage = ingest::ClusterStage::Open(*store_, cfg_.clusters, clock_, metrics_);
    if (!stage) return Failure{"cannot restore the rumour-cluster index", stage.error()};
    clusters_ = std::move(*stage);
    ingest::ClusterStage* stage_ptr = clusters_.get();
    // The stateless part (normalising, tokenising, MinHash) on the scoring threads; only the
    // order-dependent assignment on the commit thread.
    hooks.prepare = [stage_ptr](const storage::ScoredBatchItem& item,
                                ingest::PreparedAnalysis& out) { stage_ptr->Prepare(item, out); };
    hooks.analyse = [stage_ptr](std::span<storage::ScoredBatchItem> items,
                                std::span<const ingest::PreparedAnalysis> prepared) {
      return stage_ptr->Annotate(items, prepared);
    };
    StreamHub* hub = stream_hub_.get();
    hooks.signals_committed = [alerts_engine, hub](std::vector<Signal> signals) {
      hub->PublishSignals(signals);
      for (const auto& s : signals) {
        std::string areas;
        for (const auto& a : s.areas) areas += (areas.empty() ? "" : ",") + a;
        spdlog::warn("cluster {} spreading: {} ({} events, {} sources, areas {}, max severity {})",
                     s.subject_id, s.reason, s.event_ids.size(), s.sources,
                     areas.empty() ? "-" : areas, SeverityName(s.severity));
      }
      // Routed on the alerts' state thread, all in one write; scoring goes on meanwhile.
      alerts_engine->RaiseAll(std::move(signals));
    };
  }
  RulesReloader* reloader = &*rules_;
  pipeline_ = ingest::Pipeline::Create(
      *store_, cfg_.pipeline, *areas_, [reloader] { return reloader->Current(); }, std::move(hooks),
      clock_, metrics_);
  if (auto s = pipeline_->Start(); !s) return Failure{"cannot start the pipeline", s.error()};
  pipeline_started_ = true;
  return std::nullopt;
}

Service::Step Service::ConnectCluster() {
  if (!cluster_cfg_.enabled()) return std::nullopt;  // single node: no NATS at all
  systemd_.Status("Starting: connecting to NATS (cluster mode)");
  // The notification queue: a taken notification is handed to another node when its taker has
  // not answered after one attempt's time and the write of its result; the copies of one
  // notification collapse for as long as a pending one may be published again (give_up_after).
  cluster::DeliveryOptions delivery;
  delivery.ack_wait_ms = std::max<std::int64_t>(10'000, 2 * cfg_.alerts.timeout_ms + 2'000);
  delivery.duplicate_window_ms =
      std::max(cfg_.alerts.give_up_after_ms, cluster_cfg_.duplicate_window_ms);
  delivery.max_in_flight = std::clamp(cfg_.alerts.max_in_flight, 1, 64);
  auto node = cluster::JetStreamNode::Connect(cluster_cfg_, metrics_, delivery);
  if (!node) {
    return Failure{"cluster mode: cannot reach the NATS cluster (" + cluster_cfg_.origin + ")",
                   node.error()};
  }
  cluster_ = std::move(*node);
  return std::nullopt;
}

Service::Step Service::StartCluster() {
  if (!cluster_) return std::nullopt;  // single node
  replica_.emplace(*store_, *pipeline_, metrics_);
  intake_.emplace(*cluster_, *pipeline_, clock_, metrics_);
  if (auto s = cluster_->Start(*replica_); !s) {
    return Failure{"cluster mode: cannot start the replica", s.error()};
  }
  cluster_started_ = true;
  if (auto s = cluster_->StartDelivery(alerts::DeliveryTaker(*dispatcher_)); !s) {
    return Failure{"cluster mode: cannot take notifications", s.error()};
  }
  if (auto s = intake_->Start(); !s) return Failure{"cluster mode: intake", s.error()};
  spdlog::info("cluster mode: node {}, stream {} ({} replicas), NATS {}", cluster_cfg_.node_name,
               cluster_cfg_.stream, cluster_cfg_.replicas, cluster_cfg_.nats_urls.front());
  return std::nullopt;
}

Service::Step Service::StartSources() {
  observed_window_ = ingest::ObservedWindow{cfg_.pipeline.observed_at_max_past_ms,
                                            cfg_.pipeline.observed_at_max_future_ms};
  sink_.emplace(Intake(), cfg_.pipeline.max_text_bytes, observed_window_, clock_, metrics_,
                cfg_.replies.enabled ? dispatcher_.get() : nullptr);
  cursors_.emplace(*store_);
  if (auto s = sources_.Start(cfg_.sources, pseudonym_key_, *sink_, *cursors_, clock_, metrics_);
      !s) {
    return Failure{"cannot start the pull sources", s.error()};
  }
  sources_started_ = true;
  return std::nullopt;
}

Service::Step Service::PrepareAnalytics() {
  auto shapes = AreaShapes::Load(cfg_.analytics.area_polygons);
  if (!shapes) return Failure{"cannot load area polygons (analytics.area_polygons)", shapes.error()};
  shapes_.emplace(std::move(*shapes));
  if (auto s = shapes_->CheckCodes(*areas_, cfg_.analytics.area_polygons); !s) {
    return Failure{"invalid area polygons (analytics.area_polygons)", s.error()};
  }
  // Area tension and spikes. A spike is logged and counted (sakchy_area_spikes_total) by
  // AreaTension and raised as an area-level alert through the alerts module.
  alerts::Engine* alerts_engine = dispatcher_.get();
  tension_.emplace(*store_, *areas_, cfg_.analytics, clock_, metrics_,
                   [alerts_engine](const Signal& spike) {
                     if (auto st = alerts_engine->Raise(spike); !st) {
                       spdlog::error("area {}: spike alert not raised: {}", spike.area,
                                     st.error().ToString());
                     }
                   });
  retention_.emplace(*store_, cfg_.retention, clock_, metrics_);
  return std::nullopt;
}

ApiDeps Service::MakeApiDeps() {
  RulesReloader* reloader = &*rules_;
  alerts::Engine* alerts_engine = dispatcher_.get();
  ApiDeps deps;
  deps.pipeline = &Intake();
  deps.store = store_.get();
  deps.areas = &*areas_;
  deps.auth = &*auth_;
  deps.metrics = &metrics_;
  deps.blocking = &*blocking_;
  deps.exports = &*exports_;
  deps.max_exports_per_token = cfg_.server.max_exports_per_token;
  deps.io = io_->get_executor();
  deps.classifier = [reloader] { return reloader->Current(); };
  deps.models = [reloader] { return reloader->Models(); };
  deps.reload_rules = [reloader](const std::string& actor) {
    return reloader->Reload("api", actor);
  };
  std::atomic<bool>* ready = &ready_;
  deps.ready = [ready] { return ready->load(); };
  deps.clock = &clock_;
  deps.max_text_bytes = cfg_.pipeline.max_text_bytes;
  deps.observed_window = observed_window_;
  ingest::sources::SourceManager* sources = &sources_;
  deps.sources = [sources] { return sources->Statuses(); };
  // A verdict on a rumour: reports that join its cluster from now on get its category
  // (known_false), and everyone alerted about it gets the follow-up (alerts::Engine::FollowUp).
  ingest::ClusterStage* verdict_stage = clusters_.get();
  deps.verdict_recorded = [alerts_engine, verdict_stage](const Verdict& v,
                                                         std::optional<std::string> published) {
    if (auto id = ingest::ParseClusterId(v.cluster_id); id && verdict_stage != nullptr) {
      verdict_stage->VerdictRecorded(*id, v.status);
    }
    // The verified answer to the people who reported it (and the public channel, if published).
    auto answered = alerts_engine->AnswerReporters(v, std::move(published));
    if (!answered) {
      spdlog::error("cluster {} verdict {}: answers to reporters not created: {}", v.cluster_id,
                    VerdictStatusName(v.status), answered.error().ToString());
    }
    auto sent = alerts_engine->FollowUp(v);
    if (!sent) {
      spdlog::error("cluster {} verdict {}: follow-ups not created: {}", v.cluster_id,
                    VerdictStatusName(v.status), sent.error().ToString());
      return;
    }
    spdlog::info("cluster {} verdict {} by {}: {} follow-ups, {} answers to reporters",
                 v.cluster_id, VerdictStatusName(v.status), v.decided_by, *sent,
                 answered ? *answered : 0);
  };
  deps.tension = &*tension_;
  deps.shapes = &*shapes_;
  deps.alerts = alerts_engine;
  deps.pseudonym_key = pseudonym_key_;
  deps.stream = stream_hub_;
  if (cluster_) {
    cluster::JetStreamNode* node = cluster_.get();
    ingest::LocalReplica* replica = &*replica_;
    deps.cluster = [node, replica] { return node->View(replica->applied()); };
    deps.cluster_connected = [node] { return node->Connected(); };
  }
  if (cfg_.sms.kannel_enabled) {
    ingest::KannelSettings kannel;
    kannel.secret = cfg_.sms.kannel_secret;
    kannel.allowed_ips = cfg_.sms.kannel_allowed_ips;
    kannel.pseudonym_key = pseudonym_key_;
    kannel.keep_raw_numbers = cfg_.sms.keep_raw_numbers;
    kannel.follow_up_window_ms = cfg_.sms.follow_up_window_ms;
    deps.kannel = std::move(kannel);
  }
  if (cfg_.whatsapp.enabled) {
    ingest::WhatsAppSettings whatsapp;
    whatsapp.verify_token = cfg_.whatsapp.verify_token;
    whatsapp.app_secret = cfg_.whatsapp.app_secret;
    whatsapp.pseudonym_key = pseudonym_key_;
    whatsapp.follow_up_window_ms = cfg_.whatsapp.follow_up_window_ms;
    deps.whatsapp = std::move(whatsapp);
  }
  return deps;
}

Service::Step Service::StartHttp() {
  io_.emplace(cfg_.server.io_threads);
  blocking_.emplace(2);
  for (int i = 0; i < 2; ++i) {  // names the pool's threads (a task each, in parallel or not)
    net::post(*blocking_, [] { pthread_setname_np(pthread_self(), "sakchy-blocking"); });
  }
  // Exports scan the store for as long as their filter takes: their own threads, so the API's
  // other reads on `blocking` never queue behind them.
  exports_.emplace(static_cast<std::size_t>(cfg_.server.export_threads));
  for (int i = 0; i < cfg_.server.export_threads; ++i) {
    net::post(*exports_, [] { pthread_setname_np(pthread_self(), "sakchy-export"); });
  }
  auth_.emplace(cfg_.tokens);
  api_.emplace(MakeApiDeps());
  RaiseDescriptorLimit();
  server_.emplace(*io_, ServerOptions(cfg_.server, metrics_), *api_);
  if (auto s = server_->Start(); !s) return Failure{"cannot start the HTTP server", s.error()};
  server_started_ = true;

  signals_.emplace(*io_, SIGINT, SIGTERM);
  std::promise<int>* stop_signal = &stop_signal_;
  signals_->async_wait([stop_signal](const boost::system::error_code& e, int sig) {
    if (!e) stop_signal->set_value(sig);
  });
  std::string host = cfg_.server.listen_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const bool tls = !server_->TlsDescription().empty();
  base_ = std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(server_->port());
  serving_ = "Serving on " + base_ + ": " + std::to_string(rules_->Current()->info().rule_count) +
             " rules, " + std::to_string(areas_->areas().size()) + " areas, " +
             std::to_string(auth_->size()) + " tokens";
  // SIGHUP reloads the rules (off the io threads); errors keep the old ruleset.
  hup_.emplace(*io_, SIGHUP);
  HupHandler on_hup{&*hup_, &*blocking_, &*rules_, &*server_, &systemd_, serving_};
  hup_->async_wait(on_hup);
  return std::nullopt;
}

void Service::StartServing() {
  rules_->StartWatching(std::chrono::seconds(2));
  tension_->Start();
  retention_->Start();
  net::io_context* io = &*io_;
  for (int i = 0; i < std::max(1, cfg_.server.io_threads); ++i) {
    io_threads_.emplace_back([io] {
      pthread_setname_np(pthread_self(), "sakchy-http");
      if (auto s = MarkThreadLatencySensitive(); !s) {
        spdlog::warn("server: no scheduling hint for an HTTP thread: {}", s.error().ToString());
      }
      io->run();
    });
  }
  ready_ = true;
  // The listener accepts and the io threads run: systemd may send traffic now.
  systemd_.StartWatchdog(io_->get_executor());
  systemd_.Ready(serving_);
}

void Service::Announce() const {
  const auto& info = rules_->Current()->info();
  if (!server_->TlsDescription().empty()) spdlog::info("tls: serving {}", server_->TlsDescription());
  spdlog::info("sakchy {} ready: config {}, data {}, rules {} ({} rules), {} areas, {} contacts, {} tokens, {}",
               kVersion, cfg_.source, cfg_.storage.data_dir, info.version.substr(0, 12),
               info.rule_count, areas_->areas().size(), cfg_.contacts.size(), auth_->size(),
               AllocatorName());
  if (auth_->size() == 0) {
    spdlog::warn("no API tokens configured: every API call will get 401 (set SAKCHY_TOKENS)");
  }
  std::printf("sakchy listening on %s\n", base_.c_str());
  std::printf("web console: %s/ui/ (sign in with an API token)\n", base_.c_str());
  if (!printed_tokens_.empty()) {
    std::printf("demo tokens (kept in %s/demo-secrets):\n", kDemoDir);
    for (const auto& [role, token] : printed_tokens_) {
      const std::string label = role == "official" ? role + " (" + kDemoOfficialAreas + ")" : role;
      std::printf("  %-24s %s\n", label.c_str(), token.c_str());
    }
    std::printf("try: curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"
                "       -d '{\"text\":\"Говорят, в Оше начались беспорядки, передайте всем!\"}' %s/v1/reports\n",
                printed_tokens_[0].second.c_str(), base_.c_str());
  }
  std::fflush(stdout);
}

void Service::Stop() {
  if (stopped_) return;
  stopped_ = true;
  ready_ = false;
  if (rules_) rules_->StopWatching();
  if (tension_) tension_->Stop();
  if (retention_) retention_->Stop();
  if (server_started_) server_->StopAccepting();
  if (sources_started_) sources_.Stop();  // no new pulls; a submit in flight lands with its cursor
  if (intake_) intake_->Stop();  // cluster mode: no new appends to the log
  // Cluster mode: stop applying the log (what is not applied is delivered again at the next
  // start) before the local pipeline stops.
  if (cluster_started_) cluster_->Stop();
  if (pipeline_started_) pipeline_->Stop();  // finishes writes, scores everything queued, flushes
  if (stream_started_) stream_hub_->Stop();  // no more live updates (open streams end with io)
  if (dispatcher_started_) dispatcher_->Stop();  // pending deliveries stay in the outbox
  systemd_.StopWatchdog();
  if (io_) io_->stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  systemd_.ReleaseWatchdog();  // its timer belongs to `io_`, which goes before `systemd_`
  if (blocking_) blocking_->join();
  if (exports_) exports_->join();
}

}  // namespace

int Serve(const ServeOptions& options) {
  Service service(options);
  return service.Run();
}

}  // namespace sakchy::service
