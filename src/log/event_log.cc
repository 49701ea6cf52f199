#include "log/event_log.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include "common/logging.h"
#include "log/log_file_check.h"
#include "log/store_folder.h"

namespace engram::log {
namespace {

const char* const kCfNames[] = {"default",
                                    "turns", "source_ids", "derived", "embeddings", "snapshots", "queue", "vectors", "edits"};
static_assert(sizeof(kCfNames) / sizeof(kCfNames[0]) == static_cast<size_t>(Cf::kCount));

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  if (s.IsNoSpace()) return Status::IOError(std::string(what) + ": no space left on device (" + s.ToString() + ")");
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  if (s.IsNotSupported()) return Status::NotSupported(msg);
  return Status::IOError(msg);
}

// RocksDB's messages go to engram's logger. Its default, a LOG file in the
// store folder, shares the store's disk: on a full disk one failed log line
// leaves that file's writer in an error state and the next line aborts the
// process (an assertion compiled into librocksdb 7.8).
class RocksLogger final : public rocksdb::Logger {
 public:
  RocksLogger() : Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[2048];
    std::vsnprintf(line, sizeof(line), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      Log().error("rocksdb: {}", line);
    } else {
      Log().warn("rocksdb: {}", line);
    }
  }
};

// After a failed write RocksDB would poll for free space and resume by itself
// (every 5 s), refusing a manual DB::Resume() meanwhile. EventLog::Write
// resumes instead, at once, when the next write comes.
class ResumeOnNextWrite final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

// Why a write after an earlier failed one was refused.
Status ResumeFailed(const rocksdb::Status& s, const std::string& what) {
  if (s.severity() >= rocksdb::Status::Severity::kFatalError) {
    // RocksDB treats an I/O error other than ENOSPC on its WAL as fatal.
    return FromRocks(s, what + " (an earlier I/O error stopped writes until the store is reopened)");
  }
  return FromRocks(s, what + " (resuming after an earlier failed write)");
}

bool NeedsResume(const rocksdb::Status& s) { return !s.ok() && !s.IsInvalidArgument() && !s.IsNotSupported(); }

}  // namespace

const char* CfName(Cf cf) { return kCfNames[static_cast<int>(cf)]; }

class LogSnapshot {
 public:
  LogSnapshot(rocksdb::DB* db, const rocksdb::Snapshot* snap) : db_(db), snap_(snap) {}
  ~LogSnapshot() { db_->ReleaseSnapshot(snap_); }
  const rocksdb::Snapshot* get() const { return snap_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

LogBatch::LogBatch(const EventLog* log) : batch_(std::make_unique<rocksdb::WriteBatch>()), log_(log) {}
LogBatch::~LogBatch() = default;
LogBatch::LogBatch(LogBatch&&) noexcept = default;
LogBatch& LogBatch::operator=(LogBatch&&) noexcept = default;

void LogBatch::Put(Cf cf, std::string_view key, std::string_view value) {
  batch_->Put(log_->Handle(cf), rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()));
}

void LogBatch::Delete(Cf cf, std::string_view key) {
  batch_->Delete(log_->Handle(cf), rocksdb::Slice(key.data(), key.size()));
}

void LogBatch::DeleteRange(Cf cf, std::string_view begin, std::string_view end) {
  batch_->DeleteRange(log_->Handle(cf), rocksdb::Slice(begin.data(), begin.size()),
                      rocksdb::Slice(end.data(), end.size()));
}

size_t LogBatch::Count() const { return batch_->Count(); }
size_t LogBatch::ByteSize() const { return batch_->GetDataSize(); }

namespace {

std::string SalvageAdvice(const std::string& path) {
  return "nothing was changed; 'engram check --store " + path + "' reports what is damaged and 'engram salvage --store " +
         path + " --out NEW_DIR' copies every readable turn to a new store";
}

// Names the damaged log-format files of the store (RocksDB's corruption
// messages do not), e.g. "000012.log at byte 4096: checksum mismatch".
std::string DescribeDamagedLogs(const StoreFolder& folder) {
  std::string out;
  std::vector<std::string> files = folder.wal_files;
  files.insert(files.end(), folder.manifests.begin(), folder.manifests.end());
  for (const auto& name : files) {
    auto report = CheckLogFile(folder.path + "/" + name);
    if (!report.ok() || report->ok()) continue;
    const LogFileDamage& d = report->damage.front();
    if (!out.empty()) out += "; ";
    out += name + " at byte " + std::to_string(d.offset) + ": " + d.reason;
    if (report->damage.size() > 1) out += " (and " + std::to_string(report->damage.size() - 1) + " more)";
  }
  return out;
}

Status OpenError(const rocksdb::Status& s, const StoreFolder& folder) {
  const std::string& path = folder.path;
  const std::string what = s.ToString();
  if (s.IsIOError() && what.find("lock") != std::string::npos) {
    if (what.find("current process") != std::string::npos) {
      return Status::FailedPrecondition("store '" + path + "' is already open in this process");
    }
    std::string holder = LockHolder(path);
    return Status::FailedPrecondition("store '" + path + "' is in use by another process" +
                                      (holder.empty() ? std::string() : " (" + holder + ")") +
                                      "; stop it, or use a read-only command");
  }
  if (s.IsCorruption()) {
    std::string damaged = DescribeDamagedLogs(folder);
    return Status::Corruption("store '" + path + "' is damaged (" + (damaged.empty() ? what : damaged + "; " + what) +
                              "); " + SalvageAdvice(path));
  }
  return FromRocks(s, "cannot open store '" + path + "'");
}

}  // namespace

Result<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path, const LogOptions& given) {
  LogOptions options = given;
  if (options.salvage) options.read_only = true;
  auto folder = InspectStoreFolder(path);
  if (!folder.ok()) return folder.status();
  const bool has_store = !folder->current_manifest.empty();
  if (!folder->exists) {
    if (!options.create_if_missing || options.read_only) return Status::NotFound("store '" + path + "' does not exist");
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::IOError("cannot create store folder '" + path + "': " + ec.message());
  } else if (has_store && !folder->current_valid) {
    return Status::Corruption("store '" + path + "' is damaged: its CURRENT file names '" + folder->current_manifest +
                              "', which does not exist; " + SalvageAdvice(path));
  } else if (!has_store && folder->HasData()) {
    // The remains of a store without its CURRENT file: creating a new store
    // here would delete every old table and log file.
    return Status::Corruption("store '" + path + "' is damaged: it holds " + std::to_string(folder->table_files.size()) +
                              " table files and " + std::to_string(folder->wal_files.size()) +
                              " log files but no CURRENT file; " + SalvageAdvice(path));
  } else if (!has_store && (!options.create_if_missing || options.read_only)) {
    return Status::NotFound("'" + path + "' holds no store");
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = !has_store;
  db_options.create_missing_column_families = !options.read_only;
  // Any damage inside a write-ahead log fails the open (RocksDB's default,
  // point-in-time recovery, silently drops everything after it); a log that
  // merely ends inside a record, as a crash mid-write leaves it, is still
  // recovered up to its last whole record.
  db_options.wal_recovery_mode = options.salvage ? rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords
                                                 : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.paranoid_checks = !options.salvage;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.info_log = std::make_shared<RocksLogger>();
  // Everything engram writes is in the write-ahead log; the only unlogged
  // key (the memtable anchor) is never read, so closing need not flush.
  db_options.avoid_flush_during_shutdown = true;
  db_options.listeners.push_back(std::make_shared<ResumeOnNextWrite>());
  db_options.IncreaseParallelism(2);
  db_options.db_write_buffer_size = options.write_buffer_bytes;
  std::unique_ptr<rocksdb::Env> env;
  if (options.file_system) {
    env = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = env.get();
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::shared_ptr<rocksdb::Cache> block_cache = table.block_cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  // Each column family's memtable is also switched at half the budget: the
  // shared budget flushes whichever family holds the oldest data, which may
  // be a small one while another keeps growing.
  if (options.write_buffer_bytes > 0) {
    cf_options.write_buffer_size = std::clamp<size_t>(options.write_buffer_bytes / 2, size_t{64} << 10,
                                                      cf_options.write_buffer_size);
  }
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.compression = rocksdb::kLZ4Compression;
  if (!rocksdb::GetSupportedCompressions().empty()) {
    bool lz4 = false;
    for (auto c : rocksdb::GetSupportedCompressions()) lz4 |= c == rocksdb::kLZ4Compression;
    if (!lz4) cf_options.compression = rocksdb::kNoCompression;
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) descriptors.emplace_back(kCfNames[i], cf_options);
  // A store may hold column families a newer engram added; open them too so
  // the format check below can explain the refusal.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, path, &existing).ok()) {
    for (const auto& name : existing) {
      bool known = false;
      for (const auto& d : descriptors) known |= d.name == name;
      if (!known) descriptors.emplace_back(name, cf_options);
    }
  }

  std::unique_ptr<EventLog> log(new EventLog());
  log->path_ = path;
  log->read_only_ = options.read_only;
  log->env_ = std::move(env);
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s;
  if (options.read_only) {
    // Column families a store opened read-only does not have yet (an old
    // store) cannot be created; every read of them finds nothing.
    std::vector<rocksdb::ColumnFamilyDescriptor> present;
    for (const auto& d : descriptors) {
      if (std::find(existing.begin(), existing.end(), d.name) != existing.end()) present.push_back(d);
    }
    s = rocksdb::DB::OpenForReadOnly(db_options, path, present, &handles, &raw);
    if (s.ok()) {
      std::vector<rocksdb::ColumnFamilyHandle*> by_cf(descriptors.size(), nullptr);
      for (auto* h : handles) {
        for (size_t i = 0; i < descriptors.size(); ++i) {
          if (descriptors[i].name == h->GetName()) by_cf[i] = h;
        }
      }
      handles = std::move(by_cf);
    }
  } else {
    s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  }
  if (!s.ok()) return OpenError(s, *folder);
  log->db_.reset(raw);
  log->cfs_ = std::move(handles);
  log->block_cache_ = std::move(block_cache);

  // Format version: written by the first open, checked by every other,
  // raised when an older store is opened for writing.
  auto version = log->Get(Cf::kMeta, "format_version");
  if (!version.ok()) return version.status();
  if (!version->has_value() && !options.read_only) {
    LogBatch batch = log->NewBatch();
    batch.Put(Cf::kMeta, "format_version", std::to_string(kFormatVersion));
    ENGRAM_RETURN_IF_ERROR(log->Write(batch, /*sync=*/true));
  } else if (version->has_value()) {
    int stored = 0;
    try {
      stored = std::stoi(**version);
    } catch (...) {
      return Status::Corruption("store '" + path + "' has an unreadable format version '" + **version + "'");
    }
    if (stored > kFormatVersion) {
      return Status::NotSupported("store '" + path + "' has format version " + std::to_string(stored) +
                                  ", newer than this engram supports (" + std::to_string(kFormatVersion) +
                                  "); open it with a newer engram");
    }
    if (stored < kFormatVersion && !options.read_only) {
      // Every older format is read as it is (docs/file-format.md, "Format
      // version rule"); raising the mark keeps an older engram from
      // misreading what this one writes next.
      LogBatch batch = log->NewBatch();
      batch.Put(Cf::kMeta, "format_version", std::to_string(kFormatVersion));
      ENGRAM_RETURN_IF_ERROR(log->Write(batch, /*sync=*/true));
      Log().info("upgraded store {} from format version {} to {}", path, stored, kFormatVersion);
    }
  }
  Log().info("opened store {}", path);
  return log;
}

Status EventLog::RepairFolder(const std::string& path) {
  rocksdb::Options db_options;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.paranoid_checks = false;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) {
    descriptors.emplace_back(kCfNames[i], rocksdb::ColumnFamilyOptions());
  }
  return FromRocks(rocksdb::RepairDB(path, db_options, descriptors, rocksdb::ColumnFamilyOptions()),
                   "repair the copy of store '" + path + "'");
}

EventLog::~EventLog() {
  if (db_) {
    for (auto* h : dropped_cfs_) db_->DestroyColumnFamilyHandle(h);
    for (auto* h : cfs_) {
      if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
    }
    db_->Close();
  }
}

Status EventLog::Write(LogBatch& batch, bool sync) {
  if (read_only_) return Status::FailedPrecondition("store '" + path_ + "' is open read-only");
  // After a failed write (a full disk, an I/O error) RocksDB refuses every
  // write until it is resumed. Resuming flushes the memtables and starts a
  // new WAL, so nothing is ever appended to a WAL whose append failed; while
  // the disk is still full resuming fails, and this write with it.
  const std::string what = "write to store '" + path_ + "'";
  if (write_failed_.load()) {
    rocksdb::Status resumed = db_->Resume();
    if (!resumed.ok()) return ResumeFailed(resumed, what);
    write_failed_ = false;
  }
  KeepAMemtableNonEmpty();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  // A batch may hold writes to a derived column family that DropAll
  // replaced since (a damaged cache dropped mid-load); they are moot.
  wo.ignore_missing_column_families = true;
  rocksdb::Status s = db_->Write(wo, batch.batch_.get());
  if (NeedsResume(s)) {
    // The error may be an earlier one of a background flush or compaction
    // (RocksDB then refuses writes without trying them): resume and retry
    // once. A failed write was not applied to the memtables, and a copy of
    // it that reached the old WAL holds the same keys and values, so the
    // retry cannot change what the log holds beyond this one batch.
    write_failed_ = true;
    if (db_->Resume().ok()) {
      write_failed_ = false;
      KeepAMemtableNonEmpty();  // resuming flushed them all
      s = db_->Write(wo, batch.batch_.get());
      if (NeedsResume(s)) write_failed_ = true;
    }
  }
  if (s.IsNoSpace()) return FromRocks(s, what + " (the store stays readable; writes resume once the disk has space)");
  return FromRocks(s, what);
}

void EventLog::KeepAMemtableNonEmpty() {
  // DB::Resume() starts a new WAL only by flushing a memtable that holds
  // data. With every memtable empty (just after opening or a flush) it would
  // keep the WAL whose append failed, and the next append to that WAL aborts
  // the process (an assertion in librocksdb 7.8). An unlogged key in the meta
  // memtable keeps one memtable non-empty; it is never read.
  uint64_t entries = 0;
  auto* meta = Handle(Cf::kMeta);
  if (db_->GetIntProperty(meta, "rocksdb.num-entries-active-mem-table", &entries) && entries > 0) return;
  rocksdb::WriteOptions unlogged;
  unlogged.disableWAL = true;
  db_->Put(unlogged, meta, "memtable_anchor", "").PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* EventLog::Handle(Cf cf) const {
  std::shared_lock<std::shared_mutex> lock(handles_mutex_);
  return cfs_[static_cast<int>(cf)];
}

std::vector<rocksdb::ColumnFamilyHandle*> EventLog::Handles() const {
  std::shared_lock<std::shared_mutex> lock(handles_mutex_);
  return cfs_;
}

Result<std::optional<std::string>> EventLog::Get(Cf cf, std::string_view key, const LogSnapshot* snapshot) const {
  rocksdb::ColumnFamilyHandle* handle = Handle(cf);
  if (handle == nullptr) return std::optional<std::string>();  // read-only, absent CF
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->get();
  std::string value;
  rocksdb::Status s = db_->Get(ro, handle, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, std::string("read ") + CfName(cf));
  return std::optional<std::string>(std::move(value));
}

Status EventLog::Scan(Cf cf, std::string_view begin, std::string_view end,
                      const std::function<bool(std::string_view, std::string_view)>& fn,
                      const LogSnapshot* snapshot) const {
  rocksdb::ColumnFamilyHandle* handle = Handle(cf);
  if (handle == nullptr) return Status::OK();  // read-only, absent CF
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->get();
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle));
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key(), v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
  return FromRocks(it->status(), std::string("scan ") + CfName(cf));
}

std::shared_ptr<const LogSnapshot> EventLog::Snapshot() const {
  return std::make_shared<const LogSnapshot>(db_.get(), db_->GetSnapshot());
}

Status EventLog::Flush() {
  if (read_only_) return Status::OK();
  if (write_failed_.load()) {
    rocksdb::Status resumed = db_->Resume();
    if (!resumed.ok()) return ResumeFailed(resumed, "flush store '" + path_ + "'");
    write_failed_ = false;
  }
  rocksdb::FlushOptions fo;
  rocksdb::Status s = db_->Flush(fo, Handles());
  if (s.ok()) s = db_->SyncWAL();
  if (NeedsResume(s)) write_failed_ = true;
  return FromRocks(s, "flush store '" + path_ + "'");
}

Status EventLog::EraseRange(std::string_view begin, std::string_view end) {
  if (read_only_) return Status::FailedPrecondition("store '" + path_ + "' is open read-only");
  // Flushing every column family makes the write-ahead logs written so far
  // obsolete; RocksDB deletes them (engram keeps no archive of them).
  ENGRAM_RETURN_IF_ERROR(Flush());
  // A compaction whose output cannot be written aborts the process in
  // librocksdb 7.8 (a debug assertion); refuse to start one that the disk
  // has no room for. Its output is never larger than its input.
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  uint64_t needed = 16u << 20;
  for (const auto& f : files) {
    if (f.largestkey >= begin && f.smallestkey < end) needed += f.size;
  }
  std::error_code ec;
  const std::filesystem::space_info space = std::filesystem::space(path_, ec);
  if (!ec && space.available < needed) {
    return Status::IOError("erase forgotten data from store '" + path_ + "': no space left on device (" +
                           std::to_string(space.available >> 20) + " MiB free, the erasure needs " +
                           std::to_string(needed >> 20) + " MiB)");
  }
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  co.exclusive_manual_compaction = false;
  rocksdb::Slice b(begin.data(), begin.size()), e(end.data(), end.size());
  for (auto* cf : Handles()) {
    if (cf == nullptr) continue;
    rocksdb::Status s = db_->CompactRange(co, cf, &b, &e);
    if (NeedsResume(s)) write_failed_ = true;  // a full disk: the next write resumes
    ENGRAM_RETURN_IF_ERROR(FromRocks(s, "erase forgotten data from store '" + path_ + "'"));
  }
  // Replaced tables and obsolete logs are deleted in the background;
  // re-enabling file deletions deletes them now, before this returns.
  ENGRAM_RETURN_IF_ERROR(FromRocks(db_->DisableFileDeletions(), "disable file deletions"));
  ENGRAM_RETURN_IF_ERROR(FromRocks(db_->EnableFileDeletions(/*force=*/false), "delete obsolete files"));
  return FromRocks(db_->SyncWAL(), "sync WAL");
}

Status EventLog::DropAll(Cf cf) {
  if (read_only_) return Status::FailedPrecondition("store '" + path_ + "' is open read-only");
  // Dropping the column family deletes its files without reading them (a
  // compaction of damaged blocks would fail); an empty one takes its place.
  // Exclusive: every other user of the handles waits for the swap.
  std::unique_lock<std::shared_mutex> lock(handles_mutex_);
  rocksdb::ColumnFamilyHandle*& handle = cfs_[static_cast<int>(cf)];
  rocksdb::ColumnFamilyDescriptor descriptor;
  ENGRAM_RETURN_IF_ERROR(FromRocks(handle->GetDescriptor(&descriptor), "describe column family"));
  rocksdb::ColumnFamilyHandle* fresh = nullptr;
  rocksdb::Status s = db_->DropColumnFamily(handle);
  if (s.ok()) s = db_->CreateColumnFamily(descriptor.options, CfName(cf), &fresh);
  if (!s.ok()) {
    if (s.IsIOError()) {
      // A failed MANIFEST write (a full disk). RocksDB's own error handler
      // disables file deletions for such a failure and DB::Resume() relies on
      // it (librocksdb 7.8 asserts it); column family changes do not go
      // through that handler, so do what it does. The next write resumes.
      db_->DisableFileDeletions().PermitUncheckedError();
      write_failed_ = true;
    }
    return FromRocks(s, std::string("replace column family ") + CfName(cf) + " of store '" + path_ + "'");
  }
  // Readers may still hold the old handle; it is destroyed at close.
  dropped_cfs_.push_back(handle);
  handle = fresh;
  return Status::OK();
}

uint64_t EventLog::MemtableBytes() const {
  uint64_t total = 0;
  for (auto* handle : Handles()) {
    uint64_t bytes = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kCurSizeAllMemTables, &bytes)) total += bytes;
  }
  return total;
}

uint64_t EventLog::BlockCacheBytes() const { return block_cache_ ? block_cache_->GetUsage() : 0; }

Status EventLog::VerifyChecksums() {
  return FromRocks(db_->VerifyChecksum(), "verify table checksums of store '" + path_ + "'");
}

}  // namespace engram::log
