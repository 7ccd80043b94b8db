#include "fakes/mastodon_fake.h"

#include "testutil/testutil.h"

#include <algorithm>
#include <cstdlib>

namespace sakchy::testing {
namespace {
bool Newer(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() > b.size() : a > b;
}
}  // namespace

MastodonFake::MastodonFake() : server_([this](const RecordedRequest& req) { return Handle(req); }) {}

void MastodonFake::AddStatus(const std::string& id, const std::string& content_html,
                             const std::string& account_id, const std::string& created_at,
                             const std::string& spoiler_text) {
  std::lock_guard lock(mu_);
  statuses_.emplace_back(
      id, "{\"id\":" + JsonQuote(id) + ",\"created_at\":" + JsonQuote(created_at) +
              ",\"in_reply_to_id\":null,\"sensitive\":false,\"spoiler_text\":" +
              JsonQuote(spoiler_text) + ",\"visibility\":\"public\",\"language\":\"ru\"," +
              "\"uri\":\"https://social.example/users/u/statuses/" + id + "\"," +
              "\"url\":\"https://social.example/@u/" + id + "\",\"content\":" +
              JsonQuote(content_html) + ",\"reblog\":null,\"account\":{\"id\":" +
              JsonQuote(account_id) + ",\"username\":\"u" + account_id + "\",\"acct\":\"u" +
              account_id + "\"},\"media_attachments\":[],\"tags\":[]}");
}

std::vector<std::string> MastodonFake::since_ids() const {
  std::vector<std::string> out;
  for (const auto& r : server_.requests()) out.push_back(QueryParam(r.target, "since_id"));
  return out;
}

ScriptedResponse MastodonFake::Handle(const RecordedRequest& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (path != "/api/v1/timelines/public") {
    return {404, {{"Content-Type", "application/json"}}, "{\"error\":\"Record not found\"}", {}};
  }
  const std::string since = QueryParam(req.target, "since_id");
  const std::string limit_text = QueryParam(req.target, "limit");
  const std::size_t limit = limit_text.empty() ? 20 : std::strtoul(limit_text.c_str(), nullptr, 10);
  std::lock_guard lock(mu_);
  std::string body = "[";
  std::size_t n = 0;
  for (auto it = statuses_.rbegin(); it != statuses_.rend() && n < limit; ++it) {
    if (!since.empty() && !Newer(it->first, since)) continue;
    body += (n++ == 0 ? "" : ",") + it->second;
  }
  body += "]";
  return {200, {{"Content-Type", "application/json; charset=utf-8"}}, body, {}};
}

}  // namespace sakchy::testing
