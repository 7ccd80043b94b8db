// Backups of an open store and restores: a point in time, verified, incremental, refusing to
// overwrite a database by accident.

#include <filesystem>
#include <fstream>

#include "store_fixture.h"

namespace sakchy::storage::testing::backup_test {
namespace {

class BackupTest : public StoreTest {
 protected:
  std::string Commit(const std::string& area) {
    Report r = MakeReport();
    EXPECT_OK(store_->AppendReports(std::span<const Report>(&r, 1)));
    ScoredBatchItem item;
    item.event.report = r;
    item.event.scored = true;
    item.event.area = area;
    item.counters = {{area, "total", r.observed_at, 1}};
    EXPECT_OK(store_->CommitScored({&item, 1}));
    return r.id;
  }
  std::string backup_dir() const { return tmp_.str() + "/backup"; }
  std::unique_ptr<Store> OpenAt(const std::string& dir) {
    auto s = Store::Open(StorageOptions{dir, false});
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    return s ? std::move(*s) : nullptr;
  }
};

TEST_F(BackupTest, RestoreGivesTheStateAtBackupTime) {
  std::vector<std::string> before;
  for (int i = 0; i < 50; ++i) before.push_back(Commit(i % 2 ? "KG-O" : "KG-N"));
  ASSERT_OK(store_->WriteRecords(std::vector<RecordWrite>{{"verdicts", "c1", "false"}}));
  std::vector<BackupProgress> seen;
  auto info = store_->CreateBackup(backup_dir(), [&](const BackupProgress& p) { seen.push_back(p); });
  ASSERT_OK(info);
  EXPECT_EQ(info->id, 1u);
  EXPECT_GT(info->bytes, 0u);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().bytes_done, seen.back().bytes_total);
  const std::string after = Commit("KG-O");  // not in the backup

  std::vector<BackupProgress> restored_progress;
  const std::string target = tmp_.str() + "/restored";
  auto restored = Store::RestoreBackup(backup_dir(), target, false,
                                       [&](const BackupProgress& p) { restored_progress.push_back(p); });
  ASSERT_OK(restored);
  EXPECT_EQ(restored->id, 1u);
  ASSERT_FALSE(restored_progress.empty());
  EXPECT_EQ(restored_progress.back().bytes_done, restored->bytes);
  auto copy = OpenAt(target);
  ASSERT_NE(copy, nullptr);
  for (const auto& id : before) {
    auto e = copy->GetEvent(id);
    ASSERT_OK(e);
    ASSERT_TRUE(e->has_value()) << id;
    EXPECT_TRUE((*e)->scored);
  }
  auto missing = copy->GetEvent(after);
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
  auto a = store_->ReadCounters("KG-N", Resolution::kDay, 0, clock_.NowMs() + 86400000);
  auto b = copy->ReadCounters("KG-N", Resolution::kDay, 0, clock_.NowMs() + 86400000);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_EQ(a->size(), b->size());
  EXPECT_EQ((*a)[0].values, (*b)[0].values);
  auto verdict = copy->GetRecord("verdicts", "c1");
  ASSERT_OK(verdict);
  EXPECT_EQ(verdict->value_or(""), "false");
}

TEST_F(BackupTest, SecondBackupIsIncrementalAndRestoreTakesTheLatest) {
  Commit("KG-O");
  auto first = store_->CreateBackup(backup_dir(), {});
  ASSERT_OK(first);
  const std::string later = Commit("KG-O");
  auto second = store_->CreateBackup(backup_dir(), {});
  ASSERT_OK(second);
  EXPECT_EQ(second->id, 2u);
  const std::string target = tmp_.str() + "/restored";
  ASSERT_OK(Store::RestoreBackup(backup_dir(), target, false, {}));
  auto copy = OpenAt(target);
  ASSERT_NE(copy, nullptr);
  auto e = copy->GetEvent(later);
  ASSERT_OK(e);
  EXPECT_TRUE(e->has_value());
}

TEST_F(BackupTest, RestoreRefusesAnExistingDatabaseAndMissingBackups) {
  Commit("KG-O");
  ASSERT_OK(store_->CreateBackup(backup_dir(), {}));
  store_.reset();
  auto refused = Store::RestoreBackup(backup_dir(), db_dir(), false, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(refused.error().message.find("--force"), std::string::npos);
  auto replaced = Store::RestoreBackup(backup_dir(), db_dir(), true, {});  // explicit overwrite
  ASSERT_OK(replaced);
  EXPECT_TRUE(std::filesystem::exists(replaced->replaced_dir + "/CURRENT"))
      << "the old database is moved aside, not deleted: " << replaced->replaced_dir;
  Open();
  auto none = Store::RestoreBackup(tmp_.str() + "/nowhere", tmp_.str() + "/x", false, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  std::filesystem::create_directories(tmp_.str() + "/empty-backups");
  auto empty = Store::RestoreBackup(tmp_.str() + "/empty-backups", tmp_.str() + "/y", false, {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kNotFound);
}

// A folder that is not empty (no database in it) is never touched without --force; with it, the
// folder is moved aside whole; no staging directory is left behind either way.
TEST_F(BackupTest, RestoreNeverDeletesAFolderThatIsNotEmpty) {
  namespace fs = std::filesystem;
  Commit("KG-O");
  ASSERT_OK(store_->CreateBackup(backup_dir(), {}));
  const fs::path folder = tmp_.str() + "/home-of-someone";
  fs::create_directories(folder / "photos");
  std::ofstream(folder / "notes.txt") << "precious";
  std::ofstream(folder / "photos" / "a.jpg") << "jpeg";

  auto refused = Store::RestoreBackup(backup_dir(), folder.string(), false, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_TRUE(fs::exists(folder / "notes.txt"));
  EXPECT_TRUE(fs::exists(folder / "photos" / "a.jpg"));
  EXPECT_FALSE(fs::exists(folder / "CURRENT"));

  auto forced = Store::RestoreBackup(backup_dir(), folder.string() + "/", true, {});
  ASSERT_OK(forced);
  EXPECT_TRUE(fs::exists(folder / "CURRENT"));
  EXPECT_FALSE(fs::exists(folder / "notes.txt"));
  ASSERT_FALSE(forced->replaced_dir.empty());
  std::ifstream kept(fs::path(forced->replaced_dir) / "notes.txt");
  std::string text;
  std::getline(kept, text);
  EXPECT_EQ(text, "precious");
  EXPECT_TRUE(fs::exists(fs::path(forced->replaced_dir) / "photos" / "a.jpg"));

  // An empty folder is fine without --force.
  const fs::path empty = tmp_.str() + "/empty-target";
  fs::create_directories(empty);
  ASSERT_OK(Store::RestoreBackup(backup_dir(), empty.string(), false, {}));
  EXPECT_TRUE(fs::exists(empty / "CURRENT"));
  for (const auto& entry : fs::directory_iterator(tmp_.str())) {
    EXPECT_EQ(entry.path().filename().string().find(".restoring"), std::string::npos)
        << entry.path();
  }
}

}  // namespace
}  // namespace sakchy::storage::testing::backup_test
