#include "log/event_log.h"

#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include "common/logging.h"

namespace engram::log {
namespace {

const char* const kCfNames[] = {"default",
                                    "turns", "source_ids", "derived", "embeddings", "snapshots", "queue"};
static_assert(sizeof(kCfNames) / sizeof(kCfNames[0]) == static_cast<size_t>(Cf::kCount));

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  if (s.IsNotSupported()) return Status::NotSupported(msg);
  return Status::IOError(msg);
}

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

LogBatch::LogBatch(rocksdb::ColumnFamilyHandle* const* cfs)
    : batch_(std::make_unique<rocksdb::WriteBatch>()), cfs_(cfs) {}
LogBatch::~LogBatch() = default;
LogBatch::LogBatch(LogBatch&&) noexcept = default;
LogBatch& LogBatch::operator=(LogBatch&&) noexcept = default;

void LogBatch::Put(Cf cf, std::string_view key, std::string_view value) {
  batch_->Put(cfs_[static_cast<int>(cf)], rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()));
}

void LogBatch::Delete(Cf cf, std::string_view key) {
  batch_->Delete(cfs_[static_cast<int>(cf)], rocksdb::Slice(key.data(), key.size()));
}

void LogBatch::DeleteRange(Cf cf, std::string_view begin, std::string_view end) {
  batch_->DeleteRange(cfs_[static_cast<int>(cf)], rocksdb::Slice(begin.data(), begin.size()),
                      rocksdb::Slice(end.data(), end.size()));
}

size_t LogBatch::Count() const { return batch_->Count(); }
size_t LogBatch::ByteSize() const { return batch_->GetDataSize(); }

Result<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path, const LogOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!options.create_if_missing) return Status::NotFound("store '" + path + "' does not exist");
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::IOError("cannot create store folder '" + path + "': " + ec.message());
  } else if (!std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("store path '" + path + "' is not a folder");
  } else if (!options.create_if_missing && !std::filesystem::exists(path + "/CURRENT", ec)) {
    return Status::NotFound("'" + path + "' holds no store");
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  db_options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
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
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s, "cannot open store '" + path + "'");
  log->db_.reset(raw);
  log->cfs_ = std::move(handles);

  // Format version: written once by the first open, checked by every other.
  auto version = log->Get(Cf::kMeta, "format_version");
  if (!version.ok()) return version.status();
  if (!version->has_value()) {
    LogBatch batch = log->NewBatch();
    batch.Put(Cf::kMeta, "format_version", std::to_string(kFormatVersion));
    ENGRAM_RETURN_IF_ERROR(log->Write(batch, /*sync=*/true));
  } else {
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
  }
  Log().info("opened store {}", path);
  return log;
}

EventLog::~EventLog() {
  if (db_) {
    for (auto* h : cfs_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Status EventLog::Write(LogBatch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, batch.batch_.get()), "write to store '" + path_ + "'");
}

Result<std::optional<std::string>> EventLog::Get(Cf cf, std::string_view key, const LogSnapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->get();
  std::string value;
  rocksdb::Status s = db_->Get(ro, cfs_[static_cast<int>(cf)], rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, std::string("read ") + CfName(cf));
  return std::optional<std::string>(std::move(value));
}

Status EventLog::Scan(Cf cf, std::string_view begin, std::string_view end,
                      const std::function<bool(std::string_view, std::string_view)>& fn,
                      const LogSnapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->get();
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[static_cast<int>(cf)]));
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
  rocksdb::FlushOptions fo;
  ENGRAM_RETURN_IF_ERROR(FromRocks(db_->Flush(fo, cfs_), "flush"));
  return FromRocks(db_->SyncWAL(), "sync WAL");
}

}  // namespace engram::log
