#include "service/http.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <type_traits>

#include "http_limits.h"
#include "http_parser.h"
#include "http_tls.h"

namespace sakchy::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using TlsStream = net::ssl::stream<tcp::socket>;
using SteadyClock = std::chrono::steady_clock;

namespace internal {

// What the server and its sessions share. Sessions hold it by shared_ptr, so it outlives every
// coroutine frame (the io_context may destroy frames after the server is gone).
struct ServerState {
  ServerState(HttpServerOptions o, RequestHandler& h)
      : options(std::move(o)),
        handler(h),
        own_metrics(options.metrics ? nullptr : std::make_unique<MetricsRegistry>()),
        probe(options.metrics ? *options.metrics : *own_metrics),
        budget(options.max_body_bytes_in_flight, probe.body_bytes_in_flight) {}

  HttpServerOptions options;
  RequestHandler& handler;
  std::unique_ptr<MetricsRegistry> own_metrics;
  HttpProbe probe;
  std::unique_ptr<ConnectionTable> table;  // made by Start() (which may lower the cap)
  BodyBudget budget;
  std::unique_ptr<TlsContexts> tls;  // null: plain HTTP
  LogLimiter accept_log{std::chrono::seconds(10)};
  std::atomic<bool> stopping{false};

  ConnectionTable& connections() { return *table; }
};

}  // namespace internal

namespace {

using internal::HttpProbe;
using internal::ParseRefusal;
using internal::RequestParser;
using internal::ServerState;
using internal::TimeoutPhase;

tcp::socket& Socket(tcp::socket& s) { return s; }
tcp::socket& Socket(TlsStream& s) { return s.next_layer(); }

// One connection: its stream and the watchdog that enforces its deadline, on one strand.
// The id of a request, in the X-Request-Id answer and in log records about it: the client's own
// X-Request-Id when it is 1..64 characters of [A-Za-z0-9._-], else 16 random hex digits.
std::string RequestId(std::string_view given) {
  if (!given.empty() && given.size() <= 64 &&
      given.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
          std::string_view::npos) {
    return std::string(given);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

template <class Stream>
struct Connection final : internal::TrackedConnection,
                          std::enable_shared_from_this<Connection<Stream>> {
  Connection(Stream s, std::string ip, std::shared_ptr<ServerState> st,
             std::shared_ptr<void> keep_alive_with_stream = nullptr)
      : TrackedConnection(std::move(ip)),
        state(std::move(st)),
        keep(std::move(keep_alive_with_stream)),
        stream(std::move(s)),
        watchdog(Socket(stream).get_executor()) {
    SetIdle(true, SteadyClock::now());  // new: idle until its first byte, the youngest
    state->probe.connections.Add(1);
  }
  ~Connection() override {
    state->connections().Remove(this);  // first: the table reads only the base's fields
    state->probe.connections.Add(-1);
  }

  void Evict() override {
    auto weak = this->weak_from_this();
    net::post(Socket(stream).get_executor(), [weak] {
      if (auto c = weak.lock()) c->Close();
    });
  }
  void Close() {
    done = true;
    beast::error_code ignored;
    Socket(stream).shutdown(tcp::socket::shutdown_both, ignored);
    Socket(stream).close(ignored);
  }

  std::shared_ptr<ServerState> state;
  std::shared_ptr<void> keep;  // what `stream` uses and must outlive it (the TLS context)
  Stream stream;
  net::steady_timer watchdog;
  // The connection is closed once past this (max: no deadline, e.g. while a handler works).
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  SteadyClock::time_point armed = SteadyClock::time_point::max();  // when the watchdog wakes
  TimeoutPhase phase = TimeoutPhase::kHeader;
  bool done = false;
};

// The watchdog sleeps until `armed`. A later deadline is checked lazily (it wakes at the old one
// and sleeps on), so moving the deadline forward per request costs no timer operation; an
// earlier one re-arms it at once.
template <class Stream>
void WatchUntil(const std::shared_ptr<Connection<Stream>>& c, SteadyClock::time_point when) {
  c->armed = when;
  c->watchdog.expires_at(when);  // cancels a pending wait: it completes with operation_aborted
  c->watchdog.async_wait([c](beast::error_code ec) {
    if (ec || c->done) return;  // re-armed (a new wait is pending), or finished
    const auto now = SteadyClock::now();
    if (now >= c->deadline) {
      c->state->probe.Timeout(c->phase).Inc();
      c->Close();
      return;
    }
    if (c->deadline == SteadyClock::time_point::max()) {
      c->armed = SteadyClock::time_point::max();  // the next SetDeadline arms it
      return;
    }
    WatchUntil(c, c->deadline);
  });
}

template <class Stream>
void SetDeadline(const std::shared_ptr<Connection<Stream>>& c, SteadyClock::time_point when,
                 TimeoutPhase phase) {
  c->deadline = when;
  c->phase = phase;
  if (when < c->armed) WatchUntil(c, when);
}

template <class Stream>
void ClearDeadline(const std::shared_ptr<Connection<Stream>>& c) {
  c->deadline = SteadyClock::time_point::max();
}

// Writes a response that ends the connection, then closes it after a lingering read: the client
// may still be sending the body it was refused, and reading (into a small sink, at most
// `linger_bytes`, for a short while) lets it read the answer instead of a reset.
template <class Stream>
net::awaitable<void> RefuseAndClose(std::shared_ptr<Connection<Stream>> c, HttpResponse r,
                                    std::size_t linger_bytes) {
  std::string head;
  internal::FormatHead(r, 11, false, head);
  std::array<net::const_buffer, 2> out{net::buffer(head), net::buffer(r.body)};
  beast::error_code ec;
  SetDeadline(c, SteadyClock::now() + std::chrono::seconds(c->state->options.idle_timeout_seconds),
              TimeoutPhase::kWrite);
  co_await net::async_write(c->stream, out, net::redirect_error(net::use_awaitable, ec));
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    Socket(c->stream).shutdown(tcp::socket::shutdown_send, ec);
  }
  SetDeadline(c, SteadyClock::now() + std::chrono::seconds(2), TimeoutPhase::kBody);
  std::size_t drained = 0;
  std::array<char, 16384> sink;
  while (!ec && drained < linger_bytes) {
    drained += co_await c->stream.async_read_some(net::buffer(sink),
                                                  net::redirect_error(net::use_awaitable, ec));
  }
}

// Writes a streamed response (see BodyStream): the head, then each piece as an HTTP/1.1 chunk
// (HTTP/1.0: as it is, and the end of the body is the end of the connection). The next piece is
// asked for only when the previous one was written (backpressure). Returns whether the
// connection may be reused.
template <class Stream>
net::awaitable<bool> WriteStreamed(std::shared_ptr<Connection<Stream>> c, HttpResponse r,
                                   unsigned version, bool keep_alive, bool head_only) {
  const auto idle = std::chrono::seconds(c->state->options.idle_timeout_seconds);
  const bool chunked = version >= 11;
  if (!chunked) keep_alive = false;
  std::string head;
  internal::FormatHead(r, version, keep_alive, head, /*streamed=*/true);
  beast::error_code ec;
  SetDeadline(c, SteadyClock::now() + idle, TimeoutPhase::kWrite);
  co_await net::async_write(c->stream, net::buffer(head),
                            net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return false;
  if (head_only) co_return keep_alive;
  char size_line[24];
  for (;;) {
    ClearDeadline(c);  // producing may take its time
    auto piece = co_await r.stream->Next();
    if (!piece) {
      // Never a clean end: the client sees a truncated body, not a complete short one.
      spdlog::error("http: streamed response aborted: {}", piece.error().ToString());
      co_return false;
    }
    if (piece->empty()) break;
    SetDeadline(c, SteadyClock::now() + idle, TimeoutPhase::kWrite);
    if (chunked) {
      const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece->size());
      std::array<net::const_buffer, 3> out{net::buffer(size_line, static_cast<std::size_t>(n)),
                                           net::buffer(*piece), net::buffer("\r\n", 2)};
      co_await net::async_write(c->stream, out, net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await net::async_write(c->stream, net::buffer(*piece),
                                net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) co_return false;  // the client went away; the producer is dropped with `r`
  }
  if (chunked) {
    SetDeadline(c, SteadyClock::now() + idle, TimeoutPhase::kWrite);
    co_await net::async_write(c->stream, net::buffer("0\r\n\r\n", 5),
                              net::redirect_error(net::use_awaitable, ec));
  }
  co_return !ec && keep_alive;
}

// The answer to a request the parser refused.
HttpResponse ParseProblem(ServerState& st, const RequestParser& parser, beast::error_code ec) {
  switch (parser.refusal()) {
    case ParseRefusal::kTransferEncoding:
      return st.handler.Reject(400, "Bad Request",
                               "Transfer-Encoding must be exactly 'chunked' (or absent)");
    case ParseRefusal::kDuplicateHeader:
      return st.handler.Reject(400, "Bad Request",
                               "the " + std::string(parser.refused_header()) +
                                   " header is given more than once");
    case ParseRefusal::kMissingHost:
      return st.handler.Reject(400, "Bad Request", "an HTTP/1.1 request needs a Host header");
    case ParseRefusal::kBodyBudget: {
      st.probe.body_budget_refused.Inc();
      auto r = st.handler.Reject(503, "Service Unavailable",
                                 "the server holds too many request bodies at once; retry later");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case ParseRefusal::kNone:
      break;
  }
  if (ec == http::error::body_limit) {
    return st.handler.Reject(413, "Payload Too Large",
                             "the request body exceeds the limit of " +
                                 std::to_string(parser.limit()) + " bytes");
  }
  if (ec == http::error::header_limit) {
    return st.handler.Reject(431, "Request Header Fields Too Large", "headers exceed 16 KiB");
  }
  return st.handler.Reject(400, "Bad Request", "malformed HTTP request: " + ec.message());
}

constexpr std::size_t kLingerAfterParseError = std::size_t{64} << 20;
constexpr std::size_t kLingerAfterRefusal = std::size_t{1} << 20;

// The admission of a request whose header is complete: the target, the handler's Admit (auth,
// roles), the body budget for a Content-Length body. A response means: send it and close.
std::optional<HttpResponse> AdmitHeader(ServerState& st, HttpRequest& req, RequestParser& parser) {
  if (!internal::SplitTarget(req.target, req)) {
    return st.handler.Reject(400, "Bad Request", "malformed percent-encoding in the request target");
  }
  if (auto refused = st.handler.Admit(req)) return refused;
  const auto length = parser.content_length();
  if (length && *length > 0 && !parser.TakeBudget(static_cast<std::size_t>(*length))) {
    st.probe.body_budget_refused.Inc();
    auto r = st.handler.Reject(503, "Service Unavailable",
                               "the server holds too many request bodies at once; retry later");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  return std::nullopt;
}

// Reads more of the current request into `buffer`. Plain sockets read what is there and wait
// only when nothing is; TLS reads through the stream.
template <class Stream>
net::awaitable<void> ReadMore(std::shared_ptr<Connection<Stream>> c, beast::flat_buffer* buffer,
                              beast::error_code* ec_out) {
  beast::error_code ec;
  auto space = buffer->prepare(std::max<std::size_t>(4096, buffer->capacity() - buffer->size()));
  std::size_t n = 0;
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    n = c->stream.read_some(space, ec);
    while (ec == net::error::would_block || ec == net::error::try_again) {
      co_await c->stream.async_wait(tcp::socket::wait_read,
                                    net::redirect_error(net::use_awaitable, ec));
      if (!ec) n = c->stream.read_some(space, ec);
    }
  } else {
    n = co_await c->stream.async_read_some(space, net::redirect_error(net::use_awaitable, ec));
  }
  if (!ec) buffer->commit(n);
  *ec_out = ec;
}

// Waits, idle, until the next request starts. Plain sockets wait for readiness only (an async
// read would first try a recv that fails: a wasted system call per request); TLS reads the
// first bytes into `buffer`.
template <class Stream>
net::awaitable<void> AwaitRequest(std::shared_ptr<Connection<Stream>> c, beast::flat_buffer* buffer,
                                  beast::error_code* ec_out) {
  beast::error_code ec;
  c->SetIdle(true, SteadyClock::now());
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    co_await c->stream.async_wait(tcp::socket::wait_read,
                                  net::redirect_error(net::use_awaitable, ec));
  } else {
    auto space = buffer->prepare(4096);
    const std::size_t n =
        co_await c->stream.async_read_some(space, net::redirect_error(net::use_awaitable, ec));
    if (!ec) buffer->commit(n);
  }
  c->SetIdle(false, {});
  *ec_out = ec;
}

// One request: read, admitted on its header, handled, answered. Returns whether the connection
// may carry another one.
template <class Stream>
net::awaitable<bool> ServeOne(std::shared_ptr<Connection<Stream>> c, beast::flat_buffer* buffer,
                              std::string remote, bool first) {
  ServerState& st = *c->state;
  const auto& o = st.options;
  HttpRequest req;
  RequestParser parser(req, o, st.budget);
  parser.eager(false);  // stop after the header: admission, then Expect: 100-continue
  beast::error_code ec;
  if (buffer->size() == 0) {
    if (!first) {
      SetDeadline(c, SteadyClock::now() + std::chrono::seconds(o.idle_timeout_seconds),
                  TimeoutPhase::kIdle);
    }
    co_await AwaitRequest(c, buffer, &ec);
    if (ec) co_return false;
  }
  bool header_seen = false;
  bool timed = false;  // the header (then the body) deadline is set
  for (;;) {
    if (buffer->size() > 0) {
      const std::size_t used = parser.put(buffer->data(), ec);
      buffer->consume(used);
      if (ec == http::error::need_more) {
        ec = {};
      } else if (ec) {
        break;
      }
      if (parser.is_header_done() && !header_seen) {
        header_seen = true;
        req.remote = remote;
        if (auto refused = AdmitHeader(st, req, parser)) {
          co_await RefuseAndClose(c, std::move(*refused), kLingerAfterRefusal);
          co_return false;
        }
        if (parser.is_done()) break;  // no body
        parser.eager(true);
        if (parser.expects_continue()) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await net::async_write(c->stream, net::buffer(kContinue.data(), kContinue.size()),
                                    net::redirect_error(net::use_awaitable, ec));
          if (ec) co_return false;
        }
        timed = false;
        continue;  // parse what is buffered of the body
      }
      if (parser.is_done()) break;
      if (used > 0) continue;
    }
    // More bytes are needed: from here the request has a deadline (the header's, then the
    // body's). A request that arrives whole never sets one.
    if (!timed && parser.got_some()) {
      timed = true;
      if (header_seen) {
        SetDeadline(c, SteadyClock::now() + std::chrono::seconds(o.body_timeout_seconds),
                    TimeoutPhase::kBody);
      } else if (!first) {
        SetDeadline(c, SteadyClock::now() + std::chrono::seconds(o.header_timeout_seconds),
                    TimeoutPhase::kHeader);
      }  // the first request's header deadline runs from the accept
    }
    co_await ReadMore(c, buffer, &ec);
    if (ec) co_return false;  // the peer is gone, or a deadline closed the socket
  }
  if (ec) {
    co_await RefuseAndClose(c, ParseProblem(st, parser, ec), kLingerAfterParseError);
    co_return false;
  }
  const unsigned version = parser.version();
  const bool keep_alive = parser.keep_alive() && !st.stopping;
  const bool head_only = req.method == "HEAD";
  ClearDeadline(c);  // the handler may take its time
  const std::string request_id = RequestId(req.Header("x-request-id"));
  const std::string method = req.method, path = req.path;
  HttpResponse r = co_await st.handler.Handle(std::move(req));
  r.headers.emplace_back("X-Request-Id", request_id);
  if (r.status >= 500) {
    spdlog::error("http: request {} {} {} answered {}", request_id, method, path, r.status);
  }
  if (r.stream) co_return co_await WriteStreamed(c, std::move(r), version, keep_alive, head_only);
  std::string head;
  internal::FormatHead(r, version, keep_alive, head);
  std::array<net::const_buffer, 2> out{net::buffer(head),
                                       head_only ? net::const_buffer() : net::buffer(r.body)};
  SetDeadline(c, SteadyClock::now() + std::chrono::seconds(o.idle_timeout_seconds),
              TimeoutPhase::kWrite);
  co_await net::async_write(c->stream, out, net::redirect_error(net::use_awaitable, ec));
  co_return !ec && keep_alive;
}

template <class Stream>
net::awaitable<void> Session(std::shared_ptr<Connection<Stream>> c) {
  const auto& o = c->state->options;
  {
    beast::error_code ec;
    // Plain: reads are tried first, then waited for (ReadMore).
    if constexpr (std::is_same_v<Stream, tcp::socket>) c->stream.non_blocking(true, ec);
  }
  std::string remote = c->ip();
  // A new connection's first request (and TLS handshake) must be complete within the header
  // deadline; meanwhile it counts as idle and is the first to go at the connection limit.
  SetDeadline(c, SteadyClock::now() + std::chrono::seconds(o.header_timeout_seconds),
              TimeoutPhase::kHeader);
  bool ok = true;
  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    beast::error_code ec;
    co_await Socket(c->stream).async_wait(tcp::socket::wait_read,
                                          net::redirect_error(net::use_awaitable, ec));
    c->SetIdle(false, {});
    if (!ec) {
      co_await c->stream.async_handshake(net::ssl::stream_base::server,
                                         net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) {
      c->state->probe.tls_handshake_failed.Inc();
      ok = false;
    }
  }
  beast::flat_buffer buffer;
  for (bool first = true; ok; first = false) {
    ok = co_await ServeOne(c, &buffer, remote, first);
  }
  c->done = true;
  c->watchdog.cancel();
  beast::error_code ec;
  Socket(c->stream).shutdown(tcp::socket::shutdown_send, ec);
  Socket(c->stream).close(ec);
}

// Refuses a connection at a limit: a best-effort 503 (plain HTTP only; it fits in the empty send
// buffer of a new socket, so it never blocks), then close.
void RefuseConnection(tcp::socket& socket, bool tls) {
  beast::error_code ec;
  if (!tls) {
    static constexpr std::string_view k503 =
        "HTTP/1.1 503 Service Unavailable\r\nServer: sakchy\r\nRetry-After: 1\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n";
    socket.non_blocking(true, ec);
    socket.write_some(net::buffer(k503.data(), k503.size()), ec);
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

bool IsDescriptorShortage(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory ||
         ec == beast::error_code(ENFILE, beast::system_category());
}

// Takes the accepted socket into a session, or refuses it at a connection limit.
void StartSession(std::shared_ptr<ServerState> st, tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  auto ep = socket.remote_endpoint(ec);
  std::string ip = ec ? std::string() : ep.address().to_string();
  auto& table = st->connections();
  auto admit = [&](auto conn) {
    const auto result = table.Admit(conn);
    if (result.evicted) st->probe.evicted.Inc();
    if (result.admission != internal::ConnectionTable::Admission::kAdmitted) {
      (result.admission == internal::ConnectionTable::Admission::kRefusedPerIp
           ? st->probe.refused_per_ip
           : st->probe.refused_total)
          .Inc();
      return false;
    }
    auto executor = Socket(conn->stream).get_executor();
    net::co_spawn(executor, Session(std::move(conn)), net::detached);
    return true;
  };
  if (st->tls) {
    auto context = st->tls->Current();
    auto conn = std::make_shared<Connection<TlsStream>>(TlsStream(std::move(socket), *context),
                                                        std::move(ip), st, context);
    if (!admit(conn)) RefuseConnection(Socket(conn->stream), true);
  } else {
    auto conn = std::make_shared<Connection<tcp::socket>>(std::move(socket), std::move(ip), st);
    if (!admit(conn)) RefuseConnection(conn->stream, false);
  }
}

net::awaitable<void> AcceptLoop(std::shared_ptr<ServerState> st, tcp::acceptor* acceptor,
                                net::io_context* io) {
  constexpr auto kFirstBackoff = std::chrono::milliseconds(10);
  constexpr auto kMaxBackoff = std::chrono::seconds(1);
  net::steady_timer pause(acceptor->get_executor());
  SteadyClock::duration backoff = kFirstBackoff;
  while (!st->stopping) {
    beast::error_code ec;
    // Each connection gets its own strand: its socket, watchdog and handler never run at once.
    tcp::socket socket(net::make_strand(*io));
    co_await acceptor->async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (!ec) {
      backoff = kFirstBackoff;
      StartSession(st, std::move(socket));
      continue;
    }
    if (ec == net::error::operation_aborted || st->stopping) break;
    // Out of descriptors (or another persistent failure) the pending connection stays queued
    // and accept fails again at once: close the oldest idle connection, else back off.
    const bool descriptors = IsDescriptorShortage(ec);
    (descriptors ? st->probe.accept_descriptors : st->probe.accept_other).Inc();
    const bool freed = descriptors && st->connections().EvictOldestIdle();
    if (freed) st->probe.evicted.Inc();
    if (auto held = st->accept_log.Allow(SteadyClock::now())) {
      spdlog::warn("http: accept failed: {}{}; {} ({} more failures since the last such line)",
                   ec.message(), descriptors ? " (descriptors)" : "",
                   freed ? "closed the oldest idle connection" : "backing off", *held);
    }
    pause.expires_after(freed ? SteadyClock::duration(std::chrono::milliseconds(1)) : backoff);
    co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (!freed) backoff = std::min<SteadyClock::duration>(backoff * 2, kMaxBackoff);
  }
}

}  // namespace

HttpServer::HttpServer(net::io_context& io, HttpServerOptions options, RequestHandler& handler)
    : io_(io),
      state_(std::make_shared<internal::ServerState>(std::move(options), handler)),
      acceptor_(io) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() {
  auto& o = state_->options;
  if (o.tls) {
    auto tls = internal::TlsContexts::Create(*o.tls);
    if (!tls) return tl::unexpected(tls.error());
    state_->tls = std::move(*tls);
  }
  // Connections may take at most half the descriptors: the store's files, logs and outgoing
  // connections need the rest.
  std::size_t max_connections = o.max_connections;
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    const std::size_t half = std::max<std::size_t>(1, static_cast<std::size_t>(rl.rlim_cur) / 2);
    if (max_connections > half) {
      spdlog::warn("http: server.max_connections lowered from {} to {}: half of the descriptor "
                   "limit {} (raise it with LimitNOFILE= or ulimit -n)",
                   max_connections, half, rl.rlim_cur);
      max_connections = half;
    }
  }
  state_->table =
      std::make_unique<internal::ConnectionTable>(max_connections, o.max_connections_per_ip);
  beast::error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid listen address '" + o.host + "': " + ec.message());
  }
  tcp::endpoint endpoint(address, o.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + o.host + ":" +
                                                  std::to_string(o.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  net::co_spawn(acceptor_.get_executor(), AcceptLoop(state_, &acceptor_, &io_), net::detached);
  return OkStatus();
}

void HttpServer::StopAccepting() {
  state_->stopping = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
}

Status HttpServer::ReloadTls() {
  if (!state_->tls) return OkStatus();
  return state_->tls->Reload();
}

std::string HttpServer::TlsDescription() const {
  return state_->tls ? state_->tls->Describe() : std::string();
}

std::size_t HttpServer::max_connections() const {
  return state_->table ? state_->table->max_total() : state_->options.max_connections;
}

}  // namespace sakchy::service
