#pragma once
// Helpers shared by the API's handler files (api.cc, api_analytics.cc, ...): running blocking work
// off the io threads, JSON responses, query parameter checks.

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/json_text.h"
#include "service/http.h"

namespace sakchy::service {

// Runs `fn` on the blocking pool and resumes the coroutine on its own executor with the result.
template <typename T, typename Fn>
boost::asio::awaitable<T> RunBlocking(boost::asio::thread_pool& pool, Fn fn) {
  namespace net = boost::asio;
  auto initiation = [&pool](auto handler, Fn work) {
    auto ex = net::get_associated_executor(handler);
    net::post(pool, [handler = std::move(handler), work = std::move(work), ex]() mutable {
      T result = work();
      net::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  auto op = net::async_initiate<decltype(net::use_awaitable), void(T)>(initiation,
                                                                        net::use_awaitable, fn);
  co_return co_await std::move(op);
}

inline HttpResponse Json(unsigned status, const boost::json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = ToJsonText(v);
  return r;
}

// `s` with every invalid UTF-8 sequence replaced by U+FFFD (api.cc): for text that quotes a
// client's input in a JSON answer.
std::string ValidUtf8(std::string_view s);

// True when the media type of a Content-Type header is application/json (api.cc).
bool IsJsonContentType(std::string_view content_type);

// The first query parameter not in `allowed`, if any.
inline std::optional<std::string> UnknownParam(const HttpRequest& req,
                                               std::span<const std::string_view> allowed) {
  for (const auto& [k, v] : req.query) {
    bool ok = false;
    for (auto a : allowed) ok = ok || k == a;
    if (!ok) return k;
  }
  return std::nullopt;
}

// "a, b, c" for messages.
inline std::string AllowedList(std::span<const std::string_view> allowed) {
  std::string s;
  for (auto a : allowed) {
    if (!s.empty()) s += ", ";
    s += a;
  }
  return s;
}

}  // namespace sakchy::service
