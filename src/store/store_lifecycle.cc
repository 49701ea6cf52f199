// The memory lifecycle: one turn forgotten or corrected, one fact or
// relation forgotten, and the proof that forgotten bytes left the disk.
//
// Forget and Update change the log in ONE batch and then drop the tenant's
// loaded memory: the next use replays the remaining turns' stored
// extractions (no re-extraction, no re-embedding: the stored vectors are
// reused), which gives exactly the memory a store that never saw the
// forgotten text would hold from the same extractions, including facts the
// forgotten turn had closed, open again.
//
// Caller edits that are source of truth live in the "edits" column family:
//   tenant prefix + 'h' + u32 BE length + source id + u32 BE version
//       -> u64 BE replaced_ms + the turn record: a turn's earlier versions
//   tenant prefix + 'd' + fact or relation id
//       -> the ids of the derived records it covered, one a line: a
//          forgotten fact or relation, kept out when turns are derived again
#include <algorithm>
#include <chrono>
#include <set>

#include "common/closest_names.h"
#include "common/logging.h"
#include "common/utf8.h"
#include "log/key_codec.h"
#include "store/enrichment_job.h"
#include "store/explicit_memory.h"
#include "store/store_impl.h"
#include "store/turn_validation.h"
#include "tiers/record_codec.h"

namespace engram {

using log::Cf;

namespace {

constexpr char kHistoryKind = 'h';
constexpr char kDeletedKind = 'd';

std::string HistoryPrefix(std::string_view tenant, std::string_view source_id) {
  std::string key = log::TenantPrefix(tenant);
  key.push_back(kHistoryKind);
  log::PutFixed32BE(&key, static_cast<uint32_t>(source_id.size()));
  key.append(source_id);
  return key;
}

std::string HistoryKey(std::string_view tenant, std::string_view source_id, uint32_t version) {
  std::string key = HistoryPrefix(tenant, source_id);
  log::PutFixed32BE(&key, version);
  return key;
}

// The end of the range of keys starting with `prefix`: its last byte that
// is not 0xFF incremented, the rest dropped (as TenantPrefixEnd does).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last != 0xFF) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

std::string DeletedPrefix(std::string_view tenant) {
  std::string key = log::TenantPrefix(tenant);
  key.push_back(kDeletedKind);
  return key;
}

std::string DeletedKey(std::string_view tenant, std::string_view id) { return DeletedPrefix(tenant) + std::string(id); }

Status CheckSourceId(std::string_view source_id, const Options& options) {
  if (source_id.empty()) return Status::InvalidArgument("source id is empty; give the id the turn was observed with");
  if (source_id.size() > options.max_id_bytes) {
    return Status::InvalidArgument("source id is " + std::to_string(source_id.size()) +
                                   " bytes, over Options::max_id_bytes (" + std::to_string(options.max_id_bytes) + ")");
  }
  return ValidateUtf8(source_id, "source id");
}

Status UnknownSource(std::string_view tenant, std::string_view source_id) {
  return Status::NotFound("tenant '" + std::string(tenant) + "' has no turn with source id '" +
                          std::string(source_id) + "'; list its turns with engram export --tenant " +
                          std::string(tenant));
}

// The sequence number of the turn stored under `source_id`; NotFound naming it.
Result<uint64_t> SeqOfSourceId(const log::EventLog& log, std::string_view tenant, std::string_view source_id,
                               const log::LogSnapshot* snapshot = nullptr) {
  auto found = log.Get(Cf::kSourceIds, log::SourceIdKey(tenant, source_id), snapshot);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return UnknownSource(tenant, source_id);
  return log::DecodeFixed64BE((*found)->data());
}

std::string RangeEndOfSeq(std::string_view tenant, uint64_t seq) { return log::TurnKey(tenant, seq + 1); }

// Counts a derived record key of `tenant` by kind into report->removed.
void CountDerived(std::string_view key, size_t prefix_size, ForgetReport* report) {
  if (key.size() < prefix_size + 9) return;
  switch (static_cast<DerivedKind>(key[prefix_size + 8])) {
    case DerivedKind::kUnit: ++report->removed["units"]; break;
    case DerivedKind::kFact: ++report->removed["facts"]; break;
    case DerivedKind::kEntity: ++report->removed["entities"]; break;
    case DerivedKind::kRelation: ++report->removed["relations"]; break;
  }
}

bool HasSource(const std::vector<std::string>& ids, std::string_view id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

Status CheckSameTurn(const Turn& incoming, const Turn& stored, const char* what) {
  const char* differs = incoming.speaker != stored.speaker   ? "speaker"
                        : incoming.session != stored.session ? "session"
                        : incoming.time_ms != stored.time_ms ? "time"
                        : incoming.text != stored.text       ? "text"
                        : incoming.metadata != stored.metadata ? "metadata"
                                                               : nullptr;
  if (differs == nullptr) return Status::OK();
  return Status::AlreadyExists("source id '" + incoming.source_id + "' is already used by " + what +
                               " with a different " + differs +
                               "; to correct a stored turn use Update (engram update --source-id " +
                               incoming.source_id + " --text ...), or give this turn another source id");
}

void DropForgottenRecords(const std::set<std::string>& forgotten, Extraction* x) {
  if (forgotten.empty()) return;
  auto gone_fact = [&](const PersonaFact& f) { return forgotten.count(f.id) > 0; };
  auto gone_relation = [&](const Relation& r) { return forgotten.count(r.id) > 0; };
  x->facts.erase(std::remove_if(x->facts.begin(), x->facts.end(), gone_fact), x->facts.end());
  x->relations.erase(std::remove_if(x->relations.begin(), x->relations.end(), gone_relation), x->relations.end());
}

Result<std::set<std::string>> StoreImpl::ForgottenRecordIds(std::string_view tenant,
                                                            const log::LogSnapshot* snapshot) {
  std::set<std::string> ids;
  const std::string prefix = DeletedPrefix(tenant);
  ENGRAM_RETURN_IF_ERROR(log_->Scan(
      Cf::kEdits, prefix, PrefixEnd(prefix),
      [&](std::string_view key, std::string_view value) {
        ids.emplace(key.substr(prefix.size()));
        while (!value.empty()) {
          const size_t nl = value.find('\n');
          std::string_view id = value.substr(0, nl);
          if (!id.empty()) ids.emplace(id);
          if (nl == std::string_view::npos) break;
          value.remove_prefix(nl + 1);
        }
        return true;
      },
      snapshot));
  return ids;
}

void StoreImpl::ForgetRecentVectors(std::string_view tenant) {
  std::lock_guard<std::mutex> rlock(recent_mutex_);
  const std::string key_prefix = std::string(tenant) + '\0';
  for (std::string& key : recent_order_) {
    if (key.compare(0, key_prefix.size(), key_prefix) == 0) {
      recent_vectors_.erase(key);
      key.clear();
    }
  }
}

Status StoreImpl::DeleteTurnDerivations(std::string_view tenant, uint64_t seq, log::LogBatch* batch,
                                        ForgetReport* report,
                                        std::vector<std::pair<std::string, std::string>>* gone) {
  const size_t prefix_size = log::TenantPrefix(tenant).size();
  // Derived records (the LLM enrichment's too) and vectors of the turn.
  const std::string derived_begin = log::TurnKey(tenant, seq), derived_end = RangeEndOfSeq(tenant, seq);
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kDerived, derived_begin, derived_end, [&](std::string_view key, std::string_view) {
    batch->Delete(Cf::kDerived, key);
    CountDerived(key, prefix_size, report);
    return true;
  }));
  const std::string vectors_begin = DocVectorKey(tenant, DocId(seq, 0)), vectors_end = DocVectorKey(tenant, DocId(seq + 1, 0));
  uint64_t vectors = 0;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kVectors, vectors_begin, vectors_end, [&](std::string_view key, std::string_view) {
    batch->Delete(Cf::kVectors, key);
    ++vectors;
    return true;
  }));
  report->removed["vectors"] += vectors;
  // The index checkpoint holds the turn's documents: it goes (the next
  // save writes one without them).
  const std::string prefix = log::TenantPrefix(tenant), end = log::TenantPrefixEnd(tenant);
  uint64_t snapshots = 0;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kSnapshots, prefix, end, [&](std::string_view key, std::string_view) {
    batch->Delete(Cf::kSnapshots, key);
    ++snapshots;
    return true;
  }));
  report->removed["index_snapshots"] += snapshots;
  if (gone != nullptr) {
    gone->emplace_back(derived_begin, derived_end);
    gone->emplace_back(vectors_begin, vectors_end);
  }
  return Status::OK();
}

void StoreImpl::UnloadAfterEdit(std::string_view tenant, TenantCache::Slot& slot) {
  tenants_.Drop(slot);  // readers still holding it keep it alive until they finish
  {
    std::lock_guard<std::mutex> slock(snapshot_mutex_);
    checkpoints_.erase(std::string(tenant));
  }
  ForgetRecentVectors(tenant);
}

Status StoreImpl::EraseAndCheck(std::string_view tenant, const std::vector<std::string>& texts,
                                const std::vector<std::pair<std::string, std::string>>& gone, ForgetReport* report) {
  const std::string begin = log::TenantPrefix(tenant), end = log::TenantPrefixEnd(tenant);
  Status erased = log_->EraseRange(begin, end);
  if (!erased.ok()) {
    return erased.WithContext("the memory is forgotten but its bytes are not yet erased from disk; forget again to retry");
  }
  // A text a remaining turn of the tenant also holds is not forgotten: it is
  // left out of the search (so the check cannot fail on it).
  std::vector<std::string> needles;
  for (const auto& t : texts) {
    if (!t.empty()) needles.push_back(t);
  }
  if (!needles.empty()) {
    ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kTurns, begin, end, [&](std::string_view, std::string_view value) {
      Turn turn;
      if (!log::DecodeTurn(value, &turn).ok()) return true;
      needles.erase(std::remove_if(needles.begin(), needles.end(),
                                   [&](const std::string& n) { return turn.text.find(n) != std::string::npos; }),
                    needles.end());
      return !needles.empty();
    }));
  }
  uint64_t files = 0;
  ENGRAM_RETURN_IF_ERROR(log_->CheckErased(begin, end, needles, gone, &files));
  report->disk_checked = true;
  report->files_checked = files;
  return Status::OK();
}

Result<ForgetReport> StoreImpl::Forget(std::string_view tenant, std::string_view source_id, const ForgetOptions& fo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("Forget"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(CheckSourceId(source_id, options_));
  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::unique_lock<std::mutex> tenant_lock(slot->writer);
  // The tenant's writers wait on tenant_lock: the id cannot change below.
  auto found = SeqOfSourceId(*log_, tenant, source_id);
  if (!found.ok()) return found.status();
  const uint64_t seq = *found;
  std::shared_ptr<TenantMemory> memory;
  if (!options_.log_only) {
    auto m = MemoryLocked(*slot);
    if (!m.ok()) return m.status();
    memory = *m;
  }
  std::unique_lock<std::mutex> lock(write_mutex_);

  ForgetReport report;
  report.dry_run = fo.dry_run;
  for (const char* k : {"units", "facts", "entities", "relations", "vectors", "index_snapshots"}) report.removed[k] = 0;
  log::LogBatch batch = log_->NewBatch();
  std::vector<std::pair<std::string, std::string>> gone;
  std::vector<std::string> texts;

  auto stored = GetTurn(tenant, seq);
  if (!stored.ok()) return stored.status();
  texts.push_back(stored->turn.text);
  batch.Delete(Cf::kTurns, log::TurnKey(tenant, seq));
  batch.Delete(Cf::kSourceIds, log::SourceIdKey(tenant, source_id));
  report.removed["turns"] = 1;
  report.removed["source_ids"] = 1;
  gone.emplace_back(log::TurnKey(tenant, seq), RangeEndOfSeq(tenant, seq));
  gone.emplace_back(log::SourceIdKey(tenant, source_id), log::SourceIdKey(tenant, source_id) + '\0');
  ENGRAM_RETURN_IF_ERROR(DeleteTurnDerivations(tenant, seq, &batch, &report, &gone));

  // Its history (the earlier versions Update kept) goes with it.
  const std::string history = HistoryPrefix(tenant, source_id);
  uint64_t versions = 0;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kEdits, history, PrefixEnd(history), [&](std::string_view key, std::string_view value) {
    batch.Delete(Cf::kEdits, key);
    ++versions;
    Turn old;
    if (value.size() >= 8 && log::DecodeTurn(value.substr(8), &old).ok()) texts.push_back(old.text);
    return true;
  }));
  report.removed["history_versions"] = versions;
  gone.emplace_back(history, PrefixEnd(history));

  auto job = log_->Get(Cf::kQueue, EnrichmentJobKey(seq));
  if (!job.ok()) return job.status();
  report.removed["enrichment_jobs"] = job->has_value() ? 1 : 0;
  if (job->has_value()) batch.Delete(Cf::kQueue, EnrichmentJobKey(seq));

  if (memory != nullptr) {
    // What the tiers lose: facts and relations only this turn supports go,
    // those with other sources stay without it.
    std::shared_lock<RwMutex> mlock(memory->mutex());
    uint64_t docs = 0, kept_facts = 0, kept_relations = 0;
    for (uint32_t s = 0; s <= kMaxUnitsPerTurn; ++s) docs += memory->Doc(DocId(seq, s)) != nullptr;
    for (const PersonaFact& f : memory->persona().all()) {
      if (HasSource(f.source_ids, source_id) && f.source_ids.size() > 1) ++kept_facts;
    }
    for (const Relation& r : memory->graph().relations()) {
      if (HasSource(r.source_ids, source_id) && r.source_ids.size() > 1) ++kept_relations;
    }
    report.removed["index_entries"] = docs;
    report.kept["facts"] = kept_facts;
    report.kept["relations"] = kept_relations;
  }
  if (fo.dry_run) return report;

  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, fo.sync));
  UnloadAfterEdit(tenant, *slot);
  lock.unlock();
  tenant_lock.unlock();
  if (fo.sync) ENGRAM_RETURN_IF_ERROR(EraseAndCheck(tenant, texts, gone, &report));
  return report;
}

Result<ForgetReport> StoreImpl::ForgetRecord(std::string_view tenant, std::string_view id, bool is_fact,
                                             const ForgetOptions& fo) {
  const char* what = is_fact ? "ForgetFact" : "ForgetRelation";
  const char* noun = is_fact ? "fact" : "relation";
  ENGRAM_RETURN_IF_ERROR(RequireWritable(what));
  ENGRAM_RETURN_IF_ERROR(RequireIndexes(what));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  const std::string list_hint = is_fact ? "list them with engram profile --json" : "list them with engram graph --json";
  if (id.empty() || id.size() > options_.max_id_bytes || !ValidateUtf8(id, "id").ok()) {
    return Status::InvalidArgument(std::string("a ") + noun + " id is 1 to " + std::to_string(options_.max_id_bytes) +
                                   " bytes of UTF-8 (as in '" + (is_fact ? "fact:12.1" : "rel:12.1") + "'); " +
                                   list_hint);
  }
  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::unique_lock<std::mutex> tenant_lock(slot->writer);
  auto m = MemoryLocked(*slot);
  if (!m.ok()) return m.status();
  std::shared_ptr<TenantMemory> memory = *m;
  std::unique_lock<std::mutex> lock(write_mutex_);

  ForgetReport report;
  report.dry_run = fo.dry_run;
  log::LogBatch batch = log_->NewBatch();
  std::vector<std::pair<std::string, std::string>> gone;
  std::vector<std::string> record_ids;
  uint64_t own_seq_of_id = 0;
  {
    std::shared_lock<RwMutex> mlock(memory->mutex());
    // The fact (relation) and the turns supporting it.
    const PersonaFact* fact = nullptr;
    const Relation* relation = nullptr;
    if (is_fact) {
      for (const auto& f : memory->persona().all()) {
        if (f.id == id) fact = &f;
      }
    } else {
      for (const auto& r : memory->graph().relations()) {
        if (r.id == id) relation = &r;
      }
    }
    if (fact == nullptr && relation == nullptr) {
      return Status::NotFound("tenant '" + std::string(tenant) + "' has no " + noun + " '" + std::string(id) + "'; " +
                              list_hint);
    }
    const std::vector<std::string>& sources = is_fact ? fact->source_ids : relation->source_ids;
    std::set<uint64_t> seqs;
    uint64_t own_seq = 0;
    uint32_t own_n = 0;
    if (ParseRecordId(id, is_fact ? "fact:" : "rel:", &own_seq, &own_n)) {
      seqs.insert(own_seq);
      own_seq_of_id = own_seq;
    }
    for (const auto& s : sources) {
      if (uint64_t seq = memory->SeqOfSource(s); seq != 0) seqs.insert(seq);
    }
    const size_t prefix_size = log::TenantPrefix(tenant).size();
    const DerivedKind kind = is_fact ? DerivedKind::kFact : DerivedKind::kRelation;
    for (uint64_t seq : seqs) {
      std::string begin = log::TurnKey(tenant, seq);
      begin.push_back(static_cast<char>(kind));
      ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kDerived, begin, PrefixEnd(begin), [&](std::string_view key, std::string_view value) {
        if (key.size() != prefix_size + 13) return true;
        const uint32_t n = log::DecodeFixed32BE(key.data() + prefix_size + 9);
        bool match = seq == own_seq && n == own_n;
        if (!match && is_fact) {
          PersonaFact f;
          match = DecodeFact(value, &f).ok() && !f.negated && AsciiEqualsIgnoreCase(f.subject, fact->subject) &&
                  f.attribute == fact->attribute && AsciiEqualsIgnoreCase(f.value, fact->value);
        } else if (!match) {
          Relation r;
          match = DecodeRelation(value, &r).ok() && r.relation == relation->relation &&
                  memory->graph().Resolve(r.subject) == relation->subject &&
                  memory->graph().Resolve(r.object) == relation->object;
        }
        if (match) {
          batch.Delete(Cf::kDerived, key);
          gone.emplace_back(std::string(key), std::string(key) + '\0');
          record_ids.push_back(is_fact ? FactId(seq, n) : RelationId(seq, n));
        }
        return true;
      }));
    }
    report.removed[is_fact ? "facts" : "relations"] = 1;
    report.removed[is_fact ? "fact_records" : "relation_records"] = record_ids.size();
  }
  if (fo.dry_run) return report;

  // An explicit record (RememberFact / RememberRelation) goes with it.
  if (own_seq_of_id != 0 && !fo.dry_run) {
    const std::string key = ExplicitKey(tenant, own_seq_of_id);
    batch.Delete(Cf::kEdits, key);
    gone.emplace_back(key, key + '\0');
  }
  // The deletion record keeps it out when the turns are derived again.
  std::string covered;
  for (const auto& r : record_ids) covered += r + "\n";
  batch.Put(Cf::kEdits, DeletedKey(tenant, id), covered);
  // The index checkpoint holds no facts or relations: it stays valid.
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, fo.sync));
  UnloadAfterEdit(tenant, *slot);
  lock.unlock();
  tenant_lock.unlock();
  if (fo.sync) ENGRAM_RETURN_IF_ERROR(EraseAndCheck(tenant, {}, gone, &report));
  return report;
}

Result<ForgetReport> StoreImpl::ForgetFact(std::string_view tenant, std::string_view fact_id, const ForgetOptions& fo) {
  return ForgetRecord(tenant, fact_id, /*is_fact=*/true, fo);
}

Result<ForgetReport> StoreImpl::ForgetRelation(std::string_view tenant, std::string_view relation_id,
                                               const ForgetOptions& fo) {
  return ForgetRecord(tenant, relation_id, /*is_fact=*/false, fo);
}

Result<uint32_t> StoreImpl::Update(std::string_view tenant, std::string_view source_id, std::string_view new_text,
                                   const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("Update"));
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("Update"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(CheckSourceId(source_id, options_));
  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::unique_lock<std::mutex> tenant_lock(slot->writer);
  auto found = SeqOfSourceId(*log_, tenant, source_id);
  if (!found.ok()) return found.status();
  const uint64_t seq = *found;
  auto stored = GetTurn(tenant, seq);
  if (!stored.ok()) return stored.status();
  Turn updated = stored->turn;
  updated.text = std::string(new_text);
  ENGRAM_RETURN_IF_ERROR(ValidateTurn(updated, options_));

  const std::string history = HistoryPrefix(tenant, source_id);
  uint32_t earlier = 0;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kEdits, history, PrefixEnd(history), [&](std::string_view, std::string_view) {
    ++earlier;
    return true;
  }));
  if (updated.text == stored->turn.text) return earlier + 1;  // nothing to correct

  auto m = MemoryLocked(*slot);
  if (!m.ok()) return m.status();
  std::shared_ptr<TenantMemory> memory = *m;
  // Derive the new text in the turn's place: the participants known, and
  // the speaker before it in its session.
  Extraction extraction;
  {
    std::shared_lock<RwMutex> mlock(memory->mutex());
    std::string previous_speaker;
    for (uint64_t id : memory->SessionTurns(updated.session)) {
      if (DocSeq(id) >= seq) break;
      if (const MemoryDoc* d = memory->Doc(id)) previous_speaker = d->speaker;
    }
    ExtractionInput input{updated, memory->participants(), previous_speaker};
    auto x = extractor_->Extract(input);
    if (x.ok()) {
      extraction = std::move(*x);
    } else {
      Log().warn("extraction failed for turn '{}': {}", updated.source_id, x.status().ToString());
    }
    if (extraction.units.size() > kMaxUnitsPerTurn) extraction.units.resize(kMaxUnitsPerTurn);
  }
  AssignRecordIds(seq, &extraction, 1);
  auto forgotten = ForgottenRecordIds(tenant, nullptr);
  if (!forgotten.ok()) return forgotten.status();
  DropForgottenRecords(*forgotten, &extraction);

  std::unique_lock<std::mutex> lock(write_mutex_);
  log::LogBatch batch = log_->NewBatch();
  ForgetReport ignored;
  ENGRAM_RETURN_IF_ERROR(DeleteTurnDerivations(tenant, seq, &batch, &ignored, nullptr));
  EncodeExtraction(tenant, seq, extraction, 1,
                   [&](const std::string& k, const std::string& v) { batch.Put(Cf::kDerived, k, v); });
  std::vector<std::string> doc_texts;
  std::vector<uint64_t> doc_ids;
  MemoryDoc turn_doc;
  turn_doc.speaker = updated.speaker;
  turn_doc.text = updated.text;
  doc_texts.push_back(TenantMemory::IndexText(turn_doc));
  doc_ids.push_back(DocId(seq, 0));
  for (uint32_t s = 1; s <= extraction.units.size(); ++s) {
    doc_texts.push_back(extraction.units[s - 1].text);
    doc_ids.push_back(DocId(seq, s));
  }
  auto vectors = EmbedCached(tenant, doc_ids, doc_texts, /*use_old_cache=*/false, &batch);
  if (!vectors.ok()) return vectors.status();

  const TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::string old_version;
  log::PutFixed64BE(&old_version, static_cast<uint64_t>(now));
  old_version += log::EncodeTurn(stored->turn);
  batch.Put(Cf::kEdits, HistoryKey(tenant, source_id, earlier + 1), old_version);
  batch.Put(Cf::kTurns, log::TurnKey(tenant, seq), log::EncodeTurn(updated));
  if (options_.enrichment_extractor) batch.Put(Cf::kQueue, EnrichmentJobKey(seq), EncodeEnrichmentJob(tenant, 0));
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, wo.sync));
  UnloadAfterEdit(tenant, *slot);
  lock.unlock();
  if (options_.enrichment_extractor) {
    std::lock_guard<std::mutex> elock(enrichment_mutex_);
    ++enrichment_wakeups_;
    enrichment_cv_.notify_all();
  }
  return earlier + 2;
}

Result<std::vector<TurnVersion>> StoreImpl::History(std::string_view tenant, std::string_view source_id) {
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(CheckSourceId(source_id, options_));
  auto snapshot = log_->Snapshot();
  auto found = SeqOfSourceId(*log_, tenant, source_id, snapshot.get());
  if (!found.ok()) return found.status();
  std::vector<TurnVersion> out;
  const std::string history = HistoryPrefix(tenant, source_id);
  Status bad;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(
      Cf::kEdits, history, PrefixEnd(history),
      [&](std::string_view key, std::string_view value) {
        TurnVersion v;
        if (key.size() != history.size() + 4 || value.size() < 8) {
          bad = Status::Corruption("history record of turn '" + std::string(source_id) + "' is malformed");
          return false;
        }
        v.version = log::DecodeFixed32BE(key.data() + history.size());
        v.replaced_ms = static_cast<TimeMs>(log::DecodeFixed64BE(value.data()));
        bad = log::DecodeTurn(value.substr(8), &v.turn);
        out.push_back(std::move(v));
        return bad.ok();
      },
      snapshot.get()));
  ENGRAM_RETURN_IF_ERROR(bad);
  auto current = log_->Get(Cf::kTurns, log::TurnKey(tenant, *found), snapshot.get());
  if (!current.ok()) return current.status();
  if (!current->has_value()) return UnknownSource(tenant, source_id);
  TurnVersion now;
  now.version = static_cast<uint32_t>(out.size() + 1);
  ENGRAM_RETURN_IF_ERROR(log::DecodeTurn(**current, &now.turn));
  out.push_back(std::move(now));
  return out;
}

}  // namespace engram
