#include "telegram_updates.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "channels.h"
#include "core/json_text.h"
#include "http_client.h"

namespace sakchy::alerts {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

constexpr int kLongPollSeconds = 20;
constexpr std::int64_t kMaxBackoffMs = 30'000;

}  // namespace

struct TelegramUpdates::Impl {
  config::TelegramChannelConfig cfg;
  std::int64_t offset = 0;
  std::function<std::string(const CallbackPress&)> on_press;
  std::function<void(std::int64_t)> save_offset;
  std::int64_t min_interval_ms = 500;
  // Destroyed in reverse order: the timer, then the io_context (with any abandoned request), and
  // the TLS context last.
  net::ssl::context tls{net::ssl::context::tls_client};
  net::io_context ioc{1};
  net::steady_timer timer{ioc};
  std::atomic<bool> stopping{false};
  std::thread thread;

  net::awaitable<void> Wait(std::int64_t ms) {
    timer.expires_after(std::chrono::milliseconds(ms));
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  net::awaitable<void> Answer(std::string id, std::string text) {
    auto endpoint = ParseEndpoint(cfg.api_base + "/bot" + cfg.token + "/answerCallbackQuery");
    if (!endpoint) co_return;
    http::request<http::string_body> req{http::verb::post, endpoint->target, 11};
    req.set(http::field::host, endpoint->host_header);
    req.set(http::field::user_agent, kUserAgent);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::connection, "close");
    req.body() = ToJsonText(json::value(json::object{{"callback_query_id", id}, {"text", text}}));
    req.prepare_payload();
    Outcome out = co_await SendOnce(*endpoint, std::move(req), 10'000, &tls);
    if (out.kind != Outcome::Kind::kDelivered) {
      spdlog::warn("alerts: telegram answerCallbackQuery failed: {}", out.error);
    }
  }

  net::awaitable<void> Loop() {
    std::int64_t backoff = 1000;
    while (!stopping) {
      const auto started = std::chrono::steady_clock::now();
      const std::string url = cfg.api_base + "/bot" + cfg.token + "/getUpdates?offset=" +
                              std::to_string(offset) + "&timeout=" +
                              std::to_string(kLongPollSeconds) +
                              "&allowed_updates=%5B%22callback_query%22%5D";
      auto endpoint = ParseEndpoint(url);
      if (!endpoint) {
        spdlog::error("alerts: telegram api_base is not a usable URL; no button presses");
        co_return;
      }
      http::request<http::string_body> req{http::verb::get, endpoint->target, 11};
      req.set(http::field::host, endpoint->host_header);
      req.set(http::field::user_agent, kUserAgent);
      req.set(http::field::connection, "close");
      Outcome out =
          co_await SendOnce(*endpoint, std::move(req), (kLongPollSeconds + 10) * 1000LL, &tls);
      if (stopping) break;
      Result<telegram::Updates> parsed =
          tl::unexpected(Error{ErrorCode::kUnavailable, "not a Bot API answer"});
      if (out.status == 200) parsed = telegram::ParseUpdates(out.body);
      if (!parsed || !parsed->ok) {
        // Never log the URL: it holds the bot token. Nor Telegram's description (answer text).
        const std::string why =
            !out.error.empty() ? out.error
            : parsed           ? "Telegram error " + std::to_string(parsed->error_code)
                               : "not a Bot API answer";
        std::int64_t wait = backoff;
        if (parsed && parsed->retry_after_s) {
          wait = std::max<std::int64_t>(wait, *parsed->retry_after_s * 1000);
        }
        spdlog::warn("alerts: telegram getUpdates failed ({}); retrying in {} ms", why, wait);
        co_await Wait(wait);
        backoff = std::min(backoff * 2, kMaxBackoffMs);
        continue;
      }
      backoff = 1000;
      for (const CallbackPress& press : parsed->callback_queries) {
        const std::string answer = on_press(press);
        if (!press.id.empty()) co_await Answer(press.id, answer);
      }
      if (parsed->next_offset) {
        offset = std::max(offset, *parsed->next_offset);
        save_offset(offset);
      }
      const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
      if (spent < min_interval_ms) co_await Wait(min_interval_ms - spent);
    }
  }
};

TelegramUpdates::TelegramUpdates(config::TelegramChannelConfig cfg, std::int64_t offset,
                                 std::function<std::string(const CallbackPress&)> on_press,
                                 std::function<void(std::int64_t)> save_offset,
                                 std::int64_t min_interval_ms)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(cfg);
  impl_->offset = offset;
  impl_->on_press = std::move(on_press);
  impl_->save_offset = std::move(save_offset);
  impl_->min_interval_ms = min_interval_ms;
  if (auto tls = outbound::ConfigureClientTls(impl_->tls); !tls) {
    spdlog::warn("alerts: telegram updates: {}", tls.error().message);
  }
}

TelegramUpdates::~TelegramUpdates() { Stop(); }

void TelegramUpdates::Start() {
  Impl* impl = impl_.get();
  auto log = [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("alerts: telegram updates poller failed: {}", ex.what());
    }
  };
  net::co_spawn(impl->ioc, impl->Loop(), log);
  impl->thread = std::thread([impl] {
    pthread_setname_np(pthread_self(), "sakchy-tg-acks");
    impl->ioc.run();
  });
}

void TelegramUpdates::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  Impl* impl = impl_.get();
  net::post(impl->ioc, [impl] { impl->timer.cancel(); });
  // A long poll in flight is abandoned rather than waited for.
  impl_->ioc.stop();
  impl_->thread.join();
}

}  // namespace sakchy::alerts
