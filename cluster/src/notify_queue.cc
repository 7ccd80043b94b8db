// Cluster mode's notification queue on JetStream (notify_queue.h).
#include "notify_queue.h"

#include <spdlog/spdlog.h>

#include <future>

#include <pthread.h>

namespace sakchy::cluster {

namespace {

constexpr std::int64_t kTakeWaitMs = 500;
constexpr std::int64_t kUnreadableDelayMs = 60'000;  // a newer node may read it

std::string NotifyStatusText(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string t = natsStatus_GetText(s);
  if (code != 0) t += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return t;
}

}  // namespace

NotifyQueue::NotifyQueue(jsCtx* js, const config::ClusterConfig& cfg,
                         const DeliveryOptions& options, MetricsRegistry& metrics)
    : js_(js),
      cfg_(cfg),
      options_(options),
      published_(metrics.GetCounter("sakchy_cluster_notify_published_total",
                                    "Notifications this node published to the cluster's queue")),
      duplicates_(metrics.GetCounter(
          "sakchy_cluster_notify_duplicates_total",
          "Notifications this node published that the queue already held (another node's copy)")),
      publish_failures_(metrics.GetCounter("sakchy_cluster_notify_publish_failures_total",
                                           "Publishes of notifications not acknowledged (retried)")),
      taken_(metrics.GetCounter("sakchy_cluster_notify_taken_total",
                                "Notifications this node took from the queue and attempted")),
      handed_back_(metrics.GetCounter(
          "sakchy_cluster_notify_handed_back_total",
          "Taken notifications handed back to the queue to be retried later (nak with delay)")),
      unreadable_(metrics.GetCounter("sakchy_cluster_notify_unreadable_total",
                                     "Queued notifications this node cannot read")) {}

NotifyQueue::~NotifyQueue() { Stop(); }

Status NotifyQueue::Ensure() {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, kNotifyStream, nullptr, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
  } else if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
    return MakeError(ErrorCode::kUnavailable, "notify stream info: " + NotifyStatusText(s, jerr));
  } else {
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char* subjects[] = {kNotifySubject};
    sc.Name = kNotifyStream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_WorkQueuePolicy;
    sc.Replicas = cfg_.replicas;
    sc.Duplicates = options_.duplicate_window_ms * 1000 * 1000;
    s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
    if (s != NATS_OK) {
      return MakeError(ErrorCode::kUnavailable, "add notify stream: " + NotifyStatusText(s, jerr));
    }
    jsStreamInfo_Destroy(si);
    spdlog::info("cluster: created stream {} (work queue, file storage, {} replicas)",
                 kNotifyStream, cfg_.replicas);
  }
  jsConsumerInfo* ci = nullptr;
  s = js_GetConsumerInfo(&ci, js_, kNotifyStream, kNotifyConsumer, nullptr, &jerr);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(ci);
    return {};
  }
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = kNotifyConsumer;
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = options_.ack_wait_ms * 1000 * 1000;
  cc.MaxAckPending = 1024;
  cc.FilterSubject = kNotifySubject;
  cc.DeliverPolicy = js_DeliverAll;
  s = js_AddConsumer(&ci, js_, kNotifyStream, &cc, nullptr, &jerr);
  if (s != NATS_OK) {
    return MakeError(ErrorCode::kUnavailable, "add notify consumer: " + NotifyStatusText(s, jerr));
  }
  jsConsumerInfo_Destroy(ci);
  return {};
}

void NotifyQueue::StartPublishing() {
  if (publishing_.exchange(true)) return;
  publisher_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sakchy-notifypub");
    PublishLoop();
  });
}

void NotifyQueue::StartTaking(alerts::NotificationTaker& taker) {
  if (taking_.exchange(true)) return;
  taker_ = &taker;
  taker_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sakchy-notify");
    TakeLoop();
  });
}

void NotifyQueue::Stop() {
  taking_ = false;
  if (taker_thread_.joinable()) taker_thread_.join();
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);
  sub_ = nullptr;
  {
    std::lock_guard lock(mu_);
    publishing_ = false;
  }
  cv_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  std::deque<Pending> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (auto& p : left) p.done(MakeError(ErrorCode::kUnavailable, "the service is shutting down"));
}

void NotifyQueue::Publish(std::vector<Alert> alerts, std::function<void(Status)> done) {
  {
    std::lock_guard lock(mu_);
    if (publishing_.load()) {
      queue_.push_back(Pending{std::move(alerts), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(MakeError(ErrorCode::kUnavailable, "the cluster's notification queue is not running"));
}

Status NotifyQueue::PublishAll(const std::vector<Alert>& alerts) {
  for (const Alert& a : alerts) {
    const std::string data = EncodeQueuedNotification(a);
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, kNotifySubject, nullptr, data.data(),
                                  static_cast<int>(data.size()));
    if (s != NATS_OK) return MakeError(ErrorCode::kInternal, "nats: message: " + NotifyStatusText(s));
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = a.idempotency_key.c_str();
    po.MaxWait = cfg_.publish_timeout_ms;
    po.ExpectStream = kNotifyStream;
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, js_, msg, &po, &jerr);
    natsMsg_Destroy(msg);
    if (s != NATS_OK) {
      publish_failures_.Inc();
      return MakeError(ErrorCode::kUnavailable,
                       "the notification queue did not acknowledge " + a.id + " (" +
                           NotifyStatusText(s, jerr) + ")");
    }
    if (ack->Duplicate) duplicates_.Inc();
    else published_.Inc();
    jsPubAck_Destroy(ack);
  }
  return {};
}

void NotifyQueue::PublishLoop() {
  while (true) {
    Pending p;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || !publishing_.load(); });
      if (!publishing_.load()) return;
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    p.done(PublishAll(p.alerts));
  }
}

Status NotifyQueue::Subscribe() {
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);
  sub_ = nullptr;
  if (auto st = Ensure(); !st) return st;  // the consumer may have been lost with its servers
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = kNotifyStream;
  so.Consumer = kNotifyConsumer;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub_, js_, kNotifySubject, kNotifyConsumer, nullptr, &so, &jerr);
  if (s != NATS_OK) {
    sub_ = nullptr;
    return MakeError(ErrorCode::kUnavailable, "notify pull subscribe: " + NotifyStatusText(s, jerr));
  }
  spdlog::info("cluster: node {} takes notifications from {}", cfg_.node_name, kNotifyStream);
  return {};
}

void NotifyQueue::TakeLoop() {
  int errors = 0;
  while (taking_.load()) {
    if (sub_ == nullptr) {
      if (auto st = Subscribe(); !st) {
        if (errors++ % 20 == 0) {
          spdlog::warn("cluster: cannot take notifications yet: {}", st.error().ToString());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        continue;
      }
      errors = 0;
    }
    natsMsgList list{nullptr, 0};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, sub_, std::max(options_.max_in_flight, 1),
                                          kTakeWaitMs, &jerr);
    if (s == NATS_TIMEOUT) {
      natsMsgList_Destroy(&list);
      continue;
    }
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      if (s == NATS_NOT_FOUND || ++errors >= 20) {
        spdlog::warn("cluster: fetching notifications failed ({}); subscribing again",
                     NotifyStatusText(s, jerr));
        if (sub_ != nullptr) natsSubscription_Destroy(sub_);
        sub_ = nullptr;
        errors = 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    errors = 0;
    // Each notification of the batch is attempted at once; each is answered after its result is
    // written here, and only then acknowledged (or handed back with its delay).
    std::vector<std::future<alerts::TakeResult>> answers(static_cast<std::size_t>(list.Count));
    std::vector<bool> taken(static_cast<std::size_t>(list.Count), false);
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* m = list.Msgs[i];
      int deliveries = 1;
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
        deliveries = static_cast<int>(meta->NumDelivered);
        jsMsgMetaData_Destroy(meta);
      }
      auto alert = DecodeQueuedNotification(std::string_view(
          natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))));
      if (!alert) {
        // Never dropped: handed back for a node that can read it (an upgrade in progress).
        unreadable_.Inc();
        spdlog::error("cluster: a queued notification cannot be read: {}; handed back",
                      alert.error().ToString());
        natsMsg_NakWithDelay(m, kUnreadableDelayMs, nullptr);
        continue;
      }
      auto promise = std::make_shared<std::promise<alerts::TakeResult>>();
      answers[static_cast<std::size_t>(i)] = promise->get_future();
      taken[static_cast<std::size_t>(i)] = true;
      taken_.Inc();
      taker_->Take(std::move(*alert), deliveries,
                   [promise](alerts::TakeResult r) { promise->set_value(r); });
    }
    for (int i = 0; i < list.Count; ++i) {
      if (!taken[static_cast<std::size_t>(i)]) continue;
      const alerts::TakeResult r = answers[static_cast<std::size_t>(i)].get();
      natsMsg* m = list.Msgs[i];
      if (r.settled) {
        // Synchronous: once it returns, the queue has forgotten the notification.
        jsErrCode ack_err = static_cast<jsErrCode>(0);
        if (natsStatus as = natsMsg_AckSync(m, nullptr, &ack_err); as != NATS_OK) {
          spdlog::warn("cluster: acknowledging a delivered notification failed ({}); it may be "
                       "sent again, with the same Idempotency-Key",
                       NotifyStatusText(as, ack_err));
        }
      } else {
        handed_back_.Inc();
        natsMsg_NakWithDelay(m, std::max<std::int64_t>(r.retry_in_ms, 0), nullptr);
      }
    }
    natsMsgList_Destroy(&list);
  }
}

}  // namespace sakchy::cluster
