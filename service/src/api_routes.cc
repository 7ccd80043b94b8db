#include "service/api.h"

#include <algorithm>

// The API's routing: the endpoint table with each endpoint's handler, authentication and role
// checks (Resolve, Admit), and the few open paths served before the table (Route).

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "api_analytics.h"
#include "api_util.h"
#include "service/console.h"
#include "service/openapi.h"
#include "service/problems.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;
using config::Role;

namespace {

// True when `path` matches `pattern`, segment by segment; a "{name}" segment matches any one
// non-empty segment, whose value goes to `*param`; "{name}.ext" one that ends in ".ext", whose
// value without it goes to `*param`.
bool MatchPath(std::string_view pattern, std::string_view path, std::string* param) {
  while (!pattern.empty() && !path.empty()) {
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pe = pattern.find('/');
    const auto se = path.find('/');
    std::string_view pseg = pattern.substr(0, pe), seg = path.substr(0, se);
    const auto close = pseg.find('}');
    if (pseg.size() > 2 && pseg.front() == '{' && close != std::string_view::npos) {
      const std::string_view suffix = pseg.substr(close + 1);
      if (seg.size() <= suffix.size() || !seg.ends_with(suffix)) return false;
      param->assign(seg.substr(0, seg.size() - suffix.size()));
    } else if (pseg != seg) {
      return false;
    }
    pattern = pe == std::string_view::npos ? std::string_view() : pattern.substr(pe);
    path = se == std::string_view::npos ? std::string_view() : path.substr(se);
  }
  return pattern.empty() && path.empty();
}



// The methods of a list such as "GET, HEAD", in order.
std::vector<std::string_view> MethodList(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view one = list.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    out.push_back(one);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}

}  // namespace

// Every endpoint behind a bearer token, with its handler: the one place a route is matched.
// Role kOfficial: analysts and officials; the handler filters by the caller's areas.
std::span<const Endpoint> Api::Endpoints() {
  static constexpr Endpoint kEndpoints[] = {
      {"POST", "/v1/reports", Role::kMonitor, &Api::OnPostReport},
      {"POST", "/v1/reports:batch", Role::kMonitor, &Api::OnPostReportBatch},
      {"GET", "/v1/sources", Role::kAnalyst, &Api::OnListSources},
      {"GET", "/v1/events/{id}", Role::kOfficial, &Api::OnGetEvent},
      {"POST", "/v1/events/{id}/label", Role::kAnalyst, &Api::OnPostLabel},
      {"GET", "/v1/export/labels.ndjson", Role::kAnalyst, &Api::OnExportLabels},
      {"GET", "/v1/alerts", Role::kOfficial, &Api::OnListAlerts},
      {"GET", "/v1/alerts.atom", Role::kOfficial, &Api::OnAlertsAtom},
      {"GET", "/v1/alerts/{id}.cap", Role::kOfficial, &Api::OnGetAlertCap},
      {"GET", "/v1/alerts/{id}", Role::kOfficial, &Api::OnGetAlert},
      {"POST", "/v1/alerts/{id}/ack", Role::kOfficial, &Api::OnAckAlert},
      {"GET", "/v1/silences", Role::kAnalyst, &Api::OnSilences},
      {"POST", "/v1/silences", Role::kAnalyst, &Api::OnSilences},
      {"GET", "/v1/silences/{id}", Role::kAnalyst, &Api::OnSilences},
      {"DELETE", "/v1/silences/{id}", Role::kAnalyst, &Api::OnSilences},
      {"POST", "/v1/admin/alerts/signals", Role::kAdmin, &Api::OnAnalyticsInput},
      {"POST", "/v1/admin/alerts/verdicts", Role::kAdmin, &Api::OnAnalyticsInput},
      {"GET", "/v1/admin/contacts", Role::kAdmin, &Api::OnContacts},
      {"POST", "/v1/admin/contacts", Role::kAdmin, &Api::OnContacts},
      {"GET", "/v1/admin/contacts/{id}", Role::kAdmin, &Api::OnContacts},
      {"PUT", "/v1/admin/contacts/{id}", Role::kAdmin, &Api::OnContacts},
      {"DELETE", "/v1/admin/contacts/{id}", Role::kAdmin, &Api::OnContacts},
      {"GET", "/v1/trends", Role::kOfficial, &Api::OnTrends},
      {"GET", "/v1/areas", Role::kOfficial, &Api::OnAreas},
      {"GET", "/v1/areas/{code}/tension", Role::kOfficial, &Api::OnAreaTension},
      {"GET", "/v1/export/events.csv", Role::kOfficial, &Api::OnExportEventsCsv},
      {"GET", "/v1/export/areas.geojson", Role::kOfficial, &Api::OnExportAreasGeoJson},
      {"GET", "/v1/admin/rules", Role::kAdmin, &Api::OnRulesInfo},
      {"POST", "/v1/admin/rules/reload", Role::kAdmin, &Api::OnReloadRules},
      {"POST", "/v1/admin/backup", Role::kAdmin, &Api::OnBackup},
      {"GET", "/v1/admin/audit", Role::kAdmin, &Api::OnAudit},
      {"GET", "/v1/clusters", Role::kOfficial, &Api::OnListClusters},
      {"GET", "/v1/clusters/{id}", Role::kOfficial, &Api::OnGetCluster},
      {"POST", "/v1/clusters/{id}/verdict", Role::kOfficial, &Api::OnPostVerdict},
      {"GET", "/metrics", Role::kAnalyst, &Api::OnMetrics},
      {"GET", "/v1/me", Role::kMonitor, &Api::OnMe, true},
      {"GET", "/v1/area-names", Role::kMonitor, &Api::OnAreaNames, true},
      {"GET", "/v1/stream", Role::kOfficial, &Api::OnStream},
      {"GET", "/v1/cluster", Role::kAnalyst, &Api::OnCluster},
  };
  return kEndpoints;
}


// Paths that answer without a bearer token: no data, their own authentication (Kannel's shared
// secret, WhatsApp's signature, the per-alert token of a delivery report), or public by design
// (the published verified answers). Matched before the endpoint table; the intake and delivery
// paths exist only when their feature is on. `methods` are the methods served (documented in
// docs/openapi.json); `allow`, when not empty, is what the router admits (GET implies HEAD
// where the handler answers HEAD); empty: the handler checks the method itself.
std::span<const Api::OpenRoute> Api::OpenRoutes() {
  static constexpr OpenRoute kOpenRoutes[] = {
      {"/healthz", "GET", "GET, HEAD", OpenRoute::Needs::kNothing, &Api::OnHealthz},
      {"/readyz", "GET", "GET, HEAD", OpenRoute::Needs::kNothing, &Api::OnReadyz},
      {"/openapi.json", "GET", "GET", OpenRoute::Needs::kNothing, &Api::OnOpenApi},
      {"/v1/ingest/kannel", "GET, POST", "GET, POST", OpenRoute::Needs::kKannel, &Api::KannelMo},
      {"/v1/ingest/whatsapp", "GET, POST", "", OpenRoute::Needs::kWhatsApp, &Api::WhatsAppRoute},
      {"/v1/public/answers", "GET", "GET", OpenRoute::Needs::kNothing, &Api::OnPublicAnswers},
      {"/v1/public/answers.atom", "GET", "GET", OpenRoute::Needs::kNothing,
       &Api::OnPublicAnswersAtom},
      {"/v1/alerts/dlr", "GET, POST", "", OpenRoute::Needs::kAlerts, &Api::AlertsDlr},
      {"/problems/{name}", "GET", "GET, HEAD", OpenRoute::Needs::kNothing, &Api::OnProblemPage},
  };
  return kOpenRoutes;
}

// The open routes as (method, path) rows, for the OpenAPI document's test.
std::vector<Endpoint> Api::OpenEndpoints() {
  std::vector<Endpoint> out;
  for (const auto& r : OpenRoutes()) {
    for (std::string_view one : MethodList(r.methods)) {
      out.push_back(Endpoint{one, r.path, config::Role::kMonitor});
    }
  }
  return out;
}

const Api::OpenRoute* Api::FindOpenRoute(std::string_view path) const {
  for (const auto& r : OpenRoutes()) {
    std::string param;
    if (r.path != path && (r.path.find('{') == std::string_view::npos ||
                           !MatchPath(r.path, path, &param))) {
      continue;
    }
    switch (r.needs) {
      case OpenRoute::Needs::kNothing: return &r;
      case OpenRoute::Needs::kKannel: return d_.kannel ? &r : nullptr;
      case OpenRoute::Needs::kWhatsApp: return d_.whatsapp ? &r : nullptr;
      case OpenRoute::Needs::kAlerts: return d_.alerts != nullptr ? &r : nullptr;
    }
  }
  return nullptr;
}

// Liveness and readiness carry no data and stay open for orchestrators.
net::awaitable<HttpResponse> Api::OnHealthz(HttpRequest) {
  co_return Json(200, json::object{{"status", "ok"}});
}
net::awaitable<HttpResponse> Api::OnReadyz(HttpRequest req) { co_return Readyz(req); }
net::awaitable<HttpResponse> Api::OnOpenApi(HttpRequest) {  // documentation, no data
  HttpResponse r;
  r.body = std::string(OpenApiDocument());
  co_return r;
}
// RFC 9457 problem type pages (problems.cc): documentation, no data.
net::awaitable<HttpResponse> Api::OnProblemPage(HttpRequest req) {
  co_return ProblemPage(std::string_view(req.path).substr(std::string_view("/problems/").size()),
                        req.method);
}
net::awaitable<HttpResponse> Api::OnPublicAnswers(HttpRequest req) {
  return PublicAnswersRoute(std::move(req), /*atom=*/false);
}
net::awaitable<HttpResponse> Api::OnPublicAnswersAtom(HttpRequest req) {
  return PublicAnswersRoute(std::move(req), /*atom=*/true);
}


// The table's handlers: each passes the parts of the call its endpoint reads. The asynchronous
// ones return the handler's coroutine as is (no frame of their own).
net::awaitable<HttpResponse> Api::OnPostReport(ApiCall c) {
  return PostReport(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnPostReportBatch(ApiCall c) {
  return PostReportBatch(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnListSources(ApiCall) { co_return ListSources(); }
net::awaitable<HttpResponse> Api::OnGetEvent(ApiCall c) {
  return GetEvent(std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnPostLabel(ApiCall c) {
  return PostLabel(std::move(c.request), std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnExportLabels(ApiCall c) {
  return ExportLabels(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnListAlerts(ApiCall c) {
  return ListAlerts(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnAlertsAtom(ApiCall c) {
  return AlertsAtom(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnGetAlertCap(ApiCall c) {
  return GetAlertCap(std::move(c.request), std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnGetAlert(ApiCall c) {
  return GetAlert(std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnAckAlert(ApiCall c) {
  return AckAlert(std::move(c.request), std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnSilences(ApiCall c) {
  return SilencesRoute(std::move(c.request), std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnAnalyticsInput(ApiCall c) {
  return AnalyticsInput(std::move(c.request), std::move(c.route), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnContacts(ApiCall c) {
  return ContactsRoute(std::move(c.request), std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnTrends(ApiCall c) {
  return analytics_->Trends(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnAreas(ApiCall c) {
  return analytics_->Areas(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnAreaTension(ApiCall c) {
  return analytics_->AreaTensionSeries(std::move(c.request), std::move(c.who), std::move(c.id));
}
net::awaitable<HttpResponse> Api::OnExportEventsCsv(ApiCall c) {
  return analytics_->ExportEventsCsv(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnExportAreasGeoJson(ApiCall c) {
  return analytics_->ExportAreasGeoJson(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnRulesInfo(ApiCall) { co_return RulesInfo(); }
net::awaitable<HttpResponse> Api::OnReloadRules(ApiCall c) {
  return ReloadRules(std::move(c.who.name));
}
net::awaitable<HttpResponse> Api::OnBackup(ApiCall c) {
  return analytics_->Backup(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnAudit(ApiCall c) {
  return analytics_->Audit(std::move(c.request));
}
net::awaitable<HttpResponse> Api::OnListClusters(ApiCall c) {
  return ListClusters(std::move(c.request), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnGetCluster(ApiCall c) {
  return GetCluster(std::move(c.request), std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnPostVerdict(ApiCall c) {
  return PostVerdict(std::move(c.request), std::move(c.id), std::move(c.who));
}
net::awaitable<HttpResponse> Api::OnMetrics(ApiCall) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = d_.metrics->RenderPrometheus();
  co_return r;
}
net::awaitable<HttpResponse> Api::OnMe(ApiCall c) { co_return Me(c.request, c.who); }
net::awaitable<HttpResponse> Api::OnAreaNames(ApiCall c) { co_return AreaNames(c.request); }
net::awaitable<HttpResponse> Api::OnStream(ApiCall c) {
  return Stream(std::move(c.request), std::move(c.who));
}

namespace {

// The methods served on `pattern` ("GET, POST"), for the Allow header of a 405.
std::string AllowedMethods(std::string_view pattern) {
  std::string out;
  for (const auto& e : Api::Endpoints()) {
    if (e.path != pattern) continue;
    if (!out.empty()) out += ", ";
    out += e.method;
  }
  return out;
}

// True when `method` is one of `allow` ("GET, HEAD").
bool AllowsMethod(std::string_view allow, std::string_view method) {
  const auto methods = MethodList(allow);
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

HttpResponse MethodNotAllowed(const std::string& method, const std::string& route,
                              const std::string& allow) {
  auto r = Problem(405, "Method Not Allowed", method + " is not supported on " + route);
  r.headers.emplace_back("Allow", allow);
  return r;
}


}  // namespace

std::variant<Api::Resolved, HttpResponse> Api::Resolve(const HttpRequest& req,
                                                       std::string& route) {
  const std::string& p = req.path;
  const std::string& m = req.method;
  Resolved out;
  bool path_known = false;
  for (const auto& e : Endpoints()) {
    if (!MatchPath(e.path, p, &out.id)) continue;
    path_known = true;
    route = std::string(e.path);
    if (e.method == m) {
      out.endpoint = &e;
      break;
    }
  }
  if (!out.endpoint) {
    if (path_known) return MethodNotAllowed(m, route, AllowedMethods(route));
    return Problem(404, "Not Found", "no endpoint at " + p);
  }
  auto who = d_.auth->Authenticate(req.Header("authorization"));
  if (!who) {
    unauthenticated_.Inc();
    auto r = Problem(401, "Unauthorized",
                     req.headers.count("authorization")
                         ? "the bearer token is not valid"
                         : "this endpoint needs an 'Authorization: Bearer <token>' header");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sakchy\"");
    return r;
  }
  if (!out.endpoint->any_role && !RoleAllows(who->role, out.endpoint->role)) {
    forbidden_.Inc();
    return Problem(403, "Forbidden",
                   "token '" + who->name + "' has role " +
                       std::string(config::RoleName(who->role)) + "; this endpoint needs " +
                       RequiredRoles(out.endpoint->role));
  }
  out.who = std::move(*who);
  return out;
}

std::optional<HttpResponse> Api::Admit(const HttpRequest& req) {
  if (FindOpenRoute(req.path) != nullptr || IsConsolePath(req.path)) return std::nullopt;
  std::string route = "unmatched";
  auto resolved = Resolve(req, route);
  auto* refused = std::get_if<HttpResponse>(&resolved);
  if (!refused) return std::nullopt;
  Record(route, refused->status, 0);
  return std::move(*refused);
}

net::awaitable<HttpResponse> Api::Route(HttpRequest req, std::string& route) {
  const std::string& p = req.path;
  const std::string& m = req.method;

  if (const OpenRoute* open = FindOpenRoute(p)) {
    route = std::string(open->path);
    if (!open->allow.empty() && !AllowsMethod(open->allow, m)) {
      co_return MethodNotAllowed(m, route, std::string(open->allow));
    }
    auto handled = (this->*open->handler)(std::move(req));
    co_return co_await std::move(handled);
  }
  if (IsConsolePath(p)) {  // the web console's static files (console.cc); no data
    route = "/ui";
    co_return ServeConsole(req);
  }

  // Admit() refused what does not resolve before the body was read; resolving again is cheap
  // (one SHA-256 of the token) and keeps this path whole for callers without the server.
  auto resolved = Resolve(req, route);
  if (auto* refused = std::get_if<HttpResponse>(&resolved)) co_return std::move(*refused);
  auto& caller = std::get<Resolved>(resolved);
  // The call and its awaitable are named before the co_await: GCC 12 mishandles temporaries
  // with destructors inside a co_await expression (style.md).
  ApiCall call{std::move(req), std::move(caller.id), std::move(caller.who), route};
  const auto handler = caller.endpoint->handler;
  auto handled = (this->*handler)(std::move(call));
  co_return co_await std::move(handled);
}

}  // namespace sakchy::service
