// FaultInjectionFs: a RocksDB FileSystem for tests that fails chosen
// operations (EIO or ENOSPC) and simulates power loss.
//
// Wrap the OS file system, hand it to the store through
// log::LogOptions::file_system, and arm faults:
//
//   auto fs = std::make_shared<testing::FaultInjectionFs>();
//   // every WAL append from the 3rd on fails with ENOSPC
//   fs->InjectFault(FaultRule::From(kAppend, FaultKind::kNoSpace, 3, ".log"));
//
// Power loss. The file system tracks, per file written through it, the size
// at its last successful Sync/Fsync, the files created since their folder was
// last fsynced, and the renames not yet followed by a folder fsync. From the
// moment power is lost (PowerLossAt(k): the k-th mutating operation, or
// LosePowerNow()) every mutating operation fails with EIO, so the dying store
// cannot write more; reads still work. Once the store is destroyed,
// ApplyPowerLoss() rewrites the folder to what a disk would hold:
//   - every tracked file is truncated to its size at its last sync (or, with
//     PowerLossModel::kKeepRandomUnsyncedPrefix, to a seeded random length
//     between that and its current size, as if the kernel had written back
//     part of the unsynced tail before the power went);
//   - a file created since its folder's last fsync is deleted (as LevelDB's
//     fault-injection test does);
//   - a rename not followed by an fsync of the target's folder is undone: the
//     file goes back to its old name and the file it replaced, whose bytes
//     were saved at rename time, comes back. (Real file systems often keep
//     such a rename; undoing it is the stricter assumption.)
// Not modelled: deletes are taken as durable at once (undoing one would only
// resurrect a file RocksDB no longer references); RangeSync counts as no sync
// at all (sync_file_range makes no durability promise); files opened before
// this file system saw them (a reopened store's old files) are taken as
// fully synced.
//
// Thread safety: every method is safe to call concurrently with the store's
// own use of the file system.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace engram::testing {

// Operation classes a fault can match (a bit mask).
enum FaultOp : uint32_t {
  kAppend = 1u << 0,   // Append / PositionedAppend / Allocate on a writable file
  kSync = 1u << 1,     // Sync / Fsync / RangeSync on a writable file
  kRead = 1u << 2,     // Read on a sequential or random-access file
  kRename = 1u << 3,   // RenameFile
  kCreate = 1u << 4,   // NewWritableFile / ReopenWritableFile / ReuseWritableFile
  kDelete = 1u << 5,   // DeleteFile / Truncate
  kDirSync = 1u << 6,  // Fsync of a folder
  kAllWrites = kAppend | kSync | kRename | kCreate | kDelete | kDirSync,
};

enum class FaultKind {
  kIoError,  // EIO
  kNoSpace,  // ENOSPC
};

struct FaultRule {
  uint32_t ops = kAllWrites;     // which operations the rule matches
  std::string path_contains;     // and only on paths containing this ("" = any)
  FaultKind kind = FaultKind::kIoError;
  // Fail the nth matching operation from now (1 = the next one)...
  uint64_t nth = 1;
  // ...and, when sticky, every matching operation after it too.
  bool sticky = false;
  // When > 0, the rule instead fails each matching operation with this
  // probability, drawn from a generator seeded with `seed`.
  double probability = 0;
  uint64_t seed = 0;

  // The nth matching operation fails, only it.
  static FaultRule Once(uint32_t ops, FaultKind kind, uint64_t nth = 1, std::string path_contains = "") {
    FaultRule r;
    r.ops = ops;
    r.kind = kind;
    r.nth = nth;
    r.path_contains = std::move(path_contains);
    return r;
  }
  // The nth matching operation and every later one fail.
  static FaultRule From(uint32_t ops, FaultKind kind, uint64_t nth = 1, std::string path_contains = "") {
    FaultRule r = Once(ops, kind, nth, std::move(path_contains));
    r.sticky = true;
    return r;
  }
  // Each matching operation fails with probability p.
  static FaultRule Randomly(uint32_t ops, FaultKind kind, double p, uint64_t seed) {
    FaultRule r = Once(ops, kind);
    r.probability = p;
    r.seed = seed;
    return r;
  }
};

enum class PowerLossModel {
  kDropUnsynced,               // every unsynced byte is gone
  kKeepRandomUnsyncedPrefix,   // a random prefix of each unsynced tail survives
};

class FaultInjectionFs : public rocksdb::FileSystemWrapper {
 public:
  // With real_syncs false (default), Sync/Fsync and folder fsyncs are only
  // recorded, not passed to the OS: durability is what this class models,
  // and tests run many times faster without real fsyncs.
  explicit FaultInjectionFs(std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default(),
                            bool real_syncs = false);
  bool real_syncs() const { return real_syncs_; }

  static const char* kClassName() { return "EngramFaultInjectionFs"; }
  const char* Name() const override { return kClassName(); }

  // --- Faults -------------------------------------------------------------
  void InjectFault(const FaultRule& rule);
  // A full disk: every Append fails with ENOSPC until ClearFaults().
  void SetDiskFull() { InjectFault(FaultRule::From(kAppend, FaultKind::kNoSpace)); }
  void ClearFaults();
  // How many operations the armed rules have failed so far.
  uint64_t faults_injected() const { return faults_injected_.load(); }

  // --- Power loss ---------------------------------------------------------
  // Power is lost just before the k-th mutating operation from now (k >= 1):
  // that operation and every later one fails.
  void PowerLossAt(uint64_t k);
  void LosePowerNow();
  bool power_lost() const { return power_lost_.load(); }
  // Rewrites the files to what survives the power loss (see the header
  // comment), then powers back up: tracking restarts, faults are cleared.
  // Call it only after the store using this file system is destroyed.
  rocksdb::IOStatus ApplyPowerLoss(PowerLossModel model = PowerLossModel::kDropUnsynced, uint64_t seed = 0);

  // Mutating operations seen since construction (what PowerLossAt counts).
  uint64_t mutating_ops() const { return mutating_ops_.load(); }

  // --- rocksdb::FileSystem ------------------------------------------------
  rocksdb::IOStatus NewSequentialFile(const std::string& f, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& f, size_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& s, const std::string& t, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& s, const std::string& t, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& d, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& d, const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override;

  // Called by the file wrappers (fault_injection_fs.cc).
  rocksdb::IOStatus Check(FaultOp op, const std::string& path);
  void OnAppend(const std::string& path, uint64_t n);
  void OnSync(const std::string& path);
  void OnTruncate(const std::string& path, uint64_t size);
  void OnDirSync(const std::string& dir);

 private:
  struct FileState {
    uint64_t size = 0;         // bytes written through us
    uint64_t synced_size = 0;  // size at the last successful Sync/Fsync
  };
  struct PendingRename {
    std::string from, to;
    bool from_was_new = false;  // `from` was created since its folder's last fsync
    bool replaced = false;      // `to` existed before the rename
    std::string old_contents;   // its durable bytes then
  };
  struct ArmedRule {
    FaultRule rule;
    uint64_t seen = 0;
    std::mt19937_64 rng;
  };

  // Tracks a file just opened for writing from offset 0 (`created`: it did
  // not exist before).
  void TrackNewFileLocked(const std::string& path, bool created);
  rocksdb::IOStatus CheckLocked(FaultOp op, const std::string& path);

  mutable std::mutex mutex_;
  std::map<std::string, FileState> files_;                      // guarded by mutex_
  std::map<std::string, std::set<std::string>> new_files_;      // folder -> files created since its fsync
  std::map<std::string, std::vector<PendingRename>> renames_;   // folder of the target -> renames since its fsync
  std::vector<ArmedRule> rules_;                                // guarded by mutex_
  uint64_t power_loss_at_ = 0;                                  // mutating op that loses power; 0 = never
  std::atomic<uint64_t> mutating_ops_{0};
  std::atomic<uint64_t> faults_injected_{0};
  std::atomic<bool> power_lost_{false};
  const bool real_syncs_;
};

}  // namespace engram::testing
