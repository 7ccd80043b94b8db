#pragma once
// The REST API: routing, authentication, validation, RFC 7807 problems, metrics per route.
// Endpoints: docs/API.md.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <variant>
#include <vector>

#include "alerts/engine.h"
#include "cluster/jetstream.h"
#include "classifier/classifier.h"
#include "classifier/with_models.h"
#include "config/areas.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "ingest/validation.h"
#include "ingest/kannel.h"
#include "ingest/whatsapp.h"
#include "ingest/pipeline.h"
#include "ingest/sources/source.h"
#include "service/auth.h"
#include "service/http.h"
#include "analytics/tension.h"
#include "storage/store.h"

namespace sakchy::analytics {
class AreaTension;  // analytics/area_tension.h
}  // namespace sakchy::analytics

namespace sakchy::service {

class AreaShapes;
class CompletionInbox;
class StreamHub;

struct ApiDeps {
  ingest::Pipeline* pipeline = nullptr;
  storage::Store* store = nullptr;
  const config::AreaTree* areas = nullptr;
  const Authenticator* auth = nullptr;
  MetricsRegistry* metrics = nullptr;
  boost::asio::thread_pool* blocking = nullptr;  // store reads run here, never on io threads
  // Exports' scans run here (null: on `blocking`), so they never hold up the other reads.
  boost::asio::thread_pool* exports = nullptr;
  std::size_t max_exports_per_token = 2;  // concurrent exports of one token; past it 429
  // The io threads' executor (required): the pipeline's completions are handed to it in batches.
  boost::asio::any_io_executor io;
  ingest::ClassifierProvider classifier;
  // The learned models in use (classifier.models), for GET /v1/rules; may be empty.
  std::function<std::vector<classifier::ModelUse>()> models;
  std::function<bool()> ready;  // false while starting or shutting down
  const Clock* clock = nullptr;
  std::size_t max_text_bytes = 16384;
  ingest::ObservedWindow observed_window;  // pipeline.observed_at_max_{past,future}_ms
  std::function<std::vector<ingest::sources::SourceStatus>()> sources;  // live pull-source status
  // A verdict recorded on a rumour cluster (audited, stored), with its member event ids: the
  // alerts follow-up and the answers to its reporters go from here. `published_in`: the verdict
  // was published ("publish": true), with the names of its areas. Called on the blocking pool;
  // may be empty.
  std::function<void(const Verdict&, std::optional<std::string> published_in)> verdict_recorded;
  std::optional<ingest::KannelSettings> kannel;  // SMS intake via Kannel; none = disabled (404)
  std::optional<ingest::WhatsAppSettings> whatsapp;  // WhatsApp tipline; none = disabled (404)
  // Reloads the rules (blocking: compiles and runs examples); run on the blocking pool. `actor`
  // (the token name) goes to the audit log.
  std::function<Result<classifier::RuleSetInfo>(const std::string& actor)> reload_rules;
  const analytics::AreaTension* tension = nullptr;  // area tension, baselines, raised spikes
  const AreaShapes* shapes = nullptr;     // area polygons for the GeoJSON export (may be null)
  alerts::Engine* alerts = nullptr;  // alert details, acks, delivery reports (api_alerts.cc)
  // privacy.pseudonym_key (resolved): keys the submitter pseudonyms officials see (SubmitterView).
  std::string pseudonym_key;
  std::shared_ptr<StreamHub> stream;  // GET /v1/stream (api_console.cc); none: 503
  // Cluster mode: the cluster as NATS sees it (blocking; run on `blocking`), for GET /v1/cluster
  // and /readyz. Empty in single-node mode.
  std::function<cluster::ClusterView()> cluster;
  // Cluster mode: connected to NATS now (readiness). Empty in single-node mode.
  std::function<bool()> cluster_connected;
};

// Builds an RFC 7807 problem response (application/problem+json).
HttpResponse Problem(unsigned status, std::string_view title, std::string_view detail,
                     std::string_view field = {});

class AnalyticsApi;
class Api;

// One call routed through the endpoint table, by value (handlers are coroutines).
struct ApiCall {
  HttpRequest request;
  std::string id;     // the value of the path's "{...}" segment, if any
  Principal who;      // the authenticated caller
  std::string route;  // the endpoint's path pattern
};

// One endpoint of the API and its handler: dispatch is one lookup in the table. Role kOfficial
// marks area-scoped reads: analysts and officials may call them, and the handler filters by the
// caller's areas (Principal::MaySee).
struct Endpoint {
  std::string_view method;
  std::string_view path;  // a "{name}" segment matches any one segment
  config::Role role;
  // The handler; null for the open endpoints, which Api::Route serves before the table.
  boost::asio::awaitable<HttpResponse> (Api::*handler)(ApiCall) = nullptr;
  bool any_role = false;  // every valid token may call it (`role` is then unused)
};

class Api final : public RequestHandler {
 public:
  explicit Api(ApiDeps deps);
  ~Api() override;
  // Every route behind a bearer token, and those without (for the OpenAPI document's test).
  static std::span<const Endpoint> Endpoints();
  static std::vector<Endpoint> OpenEndpoints();
  // Refuses, on the header alone, requests for unknown routes or methods and requests without
  // a valid token or role (401/403/404/405): their bodies are never read.
  std::optional<HttpResponse> Admit(const HttpRequest& request) override;
  boost::asio::awaitable<HttpResponse> Handle(HttpRequest request) override;
  HttpResponse Reject(unsigned status, const std::string& title, const std::string& detail) override;

 private:
  // A bearer-token endpoint with its caller, resolved from the request line and headers.
  struct Resolved {
    const Endpoint* endpoint = nullptr;
    Principal who;
    std::string id;  // the value of the path's "{...}" segment, if any
  };
  // The endpoint of `request`, or the problem to answer (404, 405, 401, 403). Sets `route`.
  std::variant<Resolved, HttpResponse> Resolve(const HttpRequest& request, std::string& route);
  boost::asio::awaitable<HttpResponse> Route(HttpRequest request, std::string& route);
  boost::asio::awaitable<HttpResponse> PostReport(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> PostReportBatch(HttpRequest request, Principal who);
  HttpResponse ListSources();
  boost::asio::awaitable<HttpResponse> KannelMo(HttpRequest request);
  boost::asio::awaitable<ingest::SubmitResult> Submit(std::vector<Report> reports);
  // api_reach.cc: the WhatsApp webhook, the public answers, what replies hear of intake.
  boost::asio::awaitable<HttpResponse> WhatsAppRoute(HttpRequest request);
  boost::asio::awaitable<HttpResponse> PublicAnswersRoute(HttpRequest request, bool atom);
  // Tells the alerts' replies about a stored report (or a STOP) from a person.
  void TellReplies(const Report& report, const ingest::SubmitOutcome* outcome, bool media,
                   bool stop);
  boost::asio::awaitable<HttpResponse> GetEvent(std::string id, Principal who);
  boost::asio::awaitable<HttpResponse> ListAlerts(HttpRequest request, Principal who);
  // api_alerts.cc
  boost::asio::awaitable<HttpResponse> AlertsDlr(HttpRequest request);
  boost::asio::awaitable<HttpResponse> GetAlert(std::string id, Principal who);
  // The alert with its group, acks and state, or the problem answer (400 bad id, 404, 403 outside
  // `who`'s areas, 500) that GetAlert and GetAlertCap give instead.
  boost::asio::awaitable<std::variant<alerts::AlertDetail, HttpResponse>> ReadAlertFor(
      std::string id, Principal who);
  boost::asio::awaitable<HttpResponse> AckAlert(HttpRequest request, std::string id, Principal who);
  // api_cap.cc: CAP 1.2 for partner systems.
  boost::asio::awaitable<HttpResponse> GetAlertCap(HttpRequest request, std::string id,
                                                   Principal who);
  boost::asio::awaitable<HttpResponse> AlertsAtom(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> ContactsRoute(HttpRequest request, std::string id,
                                                     Principal who);
  boost::asio::awaitable<HttpResponse> SilencesRoute(HttpRequest request, std::string id,
                                                     Principal who);
  // Admin entry points that raise a Signal / record a Verdict as analytics will (integration
  // tests and manual drills).
  boost::asio::awaitable<HttpResponse> AnalyticsInput(HttpRequest request, std::string route,
                                                      Principal who);
  boost::json::value AlertsReadiness() const;
  // An SMS reply "OK <code>" from a contact: the 200 answer when it acknowledged an alert.
  boost::asio::awaitable<std::optional<HttpResponse>> SmsAckReply(std::string from,
                                                                  std::string text);
  HttpResponse Readyz(const HttpRequest& request);
  HttpResponse RulesInfo();
  // Rumour clusters (api_clusters.cc).
  boost::asio::awaitable<HttpResponse> ListClusters(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> GetCluster(HttpRequest request, std::string id,
                                                  Principal who);
  boost::asio::awaitable<HttpResponse> PostVerdict(HttpRequest request, std::string id,
                                                   Principal who);
  boost::asio::awaitable<HttpResponse> ReloadRules(std::string actor);
  // What the web console needs besides the other routes (api_console.cc): the caller's identity,
  // the area names for forms, live updates.
  HttpResponse Me(const HttpRequest& request, const Principal& who);
  HttpResponse AreaNames(const HttpRequest& request);
  boost::asio::awaitable<HttpResponse> Stream(HttpRequest request, Principal who);
  // Training data from people (api_labels.cc).
  boost::asio::awaitable<HttpResponse> PostLabel(HttpRequest request, std::string id,
                                                 Principal who);
  boost::asio::awaitable<HttpResponse> ExportLabels(HttpRequest request, Principal who);

  // A path served without a bearer token, before the endpoint table (api_routes.cc).
  struct OpenRoute {
    enum class Needs : std::uint8_t { kNothing, kKannel, kWhatsApp, kAlerts };
    std::string_view path;
    std::string_view methods;  // the methods served, as documented
    std::string_view allow;    // methods the router admits, for a 405's Allow; empty: the handler checks
    Needs needs;             // the feature that must be on for the path to exist
    boost::asio::awaitable<HttpResponse> (Api::*handler)(HttpRequest);
  };
  static std::span<const OpenRoute> OpenRoutes();
  // The open route of `path` whose feature is on, or nullptr.
  const OpenRoute* FindOpenRoute(std::string_view path) const;
  boost::asio::awaitable<HttpResponse> OnHealthz(HttpRequest request);
  boost::asio::awaitable<HttpResponse> OnReadyz(HttpRequest request);
  boost::asio::awaitable<HttpResponse> OnOpenApi(HttpRequest request);
  boost::asio::awaitable<HttpResponse> OnProblemPage(HttpRequest request);
  boost::asio::awaitable<HttpResponse> OnPublicAnswers(HttpRequest request);
  boost::asio::awaitable<HttpResponse> OnPublicAnswersAtom(HttpRequest request);

  // The endpoint table's handlers (api_routes.cc), one per row.
  using Awaitable = boost::asio::awaitable<HttpResponse>;
  Awaitable OnPostReport(ApiCall call);
  Awaitable OnPostReportBatch(ApiCall call);
  Awaitable OnListSources(ApiCall call);
  Awaitable OnGetEvent(ApiCall call);
  Awaitable OnPostLabel(ApiCall call);
  Awaitable OnExportLabels(ApiCall call);
  Awaitable OnListAlerts(ApiCall call);
  Awaitable OnAlertsAtom(ApiCall call);
  Awaitable OnGetAlertCap(ApiCall call);
  Awaitable OnGetAlert(ApiCall call);
  Awaitable OnAckAlert(ApiCall call);
  Awaitable OnSilences(ApiCall call);
  Awaitable OnAnalyticsInput(ApiCall call);
  Awaitable OnContacts(ApiCall call);
  Awaitable OnTrends(ApiCall call);
  Awaitable OnAreas(ApiCall call);
  Awaitable OnAreaTension(ApiCall call);
  Awaitable OnExportEventsCsv(ApiCall call);
  Awaitable OnExportAreasGeoJson(ApiCall call);
  Awaitable OnRulesInfo(ApiCall call);
  Awaitable OnReloadRules(ApiCall call);
  Awaitable OnBackup(ApiCall call);
  Awaitable OnAudit(ApiCall call);
  Awaitable OnListClusters(ApiCall call);
  Awaitable OnGetCluster(ApiCall call);
  Awaitable OnPostVerdict(ApiCall call);
  Awaitable OnMetrics(ApiCall call);
  Awaitable OnMe(ApiCall call);
  Awaitable OnAreaNames(ApiCall call);
  Awaitable OnStream(ApiCall call);
  Awaitable OnCluster(ApiCall call);  // api_cluster.cc

  // Metric handles per (route, status), so a request does not render label strings.
  struct RouteMetrics {
    Histogram* latency = nullptr;
    std::map<unsigned, Counter*> by_status;
  };
  void Record(const std::string& route, unsigned status, double seconds);

  ApiDeps d_;
  std::mutex metrics_mu_;
  std::map<std::string, RouteMetrics, std::less<>> route_metrics_;
  Counter& rejected_invalid_;
  Counter& rejected_too_large_;
  Counter& rejected_media_type_;
  Counter& unauthenticated_;
  Counter& forbidden_;
  IdGenerator audit_ids_;  // ids of audit entries written by the API (verdicts)
  std::unique_ptr<AnalyticsApi> analytics_;  // trends, areas, exports, audit (api_analytics.cc)
  std::unique_ptr<CompletionInbox> inbox_;   // pipeline completions -> io threads
};

}  // namespace sakchy::service
