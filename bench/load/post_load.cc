// Open-loop load generator for POST /v1/reports (the load scripts' client).
//
//   post_load --url http://127.0.0.1:8080 --token TOKEN --texts FILE
//             [--connections 64] [--rate 15000] [--duration 30] [--report-every 10]
//             [--ignore-retry-after]
//
// --rate R > 0: requests are scheduled at t0 + i/R whatever the server does, and each latency
// is measured from its scheduled time (a request that waits for a free connection counts that
// wait), so a slow server cannot hide behind a slower client ("coordinated omission").
// --rate 0: closed loop, every connection sends its next request when the answer arrives
// (maximum throughput). Each connection keeps one request in flight (HTTP/1.1 keep-alive).
// In the closed loop a connection that gets 503 or 429 with Retry-After waits that long before
// its next request, as a well-behaved client does; --ignore-retry-after sends it at once (the
// server then spends its time refusing). The open loop never waits: its schedule is the load.
// --texts: one JSON string per line (make_ndjson.py --texts); each request posts
// {"text": <line>, "source_ref": "<run>-<n>"}, so every report is new.
// Prints a line per --report-every seconds and a summary: requests/s, p50/p90/p99/p99.9/max
// in ms, non-2xx answers, errors. One thread: the generator stays light next to the server.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/thread.h"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string token;
  std::string texts_file;
  int connections = 64;
  double rate = 0;
  double duration_s = 30;
  double report_every_s = 10;
  bool ignore_retry_after = false;
};

// Latencies in microseconds, kept whole (a run is at most a few million requests).
struct Stats {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t non_2xx = 0;
  std::uint64_t errors = 0;
  std::uint64_t backoffs = 0;  // waits for Retry-After (closed loop)

  void Print(const char* label, double seconds) {
    std::vector<std::uint32_t> v = latencies_us;
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) {
      if (v.empty()) return 0.0;
      std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * v.size()));
      return v[i] / 1000.0;
    };
    std::printf(
        "%s: %zu requests in %.1f s = %.0f req/s; latency ms p50 %.2f p90 %.2f p99 %.2f "
        "p99.9 %.2f max %.2f; non-2xx %llu; errors %llu; 2xx %.0f/s; retry-after waits %llu\n",
        label, v.size(), seconds, seconds > 0 ? v.size() / seconds : 0.0, pct(50), pct(90),
        pct(99), pct(99.9), v.empty() ? 0.0 : v.back() / 1000.0,
        static_cast<unsigned long long>(non_2xx), static_cast<unsigned long long>(errors),
        seconds > 0 ? (v.size() - non_2xx) / seconds : 0.0,
        static_cast<unsigned long long>(backoffs));
    std::fflush(stdout);
  }
};

class Generator;

// One keep-alive connection with at most one request in flight.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& io, Generator& gen) : socket_(io), gen_(gen), pause_(io) {}
  void Start(const tcp::resolver::results_type& endpoints);
  void Send(Clock::time_point scheduled, std::string request);
  bool idle() const { return idle_; }

 private:
  void ReadHeader();
  void Done(bool ok, unsigned status, int retry_after_s);

  tcp::socket socket_;
  Generator& gen_;
  net::steady_timer pause_;
  net::streambuf in_;
  std::string out_;
  Clock::time_point scheduled_;
  bool idle_ = false;
};

class Generator {
 public:
  Generator(net::io_context& io, Options o, std::vector<std::string> texts)
      : io_(io), o_(std::move(o)), texts_(std::move(texts)), timer_(io), report_(io) {
    run_ = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  }

  void Start() {
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(o_.host, o_.port);
    for (int i = 0; i < o_.connections; ++i) {
      auto c = std::make_shared<Connection>(io_, *this);
      conns_.push_back(c);
      c->Start(endpoints);
    }
    start_ = Clock::now();
    window_start_ = start_;
    end_ = start_ + std::chrono::microseconds(static_cast<long>(o_.duration_s * 1e6));
    ScheduleReport();
    if (o_.rate > 0) {
      Tick();
    }
  }

  // A connection is ready for its next request.
  void Ready(const std::shared_ptr<Connection>& c) {
    if (Clock::now() >= end_) {
      Finish();
      return;
    }
    if (o_.rate > 0) {
      if (!backlog_.empty()) {
        auto t = backlog_.front();
        backlog_.pop_front();
        c->Send(t, NextRequest());
      } else {
        free_.push_back(c);
      }
    } else {
      c->Send(Clock::now(), NextRequest());
    }
  }

  void Record(Clock::time_point scheduled, bool ok, unsigned status) {
    if (!ok) {
      ++total_.errors;
      ++window_.errors;
      return;
    }
    const auto us = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - scheduled).count());
    total_.latencies_us.push_back(us);
    window_.latencies_us.push_back(us);
    if (status < 200 || status > 299) {
      ++total_.non_2xx;
      ++window_.non_2xx;
    }
  }

  const std::string& host() const { return o_.host; }
  // How long a connection waits after an answer that asks for `retry_after_s` (0: no wait).
  std::chrono::seconds Backoff(int retry_after_s) {
    if (retry_after_s <= 0 || o_.rate > 0 || o_.ignore_retry_after) return {};
    ++total_.backoffs;
    ++window_.backoffs;
    return std::chrono::seconds(retry_after_s);
  }

 private:
  std::string NextRequest() {
    const std::string& text = texts_[n_ % texts_.size()];
    std::string body = "{\"text\":" + text + ",\"source_ref\":\"load-" + run_ + "-" +
                       std::to_string(n_) + "\"}";
    ++n_;
    std::string req = "POST /v1/reports HTTP/1.1\r\nHost: " + o_.host +
                      "\r\nAuthorization: Bearer " + o_.token +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n";
    req += body;
    return req;
  }

  // Open loop: every 1 ms, the requests due since the last tick go to free connections or wait.
  void Tick() {
    const auto now = Clock::now();
    if (now >= end_) {
      Finish();  // requests still in flight are left out
      return;
    }
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const auto due = static_cast<std::uint64_t>(elapsed * o_.rate);
    for (; scheduled_ < due; ++scheduled_) {
      const auto at =
          start_ + std::chrono::microseconds(static_cast<long>(scheduled_ * 1e6 / o_.rate));
      if (!free_.empty()) {
        auto c = free_.back();
        free_.pop_back();
        c->Send(at, NextRequest());
      } else {
        backlog_.push_back(at);
      }
    }
    // Every 200 us: a request waits at most that long past its scheduled time to leave the
    // client, and that wait counts in its latency.
    timer_.expires_after(std::chrono::microseconds(200));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  void ScheduleReport() {
    report_.expires_after(std::chrono::microseconds(static_cast<long>(o_.report_every_s * 1e6)));
    report_.async_wait([this](boost::system::error_code ec) {
      if (ec || finished_) return;
      const auto now = Clock::now();
      window_.Print("window", std::chrono::duration<double>(now - window_start_).count());
      window_ = Stats{};
      window_start_ = now;
      ScheduleReport();
    });
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    report_.cancel();
    total_.Print("total", std::chrono::duration<double>(Clock::now() - start_).count());
    if (o_.rate > 0 && !backlog_.empty()) {
      std::printf("note: %zu scheduled requests never left the client (all connections busy)\n",
                  backlog_.size());
    }
    io_.stop();
  }

  net::io_context& io_;
  Options o_;
  std::vector<std::string> texts_;
  std::string run_;
  std::uint64_t n_ = 0;
  std::uint64_t scheduled_ = 0;
  std::vector<std::shared_ptr<Connection>> conns_;
  std::vector<std::shared_ptr<Connection>> free_;
  std::deque<Clock::time_point> backlog_;
  net::steady_timer timer_;
  net::steady_timer report_;
  Clock::time_point start_, end_, window_start_;
  Stats total_, window_;
  bool finished_ = false;
};

void Connection::Start(const tcp::resolver::results_type& endpoints) {
  auto self = shared_from_this();
  net::async_connect(socket_, endpoints, [self](boost::system::error_code ec, const tcp::endpoint&) {
    if (ec) {
      std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
      std::exit(1);
    }
    self->socket_.set_option(tcp::no_delay(true));
    self->gen_.Ready(self);
  });
}

void Connection::Send(Clock::time_point scheduled, std::string request) {
  scheduled_ = scheduled;
  out_ = std::move(request);
  auto self = shared_from_this();
  net::async_write(socket_, net::buffer(out_), [self](boost::system::error_code ec, std::size_t) {
    if (ec) return self->Done(false, 0, 0);
    self->ReadHeader();
  });
}

void Connection::ReadHeader() {
  auto self = shared_from_this();
  net::async_read_until(socket_, in_, "\r\n\r\n", [self](boost::system::error_code ec,
                                                         std::size_t header_bytes) {
    if (ec) return self->Done(false, 0, 0);
    std::string head(net::buffers_begin(self->in_.data()),
                     net::buffers_begin(self->in_.data()) + static_cast<long>(header_bytes));
    self->in_.consume(header_bytes);
    const unsigned status = head.size() > 12 ? static_cast<unsigned>(std::atoi(head.c_str() + 9)) : 0;
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    auto header = [&head](const char* name) -> long {  // name: lower case, "\r\nname: "
      auto p = head.find(name);
      return p == std::string::npos ? -1 : std::atol(head.c_str() + p + std::strlen(name));
    };
    const std::size_t length = static_cast<std::size_t>(std::max(0L, header("\r\ncontent-length: ")));
    const int retry_after =
        status == 503 || status == 429 ? static_cast<int>(header("\r\nretry-after: ")) : 0;
    auto finish = [self, length, status, retry_after]() {
      self->in_.consume(length);
      self->Done(true, status, retry_after);
    };
    if (self->in_.size() >= length) return finish();
    net::async_read(self->socket_, self->in_, net::transfer_exactly(length - self->in_.size()),
                    [self, finish](boost::system::error_code rec, std::size_t) {
                      if (rec) return self->Done(false, 0, 0);
                      finish();
                    });
  });
}

void Connection::Done(bool ok, unsigned status, int retry_after_s) {
  gen_.Record(scheduled_, ok, status);
  if (!ok) {
    std::fprintf(stderr, "connection failed; stopping\n");
    std::exit(1);
  }
  const auto wait = gen_.Backoff(retry_after_s);
  if (wait.count() == 0) return gen_.Ready(shared_from_this());
  pause_.expires_after(wait);
  pause_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->gen_.Ready(self);
  });
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--ignore-retry-after") {
      o.ignore_retry_after = true;
      --i;  // a flag: no value
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "option %s needs a value\n", k.c_str());
      return 2;
    }
    const std::string v = argv[i + 1];
    if (k == "--url") {
      std::string rest = v.substr(v.find("://") + 3);
      o.host = rest.substr(0, rest.find(':'));
      o.port = rest.substr(rest.find(':') + 1);
      o.port = o.port.substr(0, o.port.find('/'));
    } else if (k == "--token") {
      o.token = v;
    } else if (k == "--texts") {
      o.texts_file = v;
    } else if (k == "--connections") {
      o.connections = std::atoi(v.c_str());
    } else if (k == "--rate") {
      o.rate = std::atof(v.c_str());
    } else if (k == "--duration") {
      o.duration_s = std::atof(v.c_str());
    } else if (k == "--report-every") {
      o.report_every_s = std::atof(v.c_str());
    } else {
      std::fprintf(stderr, "unknown option %s (see the comment at the top of post_load.cc)\n",
                   k.c_str());
      return 2;
    }
  }
  std::vector<std::string> texts;
  std::ifstream in(o.texts_file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) texts.push_back(line);
  }
  if (texts.empty() || o.token.empty() || o.connections < 1) {
    std::fprintf(stderr, "need --token, --texts with JSON strings, --connections >= 1\n");
    return 2;
  }
  // The generator shares the machine's cores with the server. Like the server's HTTP thread it
  // asks for a short time slice, so that its own wait for a core is not counted as the server's
  // latency (on a real deployment clients run elsewhere).
  (void)sakchy::MarkThreadLatencySensitive();
  net::io_context io(1);
  Generator gen(io, o, std::move(texts));
  gen.Start();
  io.run();
  return 0;
}
