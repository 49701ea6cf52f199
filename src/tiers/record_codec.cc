#include "tiers/record_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "log/key_codec.h"

namespace engram {
namespace {

using nlohmann::json;

template <typename Fn>
Status Decode(std::string_view bytes, const char* what, Fn&& fn) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption(std::string("derived ") + what + " record is not a JSON object");
  try {
    Status s = fn(j);
    if (!s.ok()) return Status::Corruption(std::string("derived ") + what + " record: " + s.message());
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("derived ") + what + " record: " + e.what());
  }
  return Status::OK();
}

// nlohmann converts a JSON number to a narrower C++ type with a plain cast,
// which is undefined for a float out of range; these read only values that
// fit. An absent field leaves *out unchanged.
Status GetInt64(const json& j, const char* field, int64_t* out) {
  auto it = j.find(field);
  if (it == j.end()) return Status::OK();
  const bool fits = it->is_number_integer() &&
                    (!it->is_number_unsigned() || it->get<uint64_t>() <= uint64_t{INT64_MAX});
  if (!fits) return Status::Corruption(std::string("field '") + field + "' is not a 64-bit integer: " + it->dump());
  *out = it->get<int64_t>();
  return Status::OK();
}

Status GetFloat(const json& j, const char* field, float* out) {
  auto it = j.find(field);
  if (it == j.end()) return Status::OK();
  const double v = it->is_number() ? it->get<double>() : std::nan("");
  if (!std::isfinite(v) || std::fabs(v) > std::numeric_limits<float>::max()) {
    return Status::Corruption(std::string("field '") + field + "' is not a float: " + it->dump());
  }
  *out = static_cast<float>(v);
  return Status::OK();
}

// Invalid UTF-8 (which a turn never holds, but a buggy extractor could
// produce) is written as U+FFFD rather than thrown as an exception.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string DerivedKey(std::string_view tenant, uint64_t seq, DerivedKind kind, uint32_t n) {
  std::string key = log::TenantPrefix(tenant);
  log::PutFixed64BE(&key, seq);
  key.push_back(static_cast<char>(kind));
  log::PutFixed32BE(&key, n);
  return key;
}

namespace {
std::string RecordId(const char* prefix, uint64_t seq, uint32_t n) {
  return std::string(prefix) + std::to_string(seq) + "." + std::to_string(n);
}
}  // namespace

std::string UnitId(uint64_t seq, uint32_t n) { return RecordId("unit:", seq, n); }
std::string FactId(uint64_t seq, uint32_t n) { return RecordId("fact:", seq, n); }
std::string RelationId(uint64_t seq, uint32_t n) { return RecordId("rel:", seq, n); }

bool ParseRecordId(std::string_view id, std::string_view prefix, uint64_t* seq, uint32_t* n) {
  if (id.substr(0, prefix.size()) != prefix) return false;
  id.remove_prefix(prefix.size());
  const size_t dot = id.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == id.size() || dot > 20 || id.size() - dot - 1 > 10) {
    return false;
  }
  uint64_t s = 0, m = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == dot) continue;
    if (id[i] < '0' || id[i] > '9') return false;
    uint64_t& v = i < dot ? s : m;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(id[i] - '0');
  }
  if (m > UINT32_MAX) return false;
  *seq = s;
  *n = static_cast<uint32_t>(m);
  return true;
}

void AssignRecordIds(uint64_t seq, Extraction* extraction, uint32_t first_n) {
  uint32_t n = first_n;
  for (auto& f : extraction->facts) {
    if (f.id.empty()) f.id = FactId(seq, n);
    ++n;
  }
  n = first_n;
  for (auto& r : extraction->relations) {
    if (r.id.empty()) r.id = RelationId(seq, n);
    ++n;
  }
}

std::string EncodeUnit(const EventUnit& u) {
  return Dump(json{{"text", u.text}, {"subject", u.subject}, {"time", u.time_ms}, {"from", u.event_from_ms},
              {"to", u.event_to_ms}, {"src", u.source_ids}});
}

std::string EncodeFact(const PersonaFact& f) {
  return Dump(json{{"subject", f.subject}, {"attribute", f.attribute}, {"value", f.value}, {"from", f.valid_from_ms},
              {"to", f.valid_to_ms}, {"confidence", f.confidence}, {"src", f.source_ids}, {"negated", f.negated}});
}

std::string EncodeEntity(const Entity& e) {
  return Dump(
      json{{"name", e.name}, {"type", static_cast<int>(e.type)}, {"aliases", e.aliases}, {"src", e.source_ids}});
}

std::string EncodeRelation(const Relation& r) {
  json j{{"subject", r.subject}, {"relation", r.relation}, {"object", r.object}, {"time", r.time_ms},
         {"src", r.source_ids}};
  // When it became true, if the statement said (validity ends are derived
  // when relations are applied, never stored).
  if (r.valid_from_ms != 0 && r.valid_from_ms != r.time_ms) j["from"] = r.valid_from_ms;
  return Dump(j);
}

Status DecodeUnit(std::string_view bytes, EventUnit* u) {
  return Decode(bytes, "unit", [&](const json& j) {
    u->text = j.at("text").get<std::string>();
    u->subject = j.value("subject", "");
    u->time_ms = u->event_from_ms = u->event_to_ms = 0;
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "time", &u->time_ms));
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "from", &u->event_from_ms));
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "to", &u->event_to_ms));
    u->source_ids = j.value("src", std::vector<std::string>{});
    return Status::OK();
  });
}

Status DecodeFact(std::string_view bytes, PersonaFact* f) {
  return Decode(bytes, "fact", [&](const json& j) {
    f->subject = j.at("subject").get<std::string>();
    f->attribute = j.at("attribute").get<std::string>();
    f->value = j.at("value").get<std::string>();
    f->valid_from_ms = f->valid_to_ms = 0;
    f->confidence = 1.0f;
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "from", &f->valid_from_ms));
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "to", &f->valid_to_ms));
    ENGRAM_RETURN_IF_ERROR(GetFloat(j, "confidence", &f->confidence));
    f->source_ids = j.value("src", std::vector<std::string>{});
    f->negated = j.value("negated", false);
    return Status::OK();
  });
}

Status DecodeEntity(std::string_view bytes, Entity* e) {
  return Decode(bytes, "entity", [&](const json& j) {
    e->name = j.at("name").get<std::string>();
    int64_t type = static_cast<int>(EntityType::kOther);
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "type", &type));
    e->type = type >= 0 && type <= static_cast<int>(EntityType::kOther) ? static_cast<EntityType>(type)
                                                                          : EntityType::kOther;
    e->aliases = j.value("aliases", std::vector<std::string>{});
    e->source_ids = j.value("src", std::vector<std::string>{});
    return Status::OK();
  });
}

Status DecodeRelation(std::string_view bytes, Relation* r) {
  return Decode(bytes, "relation", [&](const json& j) {
    r->subject = j.at("subject").get<std::string>();
    r->relation = j.at("relation").get<std::string>();
    r->object = j.at("object").get<std::string>();
    r->time_ms = r->valid_from_ms = r->valid_to_ms = 0;
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "time", &r->time_ms));
    ENGRAM_RETURN_IF_ERROR(GetInt64(j, "from", &r->valid_from_ms));
    r->source_ids = j.value("src", std::vector<std::string>{});
    return Status::OK();
  });
}

}  // namespace engram
