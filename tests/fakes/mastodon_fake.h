#pragma once
// A fake Mastodon-compatible server on loopback: GET /api/v1/timelines/public?limit=N&since_id=X
// returns the statuses newer than since_id, newest first, as Mastodon does.
// Thread safety: every method may be called from any thread.

#include <mutex>
#include <string>
#include <vector>

#include "fakes/scripted_http_server.h"

namespace sakchy::testing {

class MastodonFake {
 public:
  MastodonFake();

  std::string base_url() const { return server_.url(); }
  // Adds a status with a numeric id (ascending by insertion); `content_html` is HTML.
  void AddStatus(const std::string& id, const std::string& content_html,
                 const std::string& account_id, const std::string& created_at,
                 const std::string& spoiler_text = "");

  // The since_id parameter of every timeline request ("" when absent).
  std::vector<std::string> since_ids() const;
  std::vector<RecordedRequest> requests() const { return server_.requests(); }

 private:
  ScriptedResponse Handle(const RecordedRequest& req);

  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> statuses_;  // id, JSON; ascending
  ScriptedHttpServer server_;
};

}  // namespace sakchy::testing
