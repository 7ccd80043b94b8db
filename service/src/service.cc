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

#include "alerts/engine.h"
#include "classifier/classifier.h"
#include "classifier/language.h"
#include "config/areas.h"
#include "config/config.h"
#include "core/allocator.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/time.h"
#include "ingest/clustering.h"
#include "ingest/pipeline.h"
#include "ingest/sources/source.h"
#include "ingest/validation.h"
#include "service/area_shapes.h"
#include "service/area_tension.h"
#include "service/retention_sweeper.h"
#include "service/stream_hub.h"
#include "logging.h"
#include "model_loading.h"
#include "rules_reloader.h"
#include "systemd_notify.h"
#include "service/api.h"
#include "service/auth.h"
#include "service/http.h"
#include "storage/audit.h"
#include "storage/store.h"

namespace sakchy::service {

namespace net = boost::asio;

namespace {

constexpr const char* kDemoDir = "./var";

int Fail(const std::string& what, const Error& err) {
  std::fprintf(stderr, "sakchy: %s:\n%s\n", what.c_str(), err.message.c_str());
  return 1;
}

// Demo mode (no --config): secrets and tokens are generated once and kept under ./var with mode
// 0600, so the first run works without any set-up and later runs keep the same tokens. The demo
// official covers the Osh region and Osh city (the demo contact's areas).
constexpr const char* kDemoOfficialAreas = "KG-O+KG-GO";
struct DemoSecrets {
  std::string webhook_secret;
  std::vector<std::pair<std::string, std::string>> tokens;  // role, token
};

Result<DemoSecrets> LoadOrCreateDemoSecrets() {
  std::error_code ec;
  std::filesystem::create_directories(kDemoDir, ec);
  if (ec) return MakeError(ErrorCode::kIo, std::string("cannot create ") + kDemoDir + ": " + ec.message());
  const std::string path = std::string(kDemoDir) + "/demo-secrets";
  DemoSecrets s;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "webhook_secret") s.webhook_secret = value;
    else if (key.rfind("token_", 0) == 0) s.tokens.emplace_back(key.substr(6), value);
  }
  // Earlier files have no official token: it is added, the others are kept.
  const auto has = [&s](std::string_view role) {
    return std::any_of(s.tokens.begin(), s.tokens.end(),
                       [role](const auto& t) { return t.first == role; });
  };
  const bool complete = has("monitor") && has("analyst") && has("admin");
  if (!s.webhook_secret.empty() && complete && has("official")) return s;
  if (s.webhook_secret.empty() || !complete) {
    s = DemoSecrets{};
    s.webhook_secret = RandomHex(32);
    for (const char* role : {"monitor", "analyst", "admin"}) {
      s.tokens.emplace_back(role, std::string("demo-") + role + "-" + RandomHex(12));
    }
  }
  s.tokens.emplace_back("official", std::string("demo-official-") + RandomHex(12));
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# Demo secrets of `sakchy serve` without --config. Delete this file to rotate them.\n";
    out << "webhook_secret=" << s.webhook_secret << "\n";
    for (const auto& [role, token] : s.tokens) out << "token_" << role << "=" << token << "\n";
    if (!out) return MakeError(ErrorCode::kIo, "cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + ec.message());
  return s;
}

Status ApplyListen(const std::string& listen, config::Config& cfg) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--listen must be HOST:PORT (e.g. 127.0.0.1:8080), not '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument, "--listen port must be 0..65535 in '" + listen + "'");
  }
  cfg.server.listen_host = host;
  cfg.server.listen_port = static_cast<std::uint16_t>(port);
  return OkStatus();
}

// Pull sources hand their items to the pipeline; their cursor travels in the same write.
class PipelineSink final : public ingest::sources::ReportSink {
 public:
  // `replies` (may be null) hears of reports from private chats (alerts/replies.h).
  PipelineSink(ingest::Pipeline& pipeline, std::size_t max_text_bytes,
               ingest::ObservedWindow observed, const Clock& clock, MetricsRegistry& metrics,
               alerts::Engine* replies)
      : pipeline_(pipeline),
        replies_(replies),
        max_text_bytes_(max_text_bytes),
        observed_(observed),
        clock_(clock),
        sanitized_(metrics.GetCounter("sakchy_source_texts_sanitized_total",
                                      "Pulled texts with invalid UTF-8 replaced or cut to the limit")),
        clamped_(metrics.GetCounter("sakchy_source_observed_at_clamped_total",
                                    "Pulled items whose time lay outside the observed_at window "
                                    "and was moved to its edge")) {}
  // A source cannot be asked to resend: texts are sanitised and times clamped, item by item,
  // instead of refusing the batch.
  void Submit(std::vector<Report> reports, std::optional<ingest::sources::Cursor> cursor,
              ingest::SubmitCallback done) override {
    const TimeMs now = clock_.NowMs();
    for (auto& r : reports) {
      if (ingest::SanitizeText(r.text, max_text_bytes_)) sanitized_.Inc();
      if (ingest::ClampObservedAt(r, now, observed_)) clamped_.Inc();
    }
    std::optional<storage::CursorUpdate> update;
    if (cursor) update = storage::CursorUpdate{std::move(cursor->source_id), std::move(cursor->value)};
    if (replies_ == nullptr ||
        std::none_of(reports.begin(), reports.end(),
                     [](const Report& r) { return !r.reply_address.empty(); })) {
      pipeline_.Submit(std::move(reports), std::move(done), std::move(update));
      return;
    }
    // Private chats: "STOP" is no report (its outcome says duplicate, so the source counts it
    // as nothing new); the others are told to the replies once stored.
    std::vector<Report> kept;
    std::vector<std::optional<std::size_t>> position(reports.size());
    std::vector<Report> stops;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      if (!reports[i].reply_address.empty() && alerts::IsStopWord(reports[i].text)) {
        stops.push_back(std::move(reports[i]));
      } else {
        position[i] = kept.size();
        kept.push_back(std::move(reports[i]));
      }
    }
    std::vector<Report> told;
    for (const Report& r : kept) told.push_back(r);
    alerts::Engine* engine = replies_;
    auto wrapped = [engine, done = std::move(done), told = std::move(told),
                    stops = std::move(stops),
                    position = std::move(position)](ingest::SubmitResult result) {
      if (result) {
        for (const Report& r : stops) engine->Reported(ReporterMessageOf(r, nullptr, true));
        for (std::size_t i = 0; i < told.size() && i < result->size(); ++i) {
          engine->Reported(ReporterMessageOf(told[i], &(*result)[i], false));
        }
        std::vector<ingest::SubmitOutcome> all;
        for (const auto& p : position) {
          all.push_back(p ? (*result)[*p] : ingest::SubmitOutcome{"", true, ""});
        }
        result = std::move(all);
      }
      done(std::move(result));
    };
    pipeline_.Submit(std::move(kept), std::move(wrapped), std::move(update));
  }

 private:
  static alerts::ReporterMessage ReporterMessageOf(const Report& r,
                                                   const ingest::SubmitOutcome* outcome,
                                                   bool stop) {
    alerts::ReporterMessage m;
    m.kind = stop ? alerts::ReporterMessage::Kind::kStop : alerts::ReporterMessage::Kind::kReport;
    m.channel = r.channel;
    m.pseudonym = r.submitted_by;
    m.reply_address = r.reply_address;
    m.language = std::string(classifier::LanguageName(classifier::DetectLanguage(r.text)));
    if (outcome != nullptr && !r.reply_address.empty()) {
      m.report_id = outcome->follow_up_of.empty() ? outcome->id : outcome->follow_up_of;
      m.new_report = !outcome->duplicate && outcome->follow_up_of.empty();
    } else if (!stop) {
      m.pseudonym.clear();  // not from a private chat: nothing to remember
    }
    return m;
  }

  ingest::Pipeline& pipeline_;
  alerts::Engine* replies_;
  const std::size_t max_text_bytes_;
  const ingest::ObservedWindow observed_;
  const Clock& clock_;
  Counter& sanitized_;
  Counter& clamped_;
};

class StoreCursorReader final : public ingest::sources::CursorReader {
 public:
  explicit StoreCursorReader(storage::Store& store) : store_(store) {}
  Result<std::optional<std::string>> GetCursor(std::string_view source_id) override {
    return store_.GetCursor(source_id);
  }

 private:
  storage::Store& store_;
};

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

// Raises the soft limit of open descriptors to the hard one: connections, RocksDB's files and
// outgoing requests share it (the HTTP server takes at most half, HttpServer::Start).
void RaiseDescriptorLimit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  const rlim_t before = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &rl) == 0) {
    spdlog::info("descriptor limit raised from {} to {}", before, rl.rlim_cur);
  }
}

HttpServerOptions ServerOptions(const config::ServerConfig& s, MetricsRegistry& metrics) {
  HttpServerOptions o;
  o.host = s.listen_host;
  o.port = s.listen_port;
  o.max_body_bytes = s.max_body_bytes;
  o.bulk_paths = {"/v1/reports:batch"};
  o.max_bulk_body_bytes = std::max<std::size_t>(s.max_body_bytes, 64 << 20);
  o.max_body_bytes_in_flight = s.max_body_bytes_in_flight;
  o.max_connections = s.max_connections;
  o.max_connections_per_ip = s.max_connections_per_ip;
  o.idle_timeout_seconds = s.idle_timeout_seconds;
  o.header_timeout_seconds = s.header_timeout_seconds;
  o.body_timeout_seconds = s.body_timeout_seconds;
  if (s.tls) o.tls = HttpTlsOptions{s.tls->cert_file, s.tls->key_file, s.tls->min_version};
  o.metrics = &metrics;
  return o;
}

// Memory as the process and its allocator see it, for /metrics (long runs must stay flat).
void RegisterProcessMetrics(MetricsRegistry& metrics) {
  RegisterStandardProcessMetrics(metrics);  // process_* and sakchy_build_info (core/metrics.h)
  metrics.AddCallbackGauge("process_resident_memory_bytes", "Resident memory of the process", {},
                           [] {
                             std::ifstream statm("/proc/self/statm");
                             std::size_t pages = 0;
                             std::size_t resident = 0;
                             statm >> pages >> resident;
                             return static_cast<double>(resident) *
                                    static_cast<double>(sysconf(_SC_PAGESIZE));
                           });
  if (!ReadAllocatorStats()) return;  // glibc malloc: no figures
  using Field = std::size_t AllocatorStats::*;
  const std::pair<const char*, Field> fields[] = {
      {"allocated", &AllocatorStats::allocated},
      {"active", &AllocatorStats::active},
      {"resident", &AllocatorStats::resident},
      {"retained", &AllocatorStats::retained}};
  for (const auto& [kind, field] : fields) {
    metrics.AddCallbackGauge("sakchy_allocator_bytes",
                             "Memory of the allocator (jemalloc stats.<kind>)", {{"kind", kind}},
                             [field] {
                               auto stats = ReadAllocatorStats();
                               return stats ? static_cast<double>((*stats).*field) : 0.0;
                             });
  }
}

}  // namespace

int Serve(const ServeOptions& options) {
  SystemdNotifier systemd;  // no-op unless started by systemd (Type=notify)
  systemd.Status("Starting: reading the configuration");
  const bool demo = !options.config_path.has_value();
  std::optional<DemoSecrets> demo_secrets;
  if (demo) {
    auto s = LoadOrCreateDemoSecrets();
    if (!s) return Fail("cannot prepare the demo set-up", s.error());
    demo_secrets = std::move(*s);
    if (!std::getenv("SAKCHY_WEBHOOK_DEMO_SECRET")) {
      ::setenv("SAKCHY_WEBHOOK_DEMO_SECRET", demo_secrets->webhook_secret.c_str(), 1);
    }
  }
  auto cfg = demo ? config::LoadDefaultConfig() : config::LoadConfigFile(*options.config_path);
  if (!cfg) return Fail("invalid configuration", cfg.error());
  if (options.listen) {
    if (auto s = ApplyListen(*options.listen, *cfg); !s) return Fail("invalid option", s.error());
  }
  if (options.data_dir) cfg->storage.data_dir = *options.data_dir;
  const char* env_tokens = std::getenv("SAKCHY_TOKENS");
  if (env_tokens && *env_tokens) {
    if (auto s = config::AddTokensFromEnv(env_tokens, *cfg); !s) {
      return Fail("invalid SAKCHY_TOKENS", s.error());
    }
  }
  std::vector<std::pair<std::string, std::string>> printed_tokens;
  if (demo && cfg->tokens.empty()) {
    std::string spec;
    for (const auto& [role, token] : demo_secrets->tokens) {
      if (!spec.empty()) spec += ",";
      spec += role == "official" ? role + "@" + kDemoOfficialAreas + ":" + token
                                 : role + ":" + token;
      printed_tokens.emplace_back(role, token);
    }
    if (auto s = config::AddTokensFromEnv(spec, *cfg); !s) return Fail("demo tokens", s.error());
  }

  const std::string log_format = options.log_format.empty() ? cfg->logging.format : options.log_format;
  const std::string log_level = options.log_level.empty() ? cfg->logging.level : options.log_level;
  if (auto s = SetupLogging(log_format, log_level); !s) return Fail("invalid logging options", s.error());

  auto areas = config::AreaTree::Load(cfg->classifier.areas_file);
  if (!areas) return Fail("cannot load areas", areas.error());
  if (auto s = config::ValidateAreas(*cfg, *areas); !s) return Fail("invalid configuration", s.error());

  const Clock& clock = SystemClock::Instance();
  auto loaded = classifier::Classifier::Load(cfg->classifier.rules_dir, *areas, clock.NowMs());
  if (!loaded) return Fail("cannot load rules from " + cfg->classifier.rules_dir, loaded.error());
  auto models = LoadModels(cfg->classifier.models);
  if (!models) return Fail("cannot load the learned models", models.error());

  systemd.Status("Starting: opening the database in " + cfg->storage.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(cfg->storage.data_dir, ec);
  auto store = storage::Store::Open({cfg->storage.data_dir, cfg->storage.sync_writes,
                                     cfg->storage.background_write_mb_per_s,
                                     cfg->storage.delete_mb_per_s});
  if (!store) return Fail("cannot open the data directory " + cfg->storage.data_dir, store.error());

  MetricsRegistry metrics;
  RegisterProcessMetrics(metrics);
  storage::Store* memory_store = store->get();
  for (const auto& entry : memory_store->MemoryUsage()) {
    metrics.AddCallbackGauge("sakchy_storage_memory_bytes", "Memory held by RocksDB, by kind",
                             {{"kind", entry.first}}, [s = memory_store, kind = entry.first] {
                               const auto usage = s->MemoryUsage();
                               const auto it = usage.find(kind);
                               return it == usage.end() ? 0.0 : static_cast<double>(it->second);
                             });
  }
  RulesReloader rules(cfg->classifier.rules_dir, *areas, *loaded, clock, metrics,
                      cfg->classifier.models, std::move(*models));
  IdGenerator audit_ids(clock);
  storage::Store* audit_store = store->get();
  rules.SetAuditSink([audit_store, &audit_ids, &clock](std::string actor, std::string action,
                                                       std::string subject, std::string details) {
    storage::AuditEntry e{audit_ids.Next(), clock.NowMs(), std::move(actor), std::move(action),
                          std::move(subject), std::move(details)};
    if (auto s = storage::AppendAudit(*audit_store, e); !s) {
      spdlog::error("audit: {} not recorded: {}", e.action, s.error().ToString());
    }
  });

  systemd.Status("Recovering: pending alerts, rumour clusters and the scoring queue");
  std::string pseudonym_key = cfg->privacy.pseudonym_key;
  if (pseudonym_key.empty() && demo) pseudonym_key = demo_secrets->webhook_secret + ":pseudonyms";
  if (pseudonym_key.empty()) {
    pseudonym_key = RandomHex(32);
    spdlog::warn("privacy.pseudonym_key_env is not set: author and sender pseudonyms use a random "
                 "key and will differ after a restart");
  }
  // Replies to reporters: WhatsApp's Graph API, the Telegram sources' bots (a private chat is
  // answered by the bot it wrote to), and the key that seals reply addresses in the store.
  if (cfg->whatsapp.enabled) cfg->alerts.channels.whatsapp = cfg->whatsapp;
  for (const auto& src : cfg->sources) {
    if (src.type == "telegram" && src.enabled && !src.token.empty()) {
      config::TelegramChannelConfig bot;
      bot.api_base = src.url.empty() ? bot.api_base : src.url;
      bot.token_env = src.token_env;
      bot.token = src.token;
      cfg->alerts.channels.source_bots[src.id] = std::move(bot);
    }
  }
  cfg->alerts.channels.reply_key = HmacSha256Hex(pseudonym_key, "sakchy-reply-address");
  auto dispatcher =
      alerts::Engine::Create(**store, cfg->alerts, cfg->contacts, *areas, clock, metrics);
  if (cfg->replies.enabled) {
    if (auto s = dispatcher->EnableReplies(cfg->replies); !s) {
      return Fail("cannot load the reply messages (replies.messages_dir)", s.error());
    }
  }
  // Alerts say when a rumour was already checked: the verdict of its cluster, read when the
  // notification is rendered.
  storage::Store* verdict_store = store->get();
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
  dispatcher->SetVerdictLookup(std::move(verdicts));
  if (auto s = dispatcher->Start(); !s) return Fail("cannot start alert delivery", s.error());

  ingest::PipelineHooks hooks;
  alerts::Engine* alerts_engine = dispatcher.get();
  // Live updates (GET /v1/stream): new notifications read from the outbox, spreading clusters
  // from the scoring path.
  std::shared_ptr<StreamHub> stream_hub = StreamHub::Create(**store, *areas);
  if (auto s = stream_hub->Start(); !s) {
    dispatcher->Stop();
    return Fail("cannot start live updates", s.error());
  }
  hooks.plan_alerts = [alerts_engine](const Event& e) { return alerts_engine->Plan(e); };
  hooks.alerts_committed = [alerts_engine](std::vector<Alert> a) {
    alerts_engine->Committed(std::move(a));
  };
  // Rumour clusters: every scored event is assigned in the scoring path; spread signals go to the
  // alerts module (PipelineHooks::signals_committed -> alerts::Engine::RaiseAll), verdicts too
  // (ApiDeps::verdict_recorded -> alerts::Engine::FollowUp).
  std::unique_ptr<ingest::ClusterStage> clusters;
  if (cfg->clusters.enabled) {
    auto stage = ingest::ClusterStage::Open(**store, cfg->clusters, clock, metrics);
    if (!stage) {
      dispatcher->Stop();
      return Fail("cannot restore the rumour-cluster index", stage.error());
    }
    clusters = std::move(*stage);
    ingest::ClusterStage* stage_ptr = clusters.get();
    hooks.analyse = [stage_ptr](std::span<storage::ScoredBatchItem> items) {
      return stage_ptr->Annotate(items);
    };
    StreamHub* hub = stream_hub.get();
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
  RulesReloader* reloader = &rules;
  auto pipeline = ingest::Pipeline::Create(
      **store, cfg->pipeline, *areas, [reloader] { return reloader->Current(); }, std::move(hooks),
      clock, metrics);
  if (auto s = pipeline->Start(); !s) return Fail("cannot start the pipeline", s.error());

  const ingest::ObservedWindow observed_window{cfg->pipeline.observed_at_max_past_ms,
                                               cfg->pipeline.observed_at_max_future_ms};
  PipelineSink sink(*pipeline, cfg->pipeline.max_text_bytes, observed_window, clock, metrics,
                    cfg->replies.enabled ? alerts_engine : nullptr);
  StoreCursorReader cursors(**store);
  ingest::sources::SourceManager sources;
  if (auto s = sources.Start(cfg->sources, pseudonym_key, sink, cursors, clock, metrics); !s) {
    pipeline->Stop();
    dispatcher->Stop();
    return Fail("cannot start the pull sources", s.error());
  }

  auto shapes = AreaShapes::Load(cfg->analytics.area_polygons);
  if (!shapes) return Fail("cannot load area polygons (analytics.area_polygons)", shapes.error());
  if (auto s = shapes->CheckCodes(*areas, cfg->analytics.area_polygons); !s) {
    return Fail("invalid area polygons (analytics.area_polygons)", s.error());
  }
  // Area tension and spikes. A spike is logged and counted (sakchy_area_spikes_total) by
  // AreaTension and raised as an area-level alert through the alerts module.
  AreaTension tension(**store, *areas, cfg->analytics, clock, metrics,
                      [alerts_engine](const Signal& spike) {
                        if (auto st = alerts_engine->Raise(spike); !st) {
                          spdlog::error("area {}: spike alert not raised: {}", spike.area,
                                        st.error().ToString());
                        }
                      });
  RetentionSweeper retention(**store, cfg->retention, clock, metrics);

  std::atomic<bool> ready{false};
  net::io_context io(cfg->server.io_threads);
  net::thread_pool blocking(2);
  for (int i = 0; i < 2; ++i) {  // names the pool's threads (a task each, in parallel or not)
    net::post(blocking, [] { pthread_setname_np(pthread_self(), "sakchy-blocking"); });
  }
  // Exports scan the store for as long as their filter takes: their own threads, so the API's
  // other reads on `blocking` never queue behind them.
  net::thread_pool exports(static_cast<std::size_t>(cfg->server.export_threads));
  for (int i = 0; i < cfg->server.export_threads; ++i) {
    net::post(exports, [] { pthread_setname_np(pthread_self(), "sakchy-export"); });
  }
  Authenticator auth(cfg->tokens);
  ApiDeps deps;
  deps.pipeline = pipeline.get();
  deps.store = store->get();
  deps.areas = &*areas;
  deps.auth = &auth;
  deps.metrics = &metrics;
  deps.blocking = &blocking;
  deps.exports = &exports;
  deps.max_exports_per_token = cfg->server.max_exports_per_token;
  deps.io = io.get_executor();
  deps.classifier = [reloader] { return reloader->Current(); };
  deps.models = [reloader] { return reloader->Models(); };
  deps.reload_rules = [reloader](const std::string& actor) {
    return reloader->Reload("api", actor);
  };
  deps.ready = [&ready] { return ready.load(); };
  deps.clock = &clock;
  deps.max_text_bytes = cfg->pipeline.max_text_bytes;
  deps.observed_window = observed_window;
  deps.sources = [&sources] { return sources.Statuses(); };
  // A verdict on a rumour: reports that join its cluster from now on get its category
  // (known_false), and everyone alerted about it gets the follow-up (alerts::Engine::FollowUp).
  ingest::ClusterStage* verdict_stage = clusters.get();
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
  deps.tension = &tension;
  deps.shapes = &*shapes;
  deps.alerts = alerts_engine;
  deps.pseudonym_key = pseudonym_key;
  deps.stream = stream_hub;
  if (cfg->sms.kannel_enabled) {
    ingest::KannelSettings kannel;
    kannel.secret = cfg->sms.kannel_secret;
    kannel.allowed_ips = cfg->sms.kannel_allowed_ips;
    kannel.pseudonym_key = pseudonym_key;
    kannel.keep_raw_numbers = cfg->sms.keep_raw_numbers;
    kannel.follow_up_window_ms = cfg->sms.follow_up_window_ms;
    deps.kannel = std::move(kannel);
  }
  if (cfg->whatsapp.enabled) {
    ingest::WhatsAppSettings whatsapp;
    whatsapp.verify_token = cfg->whatsapp.verify_token;
    whatsapp.app_secret = cfg->whatsapp.app_secret;
    whatsapp.pseudonym_key = pseudonym_key;
    whatsapp.follow_up_window_ms = cfg->whatsapp.follow_up_window_ms;
    deps.whatsapp = std::move(whatsapp);
  }
  Api api(std::move(deps));
  RaiseDescriptorLimit();
  HttpServer server(io, ServerOptions(cfg->server, metrics), api);
  if (auto s = server.Start(); !s) {
    sources.Stop();
    pipeline->Stop();
    dispatcher->Stop();
    return Fail("cannot start the HTTP server", s.error());
  }

  std::promise<int> stop_signal;
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&stop_signal](const boost::system::error_code& e, int sig) {
    if (!e) stop_signal.set_value(sig);
  });
  std::string host = cfg->server.listen_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const bool tls = !server.TlsDescription().empty();
  const std::string base =
      std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(server.port());
  const std::string serving = "Serving on " + base + ": " +
                              std::to_string(rules.Current()->info().rule_count) + " rules, " +
                              std::to_string(areas->areas().size()) + " areas, " +
                              std::to_string(auth.size()) + " tokens";
  // SIGHUP reloads the rules (off the io threads); errors keep the old ruleset.
  net::signal_set hup(io, SIGHUP);
  HupHandler on_hup{&hup, &blocking, reloader, &server, &systemd, serving};
  hup.async_wait(on_hup);
  rules.StartWatching(std::chrono::seconds(2));
  tension.Start();
  retention.Start();
  std::vector<std::thread> io_threads;
  for (int i = 0; i < std::max(1, cfg->server.io_threads); ++i) {
    io_threads.emplace_back([&io] {
      pthread_setname_np(pthread_self(), "sakchy-http");
      if (auto s = MarkThreadLatencySensitive(); !s) {
        spdlog::warn("server: no scheduling hint for an HTTP thread: {}", s.error().ToString());
      }
      io.run();
    });
  }
  ready = true;
  // The listener accepts and the io threads run: systemd may send traffic now.
  systemd.StartWatchdog(io.get_executor());
  systemd.Ready(serving);

  if (tls) spdlog::info("tls: serving {}", server.TlsDescription());
  spdlog::info("sakchy {} ready: config {}, data {}, rules {} ({} rules), {} areas, {} contacts, {} tokens, {}",
               "0.1.0", cfg->source, cfg->storage.data_dir, rules.Current()->info().version.substr(0, 12),
               rules.Current()->info().rule_count, areas->areas().size(), cfg->contacts.size(),
               auth.size(), AllocatorName());
  if (auth.size() == 0) {
    spdlog::warn("no API tokens configured: every API call will get 401 (set SAKCHY_TOKENS)");
  }
  std::printf("sakchy listening on %s\n", base.c_str());
  std::printf("web console: %s/ui/ (sign in with an API token)\n", base.c_str());
  if (!printed_tokens.empty()) {
    std::printf("demo tokens (kept in %s/demo-secrets):\n", kDemoDir);
    for (const auto& [role, token] : printed_tokens) {
      const std::string label = role == "official" ? role + " (" + kDemoOfficialAreas + ")" : role;
      std::printf("  %-24s %s\n", label.c_str(), token.c_str());
    }
    std::printf("try: curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"
                "       -d '{\"text\":\"Говорят, в Оше начались беспорядки, передайте всем!\"}' %s/v1/reports\n",
                printed_tokens[0].second.c_str(), base.c_str());
  }
  std::fflush(stdout);

  int sig = stop_signal.get_future().get();
  spdlog::info("received signal {}: stopping intake, draining the queue", sig);
  systemd.Stopping("Stopping: intake closed, draining the queue and flushing");
  ready = false;
  rules.StopWatching();
  tension.Stop();
  retention.Stop();
  server.StopAccepting();
  sources.Stop();      // no new pulls; a submit in flight still lands with its cursor
  pipeline->Stop();    // finishes writes, scores everything queued, flushes
  stream_hub->Stop();  // no more live updates (open streams end with the io threads)
  dispatcher->Stop();  // pending deliveries stay in the outbox for the next start
  systemd.StopWatchdog();
  io.stop();
  for (auto& t : io_threads) t.join();
  systemd.ReleaseWatchdog();  // its timer belongs to `io`, which goes before `systemd`
  blocking.join();
  exports.join();
  if (auto s = (*store)->Flush(); !s) spdlog::error("final flush failed: {}", s.error().ToString());
  spdlog::info("stopped cleanly");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace sakchy::service
