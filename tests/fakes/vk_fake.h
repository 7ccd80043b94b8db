#pragma once
// A fake VK API (https://api.vk.com/method) on loopback, in VK's wire format:
// - GET /method/wall.get?owner_id=-N|domain=NAME&count=C&offset=O&v=V&access_token=T:
//   {"response":{"count":N,"items":[{"id","owner_id","from_id","date","text","is_pinned"?}]}},
//   newest first (a pinned post first), paged by offset/count.
// - GET /method/wall.getComments?owner_id&post_id&count&sort&v&access_token:
//   {"response":{"count","items":[{"id","from_id","post_id","owner_id","date","text"}]}}
// - Errors as VK sends them (HTTP 200): {"error":{"error_code":N,"error_msg":"..."}}: a wrong
//   token is error 5, a missing or different `v` error 8, scripted ones with FailNext.
// Records the time of every request (for the rate limit).
// Thread safety: every method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/scripted_http_server.h"

namespace sakchy::testing {

class VkFake {
 public:
  VkFake(std::string token, std::string version, std::int64_t owner_id);

  std::string api_url() const { return server_.url("/method"); }

  // Adds a post (ids ascending as added; newest = last added). Returns its id.
  std::int64_t AddPost(const std::string& text, std::int64_t date, std::int64_t from_id = 0,
                       bool pinned = false);
  void AddComment(std::int64_t post_id, const std::string& text, std::int64_t from_id,
                  std::int64_t date);
  // The next `n` calls answer VK error `code` (e.g. 6 too many requests, 5 auth failed).
  void FailNext(int n, int code);

  std::vector<RecordedRequest> requests() const { return server_.requests(); }
  std::vector<std::chrono::steady_clock::time_point> request_times() const;

 private:
  struct Post {
    std::int64_t id;
    std::string text;
    std::int64_t date;
    std::int64_t from_id;
    bool pinned;
  };
  struct Comment {
    std::int64_t id;
    std::int64_t post_id;
    std::string text;
    std::int64_t from_id;
    std::int64_t date;
  };
  ScriptedResponse Handle(const RecordedRequest& req);

  std::string token_;
  std::string version_;
  std::int64_t owner_id_;
  mutable std::mutex mu_;
  std::vector<Post> posts_;
  std::vector<Comment> comments_;
  std::deque<int> failures_;
  std::vector<std::chrono::steady_clock::time_point> times_;
  ScriptedHttpServer server_;  // last
};

}  // namespace sakchy::testing
