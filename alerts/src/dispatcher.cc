#include "alerts/dispatcher.h"
#include "alerts/contacts.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "alerts/templates.h"
#include "area_names.h"
#include "channel.h"
#include "channels.h"
#include "core/channel.h"
#include "core/language.h"
#include "render.h"
#include "core/crypto.h"
#include "core/id.h"
#include "http_client.h"
#include "smtp_client.h"
#include "state_writer.h"
#include "webhook_body.h"

namespace sakchy::alerts {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

constexpr auto kTick = std::chrono::milliseconds(20);

net::awaitable<Result<std::optional<Event>>> FetchEvent(storage::EventReader* store, std::string id) {
  co_return store->GetEvent(id);
}

void LogIfThrew(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("alerts: dispatcher task failed: {}", ex.what());
  } catch (...) {
    spdlog::error("alerts: dispatcher task failed with an unknown exception");
  }
}

class DispatcherImpl final : public Dispatcher {
 public:
  DispatcherImpl(AlertStore store, const config::AlertsConfig& cfg,
                 std::vector<config::Contact> contacts, const Clock& clock,
                 MetricsRegistry& metrics, const config::AreaTree* areas, DispatcherHooks hooks)
      : store_(store),
        cfg_(cfg),
        clock_(clock),
        hooks_(std::move(hooks)),
        audit_ids_(clock),
        tls_ctx_(ssl::context::tls_client),
        tick_timer_(ioc_),
        rng_(std::random_device{}()),
        backlog_(std::make_shared<std::atomic<std::size_t>>(0)),
        sent_(metrics.GetCounter("sakchy_alerts_sent_total", "Alerts delivered to receivers")),
        failed_(metrics.GetCounter("sakchy_alerts_failed_total",
                                   "Alerts given up on (permanent error or too old)")),
        attempts_ok_(metrics.GetCounter("sakchy_alert_attempts_total",
                                        "Delivery attempts by result", {{"result", "ok"}})),
        attempts_retry_(metrics.GetCounter("sakchy_alert_attempts_total",
                                           "Delivery attempts by result", {{"result", "retry"}})),
        attempts_fail_(metrics.GetCounter("sakchy_alert_attempts_total",
                                          "Delivery attempts by result", {{"result", "fail"}})),
        delivery_seconds_(metrics.GetHistogram("sakchy_alert_delivery_seconds",
                                               "Duration of one delivery attempt")),
        dlr_reports_(metrics.GetCounter("sakchy_alert_dlr_total", "SMS delivery reports applied",
                                        {{"result", "any"}})),
        dlr_delivered_(metrics.GetCounter("sakchy_alert_dlr_total", "SMS delivery reports applied",
                                          {{"result", "delivered"}})),
        dlr_failed_(metrics.GetCounter("sakchy_alert_dlr_total", "SMS delivery reports applied",
                                       {{"result", "failed"}})) {
    AddContacts(contacts);
    if (areas != nullptr) {
      for (const config::Area& area : areas->areas()) {
        config::Area names;  // only what the texts need
        names.code = area.code;
        names.name_ky = area.name_ky;
        names.name_ru = area.name_ru;
        names.name_en = area.name_en;
        area_names_[area.code] = std::move(names);
      }
    }
    if (auto tls = outbound::ConfigureClientTls(tls_ctx_); !tls) {
      spdlog::warn("alerts: {}", tls.error().message);
    }
    auto backlog = backlog_;
    metrics.AddCallbackGauge("sakchy_alerts_backlog", "Pending alerts held by the dispatcher", {},
                             [backlog] { return static_cast<double>(backlog->load()); });
  }

  ~DispatcherImpl() override { Stop(); }

  Status Start() override {
    if (started_) return MakeError(ErrorCode::kInternal, "dispatcher already started");
    auto pending = store_.outbox.PendingAlerts();
    if (!pending) return tl::unexpected(pending.error());
    started_ = true;
    // The alerts' state thread (docs/ARCHITECTURE.md); named for top -H and the load scripts'
    // CPU breakdown. Nothing is posted to it before Start().
    net::post(store_pool_, [] { pthread_setname_np(pthread_self(), "sakchy-alertdb"); });
    if (hooks_.queue != nullptr) {
      // Cluster mode: the pending copies are published again (they collapse with what is in the
      // queue); older ones were given up on by whichever node took them.
      const TimeMs oldest = clock_.NowMs() - cfg_.give_up_after_ms;
      std::erase_if(*pending, [oldest](const Alert& a) { return a.created_at < oldest; });
    }
    spdlog::info("alerts: dispatcher starting with {} pending alerts", pending->size());
    auto add = [this, alerts = std::move(*pending)]() mutable { Add(std::move(alerts)); };
    net::post(ioc_, std::move(add));
    net::co_spawn(ioc_, TickLoop(), LogIfThrew);
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sakchy-deliver");
      ioc_.run();
    });
    return OkStatus();
  }

  void Enqueue(std::vector<Alert> alerts) override {
    auto add = [this, alerts = std::move(alerts)]() mutable { Add(std::move(alerts)); };
    net::post(ioc_, std::move(add));
  }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    if (started_) {
      auto halt = [this] {
        stopping_ = true;
        tick_timer_.cancel();
      };
      net::post(ioc_, halt);
      // run() returns once the tick loop has ended and attempts in flight (each bounded by the
      // timeout) have finished.
      thread_.join();
    }
    store_pool_.join();  // the last state changes reach the store
  }

  std::size_t backlog() const override { return backlog_->load(); }

  void Post(std::function<void()> task) override { net::post(store_pool_, std::move(task)); }

  void DeliveryReport(std::string alert_id, int type,
                      std::function<void(Result<Alert>)> done) override {
    auto on_io = [this, alert_id = std::move(alert_id), type, done = std::move(done)]() mutable {
      auto it = entries_.find(alert_id);
      if (it != entries_.end() && it->second.in_flight) {
        // Kannel may report before its answer to sendsms was read: apply after Finish.
        it->second.reports.emplace_back(type, std::move(done));
        return;
      }
      PostReport(std::move(alert_id), type, std::move(done));
    };
    net::post(ioc_, std::move(on_io));
  }

  void Suppress(std::vector<std::string> alert_ids, std::string reason,
                std::function<void(std::vector<Alert>)> done) override {
    auto on_io = [this, ids = std::move(alert_ids), reason = std::move(reason),
                  done = std::move(done)]() mutable {
      std::vector<Alert> suppressed;
      for (const std::string& id : ids) {
        auto it = entries_.find(id);
        if (it == entries_.end() || it->second.in_flight) continue;
        Alert& alert = it->second.alert;
        alert.state = DeliveryState::kSuppressed;
        alert.last_error = reason;
        writer_.Persist(alert, DeliveryState::kPending);
        suppressed.push_back(alert);
        entries_.erase(it);
        Forget(suppressed.back());
      }
      backlog_->store(entries_.size());
      if (done) {
        auto report = [done = std::move(done), suppressed = std::move(suppressed)]() mutable {
          done(std::move(suppressed));
        };
        Post(std::move(report));
      }
    };
    net::post(ioc_, std::move(on_io));
  }

  void Take(Alert alert, int deliveries, TakeCallback done) override {
    auto on_io = [this, alert = std::move(alert), deliveries, done = std::move(done)]() mutable {
      const TimeMs now = clock_.NowMs();
      if (stopping_) {
        done(TakeResult{false, 0});  // another node (or this one after its restart) takes it
        return;
      }
      if (alert.state != DeliveryState::kPending || alert.kind == AlertKind::kRoute) {
        done(TakeResult{});  // nothing to deliver
        return;
      }
      if (alert.next_attempt_at > now) {  // e.g. the contact's quiet hours
        done(TakeResult{false, alert.next_attempt_at - now});
        return;
      }
      if (entries_.contains(alert.id)) {  // its attempt here has not ended yet
        done(TakeResult{false, std::max<TimeMs>(cfg_.timeout_ms, 1000)});
        return;
      }
      alert.attempts = std::max(alert.attempts, deliveries - 1);
      std::string id = alert.id;
      Target& target = targets_[TargetKey(alert)];
      target.ids.insert(id);
      ++target.in_flight;
      Entry entry{std::move(alert), {}, true, {}, std::move(done)};
      entries_.emplace(id, std::move(entry));
      ++in_flight_;
      backlog_->store(entries_.size() + unpublished_.size());
      net::co_spawn(ioc_, RunAttempt(std::move(id)), LogIfThrew);
    };
    net::post(ioc_, std::move(on_io));
  }

  void UpdateContacts(std::vector<config::Contact> contacts) override {
    auto on_io = [this, contacts = std::move(contacts)] { AddContacts(contacts); };
    net::post(ioc_, std::move(on_io));
  }

 private:
  struct Entry {
    Alert alert;
    std::string body;  // JSON body, built on the first attempt
    bool in_flight = false;
    std::vector<std::pair<int, std::function<void(Result<Alert>)>>> reports;  // DLRs to apply
    TakeCallback taken;  // cluster mode: taken from the queue; answered once the result is written
  };
  // The entries of one receiver (channel and address). After a retryable failure the target is
  // in an outage (`degraded`): one attempt at a time, oldest entry first, until it has no
  // entries left.
  struct Target {
    std::set<std::string> ids;  // ULIDs: creation order
    bool degraded = false;
    int in_flight = 0;
  };
  using QueueItem = std::pair<TimeMs, std::string>;  // (next_attempt_at, alert id)

  static std::string SecretKey(std::string_view contact_id, std::string_view address) {
    std::string key(contact_id);
    key += '\n';
    key += address;
    return key;
  }

  // io thread (and the constructor). Secrets and languages are only ever added or replaced, so a
  // queued notification of a removed contact can still be signed.
  void AddContacts(const std::vector<config::Contact>& contacts) {
    for (const config::Contact& contact : contacts) {
      for (const config::ContactChannel& channel : contact.channels) {
        if (IsChannel(channel.type, ChannelKind::kWebhook) && !channel.secret.empty()) {
          secrets_[SecretKey(contact.id, channel.address)] = channel.secret;
        }
      }
      languages_[contact.id] = LanguageOrRussian(contact.language);
    }
  }

  // io thread.
  void Add(std::vector<Alert> alerts) {
    if (stopping_) return;
    if (hooks_.queue != nullptr) {
      Publish(std::move(alerts));
      return;
    }
    for (Alert& alert : alerts) {
      if (alert.state != DeliveryState::kPending || alert.kind == AlertKind::kRoute ||
          entries_.contains(alert.id)) {
        continue;
      }
      std::string id = alert.id;
      queue_.emplace(alert.next_attempt_at, id);
      targets_[TargetKey(alert)].ids.insert(id);
      entries_.emplace(std::move(id), Entry{std::move(alert), {}, false, {}, {}});
    }
    backlog_->store(entries_.size());
    Pump();
  }

  // io thread. Cluster mode: hands pending notifications to the cluster's queue. What the queue
  // did not acknowledge is published again by the tick loop (the copies collapse there).
  void Publish(std::vector<Alert> alerts) {
    std::vector<Alert> out;
    for (Alert& alert : alerts) {
      if (alert.state != DeliveryState::kPending || alert.kind == AlertKind::kRoute) continue;
      if (!unpublished_.emplace(alert.id, alert).second) continue;  // being published
      out.push_back(std::move(alert));
    }
    backlog_->store(entries_.size() + unpublished_.size());
    if (out.empty()) return;
    std::vector<std::string> ids;
    ids.reserve(out.size());
    for (const Alert& a : out) ids.push_back(a.id);
    publishing_ += out.size();
    auto done = [this, ids = std::move(ids)](Status status) mutable {
      auto on_io = [this, ids = std::move(ids), status = std::move(status)] {
        publishing_ -= std::min(publishing_, ids.size());
        if (!status) {
          spdlog::warn("alerts: {} notifications not yet in the cluster's queue ({}); publishing "
                       "them again", ids.size(), status.error().ToString());
          return;  // still in unpublished_: the tick loop publishes them again
        }
        for (const std::string& id : ids) unpublished_.erase(id);
        backlog_->store(entries_.size() + unpublished_.size());
      };
      net::post(ioc_, on_io);
    };
    hooks_.queue->Publish(std::move(out), std::move(done));
  }

  // io thread. Cluster mode: what the queue refused is published again, at most once a second.
  void RepublishLeftovers() {
    if (hooks_.queue == nullptr || unpublished_.empty() || publishing_ > 0) return;
    const TimeMs now = clock_.NowMs();
    if (now - last_republish_ < 1000) return;
    last_republish_ = now;
    std::vector<Alert> again;
    again.reserve(unpublished_.size());
    for (auto& [id, alert] : unpublished_) again.push_back(alert);
    unpublished_.clear();
    Publish(std::move(again));
  }

  static std::string TargetKey(const Alert& a) { return a.channel + "\n" + a.target; }

  // io thread. An entry leaves the dispatcher (settled or suppressed): a target in an outage
  // hands its turn to its next oldest entry.
  void Forget(const Alert& alert) {
    auto t = targets_.find(TargetKey(alert));
    if (t == targets_.end()) return;
    t->second.ids.erase(alert.id);
    if (t->second.ids.empty()) {
      targets_.erase(t);  // drained: the outage is over
      return;
    }
    if (t->second.degraded) ReleaseHead(t->second);
  }

  // io thread. Makes the oldest entry of a target in an outage due now.
  void ReleaseHead(Target& t) {
    if (t.in_flight > 0 || t.ids.empty()) return;
    auto head = entries_.find(*t.ids.begin());
    if (head == entries_.end() || head->second.in_flight) return;
    const TimeMs now = clock_.NowMs();
    if (head->second.alert.next_attempt_at > now) head->second.alert.next_attempt_at = now;
    queue_.emplace(head->second.alert.next_attempt_at, head->first);
  }

  // io thread. Queues the oldest entry of a target in an outage at its own retry time (a second
  // heap item for the same time is skipped as in flight, or as stale once it was rescheduled).
  void QueueHead(Target& t) {
    if (!t.degraded || t.in_flight > 0 || t.ids.empty()) return;
    auto head = entries_.find(*t.ids.begin());
    if (head == entries_.end() || head->second.in_flight) return;
    queue_.emplace(head->second.alert.next_attempt_at, head->first);
  }

  // io thread. Starts every due attempt the in-flight limit allows.
  void Pump() {
    if (stopping_) return;
    const TimeMs now = clock_.NowMs();
    const int max_in_flight = std::max(cfg_.max_in_flight, 1);
    while (in_flight_ < max_in_flight && !queue_.empty() && queue_.top().first <= now) {
      QueueItem item = queue_.top();
      queue_.pop();
      auto it = entries_.find(item.second);
      if (it == entries_.end() || it->second.in_flight ||
          it->second.alert.next_attempt_at != item.first) {
        continue;  // stale heap item
      }
      // A target in an outage gets its entries one at a time, oldest first (in order when it is
      // back); the others wait here until ReleaseHead.
      Target& target = targets_[TargetKey(it->second.alert)];
      if (target.degraded && (target.in_flight > 0 || *target.ids.begin() != item.second)) {
        continue;
      }
      ++target.in_flight;
      it->second.in_flight = true;
      ++in_flight_;
      net::co_spawn(ioc_, RunAttempt(item.second), LogIfThrew);
    }
  }

  // io thread. Polls the clock, so a ManualClock moved by a test releases due retries.
  net::awaitable<void> TickLoop() {
    while (!stopping_) {
      RepublishLeftovers();
      Pump();
      tick_timer_.expires_after(kTick);
      error_code ec;
      co_await tick_timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
  }

  net::awaitable<void> RunAttempt(std::string id) {
    const auto started = std::chrono::steady_clock::now();
    Outcome outcome;
    try {
      outcome = co_await Attempt(id);
    } catch (const std::exception& e) {
      outcome = Retry(std::string("internal error: ") + e.what());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    Finish(id, outcome, seconds);
  }

  // io thread. What an attempt of `alert` may use.
  SendContext ContextFor(const Alert& alert) {
    SendContext ctx;
    ctx.channels = &cfg_.channels;
    ctx.timeout_ms = cfg_.timeout_ms;
    ctx.tls = &tls_ctx_;
    ctx.webhook_targets = &webhook_targets_;
    ctx.now = clock_.NowMs();
    if (auto secret = secrets_.find(SecretKey(alert.contact_id, alert.target));
        secret != secrets_.end()) {
      ctx.secret = secret->second;
    }
    return ctx;
  }

  // io thread. One attempt of a notification over its channel (channel.h): the checks that need
  // nothing rendered, the payload (stored with it, or rendered once from its event), the send.
  net::awaitable<Outcome> Attempt(std::string id) {
    Alert alert = entries_.at(id).alert;
    if (alert.kind == AlertKind::kReply) co_return co_await AttemptReply(std::move(id));
    const Channel* channel = FindChannel(alert.channel);
    if (channel == nullptr) co_return Failed("unknown channel '" + alert.channel + "'");
    if (auto failed = channel->Precheck(alert, ContextFor(alert))) co_return *failed;
    if (entries_.at(id).body.empty() && !alert.payload.empty()) {
      entries_.at(id).body = alert.payload;
    } else if (entries_.at(id).body.empty()) {
      Outcome rendered = co_await RenderStored(id, channel);
      if (rendered.kind != Outcome::Kind::kDelivered) co_return rendered;
    }
    co_return co_await channel->Send(alert, entries_.at(id).body, ContextFor(alert));
  }

  // The display name of `area` in `language`, or empty.
  std::string AreaName(const AreaCode& area, Language language) const {
    auto it = area_names_.find(area);
    return it == area_names_.end() ? std::string() : AreaDisplayName(it->second, language);
  }

  // io thread. Renders the payload of a notification written without one (an older version)
  // once, from its event.
  net::awaitable<Outcome> RenderStored(std::string id, const Channel* channel) {
    Alert alert = entries_.at(id).alert;
    auto event = co_await net::co_spawn(store_pool_.get_executor(),
                                        FetchEvent(&store_.events, alert.event_id), net::use_awaitable);
    if (!event) co_return Retry("cannot read event: " + event.error().message);
    if (!event->has_value()) co_return Failed("event " + alert.event_id + " not found");
    RenderContext ctx;
    ctx.channels = &cfg_.channels;
    auto lang = languages_.find(alert.contact_id);
    ctx.language = lang == languages_.end() ? Language::kRu : lang->second;
    ctx.area_name = AreaName(alert.area, ctx.language);
    ctx.event = &**event;
    ctx.now = clock_.NowMs();
    entries_.at(id).body = channel->RenderStored(alert, ctx);
    Outcome rendered;
    rendered.kind = Outcome::Kind::kDelivered;
    co_return rendered;
  }

  // io thread. One attempt of a reply to a reporter (alerts/replies.h): the address is opened
  // here (the outbox holds it sealed).
  net::awaitable<Outcome> AttemptReply(std::string id) {
    const Alert alert = entries_.at(id).alert;
    const auto address = OpenText(cfg_.channels.reply_key, alert.target);
    if (!address) co_return Failed("the reply address cannot be opened (another reply key?)");
    const Channel* channel = FindChannel(alert.channel);
    if (channel == nullptr) co_return Failed("unknown channel '" + alert.channel + "'");
    co_return co_await channel->SendReply(alert, *address, ContextFor(alert));
  }

  TimeMs Backoff(int attempts) {
    const TimeMs initial = std::max<TimeMs>(cfg_.backoff_initial_ms, 1);
    const TimeMs cap = std::max(cfg_.backoff_max_ms, initial);
    double delay = static_cast<double>(initial);
    for (int i = 1; i < attempts && delay < static_cast<double>(cap); ++i) delay *= 2;
    delay = std::min(delay, static_cast<double>(cap));
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return static_cast<TimeMs>(std::llround(delay * jitter(rng_)));
  }

  // io thread.
  void Finish(const std::string& id, const Outcome& outcome, double seconds) {
    --in_flight_;
    auto it = entries_.find(id);
    Alert& alert = it->second.alert;
    it->second.in_flight = false;
    Target& target = targets_[TargetKey(alert)];
    --target.in_flight;
    const TimeMs now = clock_.NowMs();
    alert.attempts += 1;
    if (outcome.sent) delivery_seconds_.Observe(seconds);
    bool done = true;
    std::optional<TimeMs> retry_in;  // a taken notification to be handed out again
    switch (outcome.kind) {
      case Outcome::Kind::kDelivered:
        if (outcome.handed_off) {
          alert.state = DeliveryState::kSent;
          alert.sent_at = now;
        } else {
          alert.state = DeliveryState::kDelivered;
          alert.sent_at = now;
          alert.delivered_at = now;
        }
        alert.last_error.clear();
        attempts_ok_.Inc();
        sent_.Inc();
        spdlog::info("alerts: {} {} to contact {} (attempt {})", alert.id,
                     DeliveryStateName(alert.state), alert.contact_id, alert.attempts);
        break;
      case Outcome::Kind::kFailed:
        alert.state = DeliveryState::kFailed;
        alert.last_error = outcome.error;
        if (outcome.sent) attempts_fail_.Inc();
        failed_.Inc();
        spdlog::warn("alerts: {} failed for contact {} (attempt {}): {}", alert.id,
                     alert.contact_id, alert.attempts, alert.last_error);
        break;
      case Outcome::Kind::kRetry:
        if (now - alert.created_at >= cfg_.give_up_after_ms) {
          alert.state = DeliveryState::kDeadLetter;
          alert.last_error =
              "gave up after " + std::to_string(alert.attempts) + " attempts: " + outcome.error;
          if (outcome.sent) attempts_fail_.Inc();
          failed_.Inc();
          spdlog::warn("alerts: {} dead-lettered for contact {} (attempt {}): {}", alert.id,
                       alert.contact_id, alert.attempts, alert.last_error);
          break;
        }
        alert.last_error = outcome.error;
        alert.next_attempt_at =
            now + (outcome.retry_after_ms ? *outcome.retry_after_ms : Backoff(alert.attempts));
        if (outcome.sent) attempts_retry_.Inc();
        if (it->second.taken) {
          // Cluster mode: the queue hands it out again after the delay (maybe to another node).
          retry_in = alert.next_attempt_at - now;
        } else {
          done = false;
          target.degraded = true;
          queue_.emplace(alert.next_attempt_at, id);
          // The head's own due item may have been passed over while others were in flight (Pump
          // skips it then): once none is, make sure the head is queued at its retry time.
          QueueHead(target);
        }
        spdlog::info("alerts: {} attempt {} for contact {}: {}; next in {} ms", alert.id,
                     alert.attempts, alert.contact_id, alert.last_error,
                     alert.next_attempt_at - now);
        break;
    }
    writer_.Persist(alert, DeliveryState::kPending);
    auto reports = std::move(it->second.reports);
    it->second.reports.clear();
    if (it->second.taken) {
      // The queue hears the result once it is written (a task posted after the change sees it
      // written), and not before: a node that dies before that leaves it to the ack wait.
      TakeResult result{!retry_in.has_value(), retry_in.value_or(0)};
      auto answer = [this, taken = std::move(it->second.taken), result] {
        writer_.Flush();
        taken(result);
      };
      Post(std::move(answer));
    }
    if (done) {
      const Alert settled = alert;
      entries_.erase(it);
      Forget(settled);
      backlog_->store(entries_.size() + unpublished_.size());
    }
    for (auto& [type, callback] : reports) PostReport(id, type, std::move(callback));
    Pump();
  }

  // Any thread. Applies a delivery report on the state thread, after the writes queued so far.
  void PostReport(std::string id, int type, std::function<void(Result<Alert>)> done) {
    auto apply = [this, id = std::move(id), type, done = std::move(done)] {
      writer_.Flush();
      Result<Alert> result = ApplyReport(id, type);
      if (done) done(std::move(result));
    };
    net::post(store_pool_, std::move(apply));
  }

  // State thread.
  Result<Alert> ApplyReport(const std::string& id, int type) {
    auto stored = store_.outbox.GetAlert(id);
    if (!stored) return tl::unexpected(stored.error());
    if (!stored->has_value()) return MakeError(ErrorCode::kNotFound, "no alert with id " + id);
    Alert alert = std::move(**stored);
    const Channel* channel = FindChannel(alert.channel);
    if (channel == nullptr || !channel->HasReceipts()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "alert " + id + " went over " + alert.channel + ", not sms or whatsapp");
    }
    auto next = DlrTransition(alert.state, type);
    if (!next) return tl::unexpected(next.error());
    dlr_reports_.Inc();
    if (!*next) return alert;  // no change (e.g. "accepted by the SMS centre" after sent)
    const DeliveryState before = alert.state;
    const TimeMs now = clock_.NowMs();
    alert.state = **next;
    if (alert.state == DeliveryState::kDelivered) {
      alert.delivered_at = now;
      alert.last_error.clear();
      dlr_delivered_.Inc();
    } else if (alert.state == DeliveryState::kFailed) {
      alert.last_error = channel->ReceiptError(type);
      dlr_failed_.Inc();
    } else if (alert.state == DeliveryState::kSent && alert.sent_at == 0) {
      alert.sent_at = now;
    }
    std::vector<StateChange> one{{alert, before}};
    if (!writer_.Write(one, "dlr type " + std::to_string(type))) {
      return MakeError(ErrorCode::kUnavailable, "the delivery report could not be stored");
    }
    spdlog::info("alerts: {} {} by delivery report type {}", alert.id,
                 DeliveryStateName(alert.state), type);
    return alert;
  }

  AlertStore store_;
  const config::AlertsConfig cfg_;
  const AddressFilter webhook_targets_ = WebhookFilter(cfg_);  // gateways are the operator's
  const Clock& clock_;
  DispatcherHooks hooks_;
  IdGenerator audit_ids_;
  std::unordered_map<std::string, std::string> secrets_;  // contact id \n address -> secret
  std::unordered_map<std::string, Language> languages_;  // contact id -> message language
  std::unordered_map<std::string, config::Area> area_names_;  // code -> the area's names
  ssl::context tls_ctx_;

  net::io_context ioc_{1};
  net::steady_timer tick_timer_;
  std::thread thread_;
  bool started_ = false;  // owner thread
  bool stopped_ = false;  // owner thread

  // io thread only.
  bool stopping_ = false;
  int in_flight_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<std::string, Target> targets_;  // channel \n address -> its entries
  std::priority_queue<QueueItem, std::vector<QueueItem>, std::greater<>> queue_;
  std::mt19937_64 rng_;
  // Cluster mode: notifications not yet acknowledged by the queue (id -> notification).
  std::map<std::string, Alert> unpublished_;
  std::size_t publishing_ = 0;  // of them, in a Publish call now
  TimeMs last_republish_ = 0;

  std::shared_ptr<std::atomic<std::size_t>> backlog_;  // shared with the metrics callback

  net::thread_pool store_pool_{1};  // the state thread
  StateWriter writer_{store_.outbox,
                      clock_,
                      hooks_.ids != nullptr ? *hooks_.ids : audit_ids_,
                      hooks_.on_change,
                      [this](std::vector<Alert> added) { Enqueue(std::move(added)); },
                      store_pool_};

  Counter& sent_;
  Counter& failed_;
  Counter& attempts_ok_;
  Counter& attempts_retry_;
  Counter& attempts_fail_;
  Histogram& delivery_seconds_;
  Counter& dlr_reports_;
  Counter& dlr_delivered_;
  Counter& dlr_failed_;
};

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string payload;
  payload.reserve(timestamp.size() + 1 + body.size());
  payload.append(timestamp).append(".").append(body);
  return "v1=" + HmacSha256Hex(secret, payload);
}

std::unique_ptr<Dispatcher> Dispatcher::Create(AlertStore store,
                                               const config::AlertsConfig& cfg,
                                               std::vector<config::Contact> contacts,
                                               const Clock& clock, MetricsRegistry& metrics,
                                               const config::AreaTree* areas,
                                               DispatcherHooks hooks) {
  return std::make_unique<DispatcherImpl>(store, cfg, std::move(contacts), clock, metrics, areas,
                                          std::move(hooks));
}

Result<std::optional<DeliveryState>> DlrTransition(DeliveryState current, int type) {
  using S = DeliveryState;
  const bool open = current == S::kPending || current == S::kSent;
  switch (type) {
    case 1:  // delivered to the phone; also after an earlier failure report
      if (open || current == S::kFailed) return std::optional<S>(S::kDelivered);
      return std::optional<S>();
    case 2:   // not delivered to the phone
    case 16:  // rejected by the SMS centre
      if (open) return std::optional<S>(S::kFailed);
      return std::optional<S>();
    case 4:  // queued on the SMS centre
    case 8:  // accepted by the SMS centre
      if (current == S::kPending) return std::optional<S>(S::kSent);
      return std::optional<S>();
    default:
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown delivery report type " + std::to_string(type) +
                           " (expected 1, 2, 4, 8 or 16)");
  }
}

}  // namespace sakchy::alerts
