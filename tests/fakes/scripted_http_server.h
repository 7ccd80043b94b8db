#pragma once
// A fake HTTP/1.1 server for tests whose responses are computed per request by a handler
// (per-path canned answers, wire-format fakes of upstream APIs). Real Beast server on 127.0.0.1,
// own thread. Each request is recorded before the handler runs.
//
// Thread safety: every method may be called from any thread while the server runs. The handler
// runs on the server thread and must be thread-safe with respect to the test.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fakes/http_sink.h"

namespace sakchy::testing {

struct ScriptedResponse {
  int status = 200;
  std::map<std::string, std::string> headers;  // e.g. {"Content-Type", "application/json"}
  std::string body;
  std::chrono::milliseconds delay{0};  // wait before answering (a slow upstream)
  // Long polling without blocking other connections: when set, the answer is held (checked every
  // 5 ms) until hold_until() is true or `delay` has passed, and then after_hold() is sent instead
  // of this response.
  std::function<bool()> hold_until;
  std::function<ScriptedResponse()> after_hold;
};

class ScriptedHttpServer {
 public:
  using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

  explicit ScriptedHttpServer(Handler handler);
  ~ScriptedHttpServer();  // closes everything, joins the thread
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port><path>"
  std::string url(const std::string& path = "") const;
  std::vector<RecordedRequest> requests() const;
  std::size_t count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Value of query parameter `name` in a request target ("/x?a=1&b=2"), or "" when absent.
std::string QueryParam(const std::string& target, const std::string& name);

}  // namespace sakchy::testing
