#pragma once
// A fake HTTP receiver for tests: a real HTTP/1.1 server (Beast) on 127.0.0.1 with its own thread.
// It records every request and answers with a configurable status, optionally after a delay.
//
// Thread safety: every method may be called from any thread while the server runs.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sakchy::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class HttpSink {
 public:
  // Listens on 127.0.0.1:`port`; 0 picks a free port. A fixed port lets a test bring a receiver
  // "back" on the port an earlier sink used.
  explicit HttpSink(std::uint16_t port = 0);
  // Closes the listener and every connection; joins the thread.
  ~HttpSink();
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port><path>"
  std::string url(const std::string& path = "/hook") const;

  // Status (default 200) and extra response headers for the following requests.
  void SetStatus(int status, std::map<std::string, std::string> extra_headers = {});
  // Waits this long before responding (a slow receiver). The request is recorded on arrival.
  void SetDelay(std::chrono::milliseconds d);

  std::vector<RecordedRequest> requests() const;
  std::size_t count() const;
  // The most requests that were ever waiting for their response at the same time.
  std::size_t max_concurrent() const;
  void Clear();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sakchy::testing
