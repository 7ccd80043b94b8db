#pragma once
// Private to storage: backups of the open database and restores (BackupEngine).

#include <rocksdb/db.h>

#include "storage/store.h"

namespace sakchy::storage::internal {

[[nodiscard]] Result<BackupInfo> CreateBackup(rocksdb::DB* db, const std::string& backup_dir,
                                              const BackupProgressFn& progress);

}  // namespace sakchy::storage::internal
