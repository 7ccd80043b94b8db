// RocksStore intake: AppendReports (idempotency keys, threads and follow-ups, cursors in the
// same batch), GetCursor, and the scoring backlog (PendingReports, PendingEvents, CountPending).

#include "rocksdb_store.h"

namespace sakchy::storage::internal {

Result<std::vector<IntakeResult>> RocksStore::AppendReports(std::span<const Report> reports,
                                                            std::span<const CursorUpdate> cursors) {
  for (const auto& c : cursors) {
    if (c.source_id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "storage: append reports: cursor source is empty");
    }
  }
  for (const auto& r : reports) {
    if (r.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "storage: append reports: report id is empty");
    }
    if (HasNul(r.channel)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "storage: append reports: channel contains a NUL byte");
    }
    if (HasNul(r.submitted_by)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "storage: append reports: submitted_by contains a NUL byte");
    }
  }
  std::vector<IntakeResult> results;
  results.reserve(reports.size());

  std::lock_guard lock(intake_mu_);
  intake_batch_.Clear();
  intake_seen_.clear();
  intake_threads_.clear();
  std::int64_t added = 0;
  std::string existing_id;
  for (const auto& r : reports) {
    if (!r.source_ref.empty()) {
      IdempotencyKey(r.channel, r.submitted_by, r.source_ref, &intake_key_);
      if (auto seen = intake_seen_.find(intake_key_); seen != intake_seen_.end()) {
        results.push_back(IntakeResult{seen->second, true, {}});
        continue;
      }
      rocksdb::Status s = db_->Get(read_options_, cf_[kIdempotency], intake_key_, &existing_id);
      if (s.ok()) {
        results.push_back(IntakeResult{existing_id, true, {}});
        continue;
      }
      if (!s.IsNotFound()) return Fail(s, "append reports (idempotency lookup)");
      auto legacy = LegacyDuplicate(r);
      if (!legacy) return tl::unexpected(legacy.error());
      if (*legacy) {
        results.push_back(IntakeResult{**legacy, true, {}});
        continue;
      }
      intake_batch_.Put(cf_[kIdempotency], intake_key_, r.id);
      intake_seen_.emplace(intake_key_, r.id);
    }
    if (!r.thread_key.empty()) {
      auto attached = AddToThread(r);
      if (!attached) return tl::unexpected(attached.error());
      if (*attached) {
        results.push_back(IntakeResult{r.id, false, intake_threads_[intake_thread_key_].parent_id});
        ++added;
        continue;
      }
    }
    internal::EncodeUnscoredReport(r, &intake_value_);
    intake_batch_.Put(cf_[kEvents], r.id, intake_value_);
    intake_batch_.Put(cf_[kPending], r.id, rocksdb::Slice());
    results.push_back(IntakeResult{r.id, false, {}});
    ++added;
  }
  // Cursors go in the same batch: a source's position is durable exactly when the items it covers
  // are (later cursors of the same source win, as the batch applies in order).
  for (const auto& c : cursors) intake_batch_.Put(cf_[kCursors], c.source_id, c.value);
  if (intake_batch_.Count() > 0) {
    if (auto st = DurableWrite(&intake_batch_, "append reports"); !st) {
      return tl::unexpected(st.error());
    }
    pending_count_.fetch_add(added);
  }
  return results;
}

Result<std::optional<std::string>> RocksStore::LegacyDuplicate(const Report& r) {
  LegacyIdempotencyKey(r.channel, r.source_ref, &intake_legacy_key_);
  std::string id;
  rocksdb::Status s = db_->Get(read_options_, cf_[kIdempotency], intake_legacy_key_, &id);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Fail(s, "append reports (idempotency lookup)");
  // A key of an older build names no submitter: the report it points to does. A follow-up (not
  // in `events`) or an undecodable event counts as the same submitter, as before.
  rocksdb::PinnableSlice value;
  s = db_->Get(read_options_, cf_[kEvents], id, &value);
  if (s.IsNotFound()) return std::optional<std::string>(std::move(id));
  if (!s.ok()) return Fail(s, "append reports (idempotency lookup)");
  Event first;
  if (auto st = DecodeEvent(ToView(value), &first);
      st && first.report.submitted_by != r.submitted_by) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(id));
}

Result<bool> RocksStore::AddToThread(const Report& r) {
  LegacyIdempotencyKey(r.channel, r.thread_key, &intake_thread_key_);
  auto it = intake_threads_.find(intake_thread_key_);
  if (it == intake_threads_.end()) {
    internal::ThreadState state;
    std::string value;
    rocksdb::Status s = db_->Get(read_options_, cf_[kThreads], intake_thread_key_, &value);
    if (s.ok()) {
      if (auto st = internal::DecodeThread(value, &state); !st) {
        // A damaged thread record only costs the attachment: the report starts a new thread.
        Corruption("append reports: thread record", st.error());
        state = internal::ThreadState{};
      }
    } else if (!s.IsNotFound()) {
      return Fail(s, "append reports (thread lookup)");
    }
    it = intake_threads_.emplace(intake_thread_key_, std::move(state)).first;
  }
  internal::ThreadState& thread = it->second;
  const bool attach = !thread.parent_id.empty() && r.thread_window_ms > 0 &&
                      r.received_at >= thread.started_at &&
                      r.received_at - thread.started_at <= r.thread_window_ms &&
                      thread.follow_ups < kMaxFollowUps;
  if (attach) {
    Report follow_up = r;
    follow_up.follow_up_of = thread.parent_id;
    internal::FollowUpKey(thread.parent_id, thread.follow_ups, &intake_key_);
    internal::EncodeFollowUp(follow_up, &intake_value_);
    intake_batch_.Put(cf_[kFollowUps], intake_key_, intake_value_);
    // The pending mark of a follow-up names where it is stored.
    intake_batch_.Put(cf_[kPending], r.id, intake_key_);
    ++thread.follow_ups;
  } else {
    thread = internal::ThreadState{r.id, r.received_at, 0};
  }
  internal::EncodeThread(thread, &intake_value_);
  intake_batch_.Put(cf_[kThreads], intake_thread_key_, intake_value_);
  return attach;
}

Result<std::optional<std::string>> RocksStore::GetCursor(std::string_view source_id) {
  std::string value;
  rocksdb::Status s = db_->Get(read_options_, cf_[kCursors], ToSlice(source_id), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Fail(s, "get cursor");
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<Report>> RocksStore::PendingReports(std::size_t limit,
                                                       std::string_view after_id) {
  auto pending = PendingEvents(limit, after_id);
  if (!pending) return tl::unexpected(pending.error());
  std::vector<Report> out;
  out.reserve(pending->size());
  for (auto& p : *pending) out.push_back(std::move(p.event.report));
  return out;
}

Result<std::vector<PendingEvent>> RocksStore::PendingEvents(std::size_t limit,
                                                            std::string_view after_id) {
  std::vector<PendingEvent> out;
  if (limit == 0) return out;
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kPending]));
  if (after_id.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(ToSlice(after_id));
    if (it->Valid() && ToView(it->key()) == after_id) it->Next();
  }
  rocksdb::PinnableSlice value;
  for (; it->Valid() && out.size() < limit; it->Next()) {
    value.Reset();
    if (!it->value().empty()) {
      // A follow-up: its mark names the follow_ups key.
      rocksdb::Status s = db_->Get(ro, cf_[kFollowUps], it->value(), &value);
      if (s.IsNotFound()) {
        spdlog::error("storage: pending follow-up {} has no record in {}; skipped",
                      it->key().ToString(), dir_);
        continue;
      }
      if (!s.ok()) return Fail(s, "read pending follow-up");
      PendingEvent p;
      if (auto st = internal::DecodeFollowUp(ToView(value), &p.event.report); !st) {
        return tl::unexpected(
            Corruption("read pending follow-up " + it->key().ToString(), st.error()));
      }
      out.push_back(std::move(p));
      continue;
    }
    rocksdb::Status s = db_->Get(ro, cf_[kEvents], it->key(), &value);
    if (s.IsNotFound()) {
      // A pending mark is written in the same batch as its event, so this is damage; skipping
      // keeps the pipeline going.
      spdlog::error("storage: pending report {} has no event in {}; skipped", it->key().ToString(),
                    dir_);
      continue;
    }
    if (!s.ok()) return Fail(s, "read pending report");
    PendingEvent p;
    if (auto st = DecodeEvent(ToView(value), &p.event); !st) {
      return tl::unexpected(Corruption("read pending report " + it->key().ToString(), st.error()));
    }
    out.push_back(std::move(p));
  }
  if (!it->status().ok()) return Fail(it->status(), "list pending reports");
  return out;
}

Result<std::size_t> RocksStore::CountPending() {
  return static_cast<std::size_t>(std::max<std::int64_t>(0, pending_count_.load()));
}

}  // namespace sakchy::storage::internal
