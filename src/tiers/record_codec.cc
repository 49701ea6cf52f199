#include "tiers/record_codec.h"

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
    fn(j);
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("derived ") + what + " record: " + e.what());
  }
  return Status::OK();
}

}  // namespace

std::string DerivedKey(std::string_view tenant, uint64_t seq, DerivedKind kind, uint32_t n) {
  std::string key = log::TenantPrefix(tenant);
  log::PutFixed64BE(&key, seq);
  key.push_back(static_cast<char>(kind));
  log::PutFixed32BE(&key, n);
  return key;
}

std::string EncodeUnit(const EventUnit& u) {
  return json{{"text", u.text}, {"subject", u.subject}, {"time", u.time_ms}, {"from", u.event_from_ms},
              {"to", u.event_to_ms}, {"src", u.source_ids}}
      .dump();
}

std::string EncodeFact(const PersonaFact& f) {
  return json{{"subject", f.subject}, {"attribute", f.attribute}, {"value", f.value}, {"from", f.valid_from_ms},
              {"to", f.valid_to_ms}, {"confidence", f.confidence}, {"src", f.source_ids}, {"negated", f.negated}}
      .dump();
}

std::string EncodeEntity(const Entity& e) {
  return json{{"name", e.name}, {"type", static_cast<int>(e.type)}, {"aliases", e.aliases}, {"src", e.source_ids}}
      .dump();
}

std::string EncodeRelation(const Relation& r) {
  return json{{"subject", r.subject}, {"relation", r.relation}, {"object", r.object}, {"time", r.time_ms},
              {"src", r.source_ids}}
      .dump();
}

Status DecodeUnit(std::string_view bytes, EventUnit* u) {
  return Decode(bytes, "unit", [&](const json& j) {
    u->text = j.at("text").get<std::string>();
    u->subject = j.value("subject", "");
    u->time_ms = j.value("time", int64_t{0});
    u->event_from_ms = j.value("from", int64_t{0});
    u->event_to_ms = j.value("to", int64_t{0});
    u->source_ids = j.value("src", std::vector<std::string>{});
  });
}

Status DecodeFact(std::string_view bytes, PersonaFact* f) {
  return Decode(bytes, "fact", [&](const json& j) {
    f->subject = j.at("subject").get<std::string>();
    f->attribute = j.at("attribute").get<std::string>();
    f->value = j.at("value").get<std::string>();
    f->valid_from_ms = j.value("from", int64_t{0});
    f->valid_to_ms = j.value("to", int64_t{0});
    f->confidence = j.value("confidence", 1.0f);
    f->source_ids = j.value("src", std::vector<std::string>{});
    f->negated = j.value("negated", false);
  });
}

Status DecodeEntity(std::string_view bytes, Entity* e) {
  return Decode(bytes, "entity", [&](const json& j) {
    e->name = j.at("name").get<std::string>();
    int type = j.value("type", static_cast<int>(EntityType::kOther));
    e->type = type >= 0 && type <= static_cast<int>(EntityType::kOther) ? static_cast<EntityType>(type)
                                                                          : EntityType::kOther;
    e->aliases = j.value("aliases", std::vector<std::string>{});
    e->source_ids = j.value("src", std::vector<std::string>{});
  });
}

Status DecodeRelation(std::string_view bytes, Relation* r) {
  return Decode(bytes, "relation", [&](const json& j) {
    r->subject = j.at("subject").get<std::string>();
    r->relation = j.at("relation").get<std::string>();
    r->object = j.at("object").get<std::string>();
    r->time_ms = j.value("time", int64_t{0});
    r->source_ids = j.value("src", std::vector<std::string>{});
  });
}

}  // namespace engram
