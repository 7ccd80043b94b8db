#pragma once
// Analysts' and officials' read endpoints: trends, areas and their tension, exports, the audit
// log. Every handler applies the caller's area scope (Principal). Endpoints: docs/API.md.

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/id.h"

#include "service/api.h"
#include "service/auth.h"
#include "service/http.h"
#include "service/export.h"
#include "analytics/tension.h"
#include "service/trends.h"

namespace sakchy::service {

// The 400/403 problem for a refused query parameter.
HttpResponse QueryProblemResponse(const QueryProblem& problem);

// Thread safety: handlers run concurrently on io threads; store reads go to deps.blocking.
class AnalyticsApi {
 public:
  // `deps` must outlive this object (it is the Api's own copy).
  explicit AnalyticsApi(const ApiDeps& deps) : d_(deps), audit_ids_(*deps.clock) {}

  boost::asio::awaitable<HttpResponse> Trends(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> Areas(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> AreaTensionSeries(HttpRequest request, Principal who,
                                                         std::string code);
  boost::asio::awaitable<HttpResponse> ExportEventsCsv(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> ExportAreasGeoJson(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> Backup(HttpRequest request, Principal who);
  boost::asio::awaitable<HttpResponse> Audit(HttpRequest request);

 private:
  const analytics::TensionModel& Model() const;
  ExportContext Context() const;
  // A slot for one more export of `token` (released when the returned value goes), or null
  // when the token has ApiDeps::max_exports_per_token running.
  std::shared_ptr<void> TakeExportSlot(const std::string& token);

  const ApiDeps& d_;
  IdGenerator audit_ids_;
  std::atomic<bool> backup_running_{false};  // one backup at a time
  // Running exports per token name; shared with the slots, which may outlive this object.
  struct ExportCounts {
    std::mutex mu;
    std::map<std::string, std::size_t> running;  // guarded by mu
  };
  std::shared_ptr<ExportCounts> exports_ = std::make_shared<ExportCounts>();
};

}  // namespace sakchy::service
