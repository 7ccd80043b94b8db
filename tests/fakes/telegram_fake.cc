#include "fakes/telegram_fake.h"

#include "testutil/testutil.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace sakchy::testing {

TelegramFake::TelegramFake(std::string token)
    : token_(std::move(token)),
      server_([this](const RecordedRequest& req) { return Handle(req); }) {}

std::int64_t TelegramFake::AddUpdate(const std::string& kind, const std::string& message_json) {
  std::lock_guard lock(mu_);
  const std::int64_t id = static_cast<std::int64_t>(updates_.size()) + 1;
  updates_.emplace_back(id, "{\"update_id\":" + std::to_string(id) + "," + JsonQuote(kind) +
                                ":" + message_json + "}");
  return id;
}

int TelegramFake::held() const {
  std::lock_guard lock(mu_);
  return held_;
}

std::int64_t TelegramFake::AddText(std::int64_t chat_id, std::int64_t message_id,
                                   std::int64_t from_id, const std::string& text,
                                   std::int64_t date) {
  return AddUpdate("message",
                   "{\"message_id\":" + std::to_string(message_id) +
                       ",\"from\":{\"id\":" + std::to_string(from_id) +
                       ",\"is_bot\":false,\"first_name\":\"Айгүл\"},\"chat\":{\"id\":" +
                       std::to_string(chat_id) +
                       ",\"title\":\"Ош жаңылыктар\",\"type\":\"supergroup\"},\"date\":" +
                       std::to_string(date) + ",\"text\":" + JsonQuote(text) + "}");
}

std::int64_t TelegramFake::AddPrivateText(std::int64_t user_id, std::int64_t message_id,
                                          const std::string& text, std::int64_t date) {
  return AddUpdate("message",
                   "{\"message_id\":" + std::to_string(message_id) +
                       ",\"from\":{\"id\":" + std::to_string(user_id) +
                       ",\"is_bot\":false,\"first_name\":\"Айгүл\"},\"chat\":{\"id\":" +
                       std::to_string(user_id) +
                       ",\"first_name\":\"Айгүл\",\"type\":\"private\"},\"date\":" +
                       std::to_string(date) + ",\"text\":" + JsonQuote(text) + "}");
}

std::vector<std::pair<std::string, std::string>> TelegramFake::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

void TelegramFake::FailNextWith429(int retry_after_s) {
  std::lock_guard lock(mu_);
  failures_.push_back(ScriptedResponse{
      429,
      {{"Content-Type", "application/json"}},
      "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after " +
          std::to_string(retry_after_s) + "\",\"parameters\":{\"retry_after\":" +
          std::to_string(retry_after_s) + "}}",
      {}});
}

void TelegramFake::FailNextWith409() {
  std::lock_guard lock(mu_);
  failures_.push_back(ScriptedResponse{
      409,
      {{"Content-Type", "application/json"}},
      "{\"ok\":false,\"error_code\":409,\"description\":\"Conflict: terminated by other "
      "getUpdates request; make sure that only one bot instance is running\"}",
      {}});
}

std::vector<std::string> TelegramFake::offsets() const {
  std::vector<std::string> out;
  for (const auto& r : server_.requests()) out.push_back(QueryParam(r.target, "offset"));
  return out;
}

ScriptedResponse TelegramFake::Handle(const RecordedRequest& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (path == "/bot" + token_ + "/sendMessage" && req.method == "POST") {
    boost::system::error_code ec;
    auto body = boost::json::parse(req.body, ec);
    if (ec || !body.is_object() || !body.as_object().contains("chat_id") ||
        !body.as_object().contains("text")) {
      return {400, {{"Content-Type", "application/json"}},
              "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message text is "
              "empty\"}", {}};
    }
    const auto& chat = body.as_object().at("chat_id");
    std::lock_guard lock(mu_);
    sent_.emplace_back(chat.is_string() ? std::string(chat.as_string()) : boost::json::serialize(chat),
                       std::string(body.as_object().at("text").as_string()));
    return {200, {{"Content-Type", "application/json"}},
            "{\"ok\":true,\"result\":{\"message_id\":" + std::to_string(sent_.size()) + "}}", {}};
  }
  if (path != "/bot" + token_ + "/getUpdates") {
    return {404,
            {{"Content-Type", "application/json"}},
            "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}",
            {}};
  }
  std::lock_guard lock(mu_);
  if (!failures_.empty()) {
    ScriptedResponse r = failures_.front();
    failures_.pop_front();
    return r;
  }
  const std::string offset = QueryParam(req.target, "offset");
  if (!offset.empty()) {
    confirmed_below_ = std::max<std::int64_t>(confirmed_below_, std::atoll(offset.c_str()));
  }
  // Long polling: with nothing to return, the answer is held until an update arrives or the
  // timeout passes (without blocking other connections).
  const long timeout_s = std::atol(QueryParam(req.target, "timeout").c_str());
  const bool nothing_new = updates_.empty() || updates_.back().first < confirmed_below_;
  if (timeout_s > 0 && nothing_new) {
    ++held_;
    ScriptedResponse hold;
    hold.delay = std::chrono::seconds(timeout_s);
    hold.hold_until = [this] {
      std::lock_guard lock(mu_);
      return !updates_.empty() && updates_.back().first >= confirmed_below_;
    };
    hold.after_hold = [this] {
      std::lock_guard lock(mu_);
      --held_;
      return Updates();
    };
    return hold;
  }
  return Updates();
}

ScriptedResponse TelegramFake::Updates() {
  std::string body = "{\"ok\":true,\"result\":[";
  bool first = true;
  for (const auto& [id, json] : updates_) {
    if (id < confirmed_below_) continue;
    body += (first ? "" : ",") + json;
    first = false;
  }
  body += "]}";
  return {200, {{"Content-Type", "application/json"}}, body, {}};
}

}  // namespace sakchy::testing
