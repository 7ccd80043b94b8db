// RocksStore alert outbox: UpdateAlerts (alerts, their indexes and pending marks, routing
// tickets as records), GetAlert, ListAlerts, PendingAlerts.

#include "rocksdb_store.h"

namespace sakchy::storage::internal {

void RocksStore::AddAlert(const Alert& alert, rocksdb::WriteBatch* batch, std::string* key,
                          std::string* value) {
  if (alert.kind == AlertKind::kRoute) {
    // A routing ticket: kept only while pending, in the record table "alert_tickets".
    RecordKey(kTicketsTable, alert.id, key);
    if (alert.state == DeliveryState::kPending) {
      EncodeAlert(alert, value);
      batch->Put(cf_[kRecords], *key, *value);
    } else {
      batch->Delete(cf_[kRecords], *key);
    }
    return;
  }
  EncodeAlert(alert, value);
  batch->Put(cf_[kAlerts], alert.id, *value);
  // Index entries: the event, every covered event and the group ("g:" never starts a ULID).
  auto index = [&](std::string_view ref) {
    if (ref.empty() || HasNul(ref)) return;
    AlertByEventKey(ref, alert.id, key);
    batch->Put(cf_[kAlertsByEvent], *key, rocksdb::Slice());
  };
  index(alert.event_id);
  for (const std::string& id : alert.event_ids) {
    if (id != alert.event_id) index(id);
  }
  if (!alert.group_key.empty()) index("g:" + alert.group_key);
  if (!alert.subject_id.empty()) index("s:" + alert.subject_id);
  if (alert.state == DeliveryState::kPending) {
    batch->Put(cf_[kAlertsPending], alert.id, rocksdb::Slice());
  } else {
    batch->Delete(cf_[kAlertsPending], alert.id);
  }
}

Status RocksStore::UpdateAlerts(std::span<const Alert> alerts,
                                std::span<const RecordWrite> records, Sync sync) {
  rocksdb::WriteBatch batch;
  std::string key;
  std::string value;
  if (auto st = AddRecords(records, cf_[kRecords], &batch); !st) return st;
  for (const auto& alert : alerts) {
    if (alert.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "storage: update alerts: alert id is empty");
    }
    AddAlert(alert, &batch, &key, &value);
  }
  if (batch.Count() == 0) return OkStatus();
  if (sync == Sync::kBuffered) {
    rocksdb::Status st = db_->Write(unsynced_options_, &batch);
    if (!st.ok()) return Fail(st, "update alerts");
    return OkStatus();
  }
  return DurableWrite(&batch, "update alerts");
}

Result<std::optional<Alert>> RocksStore::ReadAlert(const rocksdb::ReadOptions& ro,
                                                   std::string_view id,
                                                   rocksdb::PinnableSlice* scratch) {
  scratch->Reset();
  rocksdb::Status s = db_->Get(ro, cf_[kAlerts], ToSlice(id), scratch);
  if (s.IsNotFound()) return std::optional<Alert>();
  if (!s.ok()) return Fail(s, "get alert");
  std::optional<Alert> alert(std::in_place);
  if (auto st = DecodeAlert(ToView(*scratch), &*alert); !st) {
    return tl::unexpected(Corruption("get alert " + std::string(id), st.error()));
  }
  return alert;
}

Result<std::optional<Alert>> RocksStore::GetAlert(std::string_view id) {
  rocksdb::PinnableSlice value;
  return ReadAlert(read_options_, id, &value);
}

Result<std::vector<Alert>> RocksStore::ListAlerts(const AlertFilter& filter, std::size_t limit,
                                                  std::string_view before_id) {
  std::vector<Alert> out;
  if (limit == 0) return out;
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();

  // Walk one of three key spaces backwards (newest first): the per-event index, the pending
  // marks, or all alerts. `prefix` is what the keys share; ids follow it.
  rocksdb::ColumnFamilyHandle* cf = cf_[kAlerts];
  std::string prefix;
  if (filter.event_id) {
    cf = cf_[kAlertsByEvent];
    AlertByEventKey(*filter.event_id, {}, &prefix);
  } else if (filter.group_key) {
    cf = cf_[kAlertsByEvent];
    AlertByEventKey("g:" + *filter.group_key, {}, &prefix);
  } else if (filter.subject_id) {
    cf = cf_[kAlertsByEvent];
    AlertByEventKey("s:" + *filter.subject_id, {}, &prefix);
  } else if (filter.state == DeliveryState::kPending) {
    cf = cf_[kAlertsPending];
  }
  const bool index = cf != cf_[kAlerts];
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
  std::string upper;
  if (!before_id.empty()) {
    upper = prefix;
    upper.append(before_id);
    it->SeekForPrev(upper);
    if (it->Valid() && ToView(it->key()) >= std::string_view(upper)) it->Prev();
  } else if (!prefix.empty()) {
    // Just past every key with this prefix: the prefix ends in '\0', so bump that byte.
    upper = prefix;
    upper.back() = '\x01';
    it->SeekForPrev(upper);
    if (it->Valid() && ToView(it->key()) >= std::string_view(upper)) it->Prev();
  } else {
    it->SeekToLast();
  }

  rocksdb::PinnableSlice scratch;
  for (; it->Valid() && out.size() < limit; it->Prev()) {
    std::string_view key = ToView(it->key());
    if (!key.starts_with(prefix)) break;
    std::optional<Alert> alert;
    if (index) {
      auto read = ReadAlert(ro, key.substr(prefix.size()), &scratch);
      if (!read) return tl::unexpected(read.error());
      alert = std::move(*read);
      if (!alert) continue;  // index entry of an alert stored under another key
    } else {
      alert.emplace();
      if (auto st = DecodeAlert(ToView(it->value()), &*alert); !st) {
        return tl::unexpected(Corruption("list alerts: " + std::string(key), st.error()));
      }
    }
    if (filter.event_id && alert->event_id != *filter.event_id &&
        std::find(alert->event_ids.begin(), alert->event_ids.end(), *filter.event_id) ==
            alert->event_ids.end()) {
      continue;  // stale index entry
    }
    if (filter.group_key && alert->group_key != *filter.group_key) continue;
    if (filter.subject_id && alert->subject_id != *filter.subject_id) continue;
    if (filter.state && alert->state != *filter.state) continue;
    if (filter.kind && alert->kind != *filter.kind) continue;
    if (filter.contact_id && alert->contact_id != *filter.contact_id) continue;
    out.push_back(std::move(*alert));
  }
  if (!it->status().ok()) return Fail(it->status(), "list alerts");
  return out;
}

Result<std::vector<Alert>> RocksStore::PendingAlerts() {
  std::vector<Alert> out;
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kAlertsPending]));
  rocksdb::PinnableSlice scratch;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto alert = ReadAlert(ro, ToView(it->key()), &scratch);
    if (!alert) return tl::unexpected(alert.error());
    if (*alert && (*alert)->state == DeliveryState::kPending) out.push_back(std::move(**alert));
  }
  if (!it->status().ok()) return Fail(it->status(), "list pending alerts");
  // Routing tickets follow (record table "alert_tickets", id order).
  std::string prefix;
  RecordKey(kTicketsTable, {}, &prefix);
  std::unique_ptr<rocksdb::Iterator> tickets(db_->NewIterator(ro, cf_[kRecords]));
  for (tickets->Seek(prefix); tickets->Valid() && ToView(tickets->key()).starts_with(prefix);
       tickets->Next()) {
    Alert ticket;
    if (auto st = DecodeAlert(ToView(tickets->value()), &ticket); !st) {
      return tl::unexpected(Corruption("list routing tickets", st.error()));
    }
    out.push_back(std::move(ticket));
  }
  if (!tickets->status().ok()) return Fail(tickets->status(), "list routing tickets");
  return out;
}

}  // namespace sakchy::storage::internal
