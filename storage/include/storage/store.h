#pragma once
// Sakchy's durable state in one RocksDB database, one column family per kind of record:
//   reports/events, idempotency keys, pending-scoring marks, counters (merge operator), alerts (outbox).
// Key layout: docs/ARCHITECTURE.md.
//
// Thread safety: all methods may be called concurrently.
// Blocking: every method may wait on disk; never call on an io thread.
// The ports it implements (storage/ports.h) are what modules depend on; this header is for the
// one who opens the database (the service, tools, tests).

#include <memory>
#include <string>

#include "core/result.h"
#include "storage/ports.h"

namespace sakchy::storage {

struct StorageOptions {
  std::string dir;   // created when missing
  bool sync = true;  // fsync the WAL on every write that acknowledges something to a user
  // Rate limit of flush and compaction writes in MB/s; 0 = none. The log is never limited.
  std::uint32_t background_write_mb_per_s = 0;
  // Rate at which deleted log and table files are removed, in MB/s, 1 MB at a time; 0 = at once.
  std::uint32_t delete_mb_per_s = 0;
};

// Every port, on one RocksDB database (src/rocksdb_store.h, one file per concern).
class Store : public IntakeLog,
              public ScoringLog,
              public EventReader,
              public EventScanner,
              public CounterReader,
              public Outbox,
              public RecordStore,
              public Maintenance {
 public:
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store() override = default;

  // Opens (or creates) the database under options.dir.
  [[nodiscard]] static Result<std::unique_ptr<Store>> Open(const StorageOptions& options);

  // Restores the latest backup of `backup_dir` into `data_dir` after verifying its checksums:
  // into a new sibling directory first, renamed into place when complete. A `data_dir` that is
  // not empty is refused (kAlreadyExists, nothing touched) unless `overwrite`, which moves it
  // aside to "<data_dir>.replaced-<UTC time>" (BackupInfo::replaced_dir), never deletes it. No
  // store may have it open.
  [[nodiscard]] static Result<BackupInfo> RestoreBackup(const std::string& backup_dir,
                                                        const std::string& data_dir,
                                                        bool overwrite,
                                                        const BackupProgressFn& progress);

 protected:
  Store() = default;
};

}  // namespace sakchy::storage
