#pragma once
// Backups of a running service and the `sakchy backup` / `sakchy restore` commands.
//
// A running service is backed up through POST /v1/admin/backup: the service's own open database
// writes the backup (RocksDB BackupEngine, a consistent point in time while intake goes on) and
// streams progress back as NDJSON; `sakchy backup DIR --url URL` calls it. A stopped service's
// data directory is backed up by `sakchy backup DIR` directly (the database is opened; a
// running service holds its lock, and the command says to use --url). Restores are offline:
// `sakchy restore DIR` into a data directory no service has open.

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "core/id.h"
#include "service/http.h"
#include "storage/store.h"

namespace sakchy::service {

// The body of POST /v1/admin/backup: one JSON line per progress step
// ({"bytes_done":N,"bytes_total":N}), then {"status":"done","backup_id":..,"bytes":..,
// "files":..,"dir":".."} or {"status":"failed","error":".."}. The backup starts with the first
// Next() and runs on `pool`; the entry "backup.create" goes to the audit log with `actor`.
// `*running` (set by the caller) is cleared when the backup ends; it must outlive the backup.
std::shared_ptr<BodyStream> MakeBackupStream(storage::Store& store, boost::asio::thread_pool& pool,
                                             std::string dir, std::string actor,
                                             const Clock& clock, IdGenerator& audit_ids,
                                             std::atomic<bool>* running);

// Where `sakchy backup` / `sakchy restore` find the database: at most one of the three is set
// (the command line declares them exclusive); none means ./var/data, the demo's.
struct DataDirChoice {
  std::string url;       // a running service, http://HOST:PORT (backup only)
  std::string config;    // a config file's storage.data_dir
  std::string data_dir;  // this directory
};

// `sakchy backup DIR`: adds a backup of the database to `dir` (a path on the service's machine
// with --url). Exit codes: 0 done, 1 failed, 2 usage (no SAKCHY_ADMIN_TOKEN, a bad URL).
int BackupCommand(const std::string& dir, const DataDirChoice& from);
// `sakchy restore DIR`: restores the latest backup in `dir` into the data directory; `force`
// moves a directory that is not empty aside. Exit codes: 0 done, 1 failed.
int RestoreCommand(const std::string& dir, const DataDirChoice& into, bool force);

}  // namespace sakchy::service
