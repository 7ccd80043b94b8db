// Cluster mode on NATS JetStream (cluster/jetstream.h).
#include "cluster/jetstream.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <pthread.h>

#include "notify_queue.h"

namespace sakchy::cluster {

namespace {

constexpr const char* kSubject = "sakchy.reports";
constexpr int kFetchBatch = 256;
constexpr std::int64_t kFetchWaitMs = 500;
constexpr std::int64_t kAckWaitNs = 30LL * 1000 * 1000 * 1000;
constexpr std::size_t kMaxWaitingReports = 8192;  // appends queued for the publisher

std::string StatusText(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string t = natsStatus_GetText(s);
  if (code != 0) t += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && t.find(last) == std::string::npos) {
    t += ": ";
    t += last;
  }
  return t;
}

}  // namespace

class JetStreamNode::Impl {
 public:
  Impl(const config::ClusterConfig& cfg, MetricsRegistry& metrics, const DeliveryOptions& delivery)
      : cfg_(cfg),
        delivery_(delivery),
        metrics_(metrics),
        connected_(metrics.GetGauge("sakchy_cluster_nats_connected",
                                    "1 while this node is connected to a NATS server")),
        disconnects_(metrics.GetCounter("sakchy_cluster_nats_disconnects_total",
                                        "Connections to NATS lost")),
        reconnects_(metrics.GetCounter("sakchy_cluster_nats_reconnects_total",
                                       "Connections to NATS restored (possibly to another server)")),
        publish_failures_(metrics.GetCounter(
            "sakchy_cluster_publish_failures_total",
            "Appends to the log not acknowledged in time (answered 503)")),
        fetch_errors_(metrics.GetCounter("sakchy_cluster_fetch_errors_total",
                                         "Failed fetches of log entries (retried)")),
        gaps_(metrics.GetCounter("sakchy_cluster_log_gaps_total",
                                 "Deliveries with an entry missing before them (consumed again)")),
        publish_latency_(metrics.GetHistogram("sakchy_cluster_publish_seconds",
                                              "Time for the log to acknowledge one append")) {}

  ~Impl() { Stop(); Close(); }

  Status Connect() {
    natsStatus s = natsOptions_Create(&opts_);
    if (s != NATS_OK) return MakeError(ErrorCode::kInternal, "nats: options: " + StatusText(s));
    std::vector<const char*> urls;
    for (const auto& u : cfg_.nats_urls) urls.push_back(u.c_str());
    natsOptions_SetServers(opts_, urls.data(), static_cast<int>(urls.size()));
    natsOptions_SetName(opts_, ("sakchy-" + cfg_.node_name).c_str());
    natsOptions_SetTimeout(opts_, std::min<std::int64_t>(cfg_.connect_timeout_ms, 2000));
    // The URLs in the order given: list the node's nearest server first.
    natsOptions_SetNoRandomize(opts_, true);
    natsOptions_SetMaxReconnect(opts_, -1);  // forever: intake answers 503 meanwhile
    natsOptions_SetReconnectWait(opts_, 250);
    natsOptions_SetDisconnectedCB(opts_, &Impl::OnDisconnected, this);
    natsOptions_SetReconnectedCB(opts_, &Impl::OnReconnected, this);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(cfg_.connect_timeout_ms);
    std::string last;
    while (true) {
      s = natsConnection_Connect(&nc_, opts_);
      if (s == NATS_OK) break;
      last = StatusText(s);
      if (std::chrono::steady_clock::now() >= deadline) {
        return MakeError(ErrorCode::kUnavailable,
                         "cannot connect to NATS (cluster.nats_urls) within " +
                             std::to_string(cfg_.connect_timeout_ms) + " ms: " + last);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    connected_.Set(1);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = cfg_.publish_timeout_ms;
    s = natsConnection_JetStream(&js_, nc_, &jo);
    if (s != NATS_OK) return MakeError(ErrorCode::kInternal, "nats: JetStream: " + StatusText(s));
    // The stream: created by the first node; JetStream may still be electing its leaders.
    while (true) {
      auto st = EnsureStream();
      if (st) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        return MakeError(ErrorCode::kUnavailable,
                         "NATS JetStream did not accept the stream " + cfg_.stream + ": " +
                             st.error().message);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    // The notification queue (stream and shared consumer), created by the first node too.
    notify_ = std::make_unique<NotifyQueue>(js_, cfg_, delivery_, metrics_);
    while (true) {
      auto st = notify_->Ensure();
      if (st) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        return MakeError(ErrorCode::kUnavailable, "NATS JetStream did not accept the stream " +
                                                      std::string(kNotifyStream) + ": " +
                                                      st.error().message);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    notify_->StartPublishing();
    return {};
  }

  alerts::NotificationQueue& Notifications() { return *notify_; }

  Status StartDelivery(alerts::NotificationTaker& taker) {
    notify_->StartTaking(taker);
    return {};
  }

  Status EnsureStream() {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, js_, cfg_.stream.c_str(), nullptr, &jerr);
    if (s == NATS_OK) {
      if (si->Config != nullptr && si->Config->Replicas != cfg_.replicas) {
        spdlog::warn("cluster: stream {} has {} replicas, cluster.replicas says {}; the stream "
                     "keeps its own (change it with the nats CLI)",
                     cfg_.stream, si->Config->Replicas, cfg_.replicas);
      }
      jsStreamInfo_Destroy(si);
      return {};
    }
    if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
      return MakeError(ErrorCode::kUnavailable, "stream info: " + StatusText(s, jerr));
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char* subjects[] = {kSubject};
    sc.Name = cfg_.stream.c_str();
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Replicas = cfg_.replicas;
    sc.Duplicates = cfg_.duplicate_window_ms * 1000 * 1000;
    s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
    if (s != NATS_OK) {
      return MakeError(ErrorCode::kUnavailable, "add stream: " + StatusText(s, jerr));
    }
    spdlog::info("cluster: created stream {} (file storage, {} replicas)", cfg_.stream,
                 cfg_.replicas);
    jsStreamInfo_Destroy(si);
    return {};
  }

  Status Start(ingest::LogApplier& applier) {
    applier_ = &applier;
    running_ = true;
    publisher_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sakchy-publish");
      PublishLoop();
    });
    consumer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sakchy-replica");
      ConsumeLoop();
    });
    return {};
  }

  void Stop() {
    if (notify_) notify_->Stop();
    if (!running_.exchange(false)) return;
    {
      std::lock_guard lock(mu_);
    }
    cv_.notify_all();
    if (publisher_.joinable()) publisher_.join();
    if (consumer_.joinable()) consumer_.join();
    // Appends still waiting: not accepted.
    std::deque<Pending> left;
    {
      std::lock_guard lock(mu_);
      left.swap(queue_);
      waiting_reports_ = 0;
    }
    for (auto& p : left) {
      p.done(MakeError(ErrorCode::kUnavailable, "the service is shutting down"));
    }
  }

  void Close() {
    notify_.reset();
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);
    sub_ = nullptr;
    if (js_ != nullptr) jsCtx_Destroy(js_);
    js_ = nullptr;
    if (nc_ != nullptr) {
      natsConnection_Close(nc_);
      natsConnection_Destroy(nc_);
    }
    nc_ = nullptr;
    if (opts_ != nullptr) natsOptions_Destroy(opts_);
    opts_ = nullptr;
  }

  void Append(std::vector<Report> reports, ingest::AppendCallback done) {
    if (!running_.load()) {
      done(MakeError(ErrorCode::kUnavailable, "the cluster log is not running"));
      return;
    }
    if (!Connected()) {
      publish_failures_.Inc();
      done(MakeError(ErrorCode::kUnavailable,
                     "not connected to NATS (reconnecting); nothing was accepted, retry later"));
      return;
    }
    {
      std::lock_guard lock(mu_);
      if (waiting_reports_ + reports.size() > kMaxWaitingReports) {
        done(MakeError(ErrorCode::kResourceExhausted,
                       "too many reports wait for the cluster log; retry later"));
        return;
      }
      waiting_reports_ += reports.size();
      queue_.push_back(Pending{std::move(reports), std::move(done)});
    }
    cv_.notify_one();
  }

  bool Connected() const {
    return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
  }

  ClusterView View(std::uint64_t applied) const {
    ClusterView v;
    v.node = cfg_.node_name;
    v.connected = Connected();
    if (v.connected) {
      char buf[256] = {0};
      if (natsConnection_GetConnectedUrl(nc_, buf, sizeof buf) == NATS_OK) v.connected_url = buf;
    }
    v.reconnects = reconnects_.Value();
    v.disconnects = disconnects_.Value();
    v.applied = applied;
    v.stream = cfg_.stream;
    v.replicas = cfg_.replicas;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = cfg_.publish_timeout_ms;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, js_, cfg_.stream.c_str(), &jo, &jerr);
    if (s != NATS_OK) {
      v.error = "stream info: " + StatusText(s, jerr);
      return v;
    }
    v.messages = si->State.Msgs;
    v.last_sequence = si->State.LastSeq;
    if (si->Config != nullptr) v.replicas = static_cast<int>(si->Config->Replicas);
    if (si->Cluster != nullptr) {
      if (si->Cluster->Leader != nullptr) {
        v.stream_peers.push_back(PeerView{si->Cluster->Leader, "leader", true, false, 0});
      }
      for (int i = 0; i < si->Cluster->ReplicasLen; ++i) {
        const jsPeerInfo* p = si->Cluster->Replicas[i];
        if (p == nullptr) continue;
        v.stream_peers.push_back(PeerView{p->Name != nullptr ? p->Name : "", "replica",
                                          p->Current, p->Offline, p->Lag});
      }
    }
    jsStreamInfo_Destroy(si);
    jsConsumerInfoList* list = nullptr;
    s = js_Consumers(&list, js_, cfg_.stream.c_str(), &jo, &jerr);
    if (s != NATS_OK) {
      v.error = "consumers: " + StatusText(s, jerr);
      return v;
    }
    for (int i = 0; i < list->Count; ++i) {
      const jsConsumerInfo* ci = list->List[i];
      ConsumerView c;
      c.name = ci->Name != nullptr ? ci->Name : "";
      c.delivered = ci->Delivered.Stream;
      c.ack_floor = ci->AckFloor.Stream;
      c.pending = ci->NumPending;
      c.ack_pending = static_cast<std::uint64_t>(ci->NumAckPending);
      v.nodes.push_back(std::move(c));
    }
    jsConsumerInfoList_Destroy(list);
    return v;
  }

 private:
  struct Pending {
    std::vector<Report> reports;
    ingest::AppendCallback done;
  };

  static void OnDisconnected(natsConnection*, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    self->connected_.Set(0);
    self->disconnects_.Inc();
    spdlog::warn("cluster: disconnected from NATS; reconnecting (intake answers 503 meanwhile)");
  }
  static void OnReconnected(natsConnection* nc, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    self->connected_.Set(1);
    self->reconnects_.Inc();
    char buf[256] = {0};
    natsConnection_GetConnectedUrl(nc, buf, sizeof buf);
    spdlog::info("cluster: reconnected to NATS at {}", buf);
  }

  // The id of the report the log holds at `seq` (a duplicate's first copy).
  Result<std::string> IdAt(std::uint64_t seq) {
    natsMsg* m = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetMsg(&m, js_, cfg_.stream.c_str(), seq, nullptr, &jerr);
    if (s != NATS_OK) {
      return MakeError(ErrorCode::kUnavailable, "reading entry " + std::to_string(seq) + ": " +
                                                    StatusText(s, jerr));
    }
    auto r = DecodeLogReport(std::string_view(natsMsg_GetData(m),
                                              static_cast<std::size_t>(natsMsg_GetDataLength(m))));
    natsMsg_Destroy(m);
    if (!r) return tl::unexpected(r.error());
    return r->id;
  }

  ingest::AppendResult PublishAll(std::vector<Report>& reports) {
    std::vector<ingest::AppendOutcome> out;
    out.reserve(reports.size());
    for (const auto& r : reports) {
      const std::string data = EncodeLogReport(r);
      const std::string key = ingest::LogKeyOf(r);
      natsMsg* msg = nullptr;
      natsStatus s = natsMsg_Create(&msg, kSubject, nullptr, data.data(),
                                    static_cast<int>(data.size()));
      if (s != NATS_OK) return MakeError(ErrorCode::kInternal, "nats: message: " + StatusText(s));
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = key.c_str();
      po.MaxWait = cfg_.publish_timeout_ms;
      po.ExpectStream = cfg_.stream.c_str();
      jsPubAck* ack = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      const auto t0 = std::chrono::steady_clock::now();
      s = js_PublishMsg(&ack, js_, msg, &po, &jerr);
      natsMsg_Destroy(msg);
      publish_latency_.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (s != NATS_OK) {
        publish_failures_.Inc();
        return MakeError(ErrorCode::kUnavailable,
                         "the cluster log did not acknowledge the report (" +
                             StatusText(s, jerr) + "); retry later with the same source_ref");
      }
      ingest::AppendOutcome o;
      o.id = r.id;
      o.sequence = ack->Sequence;
      o.duplicate = ack->Duplicate;
      jsPubAck_Destroy(ack);
      if (o.duplicate) {
        auto first = IdAt(o.sequence);
        if (!first) {
          publish_failures_.Inc();
          return tl::unexpected(first.error());
        }
        o.id = std::move(*first);
      }
      out.push_back(std::move(o));
    }
    return out;
  }

  void PublishLoop() {
    while (true) {
      Pending p;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty() || !running_.load(); });
        if (!running_.load()) return;
        p = std::move(queue_.front());
        queue_.pop_front();
      }
      auto result = PublishAll(p.reports);
      {
        std::lock_guard lock(mu_);
        waiting_reports_ -= std::min(waiting_reports_, p.reports.size());
      }
      p.done(std::move(result));
    }
  }

  void DropSubscription() {
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);
    sub_ = nullptr;
  }

  // (Re)creates this node's durable consumer at the position after `applied` and binds to it.
  Status Subscribe(std::uint64_t applied) {
    DropSubscription();
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteConsumer(js_, cfg_.stream.c_str(), cfg_.node_name.c_str(), nullptr, &jerr);
    if (s != NATS_OK && s != NATS_NOT_FOUND && jerr != JSConsumerNotFoundErr) {
      return MakeError(ErrorCode::kUnavailable, "delete consumer: " + StatusText(s, jerr));
    }
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = cfg_.node_name.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = kAckWaitNs;
    cc.MaxAckPending = 4 * kFetchBatch;
    cc.FilterSubject = kSubject;
    if (applied > 0) {
      cc.DeliverPolicy = js_DeliverByStartSequence;
      cc.OptStartSeq = applied + 1;
    } else {
      cc.DeliverPolicy = js_DeliverAll;
    }
    jsConsumerInfo* ci = nullptr;
    s = js_AddConsumer(&ci, js_, cfg_.stream.c_str(), &cc, nullptr, &jerr);
    if (s != NATS_OK) {
      return MakeError(ErrorCode::kUnavailable, "add consumer: " + StatusText(s, jerr));
    }
    jsConsumerInfo_Destroy(ci);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = cfg_.stream.c_str();
    so.Consumer = cfg_.node_name.c_str();
    s = js_PullSubscribe(&sub_, js_, kSubject, cfg_.node_name.c_str(), nullptr, &so, &jerr);
    if (s != NATS_OK) {
      sub_ = nullptr;
      return MakeError(ErrorCode::kUnavailable, "pull subscribe: " + StatusText(s, jerr));
    }
    spdlog::info("cluster: node {} applies the log from entry {}", cfg_.node_name, applied + 1);
    return {};
  }

  // Applies `entries` until the applier took them or the node stops; true when applied.
  bool ApplyUntilDone(std::vector<ingest::LogEntry> entries) {
    int attempt = 0;
    while (running_.load()) {
      std::promise<Status> promise;
      auto future = promise.get_future();
      auto copy = entries;
      applier_->Apply(std::move(copy), [&promise](Status s) { promise.set_value(std::move(s)); });
      Status s = future.get();
      if (s) return true;
      if (s.error().code == ErrorCode::kUnavailable) return false;  // the pipeline stops
      if (s.error().code != ErrorCode::kResourceExhausted || ++attempt % 50 == 1) {
        spdlog::warn("cluster: applying log entries {}..{} failed, retrying: {}",
                     entries.front().sequence, entries.back().sequence, s.error().ToString());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // True when the stream's last entry is beyond what this node applied.
  bool StreamAhead() {
    auto applied = applier_->AppliedThrough();
    if (!applied) return false;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&si, js_, cfg_.stream.c_str(), nullptr, &jerr) != NATS_OK) return false;
    const bool ahead = si->State.LastSeq > *applied;
    jsStreamInfo_Destroy(si);
    return ahead;
  }

  void ConsumeLoop() {
    int errors = 0;
    int idle = 0;  // fetches in a row that brought nothing
    while (running_.load()) {
      if (sub_ == nullptr) {
        auto applied = applier_->AppliedThrough();
        Status st = applied ? Subscribe(*applied) : Status(tl::unexpected(applied.error()));
        if (!st) {
          if (errors++ % 20 == 0) {
            spdlog::warn("cluster: cannot consume the log yet: {}", st.error().ToString());
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
          continue;
        }
        errors = 0;
      }
      natsMsgList list{nullptr, 0};
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = natsSubscription_Fetch(&list, sub_, kFetchBatch, kFetchWaitMs, &jerr);
      if (s == NATS_TIMEOUT) {
        natsMsgList_Destroy(&list);
        // Nothing came for a while: if the stream holds entries this node has not applied, the
        // consumer lost track of this node's requests (its servers restarted, its leader moved):
        // subscribe again from the applied position, which the store knows.
        if (++idle >= 10) {
          idle = 0;
          if (StreamAhead()) {
            spdlog::warn("cluster: the stream is ahead of this node and nothing is delivered; "
                         "subscribing again");
            DropSubscription();
          }
        }
        continue;
      }
      idle = 0;
      if (s != NATS_OK) {
        natsMsgList_Destroy(&list);
        fetch_errors_.Inc();
        // Not found: the consumer is gone (e.g. its servers lost it); after repeated errors it
        // is created again at the applied position, which the store knows.
        if (s == NATS_NOT_FOUND || ++errors >= 20) {
          spdlog::warn("cluster: fetching the log failed ({}); subscribing again",
                       StatusText(s, jerr));
          DropSubscription();
          errors = 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      errors = 0;
      std::vector<ingest::LogEntry> entries;
      entries.reserve(static_cast<std::size_t>(list.Count));
      bool bad = false;
      for (int i = 0; i < list.Count; ++i) {
        natsMsg* m = list.Msgs[i];
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, m) != NATS_OK) {
          bad = true;
          break;
        }
        const std::uint64_t seq = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
        auto report = DecodeLogReport(std::string_view(
            natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))));
        if (!report) {
          // Never skipped silently: this node stops applying and says why.
          spdlog::error("cluster: log entry {} cannot be read: {}; this node stops applying the "
                        "log until it is upgraded or the entry removed",
                        seq, report.error().ToString());
          bad = true;
          break;
        }
        entries.push_back(ingest::LogEntry{seq, std::move(*report)});
      }
      if (bad) {
        natsMsgList_Destroy(&list);
        DropSubscription();
        std::this_thread::sleep_for(std::chrono::seconds(5));
        continue;
      }
      // Entries are applied in stream order without a gap. A delivery lost in a reconnect
      // comes back only after the ack wait, behind newer entries, and the replica skips what is
      // at or below its position: applying past the gap would lose that entry on this node. So
      // only the run that continues the applied position is applied; at a gap the consumer is
      // created again from that position (sequences are contiguous: the stream deletes none).
      auto applied = applier_->AppliedThrough();
      if (!applied) {
        natsMsgList_Destroy(&list);
        spdlog::warn("cluster: reading the applied log position failed: {}",
                     applied.error().ToString());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      std::sort(entries.begin(), entries.end(),
                [](const ingest::LogEntry& a, const ingest::LogEntry& b) {
                  return a.sequence < b.sequence;
                });
      std::vector<ingest::LogEntry> run;
      run.reserve(entries.size());
      std::uint64_t next = *applied + 1;
      bool gap = false;
      for (auto& e : entries) {
        if (e.sequence < next) continue;  // applied already (a redelivery)
        if (e.sequence != next) {
          gap = true;
          break;
        }
        run.push_back(std::move(e));
        ++next;
      }
      if (!run.empty() && !ApplyUntilDone(std::move(run))) {
        natsMsgList_Destroy(&list);  // not acknowledged: delivered again after a restart
        continue;
      }
      if (gap) {
        gaps_.Inc();
        spdlog::warn("cluster: log entry {} was not delivered before later ones; consuming again "
                     "from there", next);
        natsMsgList_Destroy(&list);
        DropSubscription();
        continue;
      }
      for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
      natsMsgList_Destroy(&list);
    }
    DropSubscription();
  }

  const config::ClusterConfig cfg_;
  const DeliveryOptions delivery_;
  MetricsRegistry& metrics_;
  std::unique_ptr<NotifyQueue> notify_;  // the notification queue (after Connect)
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* sub_ = nullptr;  // the consumer thread's
  ingest::LogApplier* applier_ = nullptr;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::size_t waiting_reports_ = 0;
  std::thread publisher_;
  std::thread consumer_;
  Gauge& connected_;
  Counter& disconnects_;
  Counter& reconnects_;
  Counter& publish_failures_;
  Counter& fetch_errors_;
  Counter& gaps_;
  Histogram& publish_latency_;
};

JetStreamNode::JetStreamNode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JetStreamNode::~JetStreamNode() = default;

Result<std::unique_ptr<JetStreamNode>> JetStreamNode::Connect(const config::ClusterConfig& cfg,
                                                              MetricsRegistry& metrics,
                                                              const DeliveryOptions& delivery) {
  auto impl = std::make_unique<Impl>(cfg, metrics, delivery);
  if (auto s = impl->Connect(); !s) return tl::unexpected(s.error());
  return std::unique_ptr<JetStreamNode>(new JetStreamNode(std::move(impl)));
}

Status JetStreamNode::Start(ingest::LogApplier& applier) { return impl_->Start(applier); }
void JetStreamNode::Stop() { impl_->Stop(); }
alerts::NotificationQueue& JetStreamNode::Notifications() { return impl_->Notifications(); }
Status JetStreamNode::StartDelivery(alerts::NotificationTaker& taker) {
  return impl_->StartDelivery(taker);
}
void JetStreamNode::Append(std::vector<Report> reports, ingest::AppendCallback done) {
  impl_->Append(std::move(reports), std::move(done));
}
bool JetStreamNode::Connected() const { return impl_->Connected(); }
ClusterView JetStreamNode::View(std::uint64_t applied) const { return impl_->View(applied); }

}  // namespace sakchy::cluster
