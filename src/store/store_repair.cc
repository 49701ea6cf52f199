// CheckStore and SalvageStore (include/engram/repair.h).
#include <algorithm>
#include <filesystem>
#include <set>

#include "common/logging.h"
#include "engram/repair.h"
#include "engram/store.h"
#include "log/event_log.h"
#include "log/key_codec.h"
#include "log/log_file_check.h"
#include "log/store_folder.h"
#include "store/doc_vectors.h"
#include "store/store_impl.h"
#include "tiers/record_codec.h"

namespace engram {
namespace {

using log::Cf;
using log::EventLog;

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Verifies the files one by one, without opening the store.
void CheckFiles(const log::StoreFolder& folder, CheckReport* report) {
  if (folder.current_manifest.empty()) {
    report->problems.push_back({"CURRENT", "missing: the store cannot say which MANIFEST is current", true});
  } else if (!folder.current_valid) {
    report->problems.push_back({"CURRENT", "names " + Quoted(folder.current_manifest) + ", which does not exist", true});
  }
  std::vector<std::string> logs = folder.wal_files;
  logs.insert(logs.end(), folder.manifests.begin(), folder.manifests.end());
  for (const auto& name : logs) {
    auto checked = log::CheckLogFile(folder.path + "/" + name);
    ++report->log_files;
    if (!checked.ok()) {
      report->problems.push_back({name, checked.status().message(), true});
      continue;
    }
    report->log_records += checked->records;
    for (const auto& d : checked->damage) {
      report->problems.push_back({name, d.reason + " at byte " + std::to_string(d.offset), true});
    }
  }
  for (const auto& name : folder.table_files) {
    uint64_t entries = 0;
    ++report->table_files;
    Status s = log::VerifyTableFile(folder.path + "/" + name, &entries);
    if (!s.ok()) report->problems.push_back({name, s.message(), true});
  }
}

// Decodes every record of an opened store.
void CheckRecords(const EventLog& log, CheckReport* report) {
  std::set<std::string> tenants;
  std::set<std::pair<std::string, uint64_t>> turn_seqs;
  Status s = log.Scan(Cf::kTurns, {}, {}, [&](std::string_view key, std::string_view value) {
    std::string_view rest = key, tenant;
    Turn turn;
    if (!log::GetTenant(&rest, &tenant) || rest.size() != 8) {
      report->problems.push_back({"", "turn key of " + std::to_string(key.size()) + " bytes does not decode", true});
      return true;
    }
    uint64_t seq = log::DecodeFixed64BE(rest.data());
    if (Status d = log::DecodeTurn(value, &turn); !d.ok()) {
      report->problems.push_back(
          {"", "turn " + std::to_string(seq) + " of tenant " + Quoted(tenant) + ": " + d.message(), true});
      return true;
    }
    ++report->turns;
    tenants.emplace(tenant);
    turn_seqs.emplace(std::string(tenant), seq);
    return true;
  });
  if (!s.ok()) report->problems.push_back({"", "reading turns: " + s.message(), true});
  report->tenants = tenants.size();

  s = log.Scan(Cf::kSourceIds, {}, {}, [&](std::string_view key, std::string_view value) {
    std::string_view rest = key, tenant;
    if (!log::GetTenant(&rest, &tenant) || value.size() != 8) {
      report->problems.push_back({"", "source id entry does not decode", true});
      return true;
    }
    uint64_t seq = log::DecodeFixed64BE(value.data());
    if (!turn_seqs.count({std::string(tenant), seq})) {
      report->problems.push_back({"", "tenant " + Quoted(tenant) + " source id " + Quoted(rest) + " points at turn " +
                                          std::to_string(seq) + ", which is not readable",
                                  true});
    }
    return true;
  });
  if (!s.ok()) report->problems.push_back({"", "reading source ids: " + s.message(), true});

  s = log.Scan(Cf::kDerived, {}, {}, [&](std::string_view key, std::string_view value) {
    std::string_view rest = key, tenant;
    if (!log::GetTenant(&rest, &tenant) || rest.size() != 13) {
      report->problems.push_back({"", "derived record key does not decode", false});
      return true;
    }
    Status d;
    switch (static_cast<DerivedKind>(rest[8])) {
      case DerivedKind::kUnit: { EventUnit u; d = DecodeUnit(value, &u); break; }
      case DerivedKind::kFact: { PersonaFact f; d = DecodeFact(value, &f); break; }
      case DerivedKind::kEntity: { Entity e; d = DecodeEntity(value, &e); break; }
      case DerivedKind::kRelation: { Relation r; d = DecodeRelation(value, &r); break; }
      default: d = Status::Corruption("unknown kind"); break;
    }
    if (!d.ok()) {
      report->problems.push_back({"", "derived record of turn " + std::to_string(log::DecodeFixed64BE(rest.data())) +
                                          " of tenant " + Quoted(tenant) + ": " + d.message() +
                                          " (derived again when the tenant is next loaded)",
                                  false});
    } else {
      ++report->derived_records;
    }
    return true;
  });
  if (!s.ok()) report->problems.push_back({"", "reading derived records: " + s.message(), false});

  // Vector index checkpoints: each head, its chunks and their CRC.
  std::vector<std::string> checkpointed;
  s = log.Scan(Cf::kSnapshots, {}, {}, [&](std::string_view key, std::string_view) {
    std::string_view rest = key, tenant;
    if (log::GetTenant(&rest, &tenant) && rest == "vidx") checkpointed.emplace_back(tenant);
    return true;
  });
  if (!s.ok()) report->problems.push_back({"", "reading index checkpoints: " + s.message(), false});
  for (const auto& tenant : checkpointed) {
    VectorCheckpointHead head;
    auto bytes = ReadVectorCheckpoint(log, tenant, &head);
    Status intact = bytes.status();
    if (intact.ok()) intact = ReadVectorCheckpointDeltas(log, tenant, head).status();
    if (!intact.ok()) {
      report->problems.push_back({"", "vector index checkpoint of tenant " + Quoted(tenant) + ": " +
                                          intact.message() + " (rebuilt when the tenant is next loaded)",
                                  false});
    }
  }

  // Stored vectors: each of a shape, all of one dimension.
  size_t dim = 0;
  uint64_t bad_vectors = 0;
  s = log.Scan(Cf::kVectors, {}, {}, [&](std::string_view key, std::string_view value) {
    std::string_view rest = key, tenant;
    size_t d = 0;
    if (!log::GetTenant(&rest, &tenant) || rest.size() != 8 || !IsDocVectorOfDim(value, &d) || (dim != 0 && d != dim)) {
      ++bad_vectors;
    } else {
      dim = d;
    }
    return true;
  });
  if (!s.ok()) report->problems.push_back({"", "reading stored vectors: " + s.message(), false});
  if (bad_vectors > 0) {
    report->problems.push_back({"", std::to_string(bad_vectors) +
                                        " stored vectors do not decode (embedded again when their tenant is next loaded)",
                                false});
  }
}

// Tenants with keys in `cf`, one seek per tenant; stops at the first
// unreadable region (other column families fill the gaps).
void CollectTenants(const EventLog& log, Cf cf, std::set<std::string>* tenants, SalvageReport* report) {
  std::string begin;
  for (;;) {
    std::string found;
    Status s = log.Scan(cf, begin, {}, [&](std::string_view key, std::string_view) {
      std::string_view tenant;
      if (log::GetTenant(&key, &tenant)) found.assign(tenant);
      return false;
    });
    if (!s.ok()) {
      ++report->unreadable_regions;
      report->problems.push_back({"", std::string("listing tenants in ") + log::CfName(cf) + ": " + s.message(), true});
      return;
    }
    if (found.empty()) return;
    tenants->insert(found);
    begin = log::TenantPrefixEnd(found);
  }
}

// The turns of `tenant` that can be read, stepping over unreadable table
// blocks: after a failure, the first readable key is found by exponential
// and then binary search on the sequence number.
std::map<uint64_t, Turn> ReadTurns(const EventLog& log, const std::string& tenant, uint64_t max_seq,
                                   SalvageReport* report) {
  std::map<uint64_t, Turn> turns;
  const std::string prefix = log::TenantPrefix(tenant), end = log::TenantPrefixEnd(tenant);
  auto readable_from = [&](uint64_t seq) {
    return log.Scan(Cf::kTurns, log::TurnKey(tenant, seq), end, [](std::string_view, std::string_view) { return false; })
        .ok();
  };
  uint64_t from = 0;
  while (from <= max_seq) {
    uint64_t last = 0;
    bool any = false;
    Status s = log.Scan(Cf::kTurns, log::TurnKey(tenant, from), end, [&](std::string_view key, std::string_view value) {
      if (key.size() != prefix.size() + 8) return true;
      last = log::DecodeFixed64BE(key.data() + prefix.size());
      any = true;
      Turn turn;
      Status d = log::DecodeTurn(value, &turn);
      if (d.ok()) {
        turns.emplace(last, std::move(turn));
      } else {
        report->problems.push_back({"", "turn " + std::to_string(last) + " of tenant " + Quoted(tenant) + ": " +
                                            d.message(),
                                    true});
      }
      return true;
    });
    if (s.ok()) break;
    ++report->unreadable_regions;
    report->problems.push_back({"", "turns of tenant " + Quoted(tenant) + " after seq " +
                                        std::to_string(any ? last : from) + ": " + s.message(),
                                true});
    const uint64_t start = any ? last + 1 : from;
    uint64_t bad = start, step = 1, good = 0;
    while (true) {
      uint64_t probe = start + step;
      if (probe > max_seq) {
        good = readable_from(max_seq + 1) ? max_seq + 1 : 0;
        break;
      }
      if (readable_from(probe)) {
        good = probe;
        break;
      }
      bad = probe;
      step *= 2;
    }
    if (good == 0) break;  // nothing readable after the damage
    while (good - bad > 1) {
      uint64_t mid = bad + (good - bad) / 2;
      (readable_from(mid) ? good : bad) = mid;
    }
    from = good;
  }
  return turns;
}

// seq -> source id of `tenant`, as far as the source id entries are readable.
std::map<uint64_t, std::string> ReadSourceIds(const EventLog& log, const std::string& tenant, SalvageReport* report) {
  std::map<uint64_t, std::string> ids;
  const std::string prefix = log::TenantPrefix(tenant);
  Status s = log.Scan(Cf::kSourceIds, prefix, log::TenantPrefixEnd(tenant),
                      [&](std::string_view key, std::string_view value) {
                        if (value.size() == 8) {
                          ids[log::DecodeFixed64BE(value.data())] = std::string(key.substr(prefix.size()));
                        }
                        return true;
                      });
  if (!s.ok()) {
    ++report->unreadable_regions;
    report->problems.push_back({"", "source ids of tenant " + Quoted(tenant) + ": " + s.message(), true});
  }
  return ids;
}

}  // namespace

Result<CheckReport> CheckStore(const std::string& path) {
  auto folder = log::InspectStoreFolder(path);
  if (!folder.ok()) return folder.status();
  if (!folder->exists) return Status::NotFound("store '" + path + "' does not exist");
  if (folder->current_manifest.empty() && !folder->HasData() && folder->manifests.empty()) {
    return Status::NotFound("'" + path + "' holds no store");
  }
  CheckReport report;
  report.path = path;
  CheckFiles(*folder, &report);
  log::LogOptions options;
  options.read_only = true;
  options.create_if_missing = false;
  auto log = EventLog::Open(path, options);
  if (!log.ok()) {
    // The files found damaged above are why; say so only when they are not.
    if (report.ok()) report.problems.push_back({"", log.status().message(), true});
    return report;
  }
  CheckRecords(**log, &report);
  return report;
}

Result<SalvageReport> SalvageStore(const std::string& from, const std::string& to, const Options& options) {
  namespace fs = std::filesystem;
  SalvageReport report;
  report.from = from;
  report.to = to;
  auto source = log::InspectStoreFolder(from);
  if (!source.ok()) return source.status();
  if (!source->exists) return Status::NotFound("store '" + from + "' does not exist");
  auto target = log::InspectStoreFolder(to);
  if (!target.ok()) return target.status();
  if (!target->current_manifest.empty() || target->HasData() || !target->manifests.empty()) {
    return Status::AlreadyExists("'" + to + "' already holds a store; salvage into a new folder");
  }
  std::error_code ec;
  if (fs::equivalent(from, to, ec)) return Status::InvalidArgument("salvage needs a folder other than the store's");

  // Open the store as it is, skipping damaged log records; when its
  // MANIFEST is unusable, rebuild one in a copy (the original is never
  // written).
  log::LogOptions log_options;
  log_options.salvage = true;
  log_options.create_if_missing = false;
  auto log = EventLog::Open(from, log_options);
  std::string copy;
  if (!log.ok()) {
    copy = to + ".salvage-work";
    fs::remove_all(copy, ec);
    fs::create_directories(copy, ec);
    if (ec) return Status::IOError("cannot create '" + copy + "': " + ec.message());
    for (const auto& name : source->table_files) fs::copy_file(from + "/" + name, copy + "/" + name, ec);
    for (const auto& name : source->wal_files) fs::copy_file(from + "/" + name, copy + "/" + name, ec);
    if (ec) return Status::IOError("cannot copy the store's files to '" + copy + "': " + ec.message());
    report.problems.push_back({"", "the store does not open (" + log.status().message() +
                                       "); its MANIFEST was rebuilt from its files in a copy",
                               true});
    ENGRAM_RETURN_IF_ERROR(EventLog::RepairFolder(copy));
    report.repaired_manifest = true;
    log = EventLog::Open(copy, log_options);
    if (!log.ok()) return log.status().WithContext("the repaired copy does not open either");
  }
  for (const auto& name : source->wal_files) {
    auto checked = log::CheckLogFile(from + "/" + name);
    if (!checked.ok()) continue;
    for (const auto& d : checked->damage) {
      ++report.unreadable_regions;
      report.problems.push_back({name, d.reason + " at byte " + std::to_string(d.offset) + " (record skipped)", true});
    }
  }

  uint64_t max_seq = 0;
  if (auto last = (*log)->Get(Cf::kMeta, "last_seq"); last.ok() && last->has_value() && (*last)->size() == 8) {
    max_seq = log::DecodeFixed64BE((*last)->data());
  }
  std::set<std::string> tenants;
  for (Cf cf : {Cf::kTurns, Cf::kSourceIds, Cf::kDerived, Cf::kVectors, Cf::kEmbeddings}) CollectTenants(**log, cf, &tenants, &report);
  std::map<std::string, std::map<uint64_t, std::string>> source_ids;
  for (const auto& tenant : tenants) {
    source_ids[tenant] = ReadSourceIds(**log, tenant, &report);
    if (!source_ids[tenant].empty()) max_seq = std::max(max_seq, source_ids[tenant].rbegin()->first);
  }

  Options out_options = options;
  out_options.log_only = true;
  out_options.read_only = false;
  out_options.create_if_missing = true;
  auto out = Store::Open(out_options, to);
  if (!out.ok()) return out.status();
  for (const auto& tenant : tenants) {
    std::map<uint64_t, Turn> turns = ReadTurns(**log, tenant, max_seq, &report);
    std::vector<Turn> batch;
    auto flush = [&]() -> Status {
      if (batch.empty()) return Status::OK();
      auto seqs = (*out)->ObserveBatch(tenant, batch, WriteOptions{.sync = true});
      if (!seqs.ok()) return seqs.status().WithContext("writing tenant '" + tenant + "' to '" + to + "'");
      report.turns_copied += batch.size();
      report.turns_by_tenant[tenant] += batch.size();
      batch.clear();
      return Status::OK();
    };
    Status written;
    for (auto& [seq, turn] : turns) {
      batch.push_back(std::move(turn));
      if (batch.size() >= 256 && written.ok()) written = flush();
    }
    if (written.ok()) written = flush();
    if (written.IsInvalidArgument()) {
      // A tenant or turn that today's rules refuse (written by an older
      // engram): reported, the rest of the store is still copied.
      report.problems.push_back({"", written.message(), true});
    } else if (!written.ok()) {
      return written;
    }
    for (const auto& [seq, id] : source_ids[tenant]) {
      if (!turns.count(seq)) report.lost_turns.push_back(tenant + " / " + id);
    }
  }
  log->reset();
  out->reset();
  if (!copy.empty()) fs::remove_all(copy, ec);
  auto reopened = Store::Open(out_options, to);
  if (!reopened.ok()) return reopened.status().WithContext("the salvaged store does not reopen");
  return report;
}

}  // namespace engram
