// Checking and salvaging a store folder that may be damaged.
//
// Opening a damaged store fails with Corruption and changes nothing. These
// two calls are what to do next: CheckStore says what is damaged, and
// SalvageStore copies every turn that can still be read into a new store,
// naming what could not be read. Neither ever writes to the store it reads.
//
// Thread safety: both work on folders no other process is writing to; they
// open the store read-only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engram/options.h"
#include "engram/status.h"

namespace engram {

// One finding of CheckStore or SalvageStore.
struct StoreProblem {
  std::string file;   // the file it is in ("000012.log", "MANIFEST-000005", "CURRENT"), or "" for the store
  std::string what;   // prose: "checksum mismatch at byte 4096", "turn record of tenant 'maya' does not decode"
  bool data_loss_risk = true;  // false for derived state (indexes, extractions) that a rebuild restores
};

struct CheckReport {
  std::string path;
  uint64_t log_files = 0;     // write-ahead logs and MANIFESTs verified record by record
  uint64_t log_records = 0;   // their records whose checksums verified
  uint64_t table_files = 0;   // table files whose every block checksum was verified
  uint64_t turns = 0;         // turn records that decoded
  uint64_t derived_records = 0;
  uint64_t tenants = 0;
  std::vector<StoreProblem> problems;
  // True when nothing at all is wrong.
  bool ok() const { return problems.empty(); }
};

// Verifies every checksum of every file in the store folder `path`
// (write-ahead logs, MANIFEST, every block of every table file), then, if
// the store opens, decodes every turn and derived record. Fails only when
// `path` is not a store folder at all; damage is reported, not returned.
Result<CheckReport> CheckStore(const std::string& path);

struct SalvageReport {
  std::string from, to;
  bool repaired_manifest = false;     // the store's CURRENT/MANIFEST was unusable and was rebuilt (in a copy)
  uint64_t turns_copied = 0;
  std::map<std::string, uint64_t> turns_by_tenant;
  // Turns known to exist (their source id is recorded) whose record could
  // not be read, as "tenant / source id".
  std::vector<std::string> lost_turns;
  uint64_t unreadable_regions = 0;    // corrupt table blocks or log records skipped
  std::vector<StoreProblem> problems;
};

// Copies every readable turn of the store at `from` into a new store at
// `to` (which must not hold a store), preserving tenants, sessions,
// speakers, times, texts and source ids; derived memory is rebuilt from
// them when `to` is next opened. Damaged log records and table blocks are
// skipped and reported. `options` are used to create `to` (the embedder is
// not loaded: the copy is written log-only).
Result<SalvageReport> SalvageStore(const std::string& from, const std::string& to, const Options& options = {});

}  // namespace engram
