#include "fakes/feed_fake.h"

namespace sakchy::testing {

FeedFake::FeedFake(std::string path)
    : path_(std::move(path)), server_([this](const RecordedRequest& req) { return Handle(req); }) {}

void FeedFake::SetDocument(std::string xml, std::string etag, std::string content_type) {
  std::lock_guard lock(mu_);
  xml_ = std::move(xml);
  etag_ = std::move(etag);
  content_type_ = std::move(content_type);
}

void FeedFake::FailNext(ScriptedResponse response) {
  std::lock_guard lock(mu_);
  failures_.push_back(std::move(response));
}

std::size_t FeedFake::not_modified_count() const {
  std::lock_guard lock(mu_);
  return not_modified_;
}

ScriptedResponse FeedFake::Handle(const RecordedRequest& req) {
  std::lock_guard lock(mu_);
  if (!failures_.empty()) {
    ScriptedResponse r = failures_.front();
    failures_.pop_front();
    return r;
  }
  if (req.target != path_) return {404, {{"Content-Type", "text/plain"}}, "not found\n", {}};
  auto inm = req.headers.find("if-none-match");
  if (!etag_.empty() && inm != req.headers.end() && inm->second == etag_) {
    ++not_modified_;
    return {304, {{"ETag", etag_}}, "", {}};
  }
  ScriptedResponse r{200, {{"Content-Type", content_type_}}, xml_, {}};
  if (!etag_.empty()) r.headers["ETag"] = etag_;
  return r;
}

}  // namespace sakchy::testing
