#include <pthread.h>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/crypto.h"
#include "ingest/sources/http_client.h"
#include "ingest/sources/source.h"
#include "ingest/sources/redact.h"
#include "pollers.h"

namespace sakchy::ingest::sources {
namespace {

namespace net = boost::asio;
using internal::Poll;
using internal::Poller;

constexpr std::int64_t kSinkFullInitialMs = 50;
constexpr std::int64_t kSinkFullMaxMs = 5000;

// Hands SubmitCallback results back to the io thread. Close() drops coroutines still waiting so
// a callback arriving after Stop() touches nothing of the stopped manager.
class SubmitBridge {
 public:
  using Resume = std::function<void(SubmitResult)>;

  std::uint64_t Register(Resume resume) {
    std::lock_guard lock(mu_);
    const std::uint64_t id = next_++;
    waiting_.emplace(id, std::move(resume));
    return id;
  }
  void Complete(std::uint64_t id, SubmitResult result) {
    Resume resume;
    {
      std::lock_guard lock(mu_);
      auto it = waiting_.find(id);
      if (closed_ || it == waiting_.end()) return;
      resume = std::move(it->second);
      waiting_.erase(it);
    }
    resume(std::move(result));
  }
  void Close() {
    std::map<std::uint64_t, Resume> dropped;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      dropped.swap(waiting_);
    }
  }

 private:
  std::mutex mu_;
  bool closed_ = false;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, Resume> waiting_;
};

struct SourceState {
  config::SourceConfig config;
  std::unique_ptr<Poller> poller;
  std::string cursor;  // io thread only
  SourceStatus status;  // guarded by Impl::mu_
  Counter* accepted = nullptr;
  Counter* duplicates = nullptr;
  Counter* errors = nullptr;
  Gauge* last_success = nullptr;
};

}  // namespace

std::string Pseudonym(std::string_view key, std::string_view channel, std::string_view author_id) {
  std::string data(channel);
  data += ':';
  data += author_id;
  return HmacSha256Hex(key, data).substr(0, 16);
}

class SourceManager::Impl {
 public:
  ~Impl() { Stop(); }

  Status Start(const std::vector<config::SourceConfig>& sources, std::string pseudonym_key,
               ReportSink& sink, CursorReader& cursors, const Clock& clock,
               MetricsRegistry& metrics) {
    if (io_) return MakeError(ErrorCode::kInvalidArgument, "source manager already started");
    if (pseudonym_key.empty()) {
      spdlog::warn(
          "privacy.pseudonym_key_env is not set: author pseudonyms use a random per-process key "
          "and will differ after a restart");
      pseudonym_key = RandomHex(32);
    }
    auto io = std::make_unique<net::io_context>(1);
    auto client = std::make_unique<HttpClient>(io->get_executor());
    std::vector<std::unique_ptr<SourceState>> states;
    for (const auto& cfg : sources) {
      auto state = std::make_unique<SourceState>();
      state->config = cfg;
      state->status.id = cfg.id;
      state->status.type = cfg.type;
      state->status.enabled = cfg.enabled;
      if (cfg.enabled) {
        auto targets = AddressFilter::FromCidrs(cfg.allow_private_targets);
        if (!targets) {
          return MakeError(ErrorCode::kInvalidArgument, "source '" + cfg.id +
                                                            "': allow_private_targets: " +
                                                            targets.error().message);
        }
        internal::PollerContext ctx{cfg, client.get(), &clock, pseudonym_key, std::move(*targets)};
        auto poller = internal::MakePoller(std::move(ctx));
        if (!poller) return tl::unexpected(poller.error());
        state->poller = std::move(*poller);
      }
      const Labels source{{"source", cfg.id}};
      state->accepted = &metrics.GetCounter("sakchy_source_items_total",
                                            "Items from pull sources, by outcome",
                                            {{"source", cfg.id}, {"result", "accepted"}});
      state->duplicates = &metrics.GetCounter("sakchy_source_items_total",
                                              "Items from pull sources, by outcome",
                                              {{"source", cfg.id}, {"result", "duplicate"}});
      state->errors = &metrics.GetCounter("sakchy_source_errors_total",
                                          "Failed polls of pull sources", source);
      state->last_success = &metrics.GetGauge("sakchy_source_last_success_timestamp_seconds",
                                              "Unix time of the last successful poll", source);
      states.push_back(std::move(state));
    }
    sink_ = &sink;
    cursors_ = &cursors;
    clock_ = &clock;
    bridge_ = std::make_shared<SubmitBridge>();
    {
      std::lock_guard lock(mu_);
      states_ = std::move(states);
    }
    client_ = std::move(client);
    io_ = std::move(io);
    work_.emplace(io_->get_executor());
    for (auto& state : states_) {
      if (!state->config.enabled) continue;
      net::co_spawn(*io_, Run(this, state.get()), net::detached);
      spdlog::info("source {} ({}) started, polling every {} ms", state->config.id,
                   state->config.type, state->config.interval_ms);
    }
    thread_ = std::thread([io = io_.get()] {
      pthread_setname_np(pthread_self(), "sakchy-sources");
      io->run();
    });
    return OkStatus();
  }

  void Stop() {
    if (!io_) return;
    work_.reset();
    io_->stop();
    if (thread_.joinable()) thread_.join();
    bridge_->Close();
    io_.reset();  // destroys the suspended loops (and their sockets and timers)
    client_.reset();
  }

  std::vector<SourceStatus> Statuses() const {
    std::lock_guard lock(mu_);
    std::vector<SourceStatus> out;
    for (const auto& s : states_) {
      SourceStatus st = s->status;
      if (st.newest_item_at && clock_ != nullptr) {
        st.lag_ms = std::max<TimeMs>(0, clock_->NowMs() - *st.newest_item_at);
      }
      out.push_back(std::move(st));
    }
    return out;
  }

 private:
  // Waits `ms` on a steady timer.
  static net::awaitable<void> Sleep(std::int64_t ms) {
    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(ms));
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  // Submits through the sink and resumes on the io thread with its result.
  static net::awaitable<SubmitResult> SubmitAsync(Impl* self, std::vector<Report> reports,
                                                  std::optional<Cursor> cursor) {
    auto executor = co_await net::this_coro::executor;
    auto initiation = [self, executor](auto handler, std::vector<Report> batch,
                                       std::optional<Cursor> position) {
      using Handler = decltype(handler);
      auto held = std::make_shared<Handler>(std::move(handler));
      SubmitBridge::Resume resume = [held, executor](SubmitResult result) {
        auto deliver = [held, result = std::move(result)]() mutable {
          std::move (*held)(std::move(result));
        };
        net::post(executor, std::move(deliver));
      };
      const std::uint64_t id = self->bridge_->Register(std::move(resume));
      std::shared_ptr<SubmitBridge> bridge = self->bridge_;
      SubmitCallback done = [bridge, id](SubmitResult result) {
        bridge->Complete(id, std::move(result));
      };
      self->sink_->Submit(std::move(batch), std::move(position), std::move(done));
    };
    SubmitResult result =
        co_await net::async_initiate<const net::use_awaitable_t<>&, void(SubmitResult)>(
            initiation, net::use_awaitable, std::move(reports), std::move(cursor));
    co_return result;
  }

  std::int64_t Jitter(std::int64_t ms) {
    std::uniform_real_distribution<double> dist(0.9, 1.1);
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(ms) *
                                                               dist(rng_)));
  }

  // Exponential backoff from min(interval, 1 s), doubling per consecutive failure, capped.
  std::int64_t Backoff(const SourceState& s, std::uint64_t failures) {
    std::int64_t delay = std::min<std::int64_t>(s.config.interval_ms, 1000);
    for (std::uint64_t i = 1; i < failures && delay < s.config.backoff_max_ms; ++i) delay *= 2;
    return Jitter(std::min(delay, s.config.backoff_max_ms));
  }

  // Records a failure; returns the wait before the next attempt.
  std::int64_t Fail(SourceState* s, const Error& error, std::int64_t retry_after_ms) {
    const std::string message = RedactSecrets(error.message);
    s->errors->Inc();
    std::lock_guard lock(mu_);
    SourceStatus& st = s->status;
    ++st.consecutive_failures;
    st.last_error = message;
    st.last_error_at = clock_->NowMs();
    st.paused = false;
    st.next_delay_ms =
        retry_after_ms > 0 ? retry_after_ms : Backoff(*s, st.consecutive_failures);
    spdlog::warn("source {}: {} (failure {} in a row; next attempt in {} ms)", s->config.id,
                 message, st.consecutive_failures, st.next_delay_ms);
    return st.next_delay_ms;
  }

  static net::awaitable<void> Run(Impl* self, SourceState* s) {
    const std::string id = s->config.id;
    // The committed cursor, read once.
    for (;;) {
      auto stored = self->cursors_->GetCursor(id);
      if (stored) {
        s->cursor = stored->value_or("");
        std::lock_guard lock(self->mu_);
        s->status.cursor = s->cursor;
        break;
      }
      const Error e{stored.error().code, "cannot read the stored cursor: " + stored.error().message};
      co_await Sleep(self->Fail(s, e, 0));
    }
    for (;;) {
      {
        std::lock_guard lock(self->mu_);
        ++s->status.polls;
      }
      Poll poll = co_await s->poller->Fetch(s->cursor);
      if (poll.error) {
        co_await Sleep(self->Fail(s, *poll.error, poll.retry_after_ms));
        continue;
      }
      const bool cursor_moves = poll.cursor && *poll.cursor != s->cursor;
      std::uint64_t accepted = 0;
      std::uint64_t duplicates = 0;
      if (!poll.reports.empty() || cursor_moves) {
        std::optional<Cursor> cursor;
        if (cursor_moves) cursor = Cursor{id, *poll.cursor};
        SubmitResult result;
        std::int64_t full_wait = kSinkFullInitialMs;
        for (;;) {
          result = co_await SubmitAsync(self, poll.reports, cursor);
          if (result || result.error().code != ErrorCode::kResourceExhausted) break;
          {
            std::lock_guard lock(self->mu_);
            s->status.paused = true;
            s->status.last_error = "intake queue full; retrying the same batch";
            s->status.next_delay_ms = full_wait;
          }
          co_await Sleep(full_wait);
          full_wait = std::min(full_wait * 2, kSinkFullMaxMs);
        }
        if (!result) {
          const Error e{result.error().code,
                        "cannot store " + std::to_string(poll.reports.size()) +
                            " reports: " + result.error().message};
          co_await Sleep(self->Fail(s, e, 0));
          continue;  // the cursor did not move: the same items are fetched again
        }
        if (cursor_moves) s->cursor = *poll.cursor;
        for (const auto& outcome : *result) ++(outcome.duplicate ? duplicates : accepted);
      }
      std::optional<TimeMs> newest;
      for (const auto& r : poll.reports) {
        if (!newest || r.observed_at > *newest) newest = r.observed_at;
      }
      s->accepted->Inc(accepted);
      s->duplicates->Inc(duplicates);
      const TimeMs now = self->clock_->NowMs();
      s->last_success->Set(static_cast<double>(now) / 1000.0);
      std::int64_t delay = 0;
      {
        std::lock_guard lock(self->mu_);
        SourceStatus& st = s->status;
        st.last_success_at = now;
        st.last_error.clear();
        st.consecutive_failures = 0;
        st.paused = false;
        st.items_accepted += accepted;
        st.duplicates += duplicates;
        st.cursor = s->cursor;
        if (newest && (!st.newest_item_at || *newest > *st.newest_item_at)) {
          st.newest_item_at = newest;
        }
        st.next_delay_ms =
            poll.next_delay_ms ? *poll.next_delay_ms : self->Jitter(s->config.interval_ms);
        delay = st.next_delay_ms;
      }
      if (accepted > 0 || duplicates > 0) {
        spdlog::debug("source {}: {} new, {} duplicate", id, accepted, duplicates);
      }
      if (delay > 0) co_await Sleep(delay);
    }
  }

  ReportSink* sink_ = nullptr;
  CursorReader* cursors_ = nullptr;
  const Clock* clock_ = nullptr;
  std::shared_ptr<SubmitBridge> bridge_;
  std::mt19937_64 rng_{std::random_device{}()};
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<SourceState>> states_;
  std::unique_ptr<HttpClient> client_;
  // Declared last: destroyed first, so suspended loops go before the states they point to.
  std::unique_ptr<net::io_context> io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::thread thread_;
};

SourceManager::SourceManager() : impl_(std::make_unique<Impl>()) {}
SourceManager::~SourceManager() = default;

Status SourceManager::Start(const std::vector<config::SourceConfig>& sources,
                            std::string pseudonym_key, ReportSink& sink, CursorReader& cursors,
                            const Clock& clock, MetricsRegistry& metrics) {
  return impl_->Start(sources, std::move(pseudonym_key), sink, cursors, clock, metrics);
}

void SourceManager::Stop() { impl_->Stop(); }

std::vector<SourceStatus> SourceManager::Statuses() const { return impl_->Statuses(); }

}  // namespace sakchy::ingest::sources
