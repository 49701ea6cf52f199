#include "service/http_json.h"

#include <stdexcept>
#include <utility>

#include "common/time_format.h"

namespace engram::service {

using nlohmann::json;

json TimeJson(TimeMs t) { return t != 0 ? json(FormatIsoTime(t)) : json(nullptr); }

json RouteJson(const RouteInfo& r) {
  json j = {{"name", r.name},
            {"question_kind", r.question_kind},
            {"targets", r.targets},
            {"entities", r.entities},
            {"graph_expansion", r.graph_expansion},
            {"likely_unanswerable", r.likely_unanswerable},
            {"weights", r.weights},
            {"steps", r.steps}};
  if (r.from_ms != 0 || r.to_ms != 0) j["time_range"] = {FormatIsoTime(r.from_ms), FormatIsoTime(r.to_ms)};
  return j;
}

json HitJson(const Hit& h) {
  return {{"kind", h.kind},         {"id", h.id},           {"tier", TierName(h.tier)},
          {"source_ids", h.source_ids}, {"text", h.text},   {"speaker", h.speaker},
          {"session", h.session},   {"time", TimeJson(h.time_ms)}, {"score", h.score},
          {"signals", h.signals},   {"metadata", h.metadata}};
}

json RecallJson(const RecallResult& result) {
  json hits = json::array();
  for (const auto& h : result.hits) hits.push_back(HitJson(h));
  return {{"hits", hits}, {"route", RouteJson(result.route)}, {"tenant_known", result.tenant_known}};
}

json ContextJson(const Context& context) {
  json sections = json::array();
  for (const auto& s : context.sections) {
    json items = json::array();
    for (const auto& h : s.items) items.push_back(HitJson(h));
    sections.push_back({{"name", s.name}, {"items", items}});
  }
  return {{"sections", sections},
          {"text", context.text},
          {"tokens", context.tokens},
          {"route", RouteJson(context.route)},
          {"tenant_known", context.tenant_known}};
}

json FactJson(const PersonaFact& f) {
  return {{"id", f.id},
          {"subject", f.subject},
          {"attribute", f.attribute},
          {"value", f.value},
          {"valid_from", TimeJson(f.valid_from_ms)},
          {"valid_to", TimeJson(f.valid_to_ms)},
          {"confidence", f.confidence},
          {"negated", f.negated},
          {"provenance", f.provenance},
          {"source_ids", f.source_ids}};
}

json EntityJson(const Entity& e) {
  return {{"name", e.name}, {"type", EntityTypeName(e.type)}, {"aliases", e.aliases}, {"source_ids", e.source_ids}};
}

json RelationJson(const Relation& r) {
  return {{"id", r.id},
          {"subject", r.subject},
          {"relation", r.relation},
          {"object", r.object},
          {"time", TimeJson(r.time_ms)},
          {"valid_from", TimeJson(r.valid_from_ms)},
          {"valid_to", TimeJson(r.valid_to_ms)},
          {"provenance", r.provenance},
          {"source_ids", r.source_ids}};
}

json TurnJson(const StoredTurn& t) {
  return {{"seq", t.seq},
          {"id", t.turn.source_id},
          {"session", t.turn.session},
          {"speaker", t.turn.speaker},
          {"text", t.turn.text},
          {"time", TimeJson(t.turn.time_ms)},
          {"metadata", t.turn.metadata}};
}

json StatsJson(const TenantStats& s) {
  return {{"tenant", s.tenant},     {"sessions", s.sessions}, {"turns", s.turns},
          {"bytes", s.bytes},       {"units", s.units},       {"facts", s.facts},
          {"entities", s.entities}, {"relations", s.relations}};
}

json ForgetReportJson(const ForgetReport& r) {
  return {{"removed", r.removed},
          {"kept", r.kept},
          {"dry_run", r.dry_run},
          {"disk_checked", r.disk_checked},
          {"files_checked", r.files_checked},
          {"total", r.Total()}};
}

json CoreBlockJson(const CoreBlock& b) {
  return {{"name", b.name}, {"text", b.text}, {"version", b.version}, {"updated", TimeJson(b.updated_ms)}};
}

// --- Back from JSON -------------------------------------------------------------

namespace {

// A value serve wrote that does not read back: thrown inside the readers
// below and turned into Internal by Read().
struct BadValue : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `read` and turns what it throws into Internal naming `what`.
template <typename T, typename F>
Result<T> Read(const char* what, F&& read) {
  try {
    return std::forward<F>(read)();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("serve answered a ") + what + " that does not read back: " + e.what());
  }
}

// `j[key]` into `*out` when present and not null.
template <typename T>
void Take(const json& j, const char* key, T* out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) *out = it->get<T>();
}

TimeMs TimeOf(const json& j) {
  if (j.is_null()) return 0;
  auto t = ParseIsoTime(j.get<std::string>());
  if (!t.ok()) throw BadValue(t.status().message());
  return *t;
}

TimeMs TakeTime(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? 0 : TimeOf(*it);
}

Tier TierOf(const std::string& name) {
  for (Tier t : {Tier::kWorking, Tier::kEpisodic, Tier::kPersona, Tier::kGraph}) {
    if (name == TierName(t)) return t;
  }
  throw BadValue("unknown tier '" + name + "'");
}

EntityType EntityTypeOf(const std::string& name) {
  for (EntityType t : {EntityType::kPerson, EntityType::kPlace, EntityType::kOrganisation, EntityType::kThing,
                       EntityType::kEvent, EntityType::kOther}) {
    if (name == EntityTypeName(t)) return t;
  }
  throw BadValue("unknown entity type '" + name + "'");
}

RouteInfo RouteOf(const json& j) {
  RouteInfo r;
  Take(j, "name", &r.name);
  Take(j, "question_kind", &r.question_kind);
  Take(j, "targets", &r.targets);
  Take(j, "entities", &r.entities);
  Take(j, "graph_expansion", &r.graph_expansion);
  Take(j, "likely_unanswerable", &r.likely_unanswerable);
  Take(j, "weights", &r.weights);
  Take(j, "steps", &r.steps);
  if (auto range = j.find("time_range"); range != j.end() && range->is_array() && range->size() == 2) {
    r.from_ms = TimeOf((*range)[0]);
    r.to_ms = TimeOf((*range)[1]);
  }
  return r;
}

Hit HitOf(const json& j) {
  Hit h;
  Take(j, "kind", &h.kind);
  Take(j, "id", &h.id);
  if (j.contains("tier")) h.tier = TierOf(j.at("tier").get<std::string>());
  Take(j, "source_ids", &h.source_ids);
  Take(j, "text", &h.text);
  Take(j, "speaker", &h.speaker);
  Take(j, "session", &h.session);
  h.time_ms = TakeTime(j, "time");
  Take(j, "score", &h.score);
  Take(j, "signals", &h.signals);
  Take(j, "metadata", &h.metadata);
  return h;
}

std::vector<Hit> HitsOf(const json& list) {
  std::vector<Hit> hits;
  for (const json& h : list) hits.push_back(HitOf(h));
  return hits;
}

}  // namespace

Result<TimeMs> TimeFromJson(const json& time) {
  return Read<TimeMs>("time", [&] { return TimeOf(time); });
}

Result<RouteInfo> RouteFromJson(const json& route) {
  return Read<RouteInfo>("route", [&] { return RouteOf(route); });
}

Result<Hit> HitFromJson(const json& hit) {
  return Read<Hit>("hit", [&] { return HitOf(hit); });
}

Result<RecallResult> RecallFromJson(const json& j) {
  return Read<RecallResult>("recall result", [&] {
    RecallResult r;
    r.hits = HitsOf(j.at("hits"));
    if (j.contains("route")) r.route = RouteOf(j.at("route"));
    Take(j, "tenant_known", &r.tenant_known);
    return r;
  });
}

Result<Context> ContextFromJson(const json& j) {
  return Read<Context>("context", [&] {
    Context c;
    for (const json& s : j.at("sections")) c.sections.push_back({s.at("name").get<std::string>(), HitsOf(s.at("items"))});
    Take(j, "text", &c.text);
    Take(j, "tokens", &c.tokens);
    if (j.contains("route")) c.route = RouteOf(j.at("route"));
    Take(j, "tenant_known", &c.tenant_known);
    return c;
  });
}

Result<PersonaFact> FactFromJson(const json& j) {
  return Read<PersonaFact>("fact", [&] {
    PersonaFact f;
    Take(j, "id", &f.id);
    Take(j, "subject", &f.subject);
    Take(j, "attribute", &f.attribute);
    Take(j, "value", &f.value);
    f.valid_from_ms = TakeTime(j, "valid_from");
    f.valid_to_ms = TakeTime(j, "valid_to");
    Take(j, "confidence", &f.confidence);
    Take(j, "negated", &f.negated);
    Take(j, "provenance", &f.provenance);
    Take(j, "source_ids", &f.source_ids);
    return f;
  });
}

Result<Entity> EntityFromJson(const json& j) {
  return Read<Entity>("entity", [&] {
    Entity e;
    Take(j, "name", &e.name);
    if (j.contains("type")) e.type = EntityTypeOf(j.at("type").get<std::string>());
    Take(j, "aliases", &e.aliases);
    Take(j, "source_ids", &e.source_ids);
    return e;
  });
}

Result<Relation> RelationFromJson(const json& j) {
  return Read<Relation>("relation", [&] {
    Relation r;
    Take(j, "id", &r.id);
    Take(j, "subject", &r.subject);
    Take(j, "relation", &r.relation);
    Take(j, "object", &r.object);
    r.time_ms = TakeTime(j, "time");
    r.valid_from_ms = TakeTime(j, "valid_from");
    r.valid_to_ms = TakeTime(j, "valid_to");
    Take(j, "provenance", &r.provenance);
    Take(j, "source_ids", &r.source_ids);
    return r;
  });
}

Result<StoredTurn> TurnFromJson(const json& j, std::string_view tenant) {
  return Read<StoredTurn>("turn", [&] {
    StoredTurn t;
    t.tenant = std::string(tenant);
    Take(j, "seq", &t.seq);
    Take(j, "id", &t.turn.source_id);
    Take(j, "session", &t.turn.session);
    Take(j, "speaker", &t.turn.speaker);
    Take(j, "text", &t.turn.text);
    t.turn.time_ms = TakeTime(j, "time");
    Take(j, "metadata", &t.turn.metadata);
    return t;
  });
}

Result<TenantStats> StatsFromJson(const json& j) {
  return Read<TenantStats>("stats", [&] {
    TenantStats s;
    Take(j, "tenant", &s.tenant);
    Take(j, "sessions", &s.sessions);
    Take(j, "turns", &s.turns);
    Take(j, "bytes", &s.bytes);
    Take(j, "units", &s.units);
    Take(j, "facts", &s.facts);
    Take(j, "entities", &s.entities);
    Take(j, "relations", &s.relations);
    return s;
  });
}

Result<ForgetReport> ForgetReportFromJson(const json& j) {
  return Read<ForgetReport>("forget report", [&] {
    ForgetReport r;
    Take(j, "removed", &r.removed);
    Take(j, "kept", &r.kept);
    Take(j, "dry_run", &r.dry_run);
    Take(j, "disk_checked", &r.disk_checked);
    Take(j, "files_checked", &r.files_checked);
    return r;
  });
}

Result<CoreBlock> CoreBlockFromJson(const json& j) {
  return Read<CoreBlock>("core block", [&] {
    CoreBlock b;
    Take(j, "name", &b.name);
    Take(j, "text", &b.text);
    Take(j, "version", &b.version);
    b.updated_ms = TakeTime(j, "updated");
    return b;
  });
}

}  // namespace engram::service
