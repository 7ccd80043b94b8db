#pragma once
// A fake RSS/Atom publisher on loopback: GET <path> returns the current document with an ETag and
// answers 304 Not Modified when If-None-Match carries that ETag. Failures can be scripted.
// Thread safety: every method may be called from any thread.

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/scripted_http_server.h"

namespace sakchy::testing {

class FeedFake {
 public:
  explicit FeedFake(std::string path = "/feed.xml");

  std::string url() const { return server_.url(path_); }
  // Serves `xml` from now on with ETag `etag` (quoted as given, e.g. "\"v1\"").
  void SetDocument(std::string xml, std::string etag,
                   std::string content_type = "application/rss+xml; charset=utf-8");
  // The next requests get this response instead (in order).
  void FailNext(ScriptedResponse response);

  std::vector<RecordedRequest> requests() const { return server_.requests(); }
  std::size_t not_modified_count() const;

 private:
  ScriptedResponse Handle(const RecordedRequest& req);

  std::string path_;
  mutable std::mutex mu_;
  std::string xml_;
  std::string etag_;
  std::string content_type_;
  std::deque<ScriptedResponse> failures_;
  std::size_t not_modified_ = 0;
  ScriptedHttpServer server_;
};

}  // namespace sakchy::testing
