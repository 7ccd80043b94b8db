#pragma once
// Private to the service: helpers shared by the API's route files (api.cc, api_clusters.cc).

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "service/http.h"

namespace sakchy::service::internal {

HttpResponse Json(unsigned status, const boost::json::value& v);

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

// The first query parameter not in `allowed`; std::nullopt when all are allowed.
std::optional<std::string> UnknownParam(const HttpRequest& req,
                                        std::span<const std::string_view> allowed);
// "a, b, c"
std::string AllowedList(std::span<const std::string_view> allowed);
// True when the media type of a Content-Type header is application/json.
bool IsJsonContentType(std::string_view content_type);

}  // namespace sakchy::service::internal
