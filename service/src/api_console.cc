// Routes the web console needs besides the rest of the API: GET /v1/me (who the token is),
// GET /v1/area-names (the area hierarchy without data, for forms of every role) and
// GET /v1/stream (Server-Sent Events: new alerts and spreading clusters, scoped like the API).

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <array>

#include "api_util.h"
#include "service/api.h"
#include "service/stream_hub.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

std::optional<HttpResponse> NoParameters(const HttpRequest& req) {
  static constexpr std::array<std::string_view, 0> kNone = {};
  if (auto bad = UnknownParam(req, kNone)) {
    return Problem(400, "Invalid query", "this endpoint takes no parameters", *bad);
  }
  return std::nullopt;
}

}  // namespace

HttpResponse Api::Me(const HttpRequest& req, const Principal& who) {
  if (auto bad = NoParameters(req)) return std::move(*bad);
  json::array areas;
  for (const auto& a : who.areas) areas.emplace_back(a);
  return Json(200, json::object{{"name", who.name},
                                {"role", config::RoleName(who.role)},
                                {"areas", std::move(areas)}});
}

HttpResponse Api::AreaNames(const HttpRequest& req) {
  if (auto bad = NoParameters(req)) return std::move(*bad);
  json::array items;
  for (const auto& a : d_.areas->areas()) {
    json::object o{{"code", a.code},
                   {"level", a.level},
                   {"name_en", a.name_en},
                   {"name_ru", a.name_ru},
                   {"name_ky", a.name_ky}};
    o["parent"] = a.parent.empty() ? json::value(nullptr) : json::value(a.parent);
    o["lat"] = a.lat;
    o["lon"] = a.lon;
    items.push_back(std::move(o));
  }
  return Json(200, json::object{{"areas", std::move(items)}});
}

net::awaitable<HttpResponse> Api::Stream(HttpRequest req, Principal who) {
  if (auto bad = NoParameters(req)) co_return std::move(*bad);
  if (!d_.stream) co_return Problem(503, "Service Unavailable", "live updates are not running");
  auto strand = co_await net::this_coro::executor;  // the connection's strand
  auto body = d_.stream->Subscribe(std::move(who), strand);
  if (!body) {
    auto r = Problem(503, "Service Unavailable", "too many live-update streams are open");
    r.headers.emplace_back("Retry-After", "10");
    co_return r;
  }
  HttpResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // reverse proxies: do not buffer
  r.stream = std::move(body);
  co_return r;
}

}  // namespace sakchy::service
