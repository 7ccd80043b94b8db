// RocksStore scored commit: CommitScored (events, counters, alerts, records and pending marks
// in one write) and the deferred counters of first scorings (DeferredDeltas, FlushDeferred).

#include "rocksdb_store.h"

namespace sakchy::storage::internal {

Status RocksStore::CommitScored(std::span<const ScoredBatchItem> items) {
  for (const auto& item : items) {
    if (item.resolve_only) {
      if (item.pending_id.empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "storage: commit scored: a resolve-only item needs a pending id");
      }
    } else if (item.event.report.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "storage: commit scored: event id is empty");
    }
    for (const auto& c : item.counters) {
      if (HasNul(c.area)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "storage: commit scored: counter area contains a NUL byte");
      }
    }
    for (const auto& a : item.alerts) {
      if (a.id.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "storage: commit scored: alert id is empty");
      }
    }
    for (const auto& r : item.records) {
      if (!ValidTableName(r.table)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "storage: commit scored: invalid record table name '" + r.table + "'");
      }
    }
  }

  std::lock_guard lock(score_mu_);
  score_batch_.Clear();
  std::vector<const ScoredBatchItem*> committed;  // their counters go in after the checks
  committed.reserve(items.size());
  // Counters and pending-mark removals of first scorings may wait in memory (deferred_) for a
  // later write, when every item of the call allows it; anything else (re-scorings, recounts)
  // writes them now together with whatever is deferred, so deltas never pass each other.
  bool defer = true;
  for (const auto& item : items) {
    defer = defer && item.defer_counters && !item.resolve_only &&
            (item.pending_id.empty() || item.pending_id == item.event.report.id);
  }
  std::unordered_set<std::string_view> in_batch;
  std::unordered_set<std::string_view> resolved;
  std::vector<std::string_view> deferred_marks;
  std::vector<const RecordWrite*> records;
  std::int64_t was_pending = 0;
  rocksdb::PinnableSlice current;
  std::string pending_value;
  // Removes a pending mark now if it is on disk (and not already due in deferred_), counting
  // it; false when there was none. Used for follow-ups' marks and replays.
  auto resolve = [&](const std::string& pending_id) -> Result<bool> {
    if (!resolved.insert(pending_id).second) return false;
    if (deferred_.marks.count(pending_id) != 0) return false;
    rocksdb::Status s = db_->Get(read_options_, cf_[kPending], pending_id, &pending_value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return Fail(s, "commit scored (read pending mark)");
    score_batch_.Delete(cf_[kPending], pending_id);
    ++was_pending;
    return true;
  };
  auto add_counters = [&](const ScoredBatchItem& item) { committed.push_back(&item); };
  for (const auto& item : items) {
    const std::string& id = item.event.report.id;
    const bool own_mark = item.pending_id.empty() || item.pending_id == id;
    if (item.resolve_only) {
      // Only where the mark is still there: its counters were never applied (a recount).
      auto removed = resolve(item.pending_id);
      if (!removed) return tl::unexpected(removed.error());
      if (*removed) add_counters(item);
      continue;
    }
    if (!in_batch.insert(id).second) continue;  // repeated in this call: first one wins
    bool first = true;
    rocksdb::Status s = rocksdb::Status::NotFound();
    if (!item.first_scoring) {  // the caller knows it is stored unscored: no need to look
      current.Reset();
      s = db_->Get(read_options_, cf_[kEvents], id, &current);
    }
    if (s.ok()) {
      auto state = internal::DecodeEventState(ToView(current));
      if (!state)
        return tl::unexpected(Corruption("commit scored: read event " + id, state.error()));
      if (state->scored && state->follow_ups_scored >= item.event.follow_ups_scored) {
        // Already committed (with these follow-ups): skip, but remove a mark still there (a
        // follow-up's, or the event's own when a follow-up got it scored first).
        if (auto removed = resolve(own_mark ? id : item.pending_id); !removed) {
          return tl::unexpected(removed.error());
        }
        continue;
      }
      first = !state->scored;
    } else if (!s.IsNotFound()) {
      return Fail(s, "commit scored (read event)");
    }
    if (item.first_scoring) {
      // The report is stored: write only the scoring (event_merge.h).
      internal::EncodeEventScoring(item.event, &score_value_);
      score_batch_.Merge(cf_[kEvents], id, score_value_);
    } else {
      internal::EncodeEvent(item.event, /*scored=*/true, &score_value_);
      score_batch_.Put(cf_[kEvents], id, score_value_);
    }
    internal::TimeIndexKey(item.event.report.observed_at, id, &score_key_);
    score_batch_.Put(cf_[kEventsByTime], score_key_, rocksdb::Slice());
    if (own_mark) {
      if (first) ++was_pending;
      if (defer) {
        deferred_marks.push_back(id);
      } else {
        score_batch_.Delete(cf_[kPending], id);
      }
    } else if (auto removed = resolve(item.pending_id); !removed) {
      return tl::unexpected(removed.error());
    }
    add_counters(item);
    for (const auto& alert : item.alerts)
      AddAlert(alert, &score_batch_, &score_key_, &score_value_);
    for (const auto& r : item.records) records.push_back(&r);
  }
  // Records in key order: the memtable inserts each next to the previous one instead of
  // searching its skip list from the top (cluster member and state keys are not time-ordered;
  // those searches were 15 % of the scoring thread). Stable: writes of one key keep their order.
  std::stable_sort(records.begin(), records.end(), [](const RecordWrite* a, const RecordWrite* b) {
    return std::tie(a->table, a->key) < std::tie(b->table, b->key);
  });
  for (const RecordWrite* r : records) AddRecord(*r, cf_[kRecords], &score_batch_, &score_key_);

  // deferred_mu_ is held across the write, so ReadCounterTable sees each delta exactly once.
  std::lock_guard acc(deferred_mu_);
  const bool flush =
      !defer || deferred_.marks.size() + deferred_marks.size() >= kMaxDeferredEvents;
  // Sum the deltas per counter row first: one merge per row instead of one per event (a batch
  // of events in the same minute shares most rows; merges dominated CPU before). New dim names
  // join the same batch; minute sums roll up into hour and day rows.
  const std::size_t dims_before = dims_.size();
  // The accumulator keeps views of the areas until Flush: the deltas live until then.
  std::vector<CounterDelta> flushing;
  if (flush) {
    DeferredDeltas(&flushing);
    for (const auto& d : flushing) score_counters_.Add(d, dims_, cf_[kMeta], &score_batch_);
    for (const auto& id : deferred_.marks) score_batch_.Delete(cf_[kPending], id);
  }
  if (!defer) {
    for (const ScoredBatchItem* item : committed) {
      for (const auto& c : item->counters) score_counters_.Add(c, dims_, cf_[kMeta], &score_batch_);
    }
  }
  score_counters_.Flush(cf_[kCounters], &score_batch_);
  if (score_batch_.Count() > 0) {
    // Not synced: a scored commit lost to a power failure leaves its pending marks, so the
    // reports are scored again after the restart (with the same alert idempotency keys).
    rocksdb::Status s = db_->Write(score_write_options_, &score_batch_);
    if (!s.ok()) {
      dims_.Rollback(dims_before);  // their dictionary entries were not written
      score_counters_.ForgetDims();
      return Fail(s, "commit scored");  // nothing changed in memory either
    }
  }
  if (flush) {
    pending_count_.fetch_sub(deferred_.was_pending);
    deferred_ = Deferred{};
  }
  if (defer) {
    for (const ScoredBatchItem* item : committed) {
      for (const auto& c : item->counters) {
        const MinuteKey k{c.area, c.dim, BucketStart(Resolution::kMinute, c.at)};
        deferred_.minutes[k] += c.delta;
      }
    }
    for (auto id : deferred_marks) deferred_.marks.emplace(id);
    deferred_.was_pending += was_pending;
  } else {
    pending_count_.fetch_sub(was_pending);
  }
  return OkStatus();
}

void RocksStore::DeferredDeltas(std::vector<CounterDelta>* out) const {
  out->clear();
  out->reserve(deferred_.minutes.size());  // filled before use: no reallocation moves them
  for (const auto& [k, delta] : deferred_.minutes) {
    const auto& [area, dim, minute] = k;
    out->push_back(CounterDelta{area, dim, minute, delta});
  }
}

Status RocksStore::FlushDeferred() {
  std::lock_guard lock(score_mu_);
  std::lock_guard acc(deferred_mu_);
  if (deferred_.marks.empty() && deferred_.minutes.empty()) return OkStatus();
  score_batch_.Clear();
  const std::size_t dims_before = dims_.size();
  std::vector<CounterDelta> flushing;  // alive until Flush (the accumulator keeps views)
  DeferredDeltas(&flushing);
  for (const auto& d : flushing) score_counters_.Add(d, dims_, cf_[kMeta], &score_batch_);
  score_counters_.Flush(cf_[kCounters], &score_batch_);
  for (const auto& id : deferred_.marks) score_batch_.Delete(cf_[kPending], id);
  rocksdb::Status s = db_->Write(score_write_options_, &score_batch_);
  if (!s.ok()) {
    dims_.Rollback(dims_before);
    score_counters_.ForgetDims();
    return Fail(s, "write deferred counters");
  }
  pending_count_.fetch_sub(deferred_.was_pending);
  deferred_ = Deferred{};
  return OkStatus();
}

}  // namespace sakchy::storage::internal
