#include "service/stream_hub.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <functional>

#include "core/json_text.h"
#include "core/time.h"
#include "service/report_json.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kPage = 100;
constexpr std::size_t kMaxPages = 10;  // more new notifications per poll: an overflow event
constexpr std::string_view kOverflowFrame = "event: overflow\ndata: {}\n\n";
constexpr std::string_view kHeartbeatFrame = ": ping\n\n";

// One SSE frame: `event` and a one-line JSON `data` (serialised JSON has no raw line breaks).
std::string Frame(std::string_view event, std::string_view id, const json::value& data) {
  std::string out;
  out += "event: ";
  out += event;
  out += '\n';
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  out += "data: ";
  out += ToJsonText(data);
  out += "\n\n";
  return out;
}

json::value SignalJson(const Signal& s) {
  json::array areas;
  for (const auto& a : s.areas) areas.emplace_back(a);
  json::array categories;
  for (const auto& c : s.categories) categories.emplace_back(c);
  return json::object{{"cluster_id", s.subject_id},
                      {"area", s.area},
                      {"areas", std::move(areas)},
                      {"severity", SeverityName(s.severity)},
                      {"categories", std::move(categories)},
                      {"reason", s.reason},
                      {"summary", s.summary},
                      {"members", s.event_ids.size()},
                      {"sources", s.sources},
                      {"at", FormatRfc3339(s.at)}};
}

// What an official (a scoped token) is told of a spread signal: the cluster, when, and which of
// their own areas it reached. A signal also counts other areas' reports (their texts, sources and
// severities), so the rest is for unscoped tokens only, as GET /v1/clusters/{id} shows it.
json::value ScopedSignalJson(const Signal& s, const std::vector<AreaCode>& visible) {
  json::array areas;
  for (const auto& a : visible) areas.emplace_back(a);
  return json::object{
      {"cluster_id", s.subject_id}, {"areas", std::move(areas)}, {"at", FormatRfc3339(s.at)}};
}

}  // namespace

struct StreamHub::Subscriber {
  Subscriber(Principal p, net::any_io_executor strand) : who(std::move(p)), timer(strand) {}
  const Principal who;
  net::steady_timer timer;  // runs on the connection's strand; cancelled to wake the stream
  std::mutex mu;
  std::deque<std::string> frames;  // guarded by mu
  bool overflow = false;           // guarded by mu
};

// The body of one GET /v1/stream response. Holds the hub alive (a stream can outlive the API
// object while the io_context winds down).
class StreamHub::Stream final : public BodyStream {
 public:
  Stream(std::shared_ptr<StreamHub> hub, std::shared_ptr<Subscriber> sub)
      : hub_(std::move(hub)), sub_(std::move(sub)) {}
  ~Stream() override { hub_->Remove(sub_.get()); }

  net::awaitable<Result<std::string>> Next() override {
    if (!started_) {
      started_ = true;
      json::array areas;
      for (const auto& a : sub_->who.areas) areas.emplace_back(a);
      json::object hello{{"name", sub_->who.name},
                         {"role", config::RoleName(sub_->who.role)},
                         {"areas", std::move(areas)},
                         {"heartbeat_ms", hub_->options_.heartbeat.count()}};
      co_return "retry: 3000\n" + Frame("hello", "", hello);
    }
    for (;;) {
      {
        std::lock_guard lock(sub_->mu);
        if (sub_->overflow) {
          sub_->overflow = false;
          sub_->frames.clear();
          co_return std::string(kOverflowFrame);
        }
        if (!sub_->frames.empty()) {
          std::string out;
          for (const auto& f : sub_->frames) out += f;
          sub_->frames.clear();
          co_return out;
        }
      }
      // Publish() cancels this wait on the same strand, so a frame queued after the check above
      // cannot be missed: the cancel runs only once the wait has started.
      sub_->timer.expires_after(hub_->options_.heartbeat);
      boost::system::error_code ec;
      co_await sub_->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (!ec) co_return std::string(kHeartbeatFrame);
    }
  }

 private:
  std::shared_ptr<StreamHub> hub_;
  std::shared_ptr<Subscriber> sub_;
  bool started_ = false;
};

std::shared_ptr<StreamHub> StreamHub::Create(storage::Outbox& store, const config::AreaTree& areas,
                                             StreamHubOptions options) {
  return std::shared_ptr<StreamHub>(new StreamHub(store, areas, options));
}

StreamHub::StreamHub(storage::Outbox& store, const config::AreaTree& areas, StreamHubOptions options)
    : store_(store), areas_(areas), options_(options) {}

StreamHub::~StreamHub() { Stop(); }

Status StreamHub::Start() {
  {
    std::lock_guard lock(poll_mu_);
    auto newest = store_.ListAlerts({}, 1, {});
    if (!newest) return tl::unexpected(newest.error());
    last_alert_id_ = newest->empty() ? std::string() : newest->front().id;
  }
  poller_.Start("sakchy-stream",
                 options_.poll_interval,
                 PeriodicWorker::FirstRun::kAfterInterval, [this] {
                   // Also with nobody listening: the starting point moves on, so a new
                   // subscriber gets only what is created after it subscribed (it reads the
                   // rest through GET /v1/alerts).
                   if (auto s = PollOnce(); !s) {
                     spdlog::warn("stream: reading new alerts failed: {}", s.error().ToString());
                   }
                 });
  return OkStatus();
}

void StreamHub::Stop() { poller_.Stop(); }

Status StreamHub::PollOnce() {
  std::lock_guard poll_lock(poll_mu_);
  {
    // The common case, nothing new: one notification read.
    auto newest = store_.ListAlerts({}, 1, {});
    if (!newest) return tl::unexpected(newest.error());
    if (newest->empty() || newest->front().id == last_alert_id_) return OkStatus();
  }
  std::vector<Alert> fresh;  // newest first
  std::string before;
  bool gap = false;
  for (std::size_t page = 0;; ++page) {
    auto got = store_.ListAlerts({}, kPage, before);
    if (!got) return tl::unexpected(got.error());
    bool reached = false;
    for (auto& a : *got) {
      if (!last_alert_id_.empty() && a.id <= last_alert_id_) {
        reached = true;
        break;
      }
      fresh.push_back(std::move(a));
    }
    if (reached || got->size() < kPage) break;
    if (page + 1 == kMaxPages) {
      gap = true;
      break;
    }
    before = got->back().id;
  }
  if (fresh.empty()) return OkStatus();
  last_alert_id_ = fresh.front().id;
  if (gap) PublishOverflow();
  for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
    Publish(Frame("alert", it->id, AlertToJson(*it)), {it->area});
  }
  return OkStatus();
}

void StreamHub::PublishSignals(const std::vector<Signal>& signals) {
  for (const auto& s : signals) {
    if (s.kind != Signal::Kind::kClusterSpread) continue;
    std::vector<AreaCode> areas = s.areas;
    if (areas.empty()) areas.push_back(s.area);
    const std::string full = Frame("cluster", "", SignalJson(s));
    const Signal* signal = &s;
    const std::function<std::string(const std::vector<AreaCode>&)> scoped =
        [signal](const std::vector<AreaCode>& visible) {
          return Frame("cluster", "", ScopedSignalJson(*signal, visible));
        };
    Publish(full, areas, &scoped);
  }
}

void StreamHub::Publish(const std::string& frame, const std::vector<AreaCode>& areas,
                        const std::function<std::string(const std::vector<AreaCode>&)>* scoped) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mu_);
    subs = subscribers_;
  }
  for (const auto& sub : subs) {
    std::vector<AreaCode> visible;
    for (const auto& a : areas) {
      if (sub->who.MaySee(areas_, a)) visible.push_back(a);
    }
    if (visible.empty()) continue;
    const std::string own =
        scoped != nullptr && sub->who.scoped() ? (*scoped)(visible) : std::string();
    {
      std::lock_guard lock(sub->mu);
      if (sub->frames.size() >= options_.max_queued) {
        sub->overflow = true;
        sub->frames.clear();
      } else if (!sub->overflow) {
        sub->frames.push_back(own.empty() ? frame : own);
      }
    }
    net::post(sub->timer.get_executor(), [sub] { sub->timer.cancel(); });
  }
}

void StreamHub::PublishOverflow() {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mu_);
    subs = subscribers_;
  }
  for (const auto& sub : subs) {
    {
      std::lock_guard lock(sub->mu);
      sub->overflow = true;
      sub->frames.clear();
    }
    net::post(sub->timer.get_executor(), [sub] { sub->timer.cancel(); });
  }
}

std::shared_ptr<BodyStream> StreamHub::Subscribe(Principal who, net::any_io_executor strand) {
  auto sub = std::make_shared<Subscriber>(std::move(who), std::move(strand));
  {
    std::lock_guard lock(mu_);
    if (subscribers_.size() >= options_.max_subscribers) return nullptr;
    subscribers_.push_back(sub);
  }
  return std::make_shared<Stream>(shared_from_this(), std::move(sub));
}

void StreamHub::Remove(const Subscriber* sub) {
  std::lock_guard lock(mu_);
  std::erase_if(subscribers_, [sub](const auto& s) { return s.get() == sub; });
}

std::size_t StreamHub::subscribers() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

}  // namespace sakchy::service
