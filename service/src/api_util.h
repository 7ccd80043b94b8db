#pragma once
// Helpers shared by the API's route files (private to service).

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <utility>

#include "core/json_text.h"
#include "service/http.h"

namespace sakchy::service {

inline HttpResponse Json(unsigned status, const boost::json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = ToJsonText(v);
  return r;
}

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

}  // namespace sakchy::service
