#include "fakes/vk_fake.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>

namespace sakchy::testing {
namespace {

namespace json = boost::json;

ScriptedResponse Json(const json::value& v) {
  return {200, {{"Content-Type", "application/json; charset=utf-8"}}, json::serialize(v), {}};
}

ScriptedResponse VkError(int code, const std::string& message) {
  return Json(json::object{{"error", json::object{{"error_code", code},
                                                  {"error_msg", message},
                                                  {"request_params", json::array{}}}}});
}

std::string Message(int code) {
  switch (code) {
    case 5: return "User authorization failed: invalid access_token (4).";
    case 6: return "Too many requests per second";
    case 15: return "Access denied: wall is disabled";
    case 30: return "This profile is private";
    default: return "Unknown error occurred";
  }
}

}  // namespace

VkFake::VkFake(std::string token, std::string version, std::int64_t owner_id)
    : token_(std::move(token)),
      version_(std::move(version)),
      owner_id_(owner_id),
      server_([this](const RecordedRequest& req) { return Handle(req); }) {}

std::int64_t VkFake::AddPost(const std::string& text, std::int64_t date, std::int64_t from_id,
                             bool pinned) {
  std::lock_guard lock(mu_);
  const std::int64_t id = static_cast<std::int64_t>(posts_.size()) + 1;
  posts_.push_back({id, text, date, from_id == 0 ? owner_id_ : from_id, pinned});
  return id;
}

void VkFake::AddComment(std::int64_t post_id, const std::string& text, std::int64_t from_id,
                        std::int64_t date) {
  std::lock_guard lock(mu_);
  comments_.push_back({static_cast<std::int64_t>(comments_.size()) + 1000, post_id, text, from_id,
                       date});
}

void VkFake::FailNext(int n, int code) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < n; ++i) failures_.push_back(code);
}

std::vector<std::chrono::steady_clock::time_point> VkFake::request_times() const {
  std::lock_guard lock(mu_);
  return times_;
}

ScriptedResponse VkFake::Handle(const RecordedRequest& req) {
  std::lock_guard lock(mu_);
  times_.push_back(std::chrono::steady_clock::now());
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (!failures_.empty()) {
    const int code = failures_.front();
    failures_.pop_front();
    return VkError(code, Message(code));
  }
  if (QueryParam(req.target, "access_token") != token_) return VkError(5, Message(5));
  if (QueryParam(req.target, "v") != version_) {
    return VkError(8, "Invalid request: v (version) is required or unsupported");
  }
  const long count = std::max(1L, std::min(100L, std::atol(QueryParam(req.target, "count").c_str())));
  const long offset = std::atol(QueryParam(req.target, "offset").c_str());
  if (path == "/method/wall.get") {
    const std::string owner = QueryParam(req.target, "owner_id");
    if (!owner.empty() && std::atoll(owner.c_str()) != owner_id_) return VkError(15, Message(15));
    // Newest first, a pinned post before all.
    std::vector<Post> order(posts_.rbegin(), posts_.rend());
    std::stable_partition(order.begin(), order.end(), [](const Post& p) { return p.pinned; });
    json::array items;
    for (long i = offset; i < static_cast<long>(order.size()) && i < offset + count; ++i) {
      const Post& p = order[static_cast<std::size_t>(i)];
      json::object o{{"id", p.id},   {"owner_id", owner_id_}, {"from_id", p.from_id},
                     {"date", p.date}, {"post_type", "post"}, {"text", p.text}};
      if (p.pinned) o["is_pinned"] = 1;
      items.push_back(std::move(o));
    }
    return Json(json::object{{"response", json::object{{"count", posts_.size()},
                                                       {"items", std::move(items)}}}});
  }
  if (path == "/method/wall.getComments") {
    const long long post = std::atoll(QueryParam(req.target, "post_id").c_str());
    json::array items;
    for (const Comment& c : comments_) {
      if (c.post_id != post) continue;
      items.push_back(json::object{{"id", c.id},     {"from_id", c.from_id}, {"post_id", c.post_id},
                                   {"owner_id", owner_id_}, {"date", c.date}, {"text", c.text}});
    }
    return Json(json::object{{"response", json::object{{"count", items.size()},
                                                       {"items", std::move(items)}}}});
  }
  return VkError(3, "Unknown method passed");
}

}  // namespace sakchy::testing
