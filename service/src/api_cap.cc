// CAP routes for partner systems: GET /v1/alerts/{id}.cap and GET /v1/alerts.atom (service/cap.h).
// Area-scoped like GET /v1/alerts: officials get the alerts of their areas only.

#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <set>

#include "api_util.h"
#include "area_scope.h"
#include "core/id.h"
#include "service/api.h"
#include "service/area_shapes.h"
#include "service/cap.h"

namespace sakchy::service {

namespace net = boost::asio;

namespace {

constexpr std::size_t kDefaultFeedEntries = 50;
constexpr std::size_t kMaxFeedEntries = 200;
constexpr std::size_t kFeedPage = 200;

// A group's first notification (the incident): id and creation time.
struct Incident {
  std::string first_id;
  TimeMs first_created_at = 0;
};

struct FeedEntries {
  std::vector<Alert> alerts;        // newest first, one per group
  std::vector<Incident> incidents;  // same order
  std::string next_cursor;          // empty at the end
};

// Kinds published to partners: the incidents themselves and the verdicts on them (not digests
// nor delivery notices, which are about our own contacts).
bool Published(AlertKind k) {
  return k == AlertKind::kEvent || k == AlertKind::kSignal || k == AlertKind::kFollowUp;
}

Result<Incident> FirstOfGroup(storage::Store& store, const Alert& a) {
  if (a.group_key.empty()) return Incident{a.id, a.created_at};
  storage::AlertFilter filter;
  filter.group_key = a.group_key;
  // Newest first: a group's notifications are few (contacts x changes); the last is the first.
  auto group = store.ListAlerts(filter, 10000, {});
  if (!group) return tl::unexpected(group.error());
  if (group->empty()) return Incident{a.id, a.created_at};
  return Incident{group->back().id, group->back().created_at};
}

// The newest notification of up to `limit` groups older than `before`, in `who`'s areas.
// Blocking (store reads).
Result<FeedEntries> ReadFeed(storage::Store& store, const Principal& who,
                             const config::AreaTree& areas, std::size_t limit, std::string before) {
  FeedEntries out;
  std::set<std::string> groups;
  std::size_t read = 0;
  const std::size_t budget = 50 * kFeedPage;
  std::string cursor = std::move(before);
  bool more = true;
  while (out.alerts.size() < limit && read < budget && more) {
    auto page = ListAlertsInScope(store, {}, kFeedPage, cursor, who, areas);
    if (!page) return tl::unexpected(page.error());
    more = !page->next_cursor.empty();
    const std::string page_end = page->next_cursor;
    for (auto& a : page->alerts) {
      ++read;
      cursor = a.id;
      if (!Published(a.kind)) continue;
      const std::string group = a.group_key.empty() ? a.id : a.group_key;
      if (!groups.insert(group).second) continue;
      out.alerts.push_back(std::move(a));
      if (out.alerts.size() == limit) break;
    }
    if (out.alerts.size() < limit && more) cursor = page_end;  // officials: scanned beyond
  }
  if (more || out.alerts.size() == limit) out.next_cursor = cursor;
  for (const Alert& a : out.alerts) {
    auto first = FirstOfGroup(store, a);
    if (!first) return tl::unexpected(first.error());
    out.incidents.push_back(std::move(*first));
  }
  return out;
}

CapInput InputFor(const Alert& a, const Incident& incident, const config::AreaTree& areas,
                  const AreaShapes* shapes) {
  CapInput in;
  in.alert = &a;
  in.first_id = incident.first_id;
  in.first_created_at = incident.first_created_at;
  in.area = areas.Find(a.area.empty() ? std::string_view("KG") : std::string_view(a.area));
  if (shapes != nullptr && in.area != nullptr) in.geometry = shapes->Geometry(in.area->code);
  return in;
}

}  // namespace

net::awaitable<HttpResponse> Api::GetAlertCap(HttpRequest req, std::string id, Principal who) {
  auto read = co_await ReadAlertFor(id, std::move(who));
  if (auto* refused = std::get_if<HttpResponse>(&read)) co_return std::move(*refused);
  const alerts::AlertDetail& d = std::get<alerts::AlertDetail>(read);
  const Alert& first = d.group.empty() ? d.alert : d.group.front();  // group: oldest first
  const Incident incident{first.id, first.created_at};
  const CapContext ctx = CapContextFor(req.Header("host"), req.Header("x-forwarded-proto"));
  HttpResponse r;
  r.content_type = "application/cap+xml";
  r.body = RenderCapAlert(InputFor(d.alert, incident, *d_.areas, d_.shapes), ctx);
  co_return r;
}

net::awaitable<HttpResponse> Api::AlertsAtom(HttpRequest req, Principal who) {
  static constexpr std::array<std::string_view, 2> kAllowed = {"limit", "before"};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return Problem(400, "Invalid query",
                      "unknown parameter (allowed: " + AllowedList(kAllowed) + ")", *bad);
  }
  std::size_t limit = kDefaultFeedEntries;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const auto& s = it->second;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), limit);
    if (ec != std::errc() || ptr != s.data() + s.size() || limit < 1 || limit > kMaxFeedEntries) {
      co_return Problem(400, "Invalid query", "limit must be an integer from 1 to 200", "limit");
    }
  }
  std::string before;
  if (auto it = req.query.find("before"); it != req.query.end()) {
    if (!IsValidId(it->second)) co_return Problem(400, "Invalid query", "not a cursor", "before");
    before = it->second;
  }
  storage::Store* store = d_.store;
  const config::AreaTree* areas = d_.areas;
  auto read = [store, who, areas, limit, before] {
    return ReadFeed(*store, who, *areas, limit, before);
  };
  auto feed = co_await RunBlocking<Result<FeedEntries>>(*d_.blocking, read);
  if (!feed) {
    spdlog::error("api: reading the CAP feed failed: {}", feed.error().ToString());
    co_return Problem(500, "Internal Server Error", "alerts could not be read");
  }
  const CapContext ctx = CapContextFor(req.Header("host"), req.Header("x-forwarded-proto"));
  std::vector<CapInput> inputs;
  for (std::size_t i = 0; i < feed->alerts.size(); ++i) {
    inputs.push_back(InputFor(feed->alerts[i], feed->incidents[i], *d_.areas, d_.shapes));
  }
  const Clock& clock = d_.clock ? *d_.clock : SystemClock::Instance();
  const TimeMs updated = feed->alerts.empty() ? clock.NowMs() : feed->alerts.front().created_at;
  std::string next;
  if (!feed->next_cursor.empty()) {
    next = ctx.base_url + "/v1/alerts.atom?limit=" + std::to_string(limit) +
           "&before=" + feed->next_cursor;
  }
  HttpResponse r;
  r.content_type = "application/atom+xml";
  r.body = RenderCapAtomFeed(inputs, ctx, updated, next);
  co_return r;
}

}  // namespace sakchy::service
