#pragma once
// A real RocksDB store in a fresh temp dir, reopenable to test durability; builders for test data.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/id.h"
#include "core/time.h"
#include "storage/store.h"
#include "testutil/testutil.h"

namespace sakchy::storage::testing {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    auto store = Store::Open(StorageOptions{db_dir(), sync_});
    ASSERT_OK(store);
    store_ = std::move(*store);
  }
  // Closes the database (destructor) and opens it again.
  void Reopen() {
    store_.reset();
    Open();
  }

  std::string db_dir() const { return tmp_.str() + "/db"; }

  Report MakeReport(std::string channel = "api", std::string source_ref = "") {
    Report r;
    r.id = ids_.Next();
    clock_.Advance(1000);
    r.text = "text of " + r.id;
    r.channel = std::move(channel);
    r.source_ref = std::move(source_ref);
    r.submitted_by = "tester";
    r.received_at = clock_.NowMs();
    r.observed_at = r.received_at - 5;
    return r;
  }

  Alert MakeAlert(std::string event_id, DeliveryState state = DeliveryState::kPending) {
    Alert a;
    a.id = ids_.Next();
    clock_.Advance(1000);
    a.event_id = std::move(event_id);
    a.area = "KG-O";
    a.severity = Severity::kHigh;
    a.categories = {"water"};
    a.contact_id = "akim";
    a.channel = "webhook";
    a.target = "https://example.org/hook";
    a.idempotency_key = "key-" + a.id;
    a.state = state;
    a.created_at = clock_.NowMs();
    return a;
  }

  sakchy::testing::TempDir tmp_;
  bool sync_ = false;  // closing the store is enough for durability across reopen in tests
  ManualClock clock_{1717243200000};  // 2024-06-01T12:00:00Z
  IdGenerator ids_{clock_};
  std::unique_ptr<Store> store_;
};

}  // namespace sakchy::storage::testing
