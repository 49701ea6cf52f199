#include "store/store_impl.h"

#include <set>
#include <unordered_set>

#include "common/logging.h"
#include "log/key_codec.h"
#include "store/turn_validation.h"

namespace engram {

using log::Cf;

uint64_t ForgetReport::Total() const {
  uint64_t total = 0;
  for (const auto& [kind, n] : removed) total += n;
  return total;
}

Result<std::unique_ptr<Store>> Store::Open(const Options& options, const std::string& path) {
  try {
    return StoreImpl::Open(options, path);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected exception opening store: ") + e.what());
  }
}

StoreImpl::StoreImpl(const Options& options, std::unique_ptr<log::EventLog> log)
    : options_(options), log_(std::move(log)) {}

StoreImpl::~StoreImpl() = default;

Result<std::unique_ptr<Store>> StoreImpl::Open(const Options& options, const std::string& path) {
  log::LogOptions log_options;
  log_options.create_if_missing = options.create_if_missing;
  log_options.block_cache_bytes = options.block_cache_bytes;
  auto log = log::EventLog::Open(path, log_options);
  if (!log.ok()) return log.status();
  std::unique_ptr<StoreImpl> store(new StoreImpl(options, std::move(*log)));
  ENGRAM_RETURN_IF_ERROR(store->LoadMeta());
  return std::unique_ptr<Store>(std::move(store));
}

Status StoreImpl::LoadMeta() {
  auto last = log_->Get(Cf::kMeta, "last_seq");
  if (!last.ok()) return last.status();
  if (last->has_value()) {
    if ((*last)->size() != 8) return Status::Corruption("meta last_seq has " + std::to_string((*last)->size()) + " bytes, expected 8");
    last_seq_ = log::DecodeFixed64BE((*last)->data());
  }
  return Status::OK();
}

Result<uint64_t> StoreImpl::Observe(std::string_view tenant, const Turn& turn, const WriteOptions& wo) {
  auto seqs = ObserveImpl(tenant, std::span<const Turn>(&turn, 1), wo);
  if (!seqs.ok()) return seqs.status();
  return seqs->front();
}

Result<std::vector<uint64_t>> StoreImpl::ObserveBatch(std::string_view tenant, std::span<const Turn> turns,
                                                      const WriteOptions& wo) {
  return ObserveImpl(tenant, turns, wo);
}

Result<std::vector<uint64_t>> StoreImpl::ObserveImpl(std::string_view tenant, std::span<const Turn> turns,
                                                     const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  for (size_t i = 0; i < turns.size(); ++i) {
    Status s = ValidateTurn(turns[i], options_);
    if (!s.ok()) return turns.size() == 1 ? s : s.WithContext("turn " + std::to_string(i) + " of the batch");
  }
  if (turns.empty()) return std::vector<uint64_t>();

  std::vector<uint64_t> seqs(turns.size(), 0);
  std::lock_guard<std::mutex> lock(write_mutex_);
  log::LogBatch batch = log_->NewBatch();
  uint64_t next = last_seq_;
  std::unordered_map<std::string, uint64_t> in_batch;  // source id -> seq, for repeats inside the batch
  for (size_t i = 0; i < turns.size(); ++i) {
    const Turn& turn = turns[i];
    if (!turn.source_id.empty()) {
      if (auto it = in_batch.find(turn.source_id); it != in_batch.end()) {
        seqs[i] = it->second;
        continue;
      }
      auto existing = log_->Get(Cf::kSourceIds, log::SourceIdKey(tenant, turn.source_id));
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        seqs[i] = log::DecodeFixed64BE((*existing)->data());
        continue;
      }
    }
    uint64_t seq = ++next;
    seqs[i] = seq;
    Turn stored = turn;
    if (stored.source_id.empty()) stored.source_id = "auto:" + std::to_string(seq);
    in_batch.emplace(stored.source_id, seq);
    std::string seq_bytes;
    log::PutFixed64BE(&seq_bytes, seq);
    batch.Put(Cf::kTurns, log::TurnKey(tenant, seq), log::EncodeTurn(stored));
    batch.Put(Cf::kSourceIds, log::SourceIdKey(tenant, stored.source_id), seq_bytes);
  }
  if (next == last_seq_) return seqs;  // every turn was already stored
  std::string last_bytes;
  log::PutFixed64BE(&last_bytes, next);
  batch.Put(Cf::kMeta, "last_seq", last_bytes);
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, wo.sync));
  last_seq_ = next;
  return seqs;
}

Result<StoredTurn> StoreImpl::GetTurn(std::string_view tenant, uint64_t seq) {
  auto value = log_->Get(Cf::kTurns, log::TurnKey(tenant, seq));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no turn " + std::to_string(seq));
  }
  StoredTurn out;
  out.seq = seq;
  out.tenant = std::string(tenant);
  ENGRAM_RETURN_IF_ERROR(log::DecodeTurn(**value, &out.turn));
  return out;
}

Result<StoredTurn> StoreImpl::GetTurnBySourceId(std::string_view tenant, std::string_view source_id) {
  auto value = log_->Get(Cf::kSourceIds, log::SourceIdKey(tenant, source_id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no turn with source id '" +
                            std::string(source_id) + "'");
  }
  return GetTurn(tenant, log::DecodeFixed64BE((*value)->data()));
}

Result<std::vector<StoredTurn>> StoreImpl::ScanTurns(std::string_view tenant, const TurnFilter& filter) {
  std::vector<StoredTurn> out;
  Status decode_status;
  auto snapshot = log_->Snapshot();
  const std::string prefix = log::TenantPrefix(tenant);
  Status s = log_->Scan(
      Cf::kTurns, prefix, log::TenantPrefixEnd(tenant),
      [&](std::string_view key, std::string_view value) {
        StoredTurn st;
        decode_status = log::DecodeTurn(value, &st.turn);
        if (!decode_status.ok()) return false;
        if (!filter.session.empty() && st.turn.session != filter.session) return true;
        if (st.turn.time_ms < filter.from_ms || st.turn.time_ms >= filter.to_ms) return true;
        st.seq = log::DecodeFixed64BE(key.data() + prefix.size());
        st.tenant = std::string(tenant);
        out.push_back(std::move(st));
        return filter.limit == 0 || out.size() < filter.limit;
      },
      snapshot.get());
  ENGRAM_RETURN_IF_ERROR(s);
  ENGRAM_RETURN_IF_ERROR(decode_status);
  return out;
}

Result<std::vector<std::string>> StoreImpl::ListTenants() {
  std::vector<std::string> tenants;
  std::string begin;
  for (;;) {
    std::string found;
    bool any = false;
    ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kTurns, begin, {}, [&](std::string_view key, std::string_view) {
      std::string_view tenant;
      if (log::GetTenant(&key, &tenant)) {
        found.assign(tenant);
        any = true;
      }
      return false;  // one key is enough: then skip past this tenant
    }));
    if (!any) break;
    tenants.push_back(found);
    begin = log::TenantPrefixEnd(found);
  }
  return tenants;
}

Result<TenantStats> StoreImpl::GetTenantStats(std::string_view tenant) {
  TenantStats stats;
  stats.tenant = std::string(tenant);
  std::set<std::string> sessions;
  Status decode_status;
  auto snapshot = log_->Snapshot();
  ENGRAM_RETURN_IF_ERROR(log_->Scan(
      Cf::kTurns, log::TenantPrefix(tenant), log::TenantPrefixEnd(tenant),
      [&](std::string_view, std::string_view value) {
        Turn turn;
        decode_status = log::DecodeTurn(value, &turn);
        if (!decode_status.ok()) return false;
        ++stats.turns;
        stats.bytes += turn.text.size();
        sessions.insert(turn.session);
        return true;
      },
      snapshot.get()));
  ENGRAM_RETURN_IF_ERROR(decode_status);
  stats.sessions = sessions.size();
  return stats;
}

Result<ForgetReport> StoreImpl::ForgetTenant(std::string_view tenant, const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  std::lock_guard<std::mutex> lock(write_mutex_);
  ForgetReport report;
  const std::string begin = log::TenantPrefix(tenant), end = log::TenantPrefixEnd(tenant);
  log::LogBatch batch = log_->NewBatch();
  struct CfKind {
    Cf cf;
    const char* kind;
  };
  for (CfKind ck : {CfKind{Cf::kTurns, "turns"}, CfKind{Cf::kSourceIds, "source_ids"},
                    CfKind{Cf::kEmbeddings, "vectors"}, CfKind{Cf::kSnapshots, "index_snapshots"}}) {
    uint64_t n = 0;
    ENGRAM_RETURN_IF_ERROR(log_->Scan(ck.cf, begin, end, [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }));
    report.removed[ck.kind] = n;
    batch.DeleteRange(ck.cf, begin, end);
  }
  batch.DeleteRange(Cf::kDerived, begin, end);
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, wo.sync));
  return report;
}

Result<RecallResult> StoreImpl::Recall(std::string_view, std::string_view, const RecallOptions&) {
  return Status::NotSupported("Recall is not available yet");
}
Result<Context> StoreImpl::RecallContext(std::string_view, std::string_view, size_t, const RecallOptions&) {
  return Status::NotSupported("RecallContext is not available yet");
}
Result<std::vector<PersonaFact>> StoreImpl::Profile(std::string_view, std::string_view, TimeMs, bool) {
  return Status::NotSupported("Profile is not available yet");
}
Result<GraphView> StoreImpl::Graph(std::string_view, std::string_view, int, size_t) {
  return Status::NotSupported("Graph is not available yet");
}
Result<std::vector<EventUnit>> StoreImpl::EventUnits(std::string_view) {
  return Status::NotSupported("EventUnits is not available yet");
}
Result<std::vector<StoredTurn>> StoreImpl::WorkingMemory(std::string_view, std::string_view) {
  return Status::NotSupported("WorkingMemory is not available yet");
}
Status StoreImpl::Rebuild() { return Status::OK(); }

}  // namespace engram
