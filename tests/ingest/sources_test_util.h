#pragma once
// In-memory ReportSink + CursorReader for the source tests: stores reports idempotently by
// (channel, source_ref) and the cursor in the same "transaction"; failures can be scripted.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ingest/sources/source.h"

namespace sakchy::ingest::sources {

class MemorySink final : public ReportSink, public CursorReader {
 public:
  void Submit(std::vector<Report> reports, std::optional<Cursor> cursor,
              SubmitCallback done) override {
    SubmitResult result;
    {
      std::lock_guard lock(mu_);
      ++submits_;
      submitted_batches_.push_back(reports);
      if (fail_remaining_ > 0) {
        --fail_remaining_;
        result = MakeError(fail_code_, "scripted sink failure");
      } else {
        std::vector<SubmitOutcome> outcomes;
        for (auto& r : reports) {
          const auto key = std::make_pair(r.channel, r.source_ref);
          const bool dup = keys_.count(key) > 0;
          outcomes.push_back(SubmitOutcome{r.source_ref, dup});
          if (!dup) {
            keys_.insert(key);
            stored_.push_back(std::move(r));
          }
        }
        if (cursor) cursors_[cursor->source_id] = cursor->value;
        result = std::move(outcomes);
      }
    }
    done(std::move(result));
  }

  Result<std::optional<std::string>> GetCursor(std::string_view source_id) override {
    std::lock_guard lock(mu_);
    auto it = cursors_.find(std::string(source_id));
    if (it == cursors_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  void FailNext(int n, ErrorCode code) {
    std::lock_guard lock(mu_);
    fail_remaining_ = n;
    fail_code_ = code;
  }
  std::vector<Report> stored() const {
    std::lock_guard lock(mu_);
    return stored_;
  }
  std::size_t stored_count() const {
    std::lock_guard lock(mu_);
    return stored_.size();
  }
  std::optional<std::string> cursor(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = cursors_.find(id);
    if (it == cursors_.end()) return std::nullopt;
    return it->second;
  }
  int submits() const {
    std::lock_guard lock(mu_);
    return submits_;
  }
  std::vector<std::vector<Report>> batches() const {
    std::lock_guard lock(mu_);
    return submitted_batches_;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::pair<std::string, std::string>> keys_;
  std::vector<Report> stored_;
  std::map<std::string, std::string> cursors_;
  std::vector<std::vector<Report>> submitted_batches_;
  int submits_ = 0;
  int fail_remaining_ = 0;
  ErrorCode fail_code_ = ErrorCode::kIo;
};

}  // namespace sakchy::ingest::sources
