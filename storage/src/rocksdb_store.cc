// RocksStore: open (options, column families, schema check and migrations), close, flush,
// memory usage, and the backup and retention entry points. Key layout: storage/README.md.

#include "rocksdb_store.h"

namespace sakchy::storage::internal {
namespace {

std::string_view CompressionName(rocksdb::CompressionType type) {
  switch (type) {
    case rocksdb::kZSTD:
      return "zstd";
    case rocksdb::kLZ4Compression:
      return "lz4";
    case rocksdb::kSnappyCompression:
      return "snappy";
    case rocksdb::kNoCompression:
      return "none";
    default:
      return "other";
  }
}

bool Supports(const std::vector<rocksdb::CompressionType>& supported,
              rocksdb::CompressionType type) {
  return std::find(supported.begin(), supported.end(), type) != supported.end();
}

// The table of a records key (up to and including its '\0'): the memtable keeps an insert hint
// per table, and each table's keys mostly arrive in order (time-ordered ids).
class RecordTablePrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "sakchy.RecordTablePrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), '\0', key.size());
    return {key.data(), static_cast<std::size_t>(static_cast<const char*>(nul) - key.data()) + 1};
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

}  // namespace

Error RocksStore::ToError(const rocksdb::Status& s, std::string_view op) const {
  ErrorCode code = ErrorCode::kInternal;
  if (s.IsIOError()) {
    code = ErrorCode::kIo;
  } else if (s.IsCorruption()) {
    code = ErrorCode::kCorruption;
  }
  std::string msg = "storage: " + std::string(op) + " in " + dir_ + ": " + s.ToString();
  spdlog::error("{}", msg);
  return Error{code, std::move(msg)};
}

Error RocksStore::Corruption(std::string_view op, const Error& cause) const {
  std::string msg = "storage: " + std::string(op) + " in " + dir_ + ": " + cause.message;
  spdlog::error("{}", msg);
  return Error{ErrorCode::kCorruption, std::move(msg)};
}

Result<std::unique_ptr<Store>> RocksStore::Open(const StorageOptions& options) {
  namespace fs = std::filesystem;
  if (options.dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "storage: dir is empty");
  }
  std::error_code ec;
  if (fs::exists(options.dir, ec) && !fs::is_directory(options.dir, ec)) {
    return MakeError(ErrorCode::kIo, "storage: " + options.dir + " exists and is not a directory");
  }
  fs::create_directories(options.dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo,
                     "storage: cannot create directory " + options.dir + ": " + ec.message());
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  db_options.max_log_file_size = std::size_t{16} << 20;
  // Two writers (intake and scoring) rarely share a write group, so concurrent memtable inserts
  // bought nothing; turning them off enables insert hints (below), which matter: keys arrive in
  // time order, and skip-list searches were 40 % of the scoring thread's CPU.
  db_options.allow_concurrent_memtable_write = false;
  // Compactions run at the lowest CPU priority (nice 19): they can wait, while the threads
  // that answer clients cannot. Flushes (the high pool) keep normal priority, or writes stall.
  // The default Env is process-wide; this process opens one database.
  db_options.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow);
  // Flush and compaction output reaches the disk 256 KB at a time, at a limited rate, instead
  // of as bursts of tens of MB: the log's fsyncs, which clients wait for, queue behind whatever
  // writeback is in the device's queue (measured: a flush stalled group commits for 4 ms at a
  // time, and p99.9 at 15,000 req/s was 40-65 ms; with both, 12-15 ms).
  db_options.bytes_per_sync = std::uint64_t{256} << 10;
  if (options.background_write_mb_per_s > 0) {
    db_options.rate_limiter.reset(rocksdb::NewGenericRateLimiter(
        static_cast<std::int64_t>(options.background_write_mb_per_s) << 20,
        /*refill_period_us=*/10'000));  // 10 ms refills: no 100-ms bursts
  }
  db_options.db_write_buffer_size = kMemtableBudgetBytes;
  // Deleted files (obsolete logs and tables) go away at a limited rate, 1 MB at a time: on a
  // file system mounted with online discard, deleting a file discards all of its blocks at
  // once, and the log's writes and fsyncs wait behind the discard in the device's queue
  // (measured: a 70 MB log deleted in one go stalled group commits for 23-26 ms). Deleted
  // files are renamed to *.trash first; leftovers of a crash are deleted at the next open.
  if (options.delete_mb_per_s > 0) {
    rocksdb::Status sfm_status;
    db_options.sst_file_manager.reset(rocksdb::NewSstFileManager(
        db_options.env, /*info_log=*/nullptr, /*trash_dir=*/"",
        static_cast<std::int64_t>(options.delete_mb_per_s) << 20,
        /*delete_existing_trash=*/true, &sfm_status,
        // Trash above 4x the live data is deleted at once: disk space is never held hostage.
        /*max_trash_db_ratio=*/4.0, /*bytes_max_delete_chunk=*/std::uint64_t{1} << 20));
    if (!sfm_status.ok()) {
      return MakeError(ErrorCode::kIo, "storage: cannot set up paced file deletion in " +
                                           options.dir + ": " + sfm_status.ToString());
    }
  }

  const auto supported = rocksdb::GetSupportedCompressions();
  rocksdb::CompressionType compression = rocksdb::kNoCompression;
  if (Supports(supported, rocksdb::kLZ4Compression)) {
    compression = rocksdb::kLZ4Compression;
  } else if (Supports(supported, rocksdb::kSnappyCompression)) {
    compression = rocksdb::kSnappyCompression;
  }
  rocksdb::CompressionType bottommost =
      Supports(supported, rocksdb::kZSTD) ? rocksdb::kZSTD : compression;

  // Few shards: a shard holds entries up to its own size, and the index block of a large SST
  // (MBs at the bottom level of a 10-million-event database) must fit one, or every point read
  // of an export reads and decompresses it again (measured: 84 % of an export's CPU).
  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes, /*num_shard_bits=*/2);
  rocksdb::BlockBasedTableOptions plain_table;
  plain_table.block_cache = cache;
  plain_table.cache_index_and_filter_blocks = true;
  plain_table.pin_l0_filter_and_index_blocks_in_cache = true;
  plain_table.format_version = 5;
  rocksdb::BlockBasedTableOptions bloom_table = plain_table;
  bloom_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));

  rocksdb::ColumnFamilyOptions plain_cf;
  plain_cf.compression = compression;
  plain_cf.bottommost_compression = bottommost;
  plain_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(plain_table));
  // One insert hint for the whole column family: event ids, time index keys and pending marks
  // are time-ordered, so each insert lands next to the previous one.
  plain_cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  rocksdb::ColumnFamilyOptions bloom_cf = plain_cf;  // point lookups by id
  bloom_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bloom_table));
  rocksdb::ColumnFamilyOptions events_cf = bloom_cf;
  events_cf.merge_operator = internal::NewEventScoringMergeOperator();
  rocksdb::ColumnFamilyOptions counters_cf = plain_cf;
  counters_cf.merge_operator = internal::NewCounterMergeOperator();
  // Hot buckets (today's "total") get a merge per event; collapsing them at write time bounds
  // the operands a ReadCounters has to fold while they sit in the memtable.
  counters_cf.max_successive_merges = kMaxSuccessiveMerges;
  // Pending marks are written and removed within moments: a small memtable keeps flushes cheap
  // (inserts are time-ordered and use the hint). Not too small: every memtable switch starts a
  // new log file, and at 4 MB the switch came every 2.6 s at 15,000 reports/s, with more fsync
  // stalls (p99.9 at 15,000 req/s 18-63 ms at 4 MB, 16-23 ms at 16 MB; docs/PERFORMANCE.md).
  rocksdb::ColumnFamilyOptions pending_cf = plain_cf;
  pending_cf.write_buffer_size = kPendingMemtableBytes;
  rocksdb::ColumnFamilyOptions records_cf = plain_cf;  // a hint per table
  records_cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<RecordTablePrefix>();

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(kCfCount + 1);
  for (std::size_t i = 0; i < kCfCount; ++i) {
    bool bloom = i == kEvents || i == kIdempotency || i == kAlerts;
    descriptors.emplace_back(kCfNames[i], i == kCounters  ? counters_cf
                                          : i == kEvents  ? events_cf
                                          : i == kPending ? pending_cf
                                          : i == kRecords ? records_cf
                                          : bloom         ? bloom_cf
                                                          : plain_cf);
  }
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, plain_cf);
  // Column families we do not know (written by a newer version) must be opened too, or RocksDB
  // refuses the open before we can read the schema version and say why.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.dir, &existing).ok()) {
    for (const auto& name : existing) {
      bool known = std::any_of(descriptors.begin(), descriptors.end(),
                               [&name](const auto& d) { return d.name == name; });
      if (!known) descriptors.emplace_back(name, plain_cf);
    }
  }

  std::unique_ptr<RocksStore> store(new RocksStore(options.dir, options.sync));
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, options.dir, descriptors, &store->handles_, &db);
  if (!s.ok()) return store->Fail(s, "open");
  store->db_.reset(db);
  store->block_cache_ = cache;
  for (std::size_t i = 0; i < kCfCount; ++i) store->cf_[i] = store->handles_[i];

  if (auto st = store->CheckSchema(); !st) return tl::unexpected(st.error());
  if (auto st = store->CountPendingAtOpen(); !st) return tl::unexpected(st.error());
  spdlog::info("storage: opened {} (schema {}, compression {}/{}, {} reports pending)", options.dir,
               kSchemaVersion, CompressionName(compression), CompressionName(bottommost),
               store->pending_count_.load());
  return std::unique_ptr<Store>(std::move(store));
}

RocksStore::~RocksStore() {
  if (db_ == nullptr) return;
  for (auto* handle : handles_) {
    rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
    if (!s.ok()) ToError(s, "close column family");
  }
  handles_.clear();
  rocksdb::Status s = db_->Close();
  if (!s.ok()) {
    ToError(s, "close");
  } else {
    spdlog::info("storage: closed {}", dir_);
  }
  db_.reset();
}

Status RocksStore::CheckSchema() {
  std::string value;
  rocksdb::Status s = db_->Get(read_options_, cf_[kMeta], ToSlice(kSchemaVersionKey), &value);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    std::string version = std::to_string(kSchemaVersion);
    s = db_->Put(wo, cf_[kMeta], ToSlice(kSchemaVersionKey), version);
    if (!s.ok()) return Fail(s, "write schema version");
    return dims_.Load(db_.get(), cf_[kMeta]);
  }
  if (!s.ok()) return Fail(s, "read schema version");
  int version = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (ec != std::errc() || end != value.data() + value.size() || version < 1) {
    return tl::unexpected(
        Corruption("read schema version",
                   Error{ErrorCode::kCorruption, "unreadable schema version '" + value + "'"}));
  }
  if (version > kSchemaVersion) {
    std::string msg = "storage: database " + dir_ + " has schema version " +
                      std::to_string(version) + ", newer than this build supports (" +
                      std::to_string(kSchemaVersion) +
                      "); run the newer sakchy or point storage.dir elsewhere";
    spdlog::error("{}", msg);
    return MakeError(ErrorCode::kInvalidArgument, std::move(msg));
  }
  if (auto st = dims_.Load(db_.get(), cf_[kMeta]); !st) return st;
  if (version < kSchemaVersion) {
    spdlog::info("storage: {} has schema version {}; migrating to {}", dir_, version,
                 kSchemaVersion);
    if (version < 2) {
      auto st = internal::MigrateCountersFromSchema1(db_.get(), cf_[kCounters], cf_[kMeta], dims_);
      if (!st) return st;
    }
    if (version < 3) {
      if (auto st = internal::BuildTimeIndex(db_.get(), cf_[kEvents], cf_[kEventsByTime]); !st) {
        return st;
      }
    }
    // Schema 4 (events may hold scoring merge operands) and 5 (events of format 3, with the
    // learned models' scores) need no change to stored data; the new number keeps older builds,
    // which cannot read them, from opening it.
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, cf_[kMeta], ToSlice(kSchemaVersionKey), std::to_string(kSchemaVersion));
    if (!s.ok()) return Fail(s, "write schema version");
  }
  return OkStatus();
}

Status RocksStore::CountPendingAtOpen() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_[kPending]));
  std::int64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  if (!it->status().ok()) return Fail(it->status(), "count pending reports");
  pending_count_.store(n);
  return OkStatus();
}

Status RocksStore::Flush() {
  if (auto st = FlushDeferred(); !st) return st;
  rocksdb::FlushOptions fo;
  fo.wait = true;
  rocksdb::Status s = db_->Flush(fo, handles_);
  if (!s.ok()) return Fail(s, "flush");
  s = db_->FlushWAL(/*sync=*/true);
  if (!s.ok()) return Fail(s, "sync WAL");
  return OkStatus();
}

}  // namespace sakchy::storage::internal

namespace sakchy::storage {

Result<std::unique_ptr<Store>> Store::Open(const StorageOptions& options) {
  return internal::RocksStore::Open(options);
}

}  // namespace sakchy::storage
