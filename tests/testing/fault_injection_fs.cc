#include "testing/fault_injection_fs.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace engram::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

std::string FolderOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

const char* OpName(FaultOp op) {
  switch (op) {
    case kAppend: return "append";
    case kSync: return "sync";
    case kRead: return "read";
    case kRename: return "rename";
    case kCreate: return "create";
    case kDelete: return "delete";
    case kDirSync: return "folder sync";
    default: return "operation";
  }
}

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> target, FaultInjectionFs* fs, std::string path)
      : FSWritableFileOwnerWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kAppend, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::Append(data, o, dbg);
    if (s.ok()) fs_->OnAppend(path_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kAppend, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::Append(data, o, info, dbg);
    if (s.ok()) fs_->OnAppend(path_, data.size());
    return s;
  }
  // Positioned appends only ever extend the file in RocksDB; tracked as
  // appends of their length.
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kAppend, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, dbg);
    if (s.ok()) fs_->OnAppend(path_, data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kAppend, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, info, dbg);
    if (s.ok()) fs_->OnAppend(path_, data.size());
    return s;
  }
  IOStatus Allocate(uint64_t offset, uint64_t len, const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kAppend, path_);
    return s.ok() ? FSWritableFileOwnerWrapper::Allocate(offset, len, o, dbg) : s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kDelete, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::Truncate(size, o, dbg);
    if (s.ok()) fs_->OnTruncate(path_, size);
    return s;
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kSync, path_);
    if (s.ok() && fs_->real_syncs()) s = FSWritableFileOwnerWrapper::Sync(o, dbg);
    if (s.ok()) fs_->OnSync(path_);
    return s;
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kSync, path_);
    if (s.ok() && fs_->real_syncs()) s = FSWritableFileOwnerWrapper::Fsync(o, dbg);
    if (s.ok()) fs_->OnSync(path_);
    return s;
  }
  // Can fail, but never makes anything durable.
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kSync, path_);
    return s.ok() && fs_->real_syncs() ? FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, o, dbg) : s;
  }

 private:
  FaultInjectionFs* fs_;
  std::string path_;
};

class FaultSequentialFile : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  FaultSequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> target, FaultInjectionFs* fs, std::string path)
      : FSSequentialFileOwnerWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}
  IOStatus Read(size_t n, const IOOptions& o, Slice* result, char* scratch, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kRead, path_);
    return s.ok() ? FSSequentialFileOwnerWrapper::Read(n, o, result, scratch, dbg) : s;
  }
  IOStatus PositionedRead(uint64_t offset, size_t n, const IOOptions& o, Slice* result, char* scratch,
                          IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kRead, path_);
    return s.ok() ? FSSequentialFileOwnerWrapper::PositionedRead(offset, n, o, result, scratch, dbg) : s;
  }

 private:
  FaultInjectionFs* fs_;
  std::string path_;
};

class FaultRandomAccessFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> target, FaultInjectionFs* fs, std::string path)
      : FSRandomAccessFileOwnerWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}
  IOStatus Read(uint64_t offset, size_t n, const IOOptions& o, Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    IOStatus s = fs_->Check(kRead, path_);
    return s.ok() ? FSRandomAccessFileOwnerWrapper::Read(offset, n, o, result, scratch, dbg) : s;
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs, const IOOptions& o,
                     IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kRead, path_);
    if (!s.ok()) {
      for (size_t i = 0; i < num_reqs; ++i) reqs[i].status = s;
      return s;
    }
    return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num_reqs, o, dbg);
  }
  // Async reads would bypass the check above; RocksDB falls back to Read.
  IOStatus ReadAsync(rocksdb::FSReadRequest&, const IOOptions&, std::function<void(const rocksdb::FSReadRequest&, void*)>,
                     void*, void**, rocksdb::IOHandleDeleter*, IODebugContext*) override {
    return IOStatus::NotSupported("ReadAsync");
  }

 private:
  FaultInjectionFs* fs_;
  std::string path_;
};

class FaultDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> target, FaultInjectionFs* fs, std::string path)
      : FSDirectoryWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->Check(kDirSync, path_);
    if (s.ok() && fs_->real_syncs()) s = FSDirectoryWrapper::Fsync(o, dbg);
    if (s.ok()) fs_->OnDirSync(path_);
    return s;
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& options) override {
    IOStatus s = fs_->Check(kDirSync, path_);
    if (s.ok() && fs_->real_syncs()) s = FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, options);
    if (s.ok()) fs_->OnDirSync(path_);
    return s;
  }

 private:
  FaultInjectionFs* fs_;
  std::string path_;
};

}  // namespace

FaultInjectionFs::FaultInjectionFs(std::shared_ptr<rocksdb::FileSystem> base, bool real_syncs)
    : FileSystemWrapper(std::move(base)), real_syncs_(real_syncs) {}

void FaultInjectionFs::InjectFault(const FaultRule& rule) {
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.push_back(ArmedRule{rule, 0, std::mt19937_64(rule.seed)});
}

void FaultInjectionFs::ClearFaults() {
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.clear();
}

void FaultInjectionFs::PowerLossAt(uint64_t k) {
  std::lock_guard<std::mutex> lock(mutex_);
  power_loss_at_ = mutating_ops_.load() + std::max<uint64_t>(k, 1);
}

void FaultInjectionFs::LosePowerNow() { power_lost_ = true; }

IOStatus FaultInjectionFs::Check(FaultOp op, const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  return CheckLocked(op, path);
}

IOStatus FaultInjectionFs::CheckLocked(FaultOp op, const std::string& path) {
  if (op != kRead) {
    uint64_t n = ++mutating_ops_;
    if (power_loss_at_ != 0 && n >= power_loss_at_) power_lost_ = true;
    if (power_lost_) {
      if (std::getenv("ENGRAM_FAULT_TRACE") != nullptr) std::fprintf(stderr, "power lost: %s of '%s'\n", OpName(op), path.c_str());
      return IOStatus::IOError("fault injection: power lost before " + std::string(OpName(op)), path);
    }
  }
  for (ArmedRule& armed : rules_) {
    const FaultRule& rule = armed.rule;
    if ((rule.ops & op) == 0) continue;
    if (!rule.path_contains.empty() && path.find(rule.path_contains) == std::string::npos) continue;
    bool fail;
    if (rule.probability > 0) {
      fail = std::uniform_real_distribution<double>(0, 1)(armed.rng) < rule.probability;
    } else {
      ++armed.seen;
      fail = armed.seen == rule.nth || (rule.sticky && armed.seen > rule.nth);
    }
    if (!fail) continue;
    ++faults_injected_;
    const std::string what = "fault injection: " + std::string(OpName(op)) + " of '" + path + "'";
    if (std::getenv("ENGRAM_FAULT_TRACE") != nullptr) std::fprintf(stderr, "%s\n", what.c_str());
    if (rule.kind == FaultKind::kNoSpace) return IOStatus::NoSpace(what);
    return IOStatus::IOError(what);
  }
  return IOStatus::OK();
}

void FaultInjectionFs::TrackNewFileLocked(const std::string& path, bool created) {
  files_[path] = FileState{};
  if (created) new_files_[FolderOf(path)].insert(path);
}

void FaultInjectionFs::OnAppend(const std::string& path, uint64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_[path].size += n;
}

void FaultInjectionFs::OnSync(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  FileState& f = files_[path];
  f.synced_size = f.size;
}

void FaultInjectionFs::OnTruncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  FileState& f = files_[path];
  f.size = size;
  f.synced_size = std::min(f.synced_size, size);
}

void FaultInjectionFs::OnDirSync(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string folder = WithoutTrailingSlash(dir);
  new_files_.erase(folder);
  renames_.erase(folder);
}

IOStatus FaultInjectionFs::NewSequentialFile(const std::string& f, const rocksdb::FileOptions& o,
                                             std::unique_ptr<rocksdb::FSSequentialFile>* r, IODebugContext* dbg) {
  IOStatus s = Check(kRead, f);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::FSSequentialFile> file;
  s = target()->NewSequentialFile(f, o, &file, dbg);
  if (s.ok()) *r = std::make_unique<FaultSequentialFile>(std::move(file), this, f);
  return s;
}

IOStatus FaultInjectionFs::NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                               std::unique_ptr<rocksdb::FSRandomAccessFile>* r, IODebugContext* dbg) {
  IOStatus s = Check(kRead, f);
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  s = target()->NewRandomAccessFile(f, o, &file, dbg);
  if (s.ok()) *r = std::make_unique<FaultRandomAccessFile>(std::move(file), this, f);
  return s;
}

IOStatus FaultInjectionFs::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                           std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mutex_);
  IOStatus s = CheckLocked(kCreate, f);
  if (!s.ok()) return s;
  std::error_code ec;
  const bool existed = std::filesystem::exists(f, ec);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  s = target()->NewWritableFile(f, o, &file, dbg);
  if (!s.ok()) return s;
  TrackNewFileLocked(f, !existed);
  *r = std::make_unique<FaultWritableFile>(std::move(file), this, f);
  return s;
}

IOStatus FaultInjectionFs::ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                              std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mutex_);
  IOStatus s = CheckLocked(kCreate, f);
  if (!s.ok()) return s;
  std::error_code ec;
  const bool existed = std::filesystem::exists(f, ec);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  s = target()->ReopenWritableFile(f, o, &file, dbg);
  if (!s.ok()) return s;
  if (!existed) {
    TrackNewFileLocked(f, true);
  } else if (!files_.count(f)) {
    // An old file: what it holds is taken as durable.
    uint64_t size = std::filesystem::file_size(f, ec);
    files_[f] = FileState{size, size};
  }
  *r = std::make_unique<FaultWritableFile>(std::move(file), this, f);
  return s;
}

IOStatus FaultInjectionFs::ReuseWritableFile(const std::string& f, const std::string& old,
                                             const rocksdb::FileOptions& o,
                                             std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) {
  // A recycled log is a rename followed by a rewrite from offset 0.
  IOStatus s = RenameFile(old, f, IOOptions(), dbg);
  if (!s.ok()) return s;
  return NewWritableFile(f, o, r, dbg);
}

IOStatus FaultInjectionFs::NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& o,
                                           std::unique_ptr<rocksdb::FSRandomRWFile>* r, IODebugContext* dbg) {
  // RocksDB uses random read-write files only for external SST ingestion.
  IOStatus s = Check(kCreate, f);
  return s.ok() ? target()->NewRandomRWFile(f, o, r, dbg) : s;
}

IOStatus FaultInjectionFs::NewDirectory(const std::string& name, const IOOptions& o,
                                        std::unique_ptr<rocksdb::FSDirectory>* r, IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  IOStatus s = target()->NewDirectory(name, o, &dir, dbg);
  if (s.ok()) *r = std::make_unique<FaultDirectory>(std::move(dir), this, WithoutTrailingSlash(name));
  return s;
}

IOStatus FaultInjectionFs::DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mutex_);
  IOStatus s = CheckLocked(kDelete, f);
  if (s.ok()) s = target()->DeleteFile(f, o, dbg);
  if (!s.ok()) return s;
  files_.erase(f);
  new_files_[FolderOf(f)].erase(f);
  auto& renames = renames_[FolderOf(f)];
  renames.erase(std::remove_if(renames.begin(), renames.end(), [&](const PendingRename& p) { return p.to == f; }),
                renames.end());
  return s;
}

IOStatus FaultInjectionFs::Truncate(const std::string& f, size_t size, const IOOptions& o, IODebugContext* dbg) {
  IOStatus s = Check(kDelete, f);
  if (s.ok()) s = target()->Truncate(f, size, o, dbg);
  if (s.ok()) OnTruncate(f, size);
  return s;
}

IOStatus FaultInjectionFs::RenameFile(const std::string& s, const std::string& t, const IOOptions& o,
                                      IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mutex_);
  IOStatus st = CheckLocked(kRename, s);
  if (!st.ok()) return st;
  PendingRename pending;
  pending.from = s;
  pending.to = t;
  pending.replaced = ReadWholeFile(t, &pending.old_contents);
  if (pending.replaced) {
    if (auto it = files_.find(t); it != files_.end()) pending.old_contents.resize(it->second.synced_size);
  }
  st = target()->RenameFile(s, t, o, dbg);
  if (!st.ok()) return st;
  pending.from_was_new = new_files_[FolderOf(s)].erase(s) > 0;
  if (auto it = files_.find(s); it != files_.end()) {
    files_[t] = it->second;
    files_.erase(s);
  } else {
    files_.erase(t);
  }
  renames_[FolderOf(t)].push_back(std::move(pending));
  return st;
}

IOStatus FaultInjectionFs::LinkFile(const std::string& s, const std::string& t, const IOOptions& o,
                                    IODebugContext* dbg) {
  IOStatus st = Check(kCreate, t);
  return st.ok() ? target()->LinkFile(s, t, o, dbg) : st;
}

IOStatus FaultInjectionFs::CreateDir(const std::string& d, const IOOptions& o, IODebugContext* dbg) {
  IOStatus s = Check(kCreate, d);
  return s.ok() ? target()->CreateDir(d, o, dbg) : s;
}

IOStatus FaultInjectionFs::CreateDirIfMissing(const std::string& d, const IOOptions& o, IODebugContext* dbg) {
  IOStatus s = Check(kCreate, d);
  return s.ok() ? target()->CreateDirIfMissing(d, o, dbg) : s;
}

IOStatus FaultInjectionFs::ApplyPowerLoss(PowerLossModel model, uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::mt19937_64 rng(seed);
  std::error_code ec;
  // 1. Unsynced tails go.
  for (const auto& [path, state] : files_) {
    if (state.size <= state.synced_size || !std::filesystem::exists(path, ec)) continue;
    uint64_t keep = state.synced_size;
    if (model == PowerLossModel::kKeepRandomUnsyncedPrefix) keep += rng() % (state.size - state.synced_size + 1);
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      return IOStatus::IOError("power loss: cannot truncate", path);
    }
  }
  // 2. Renames not made durable by a folder fsync are undone, newest first.
  for (auto& [folder, renames] : renames_) {
    for (auto it = renames.rbegin(); it != renames.rend(); ++it) {
      if (std::filesystem::exists(it->to, ec)) {
        if (it->from_was_new) {
          std::filesystem::remove(it->to, ec);
        } else {
          std::filesystem::rename(it->to, it->from, ec);
        }
        if (ec) return IOStatus::IOError("power loss: cannot undo rename of " + it->from, ec.message());
      }
      if (it->replaced && !WriteWholeFile(it->to, it->old_contents)) {
        return IOStatus::IOError("power loss: cannot restore", it->to);
      }
    }
  }
  // 3. Files whose creation no folder fsync made durable go.
  for (const auto& [folder, paths] : new_files_) {
    for (const auto& path : paths) std::filesystem::remove(path, ec);
  }
  files_.clear();
  new_files_.clear();
  renames_.clear();
  rules_.clear();
  power_loss_at_ = 0;
  power_lost_ = false;
  return IOStatus::OK();
}

}  // namespace engram::testing
