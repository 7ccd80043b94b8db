#include "backup.h"

#include <rocksdb/utilities/backup_engine.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
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

namespace {

// `dir` without a trailing separator ("var/data/" -> "var/data").
fs::path Normal(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.has_parent_path() && p.filename().empty()) p = p.parent_path();
  return p;
}

// A sibling of `dir` that does not exist yet: "<dir><suffix>", then "<dir><suffix>.2", ...
fs::path FreeSibling(const fs::path& dir, const std::string& suffix) {
  std::error_code ec;
  fs::path candidate = dir;
  candidate += suffix;
  for (int n = 2; (fs::exists(candidate, ec) || ec) && n < 10000; ++n) {
    candidate = dir;
    candidate += suffix + "." + std::to_string(n);
  }
  return candidate;
}

std::string UtcStamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

Result<BackupInfo> Store::RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                                        bool overwrite, const BackupProgressFn& progress) {
  std::error_code ec;
  if (!fs::is_directory(backup_dir, ec)) {
    return MakeError(ErrorCode::kNotFound, "storage: no backup directory " + backup_dir);
  }
  const fs::path target = Normal(data_dir);
  const bool exists = fs::exists(target, ec);
  if (exists && !fs::is_directory(target, ec)) {
    return MakeError(ErrorCode::kAlreadyExists,
                     "storage: " + data_dir + " exists and is not a directory");
  }
  const bool occupied = exists && !fs::is_empty(target, ec);
  if (ec) return MakeError(ErrorCode::kIo, "storage: cannot read " + data_dir + ": " + ec.message());
  if (occupied && !overwrite) {
    return MakeError(ErrorCode::kAlreadyExists,
                     "storage: " + data_dir +
                         " is not empty; restore into an empty or new directory, or replace it "
                         "explicitly (--force keeps the old directory beside it)");
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
  // Restored beside the target first, then renamed into place: a failure part-way leaves the
  // target as it was.
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  const fs::path staging = FreeSibling(target, ".restoring");
  fs::create_directories(staging, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo,
                     "storage: cannot create " + staging.string() + ": " + ec.message());
  }
  const std::string staging_dir = staging.string();
  // RocksDB reports no progress while restoring: watch the staging directory grow.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread watcher;
  if (progress) {
    watcher = std::thread([&] {
      std::unique_lock lock(mu);
      while (!cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return finished; })) {
        progress(BackupProgress{std::min(DirBytes(staging_dir), latest.size), latest.size});
      }
    });
  }
  auto s = engine->RestoreDBFromLatestBackup(staging_dir, staging_dir, rocksdb::RestoreOptions());
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  if (watcher.joinable()) watcher.join();
  if (!s.ok()) {
    fs::remove_all(staging, ec);  // ours alone
    return tl::unexpected(IoError(s, "restore " + backup_dir + " into " + staging_dir));
  }
  BackupInfo info = ToInfo(latest);
  if (occupied) {
    // --force: the old directory is moved aside, never deleted; it goes only once the new one
    // is complete, and comes back if the new one cannot take its place.
    const fs::path aside = FreeSibling(target, ".replaced-" + UtcStamp());
    fs::rename(target, aside, ec);
    if (ec) {
      fs::remove_all(staging, ec);
      return MakeError(ErrorCode::kIo, "storage: cannot move " + data_dir + " aside: " +
                                           ec.message() + " (nothing changed)");
    }
    fs::rename(staging, target, ec);
    if (ec) {
      const std::string why = ec.message();
      fs::rename(aside, target, ec);
      return MakeError(ErrorCode::kIo, "storage: cannot move the restored database into " +
                                           data_dir + ": " + why + " (the old one is back; the "
                                           "restored copy is in " + staging_dir + ")");
    }
    info.replaced_dir = aside.string();
  } else {
    if (exists) fs::remove(target, ec);  // an empty directory
    fs::rename(staging, target, ec);
    if (ec) {
      return MakeError(ErrorCode::kIo, "storage: cannot move the restored database into " +
                                           data_dir + ": " + ec.message() +
                                           " (the restored copy is in " + staging_dir + ")");
    }
  }
  if (progress) progress(BackupProgress{latest.size, latest.size});
  return info;
}

}  // namespace sakchy::storage
