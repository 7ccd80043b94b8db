#pragma once
// Shared set-up of the alerts tests: a store (in-memory fake or real RocksDB), a manual clock,
// events and outbox entries seeded as scoring would commit them.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alerts/fake_store.h"
#include "config/config.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "storage/audit.h"
#include "storage/store.h"
#include "testutil/testutil.h"

namespace sakchy::alerts {

inline constexpr TimeMs kFixtureStart = 1'717'243'200'000;  // 2024-06-01T12:00:00Z

// A scored high-severity event in Aravan with one match.
inline Event MakeEvent(IdGenerator& ids, TimeMs at, std::string area = "KG-O-ARAVAN") {
  Event event;
  event.report.id = ids.Next();
  event.report.text = "В Араване говорят, что вода отравлена";
  event.report.channel = "api";
  event.report.submitted_by = "monitor-1";
  event.report.observed_at = at - 60'000;
  event.report.received_at = at - 1000;
  event.scored = true;
  event.matches.push_back({"health.poison", "health", "отравлена", 53, 71});
  event.categories = {"health"};
  event.score = 7.5;
  event.severity = Severity::kHigh;
  event.area = std::move(area);
  event.area_source = AreaSource::kText;
  event.scored_at = at;
  return event;
}

inline config::Contact MakeContactWith(std::string id, std::string type, std::string address,
                                       std::string secret = "s3cret-hmac-key") {
  config::Contact c;
  c.id = std::move(id);
  c.areas = {"KG-O"};
  config::ContactChannel channel;
  channel.type = std::move(type);
  channel.address = std::move(address);
  if (channel.type == "webhook") channel.secret = std::move(secret);
  c.channels.push_back(std::move(channel));
  return c;
}

// One pending notification of `event` to the first channel of `contact`.
inline Alert MakeAlertFor(IdGenerator& ids, const Event& event, const config::Contact& contact,
                          TimeMs at) {
  Alert alert;
  alert.id = ids.Next();
  alert.event_id = event.report.id;
  alert.event_ids = {event.report.id};
  alert.group_key = "event:" + event.report.id;
  alert.sequence = 1;
  alert.area = event.area;
  alert.severity = event.severity;
  alert.categories = event.categories;
  alert.contact_id = contact.id;
  alert.channel = contact.channels[0].type;
  alert.target = contact.channels[0].address;
  alert.idempotency_key = Sha256Hex(alert.id).substr(0, 32);
  alert.created_at = at;
  alert.next_attempt_at = at;
  return alert;
}

// A store per test: "fake" or "rocksdb".
class StoreFixture {
 public:
  explicit StoreFixture(const std::string& kind) {
    if (kind == "fake") {
      fake_ = std::make_unique<FakeStore>();
      store_.emplace(*fake_);
    } else {
      storage::StorageOptions options;
      options.dir = dir_.str() + "/db";
      options.sync = false;
      auto opened = storage::Store::Open(options);
      EXPECT_TRUE(opened.has_value());
      if (opened) real_ = std::move(*opened);
      store_.emplace(*real_);
    }
  }
  AlertStore store() { return *store_; }
  FakeStore* fake() { return fake_.get(); }  // null for "rocksdb"

  // Stores the event (scored) and its notifications as a scoring commit would.
  void Commit(const Event& event, const std::vector<Alert>& alerts) {
    if (fake_) {
      fake_->PutEvent(event);
      EXPECT_OK(fake_->UpdateAlerts(alerts));
    } else {
      EXPECT_OK(real_->AppendReports({&event.report, 1}));
      storage::ScoredBatchItem item{event, {}, alerts, {}};
      EXPECT_OK(real_->CommitScored({&item, 1}));
    }
  }
  Alert Stored(const std::string& id) {
    auto got = store_->outbox.GetAlert(id);
    EXPECT_TRUE(got.has_value() && got->has_value()) << "alert " << id;
    if (!got.has_value() || !got->has_value()) return {};
    return **got;
  }
  // Audit entries about `subject`, oldest first.
  std::vector<storage::AuditEntry> Audit(const std::string& subject) {
    storage::AuditFilter filter;
    filter.subject = subject;
    auto page = storage::ListAudit(store_->records, filter, 100, {});
    EXPECT_TRUE(page.has_value());
    if (!page) return {};
    std::vector<storage::AuditEntry> out(page->entries.rbegin(), page->entries.rend());
    return out;
  }
  std::vector<std::string> AuditActions(const std::string& subject) {
    std::vector<std::string> out;
    for (const auto& e : Audit(subject)) out.push_back(e.action);
    return out;
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<FakeStore> fake_;
  std::unique_ptr<storage::Store> real_;
  std::optional<AlertStore> store_;
};

}  // namespace sakchy::alerts
