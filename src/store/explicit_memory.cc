// RememberFact and RememberRelation, and the codec of explicit records.
#include "store/explicit_memory.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "log/key_codec.h"
#include "store/store_impl.h"
#include "store/turn_validation.h"

namespace engram {
namespace {

using nlohmann::json;
using log::Cf;

constexpr char kExplicitKind = 'x';

std::string SourceOf(uint64_t seq) { return "explicit:" + std::to_string(seq); }

Status ValidatePart(std::string_view value, const char* what, size_t limit) {
  if (value.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (value.size() > limit) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(value.size()) +
                                   " bytes, over the limit of " + std::to_string(limit));
  }
  return ValidateUtf8(value, what);
}

Status ValidateValidity(TimeMs from, TimeMs to) {
  if (to != 0 && to <= from) {
    return Status::InvalidArgument("valid_to " + std::to_string(to) + " is not after valid_from " +
                                   std::to_string(from) + "; give an end after the start, or 0 for still valid");
  }
  return Status::OK();
}

Status GetTime(const json& j, const char* field, TimeMs* out) {
  auto it = j.find(field);
  if (it == j.end()) return Status::OK();
  if (!it->is_number_integer()) return Status::Corruption(std::string("field '") + field + "' is not an integer");
  *out = it->get<int64_t>();
  return Status::OK();
}

}  // namespace

std::string ExplicitKey(std::string_view tenant, uint64_t seq) {
  std::string key = ExplicitKeysBegin(tenant);
  log::PutFixed64BE(&key, seq);
  return key;
}

std::string ExplicitKeysBegin(std::string_view tenant) { return log::TenantPrefix(tenant) + kExplicitKind; }
std::string ExplicitKeysEnd(std::string_view tenant) {
  return log::TenantPrefix(tenant) + static_cast<char>(kExplicitKind + 1);
}

Status ValidateExplicitFact(const PersonaFact& fact, const Options& options) {
  ENGRAM_RETURN_IF_ERROR(ValidatePart(fact.subject, "subject", options.max_id_bytes));
  ENGRAM_RETURN_IF_ERROR(ValidatePart(fact.attribute, "attribute", options.max_id_bytes));
  ENGRAM_RETURN_IF_ERROR(ValidatePart(fact.value, "value", options.max_text_bytes));
  if (fact.negated) {
    return Status::InvalidArgument("a negated fact is not remembered; give the fact with valid_to set to when it "
                                   "ended, or remove it with ForgetFact");
  }
  return ValidateValidity(fact.valid_from_ms, fact.valid_to_ms);
}

Status ValidateExplicitRelation(const Relation& relation, const Options& options) {
  ENGRAM_RETURN_IF_ERROR(ValidatePart(relation.subject, "subject", options.max_id_bytes));
  ENGRAM_RETURN_IF_ERROR(ValidatePart(relation.relation, "relation", options.max_id_bytes));
  ENGRAM_RETURN_IF_ERROR(ValidatePart(relation.object, "object", options.max_id_bytes));
  return ValidateValidity(relation.valid_from_ms, relation.valid_to_ms);
}

void StampExplicit(uint64_t seq, ExplicitRecord* record) {
  if (record->is_fact) {
    PersonaFact& f = record->fact;
    f.id = "fact:" + std::to_string(seq) + ".0";
    f.provenance = "explicit";
    f.confidence = 1.0f;
    f.negated = false;
    f.source_ids = {SourceOf(seq)};
  } else {
    Relation& r = record->relation;
    r.id = "rel:" + std::to_string(seq) + ".0";
    r.provenance = "explicit";
    r.source_ids = {SourceOf(seq)};
    // Stated when it became true, unless the caller said otherwise.
    if (r.time_ms == 0) r.time_ms = r.valid_from_ms;
  }
}

std::string EncodeExplicit(const ExplicitRecord& record) {
  json j;
  if (record.is_fact) {
    const PersonaFact& f = record.fact;
    j = json{{"kind", "fact"}, {"subject", f.subject}, {"attribute", f.attribute}, {"value", f.value},
             {"from", f.valid_from_ms}, {"to", f.valid_to_ms}};
  } else {
    const Relation& r = record.relation;
    j = json{{"kind", "relation"}, {"subject", r.subject}, {"relation", r.relation}, {"object", r.object},
             {"time", r.time_ms}, {"from", r.valid_from_ms}, {"to", r.valid_to_ms}};
  }
  return j.dump();
}

Status DecodeExplicit(std::string_view value, uint64_t seq, ExplicitRecord* record) {
  json j = json::parse(value.begin(), value.end(), nullptr, /*allow_exceptions=*/false);
  const std::string where = "explicit record " + std::to_string(seq);
  if (!j.is_object()) return Status::Corruption(where + " is not a JSON object");
  try {
    const std::string kind = j.at("kind").get<std::string>();
    *record = ExplicitRecord{};
    if (kind == "fact") {
      PersonaFact& f = record->fact;
      f.subject = j.at("subject").get<std::string>();
      f.attribute = j.at("attribute").get<std::string>();
      f.value = j.at("value").get<std::string>();
      ENGRAM_RETURN_IF_ERROR(GetTime(j, "from", &f.valid_from_ms));
      ENGRAM_RETURN_IF_ERROR(GetTime(j, "to", &f.valid_to_ms));
    } else if (kind == "relation") {
      record->is_fact = false;
      Relation& r = record->relation;
      r.subject = j.at("subject").get<std::string>();
      r.relation = j.at("relation").get<std::string>();
      r.object = j.at("object").get<std::string>();
      ENGRAM_RETURN_IF_ERROR(GetTime(j, "time", &r.time_ms));
      ENGRAM_RETURN_IF_ERROR(GetTime(j, "from", &r.valid_from_ms));
      ENGRAM_RETURN_IF_ERROR(GetTime(j, "to", &r.valid_to_ms));
    } else {
      return Status::Corruption(where + " has unknown kind '" + kind + "'");
    }
  } catch (const json::exception& e) {
    return Status::Corruption(where + ": " + e.what());
  }
  StampExplicit(seq, record);
  return Status::OK();
}

Status ReadExplicitRecords(const log::EventLog& log, std::string_view tenant, const log::LogSnapshot* snapshot,
                           std::map<uint64_t, ExplicitRecord>* out) {
  const std::string begin = ExplicitKeysBegin(tenant);
  Status bad;
  ENGRAM_RETURN_IF_ERROR(log.Scan(
      Cf::kEdits, begin, ExplicitKeysEnd(tenant),
      [&](std::string_view key, std::string_view value) {
        if (key.size() != begin.size() + 8) {
          bad = Status::Corruption("explicit record key of tenant '" + std::string(tenant) + "' has " +
                                   std::to_string(key.size()) + " bytes");
          return false;
        }
        const uint64_t seq = log::DecodeFixed64BE(key.data() + begin.size());
        bad = DecodeExplicit(value, seq, &(*out)[seq]);
        return bad.ok();
      },
      snapshot));
  return bad;
}

void ApplyExplicit(TenantMemory& memory, const ExplicitRecord& record) {
  if (record.is_fact) {
    memory.persona().Apply(record.fact);
    return;
  }
  Entity subject, object;
  subject.name = record.relation.subject;
  object.name = record.relation.object;
  subject.source_ids = object.source_ids = record.relation.source_ids;
  memory.graph().AddEntity(subject);
  memory.graph().AddEntity(object);
  memory.graph().AddRelation(record.relation);
}

std::string ExplicitIdIn(const TenantMemory& memory, const ExplicitRecord& record, uint64_t seq) {
  const std::string source = SourceOf(seq);
  auto cites = [&](const std::vector<std::string>& ids) { return std::find(ids.begin(), ids.end(), source) != ids.end(); };
  if (record.is_fact) {
    for (const PersonaFact& f : memory.persona().Query(record.fact.subject, 0, /*include_history=*/true)) {
      if (cites(f.source_ids) && !f.id.empty()) return f.id;
    }
    return record.fact.id;
  }
  const auto& relations = memory.graph().relations();
  for (auto it = relations.rbegin(); it != relations.rend(); ++it) {
    if (cites(it->source_ids) && !it->id.empty()) return it->id;
  }
  return record.relation.id;
}

// --- StoreImpl --------------------------------------------------------------

Result<std::string> StoreImpl::RememberFact(std::string_view tenant, const PersonaFact& fact, const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("RememberFact"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(ValidateExplicitFact(fact, options_));
  ExplicitRecord record;
  record.fact = fact;
  return RememberExplicit(tenant, std::move(record), wo);
}

Result<std::string> StoreImpl::RememberRelation(std::string_view tenant, const Relation& relation,
                                                const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("RememberRelation"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(ValidateExplicitRelation(relation, options_));
  ExplicitRecord record;
  record.is_fact = false;
  record.relation = relation;
  return RememberExplicit(tenant, std::move(record), wo);
}

Result<std::string> StoreImpl::RememberExplicit(std::string_view tenant, ExplicitRecord record,
                                                const WriteOptions& wo) {
  // As Observe: the tenant's writer lock (loading its memory), then the
  // write mutex for the sequence number, one batch, then the memory.
  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::unique_lock<std::mutex> tenant_lock(slot->writer);
  std::shared_ptr<TenantMemory> memory;
  if (!options_.log_only) {
    auto m = MemoryLocked(*slot);
    if (!m.ok()) return m.status();
    memory = *m;
  }
  std::unique_lock<std::mutex> lock(write_mutex_);
  const uint64_t seq = last_seq_ + 1;
  StampExplicit(seq, &record);
  log::LogBatch batch = log_->NewBatch();
  batch.Put(Cf::kEdits, ExplicitKey(tenant, seq), EncodeExplicit(record));
  std::string seq_bytes;
  log::PutFixed64BE(&seq_bytes, seq);
  batch.Put(Cf::kMeta, "last_seq", seq_bytes);
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, wo.sync));
  last_seq_ = seq;
  lock.unlock();
  if (memory == nullptr) return record.is_fact ? record.fact.id : record.relation.id;
  std::string id;
  {
    std::unique_lock<RwMutex> mlock(memory->mutex());
    ApplyExplicit(*memory, record);
    id = ExplicitIdIn(*memory, record, seq);
  }
  tenants_.Charge(*slot);
  return id;
}

}  // namespace engram
