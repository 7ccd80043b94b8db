#include "backup.h"

#include <rocksdb/utilities/backup_engine.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace sakchy::storage {

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kProgressStep = 1 << 20;  // a callback per MiB copied

Error IoError(const rocksdb::Status& s, const std::string& what) {
  return Error{s.IsCorruption() ? ErrorCode::kCorruption
                                : (s.IsNotFound() ? ErrorCode::kNotFound : ErrorCode::kIo),
               "storage: " + what + ": " + s.ToString()};
}

BackupInfo ToInfo(const rocksdb::BackupInfo& b) {
  return BackupInfo{b.backup_id, b.size, b.number_files, b.timestamp};
}

std::uint64_t DirBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) total += it->file_size(size_ec);
  }
  return total;
}

}  // namespace

namespace internal {

Result<BackupInfo> CreateBackup(rocksdb::DB* db, const std::string& backup_dir,
                                const BackupProgressFn& progress) {
  std::error_code ec;
  fs::create_directories(backup_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "storage: cannot create backup directory " + backup_dir +
                                         ": " + ec.message());
  }
  if (auto s = db->Flush(rocksdb::FlushOptions()); !s.ok()) {
    return tl::unexpected(IoError(s, "flush before backup"));
  }
  BackupProgress p;
  std::vector<rocksdb::LiveFileStorageInfo> files;
  if (db->GetLiveFilesStorageInfo(rocksdb::LiveFilesStorageInfoOptions(), &files).ok()) {
    for (const auto& f : files) p.bytes_total += f.size;
  }
  rocksdb::BackupEngineOptions options(backup_dir);
  options.callback_trigger_interval_size = kProgressStep;
  options.max_background_operations = 1;
  rocksdb::BackupEngine* raw = nullptr;
  if (auto s = rocksdb::BackupEngine::Open(rocksdb::Env::Default(), options, &raw); !s.ok()) {
    return tl::unexpected(IoError(s, "open backup directory " + backup_dir));
  }
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = true;
  std::uint64_t copied = 0;  // shared files already in the directory are not copied again
  create.progress_callback = [&p, &copied, &progress]() {
    copied += kProgressStep;
    p.bytes_done = std::min(copied, p.bytes_total);
    if (progress) progress(p);
  };
  rocksdb::BackupID id = 0;
  if (auto s = engine->CreateNewBackup(create, db, &id); !s.ok()) {
    return tl::unexpected(IoError(s, "backup to " + backup_dir));
  }
  rocksdb::BackupInfo info;
  if (auto s = engine->GetBackupInfo(id, &info); !s.ok()) {
    return tl::unexpected(IoError(s, "read backup info in " + backup_dir));
  }
  p.bytes_total = p.bytes_done = info.size;
  if (progress) progress(p);
  spdlog::info("storage: backup {} written to {} ({} files, {} bytes)", id, backup_dir,
               info.number_files, info.size);
  return ToInfo(info);
}

}  // namespace internal

Result<BackupInfo> Store::RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                                        bool overwrite, const BackupProgressFn& progress) {
  std::error_code ec;
  if (!fs::is_directory(backup_dir, ec)) {
    return MakeError(ErrorCode::kNotFound, "storage: no backup directory " + backup_dir);
  }
  if (fs::exists(fs::path(data_dir) / "CURRENT", ec) && !overwrite) {
    return MakeError(ErrorCode::kAlreadyExists,
                     "storage: " + data_dir +
                         " already holds a database; restore into an empty directory or replace "
                         "it explicitly (--force)");
  }
  rocksdb::BackupEngineOptions options(backup_dir);
  options.max_background_operations = 1;
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  if (auto s = rocksdb::BackupEngineReadOnly::Open(rocksdb::Env::Default(), options, &raw); !s.ok()) {
    return tl::unexpected(IoError(s, "open backup directory " + backup_dir));
  }
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> backups;
  engine->GetBackupInfo(&backups);
  if (backups.empty()) {
    return MakeError(ErrorCode::kNotFound, "storage: " + backup_dir + " holds no backup");
  }
  const rocksdb::BackupInfo& latest = backups.back();
  if (auto s = engine->VerifyBackup(latest.backup_id, /*verify_with_checksum=*/true); !s.ok()) {
    return tl::unexpected(IoError(s, "verify backup " + std::to_string(latest.backup_id) +
                                         " in " + backup_dir));
  }
  fs::create_directories(data_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "storage: cannot create " + data_dir + ": " + ec.message());
  }
  // RocksDB reports no progress while restoring: watch the target directory grow.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread watcher;
  if (progress) {
    watcher = std::thread([&] {
      std::unique_lock lock(mu);
      while (!cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return finished; })) {
        progress(BackupProgress{std::min(DirBytes(data_dir), latest.size), latest.size});
      }
    });
  }
  auto s = engine->RestoreDBFromLatestBackup(data_dir, data_dir, rocksdb::RestoreOptions());
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  if (watcher.joinable()) watcher.join();
  if (!s.ok()) return tl::unexpected(IoError(s, "restore " + backup_dir + " into " + data_dir));
  if (progress) progress(BackupProgress{latest.size, latest.size});
  return ToInfo(latest);
}

}  // namespace sakchy::storage
