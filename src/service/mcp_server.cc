#include "service/mcp_server.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "common/time_format.h"

namespace engram::service {
namespace {

using nlohmann::json;

// The attributes and provenance that carry the reference tool set's graph.
constexpr char kEntityType[] = "entity_type";
constexpr char kObservation[] = "observation";
constexpr char kExplicit[] = "explicit";
constexpr size_t kAllEdges = 1000000;
constexpr int64_t kMaxK = 1000;
constexpr int64_t kMaxBudgetTokens = 1000000;
constexpr int64_t kMaxHops = 10;

constexpr char kProfileUriPrefix[] = "engram://tenants/";

// --- JSON Schema building blocks ------------------------------------------

json Str(const std::string& description) { return {{"type", "string"}, {"description", description}}; }
json NullableStr(const std::string& description) {
  return {{"type", json::array({"string", "null"})}, {"description", description}};
}
json StrArray(const std::string& description) {
  return {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", description}};
}
json Object(json properties, std::vector<std::string> required, bool closed = true) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = required;
  if (closed) o["additionalProperties"] = false;
  return o;
}
json TenantArg() { return Str("tenant to use; default: the server's --tenant"); }

json FactSchema() {
  return Object({{"id", Str("stable fact id (forget takes it)")},
                 {"subject", Str("who it is about")},
                 {"attribute", Str("likes, occupation, home, ...")},
                 {"value", Str("the value")},
                 {"valid_from", NullableStr("ISO 8601 time it became true")},
                 {"valid_to", NullableStr("ISO 8601 time it stopped being true; null = still true")},
                 {"confidence", {{"type", "number"}}},
                 {"provenance", Str("extracted (from turns) or explicit (written directly)")},
                 {"source_ids", StrArray("turns it comes from")}},
                {"id", "subject", "attribute", "value", "valid_from", "valid_to", "confidence", "provenance",
                 "source_ids"},
                false);
}
json RelationSchema() {
  return Object({{"id", Str("stable relation id (forget takes it)")},
                 {"subject", Str("")},
                 {"relation", Str("sister_of, lives_in, ...")},
                 {"object", Str("")},
                 {"stated", NullableStr("ISO 8601 time it was stated")},
                 {"valid_from", NullableStr("ISO 8601 time it became true")},
                 {"valid_to", NullableStr("null = still true")},
                 {"provenance", Str("extracted or explicit")},
                 {"source_ids", StrArray("turns it comes from")}},
                {"id", "subject", "relation", "object", "valid_from", "valid_to", "provenance", "source_ids"}, false);
}
json HitSchema() {
  return Object({{"kind", Str("turn, unit, fact, relation, summary, core")},
                 {"id", Str("")},
                 {"tier", Str("working, episodic, persona, graph")},
                 {"text", Str("")},
                 {"speaker", Str("")},
                 {"session", Str("")},
                 {"time", NullableStr("ISO 8601")},
                 {"score", {{"type", "number"}}},
                 {"source_ids", StrArray("provenance: the turns it comes from")}},
                {"kind", "id", "text", "source_ids", "score"}, false);
}
json RouteSchema() {
  return Object({{"name", Str("the route the question took")},
                 {"question_kind", Str("")},
                 {"targets", StrArray("participants the question is about")},
                 {"entities", StrArray("entities mentioned")},
                 {"likely_unanswerable", {{"type", "boolean"}}},
                 {"steps", StrArray("what ran, in order")}},
                {"name", "question_kind"}, false);
}
json RefEntitySchema() {
  return Object({{"name", Str("The name of the entity")},
                 {"entityType", Str("The type of the entity")},
                 {"observations", StrArray("An array of observation contents associated with the entity")}},
                {"name", "entityType", "observations"}, false);
}
json RefRelationSchema() {
  return Object({{"from", Str("The name of the entity where the relation starts")},
                 {"to", Str("The name of the entity where the relation ends")},
                 {"relationType", Str("The type of the relation")}},
                {"from", "to", "relationType"}, false);
}
json RefGraphSchema() {
  return Object({{"entities", {{"type", "array"}, {"items", RefEntitySchema()}}},
                 {"relations", {{"type", "array"}, {"items", RefRelationSchema()}}}},
                {"entities", "relations"}, false);
}
json SuccessSchema() {
  return Object({{"success", {{"type", "boolean"}}}, {"message", Str("")}}, {"success", "message"}, false);
}

json Tool(const std::string& name, const std::string& title, const std::string& description, json input,
          json output, bool read_only, bool destructive, bool idempotent) {
  return {{"name", name},
          {"title", title},
          {"description", description},
          {"inputSchema", std::move(input)},
          {"outputSchema", std::move(output)},
          {"annotations",
           {{"title", title},
            {"readOnlyHint", read_only},
            {"destructiveHint", destructive},
            {"idempotentHint", idempotent},
            {"openWorldHint", false}}}};
}

json BuildTools() {
  json tools = json::array();
  // engram's own tools.
  tools.push_back(Tool(
      "remember", "Remember a turn",
      "Records one conversation turn (who said what, when) in long-term memory. Facts, relations and "
      "events are derived from it.",
      Object({{"speaker", Str("who said it (required)")},
              {"text", Str("what was said (required, at most 64 KiB)")},
              {"session", Str("conversation session id; default: the default session")},
              {"time", Str("ISO 8601 time it was said, e.g. 2024-05-07T18:30:00Z; default: unknown")},
              {"id", Str("your id for the turn (idempotent: the same id and content is stored once)")},
              {"metadata", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}},
                            {"description", "string labels stored with the turn"}}},
              {"tenant", TenantArg()}},
             {"speaker", "text"}),
      Object({{"tenant", Str("")}, {"seq", {{"type", "integer"}}}, {"source_id", Str("the turn's id")}},
             {"tenant", "seq", "source_id"}),
      false, false, true));
  tools.push_back(Tool(
      "recall", "Recall memory",
      "Retrieves what to remember to answer a question: a prompt-ready context within a token budget, "
      "with provenance (the source turn ids), the retrieval route taken and the ranked hits.",
      Object({{"question", Str("the question or topic (required)")},
              {"k", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxK}, {"description", "hits (default 10)"}}},
              {"budget_tokens",
               {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxBudgetTokens},
                {"description", "token budget of the packed context (default 1000)"}}},
              {"speaker", Str("only memories of this speaker")},
              {"session", Str("only memories of this session")},
              {"tenant", TenantArg()}},
             {"question"}),
      Object({{"text", Str("the packed context, ready to paste into a prompt")},
              {"tokens", {{"type", "integer"}}},
              {"route", RouteSchema()},
              {"hits", {{"type", "array"}, {"items", HitSchema()}}},
              {"tenant_known", {{"type", "boolean"}}}},
             {"text", "tokens", "route", "hits", "tenant_known"}),
      true, false, true));
  tools.push_back(Tool(
      "profile", "Profile",
      "Persona facts (traits, preferences, jobs, homes) of one speaker or everyone, as they are now or as "
      "they were at a time.",
      Object({{"speaker", Str("whose facts; default: everyone")},
              {"as_of", Str("ISO 8601 time: the facts valid then; default: now")},
              {"include_history", {{"type", "boolean"}, {"description", "closed facts too"}}},
              {"tenant", TenantArg()}},
             {}),
      Object({{"facts", {{"type", "array"}, {"items", FactSchema()}}}}, {"facts"}), true, false, true));
  tools.push_back(Tool(
      "graph", "Knowledge graph",
      "Entities and time-stamped relations around an entity (or all of them), optionally as they were at a "
      "time.",
      Object({{"entity", Str("centre entity; default: every entity")},
              {"hops", {{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxHops},
                        {"description", "neighbourhood radius (default 1)"}}},
              {"as_of", Str("ISO 8601 time: only relations stated by then and true then")},
              {"tenant", TenantArg()}},
             {}),
      Object({{"entities", {{"type", "array"},
                            {"items", Object({{"name", Str("")}, {"type", Str("")}, {"aliases", StrArray("")}},
                                             {"name", "type", "aliases"}, false)}}},
              {"relations", {{"type", "array"}, {"items", RelationSchema()}}}},
             {"entities", "relations"}),
      true, false, true));
  tools.push_back(Tool(
      "forget", "Forget",
      "Removes one memory for good: a turn (source_id) with what only it supports, or one fact (fact_id) "
      "or relation (relation_id). Give exactly one.",
      Object({{"source_id", Str("id of a remembered turn")},
              {"fact_id", Str("id of a persona fact (profile lists them)")},
              {"relation_id", Str("id of a relation (graph lists them)")},
              {"tenant", TenantArg()}},
             {}),
      Object({{"removed", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}},
              {"kept", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}},
              {"disk_checked", {{"type", "boolean"},
                                {"description", "every file of the store was searched: no byte of it is left"}}}},
             {"removed", "kept", "disk_checked"}),
      false, true, false));

  // The reference memory server's tools: same names and argument shapes.
  auto with_tenant = [](json props) {
    props["tenant"] = TenantArg();
    return props;
  };
  tools.push_back(Tool("create_entities", "Create Entities", "Create multiple new entities in the knowledge graph",
                       Object(with_tenant({{"entities", {{"type", "array"}, {"items", RefEntitySchema()}}}}),
                              {"entities"}),
                       Object({{"entities", {{"type", "array"}, {"items", RefEntitySchema()}}}}, {"entities"}),
                       false, false, false));
  tools.push_back(Tool(
      "create_relations", "Create Relations",
      "Create multiple new relations between entities in the knowledge graph. Relations should be in active voice",
      Object(with_tenant({{"relations", {{"type", "array"}, {"items", RefRelationSchema()}}}}), {"relations"}),
      Object({{"relations", {{"type", "array"}, {"items", RefRelationSchema()}}}}, {"relations"}), false, false,
      false));
  json observation_input =
      Object({{"entityName", Str("The name of the entity to add the observations to")},
              {"contents", StrArray("An array of observation contents to add")}},
             {"entityName", "contents"}, false);
  tools.push_back(Tool(
      "add_observations", "Add Observations", "Add new observations to existing entities in the knowledge graph",
      Object(with_tenant({{"observations", {{"type", "array"}, {"items", observation_input}}}}), {"observations"}),
      Object({{"results",
               {{"type", "array"},
                {"items", Object({{"entityName", Str("")}, {"addedObservations", StrArray("")}},
                                 {"entityName", "addedObservations"}, false)}}}},
             {"results"}),
      false, false, false));
  tools.push_back(Tool("delete_entities", "Delete Entities",
                       "Delete multiple entities and their associated relations from the knowledge graph",
                       Object(with_tenant({{"entityNames", StrArray("An array of entity names to delete")}}),
                              {"entityNames"}),
                       SuccessSchema(), false, true, true));
  json deletion = Object({{"entityName", Str("The name of the entity containing the observations")},
                          {"observations", StrArray("An array of observations to delete")}},
                         {"entityName", "observations"}, false);
  tools.push_back(Tool("delete_observations", "Delete Observations",
                       "Delete specific observations from entities in the knowledge graph",
                       Object(with_tenant({{"deletions", {{"type", "array"}, {"items", deletion}}}}), {"deletions"}),
                       SuccessSchema(), false, true, true));
  tools.push_back(Tool("delete_relations", "Delete Relations", "Delete multiple relations from the knowledge graph",
                       Object(with_tenant({{"relations", {{"type", "array"},
                                                          {"items", RefRelationSchema()},
                                                          {"description", "An array of relations to delete"}}}}),
                              {"relations"}),
                       SuccessSchema(), false, true, true));
  tools.push_back(Tool("read_graph", "Read Graph", "Read the entire knowledge graph", Object(with_tenant({}), {}),
                       RefGraphSchema(), true, false, true));
  tools.push_back(Tool(
      "search_nodes", "Search Nodes", "Search for nodes in the knowledge graph based on a query",
      Object(with_tenant({{"query", Str("The search query to match against entity names, types, and observation "
                                        "content")}}),
             {"query"}),
      RefGraphSchema(), true, false, true));
  tools.push_back(Tool("open_nodes", "Open Nodes", "Open specific nodes in the knowledge graph by their names",
                       Object(with_tenant({{"names", StrArray("An array of entity names to retrieve")}}), {"names"}),
                       RefGraphSchema(), true, false, true));
  return tools;
}

// --- Conversions ------------------------------------------------------------

json IsoOrNull(TimeMs t) { return t != 0 ? json(FormatIsoTime(t)) : json(nullptr); }

json FactToJson(const PersonaFact& f) {
  return {{"id", f.id},
          {"subject", f.subject},
          {"attribute", f.attribute},
          {"value", f.value},
          {"valid_from", IsoOrNull(f.valid_from_ms)},
          {"valid_to", IsoOrNull(f.valid_to_ms)},
          {"confidence", f.confidence},
          {"provenance", f.provenance},
          {"source_ids", f.source_ids}};
}

json RelationToJson(const Relation& r) {
  return {{"id", r.id},
          {"subject", r.subject},
          {"relation", r.relation},
          {"object", r.object},
          {"stated", IsoOrNull(r.time_ms)},
          {"valid_from", IsoOrNull(r.valid_from_ms)},
          {"valid_to", IsoOrNull(r.valid_to_ms)},
          {"provenance", r.provenance},
          {"source_ids", r.source_ids}};
}

json HitToJson(const Hit& h) {
  return {{"kind", h.kind},         {"id", h.id},           {"tier", TierName(h.tier)},
          {"text", h.text},         {"speaker", h.speaker}, {"session", h.session},
          {"time", IsoOrNull(h.time_ms)}, {"score", h.score}, {"source_ids", h.source_ids}};
}

json RouteToJson(const RouteInfo& r) {
  return {{"name", r.name},
          {"question_kind", r.question_kind},
          {"targets", r.targets},
          {"entities", r.entities},
          {"likely_unanswerable", r.likely_unanswerable},
          {"steps", r.steps}};
}

// --- Arguments ---------------------------------------------------------------

std::string StringArg(const json& args, const char* name, const std::string& fallback = {}) {
  auto it = args.find(name);
  return it != args.end() && it->is_string() ? it->get<std::string>() : fallback;
}

int64_t IntArg(const json& args, const char* name, int64_t fallback) {
  auto it = args.find(name);
  return it != args.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

Result<TimeMs> TimeArg(const json& args, const char* name) {
  std::string text = StringArg(args, name);
  if (text.empty()) return TimeMs{0};
  auto t = ParseIsoTime(text);
  if (!t.ok()) {
    return Status::InvalidArgument(std::string(name) + " '" + text +
                                   "' is not an ISO 8601 time (write e.g. 2024-05-07 or 2024-05-07T18:30:00Z): " +
                                   t.status().message());
  }
  return *t;
}

Status Denied(const Access& access, const char* what, const std::string& tenant) {
  return Status::FailedPrecondition("access denied: '" + access.principal + "' may not " + what + " tenant '" +
                                    tenant + "'");
}

// --- The reference tool set over explicit facts and relations -------------

struct RefEntity {
  std::string name;
  std::string type;
  // Every record behind it (a restated record may have several), so a
  // delete forgets them all.
  std::vector<std::string> type_fact_ids;
  std::vector<std::pair<std::string, std::vector<std::string>>> observations;  // (text, fact ids), oldest first
};
struct RefRelation {
  std::string from, to, type;
  std::vector<std::string> ids;
};
struct RefGraph {
  std::vector<RefEntity> entities;  // in creation order
  std::vector<RefRelation> relations;

  RefEntity* Find(const std::string& name) {
    for (auto& e : entities) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
};

// "fact:12.3" -> (12, 3), for creation order; ids of another shape sort last.
std::pair<uint64_t, uint64_t> IdOrder(const std::string& id) {
  size_t colon = id.find(':');
  size_t dot = id.find('.', colon == std::string::npos ? 0 : colon);
  if (colon == std::string::npos || dot == std::string::npos) return {UINT64_MAX, 0};
  try {
    return {std::stoull(id.substr(colon + 1, dot - colon - 1)), std::stoull(id.substr(dot + 1))};
  } catch (...) {
    return {UINT64_MAX, 0};
  }
}

bool IsNotFound(const Status& s) { return s.code() == Status::Code::kNotFound; }

Result<RefGraph> LoadRefGraph(Store& store, const std::string& tenant) {
  RefGraph graph;
  // Closed records count too: the reference graph has no validity, so an
  // explicit record stays until a delete tool forgets it, even if engram's
  // supersede rules closed it (a second works_at of the same subject).
  auto facts = store.Profile(tenant, {}, 0, /*include_history=*/true);
  if (!facts.ok() && !IsNotFound(facts.status())) return facts.status();
  std::vector<PersonaFact> explicit_facts;
  if (facts.ok()) {
    for (auto& f : *facts) {
      if (f.provenance == kExplicit && (f.attribute == kEntityType || f.attribute == kObservation)) {
        explicit_facts.push_back(std::move(f));
      }
    }
  }
  std::stable_sort(explicit_facts.begin(), explicit_facts.end(),
                   [](const PersonaFact& a, const PersonaFact& b) { return IdOrder(a.id) < IdOrder(b.id); });
  // Entities first (by their type fact), so an observation finds its entity.
  for (const auto& f : explicit_facts) {
    if (f.attribute != kEntityType) continue;
    if (RefEntity* e = graph.Find(f.subject)) {
      e->type_fact_ids.push_back(f.id);
    } else {
      graph.entities.push_back({f.subject, f.value, {f.id}, {}});
    }
  }
  for (const auto& f : explicit_facts) {
    if (f.attribute != kObservation) continue;
    RefEntity* e = graph.Find(f.subject);
    if (e == nullptr) continue;
    auto o = std::find_if(e->observations.begin(), e->observations.end(),
                          [&](const auto& x) { return x.first == f.value; });
    if (o != e->observations.end()) {
      o->second.push_back(f.id);
    } else {
      e->observations.push_back({f.value, {f.id}});
    }
  }
  auto view = store.Graph(tenant, {}, 1, kAllEdges, 0);
  if (!view.ok() && !IsNotFound(view.status())) return view.status();
  if (view.ok()) {
    std::vector<Relation> relations;
    for (auto& r : view->relations) {
      if (r.provenance == kExplicit) relations.push_back(std::move(r));
    }
    std::stable_sort(relations.begin(), relations.end(),
                     [](const Relation& a, const Relation& b) { return IdOrder(a.id) < IdOrder(b.id); });
    for (auto& r : relations) {
      auto seen = std::find_if(graph.relations.begin(), graph.relations.end(), [&](const RefRelation& x) {
        return x.from == r.subject && x.to == r.object && x.type == r.relation;
      });
      if (seen != graph.relations.end()) {
        seen->ids.push_back(r.id);
      } else {
        graph.relations.push_back({r.subject, r.object, r.relation, {r.id}});
      }
    }
  }
  return graph;
}

json RefEntityJson(const RefEntity& e) {
  json observations = json::array();
  for (const auto& o : e.observations) observations.push_back(o.first);
  return {{"name", e.name}, {"entityType", e.type}, {"observations", observations}};
}
json RefRelationJson(const RefRelation& r) { return {{"from", r.from}, {"to", r.to}, {"relationType", r.type}}; }

// The graph of `entities` and every relation with an end among them.
json RefGraphJson(const RefGraph& graph, const std::function<bool(const RefEntity&)>& keep) {
  json entities = json::array(), relations = json::array();
  std::set<std::string> names;
  for (const auto& e : graph.entities) {
    if (!keep(e)) continue;
    entities.push_back(RefEntityJson(e));
    names.insert(e.name);
  }
  for (const auto& r : graph.relations) {
    if (names.count(r.from) > 0 || names.count(r.to) > 0) relations.push_back(RefRelationJson(r));
  }
  return {{"entities", entities}, {"relations", relations}};
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Result<std::string> WriteFact(Store& store, const std::string& tenant, const std::string& subject,
                              const std::string& attribute, const std::string& value) {
  PersonaFact fact;
  fact.subject = subject;
  fact.attribute = attribute;
  fact.value = value;
  fact.provenance = kExplicit;
  WriteOptions sync;
  sync.sync = true;
  return store.RememberFact(tenant, fact, sync);
}

// Every string inside `value` (the reference tools' names, types, texts) is
// non-empty; the error names the first empty one.
Status RequireNonEmptyStrings(const json& value, const std::string& path) {
  if (value.is_string() && value.get_ref<const std::string&>().empty()) {
    return Status::InvalidArgument(path + " is empty: names, types and observations need at least one character");
  }
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      ENGRAM_RETURN_IF_ERROR(RequireNonEmptyStrings(value[i], path + "[" + std::to_string(i) + "]"));
    }
  }
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) {
      if (key == "query") continue;  // search_nodes "" matches everything, as in the reference server
      ENGRAM_RETURN_IF_ERROR(RequireNonEmptyStrings(v, path + "." + key));
    }
  }
  return Status::OK();
}

// The records one delete tool call removes: (is_relation, id).
using Doomed = std::vector<std::pair<bool, std::string>>;
void AddAll(Doomed& doomed, bool relation, const std::vector<std::string>& ids) {
  for (const auto& id : ids) doomed.emplace_back(relation, id);
}

// Forgets them in order. Only the last is synced: the write-ahead log is
// written in order, so its fsync makes every earlier one durable too, and
// the one disk check covers the whole call.
Status ForgetAll(Store& store, const std::string& tenant, const Doomed& doomed) {
  for (size_t i = 0; i < doomed.size(); ++i) {
    ForgetOptions options;
    options.sync = i + 1 == doomed.size();
    const auto& [relation, id] = doomed[i];
    auto report = relation ? store.ForgetRelation(tenant, id, options) : store.ForgetFact(tenant, id, options);
    if (!report.ok()) return report.status();
  }
  return Status::OK();
}

}  // namespace

// --- JSON Schema subset -------------------------------------------------------

Status ValidateJsonSchema(const json& schema, const json& value, const std::string& path) {
  auto type_matches = [&](const std::string& type) {
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "integer") return value.is_number_integer() || (value.is_number_float() && value.get<double>() == static_cast<double>(static_cast<int64_t>(value.get<double>())));
    if (type == "number") return value.is_number();
    if (type == "boolean") return value.is_boolean();
    if (type == "null") return value.is_null();
    return false;
  };
  if (auto t = schema.find("type"); t != schema.end()) {
    std::vector<std::string> types;
    if (t->is_string()) types.push_back(t->get<std::string>());
    if (t->is_array()) {
      for (const auto& x : *t) types.push_back(x.get<std::string>());
    }
    if (std::none_of(types.begin(), types.end(), type_matches)) {
      std::string expected;
      for (const auto& x : types) expected += (expected.empty() ? "" : " or ") + x;
      return Status::InvalidArgument(path + ": expected " + expected + ", got " + value.dump().substr(0, 80));
    }
  }
  if (auto e = schema.find("enum"); e != schema.end() && std::find(e->begin(), e->end(), value) == e->end()) {
    return Status::InvalidArgument(path + ": " + value.dump().substr(0, 80) + " is not one of " + e->dump());
  }
  if (value.is_number()) {
    if (auto m = schema.find("minimum"); m != schema.end() && value.get<double>() < m->get<double>()) {
      return Status::InvalidArgument(path + ": " + value.dump() + " is below the minimum " + m->dump());
    }
    if (auto m = schema.find("maximum"); m != schema.end() && value.get<double>() > m->get<double>()) {
      return Status::InvalidArgument(path + ": " + value.dump() + " is above the maximum " + m->dump());
    }
  }
  if (value.is_string()) {
    size_t n = value.get_ref<const std::string&>().size();
    if (auto m = schema.find("minLength"); m != schema.end() && n < m->get<size_t>()) {
      return Status::InvalidArgument(path + ": must not be shorter than " + m->dump() + " characters");
    }
    if (auto m = schema.find("maxLength"); m != schema.end() && n > m->get<size_t>()) {
      return Status::InvalidArgument(path + ": must not be longer than " + m->dump() + " characters");
    }
  }
  if (value.is_array()) {
    if (auto m = schema.find("minItems"); m != schema.end() && value.size() < m->get<size_t>()) {
      return Status::InvalidArgument(path + ": needs at least " + m->dump() + " items");
    }
    if (auto items = schema.find("items"); items != schema.end()) {
      for (size_t i = 0; i < value.size(); ++i) {
        ENGRAM_RETURN_IF_ERROR(ValidateJsonSchema(*items, value[i], path + "[" + std::to_string(i) + "]"));
      }
    }
  }
  if (value.is_object()) {
    static const json kNoProperties = json::object();
    auto props_it = schema.find("properties");
    const json& props = props_it != schema.end() ? *props_it : kNoProperties;
    if (auto req = schema.find("required"); req != schema.end()) {
      for (const auto& name : *req) {
        if (!value.contains(name.get<std::string>())) {
          return Status::InvalidArgument(path + ": '" + name.get<std::string>() + "' is required");
        }
      }
    }
    auto extra = schema.find("additionalProperties");
    for (const auto& [key, v] : value.items()) {
      if (auto p = props.find(key); p != props.end()) {
        ENGRAM_RETURN_IF_ERROR(ValidateJsonSchema(*p, v, path + "." + key));
      } else if (extra != schema.end() && extra->is_boolean() && !extra->get<bool>()) {
        std::string known;
        for (const auto& [name, unused] : props.items()) known += (known.empty() ? "" : ", ") + name;
        return Status::InvalidArgument(path + ": unknown property '" + key + "' (known: " + known + ")");
      } else if (extra != schema.end() && extra->is_object()) {
        ENGRAM_RETURN_IF_ERROR(ValidateJsonSchema(*extra, v, path + "." + key));
      }
    }
  }
  return Status::OK();
}

// --- McpServer ---------------------------------------------------------------

McpServer::McpServer(Store& store, McpServerOptions options)
    : store_(store), options_(std::move(options)), tools_(BuildTools()) {}

const std::vector<std::string>& McpServer::SupportedProtocolVersions() {
  // The versions of the official TypeScript SDK (SUPPORTED_PROTOCOL_VERSIONS
  // of @modelcontextprotocol/sdk 1.x), newest first.
  static const std::vector<std::string> kVersions = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05",
                                                     "2024-10-07"};
  return kVersions;
}

bool McpServer::IsSupportedProtocolVersion(std::string_view version) {
  const auto& v = SupportedProtocolVersions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

bool McpServer::AllowsBatches(std::string_view version) { return version == "2025-03-26"; }

json McpServer::ErrorResponse(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

std::optional<json> McpServer::Handle(const json& message, const Access& access) {
  std::lock_guard<std::mutex> lock(stdio_mutex_);
  return Handle(message, access, stdio_session_);
}

std::optional<json> McpServer::HandleText(std::string_view text, const Access& access, McpSession& session) {
  json message = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    return ErrorResponse(nullptr, kParseError, "parse error: the message is not valid JSON");
  }
  return Handle(message, access, session);
}

std::optional<json> McpServer::Handle(const json& message, const Access& access, McpSession& session) {
  if (message.is_array()) {
    if (!AllowsBatches(session.protocol_version)) {
      return ErrorResponse(nullptr, kInvalidRequest,
                           "JSON-RPC batches are not supported in protocol version '" +
                               (session.protocol_version.empty() ? std::string("(none negotiated)")
                                                                 : session.protocol_version) +
                               "' (only 2025-03-26 allows them); send one message at a time");
    }
    if (message.empty()) return ErrorResponse(nullptr, kInvalidRequest, "an empty JSON-RPC batch");
    json responses = json::array();
    for (const auto& m : message) {
      bool respond = false;
      json r = HandleOne(m, access, session, &respond);
      if (respond) responses.push_back(std::move(r));
    }
    if (responses.empty()) return std::nullopt;
    return responses;
  }
  bool respond = false;
  json r = HandleOne(message, access, session, &respond);
  if (!respond) return std::nullopt;
  return r;
}

json McpServer::HandleOne(const json& message, const Access& access, McpSession& session, bool* respond) {
  *respond = true;
  if (!message.is_object()) {
    return ErrorResponse(nullptr, kInvalidRequest, "invalid request: a JSON-RPC message is an object");
  }
  json id = message.contains("id") ? message["id"] : json(nullptr);
  const bool has_id = message.contains("id");
  if (has_id && !id.is_string() && !id.is_number_integer()) {
    return ErrorResponse(nullptr, kInvalidRequest, "invalid request: 'id' must be a string or an integer");
  }
  if (message.value("jsonrpc", json()) != "2.0") {
    return ErrorResponse(id, kInvalidRequest, "invalid request: 'jsonrpc' must be \"2.0\"");
  }
  auto method_it = message.find("method");
  if (method_it == message.end()) {
    // A response of the client (to a request this server never sends) or garbage.
    if (has_id && (message.contains("result") || message.contains("error"))) {
      *respond = false;
      return nullptr;
    }
    return ErrorResponse(id, kInvalidRequest, "invalid request: 'method' is missing");
  }
  if (!method_it->is_string()) return ErrorResponse(id, kInvalidRequest, "invalid request: 'method' must be a string");
  const std::string method = method_it->get<std::string>();
  json params = message.value("params", json::object());
  if (!params.is_object()) {
    if (!has_id) {
      *respond = false;
      return nullptr;
    }
    return ErrorResponse(id, kInvalidParams, "invalid params: 'params' of '" + method + "' must be an object");
  }

  if (!has_id) {  // a notification: never answered
    *respond = false;
    if (method == "notifications/initialized") session.initialized = true;
    return nullptr;
  }
  int error_code = kInternalError;
  Result<json> result = Dispatch(method, params, access, session, &error_code);
  if (!result.ok()) return ErrorResponse(id, error_code, result.status().message());
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(*result)}};
}

Result<json> McpServer::Dispatch(const std::string& method, const json& params, const Access& access,
                                 McpSession& session, int* error_code) {
  if (method == "initialize") return Initialize(params, session);
  if (method == "ping") return json::object();
  if (session.protocol_version.empty()) {
    *error_code = kInvalidRequest;
    return Status::FailedPrecondition("'" + method + "' before 'initialize': initialize the session first");
  }
  if (method == "tools/list") return json{{"tools", tools_}};
  if (method == "tools/call") return CallTool(params, access, error_code);
  if (method == "resources/list") return ListResources(access);
  if (method == "resources/templates/list") {
    return json{{"resourceTemplates",
                 json::array({{{"uriTemplate", "engram://tenants/{tenant}/profile"},
                               {"name", "profile"},
                               {"title", "Profile of a tenant"},
                               {"description", "The tenant's current persona facts (JSON)"},
                               {"mimeType", "application/json"}},
                              {{"uriTemplate", "engram://tenants/{tenant}/graph"},
                               {"name", "graph"},
                               {"title", "Knowledge graph of a tenant"},
                               {"description", "The tenant's entities and relations (JSON)"},
                               {"mimeType", "application/json"}}})}};
  }
  if (method == "resources/read") return ReadResource(params, access, error_code);
  if (method == "prompts/list") return json{{"prompts", json::array()}};
  *error_code = kMethodNotFound;
  return Status::NotFound("method not found: '" + method +
                          "' (this server offers initialize, ping, tools/list, tools/call, resources/list, "
                          "resources/templates/list, resources/read)");
}

json McpServer::Initialize(const json& params, McpSession& session) {
  std::string requested = params.value("protocolVersion", json("")).is_string()
                              ? params.value("protocolVersion", std::string())
                              : std::string();
  session.protocol_version =
      IsSupportedProtocolVersion(requested) ? requested : SupportedProtocolVersions().front();
  if (auto info = params.find("clientInfo"); info != params.end() && info->is_object()) {
    session.client_name = info->value("name", json("")).is_string() ? info->value("name", std::string()) : "";
  }
  return {{"protocolVersion", session.protocol_version},
          {"capabilities",
           {{"tools", {{"listChanged", false}}}, {"resources", {{"listChanged", false}, {"subscribe", false}}}}},
          {"serverInfo", {{"name", options_.server_name}, {"version", options_.server_version}}},
          {"instructions",
           "engram is a durable long-term memory. Call remember with each conversation turn worth keeping, "
           "recall before answering a question about the past, profile and graph to inspect what is known, "
           "and forget to remove a memory. The knowledge-graph tools (create_entities, ..., open_nodes) "
           "keep explicit entities, observations and relations. Tenant: '" +
               options_.default_tenant + "' unless a call names another."}};
}

Result<json> McpServer::CallTool(const json& params, const Access& access, int* error_code) {
  auto name_it = params.find("name");
  if (name_it == params.end() || !name_it->is_string()) {
    *error_code = kInvalidParams;
    return Status::InvalidArgument("invalid params: tools/call needs 'name', the tool's name (tools/list lists them)");
  }
  const std::string name = name_it->get<std::string>();
  const json* tool = nullptr;
  for (const auto& t : tools_) {
    if (t["name"] == name) tool = &t;
  }
  if (tool == nullptr) {
    *error_code = kInvalidParams;
    return Status::NotFound("unknown tool '" + name + "' (tools/list lists the tools)");
  }
  json args = params.value("arguments", json::object());
  if (args.is_null()) args = json::object();
  // Bad arguments are a tool error (isError), so the model can correct its call.
  Status valid = ValidateJsonSchema((*tool)["inputSchema"], args, "arguments");
  Result<json> structured = valid.ok() ? RunTool(name, args, access) : Result<json>(valid);
  if (!structured.ok()) {
    return json{{"content", json::array({{{"type", "text"}, {"text", structured.status().message()}}})},
                {"isError", true}};
  }
  // The reference server's text for its delete tools is the message alone.
  std::string text = structured->contains("success") && structured->size() == 2
                         ? (*structured)["message"].get<std::string>()
                         : structured->dump(2);
  return json{{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"structuredContent", *structured}};
}

Result<json> McpServer::ListResources(const Access& access) {
  auto tenants = store_.ListTenants();
  if (!tenants.ok()) return tenants.status();
  json resources = json::array();
  for (const auto& tenant : *tenants) {
    if (!access.CanRead(tenant)) continue;
    resources.push_back({{"uri", kProfileUriPrefix + tenant + "/profile"},
                         {"name", tenant + "/profile"},
                         {"title", "Profile of " + tenant},
                         {"mimeType", "application/json"}});
    resources.push_back({{"uri", kProfileUriPrefix + tenant + "/graph"},
                         {"name", tenant + "/graph"},
                         {"title", "Knowledge graph of " + tenant},
                         {"mimeType", "application/json"}});
  }
  return json{{"resources", resources}};
}

Result<json> McpServer::ReadResource(const json& params, const Access& access, int* error_code) {
  *error_code = kInvalidParams;
  std::string uri = params.value("uri", json("")).is_string() ? params.value("uri", std::string()) : "";
  const std::string prefix = kProfileUriPrefix;
  auto bad = [&] {
    return Status::InvalidArgument("unknown resource '" + uri +
                                   "': engram's resources are engram://tenants/{tenant}/profile and "
                                   "engram://tenants/{tenant}/graph");
  };
  if (uri.rfind(prefix, 0) != 0) return bad();
  std::string rest = uri.substr(prefix.size());
  size_t slash = rest.rfind('/');
  if (slash == std::string::npos || slash == 0) return bad();
  std::string tenant = rest.substr(0, slash), kind = rest.substr(slash + 1);
  if (kind != "profile" && kind != "graph") return bad();
  if (!access.CanRead(tenant)) return Denied(access, "read", tenant);
  json body;
  if (kind == "profile") {
    auto facts = store_.Profile(tenant);
    if (!facts.ok()) return facts.status();
    body = {{"tenant", tenant}, {"facts", json::array()}};
    for (const auto& f : *facts) body["facts"].push_back(FactToJson(f));
  } else {
    auto view = store_.Graph(tenant, {}, 1, kAllEdges, 0);
    if (!view.ok()) return view.status();
    body = {{"tenant", tenant}, {"entities", json::array()}, {"relations", json::array()}};
    for (const auto& e : view->entities) {
      body["entities"].push_back({{"name", e.name}, {"type", EntityTypeName(e.type)}, {"aliases", e.aliases}});
    }
    for (const auto& r : view->relations) body["relations"].push_back(RelationToJson(r));
  }
  return json{{"contents", json::array({{{"uri", uri}, {"mimeType", "application/json"}, {"text", body.dump(2)}}})}};
}

Result<json> McpServer::RunTool(const std::string& name, const json& args, const Access& access) {
  const std::string tenant = StringArg(args, "tenant", options_.default_tenant);
  static const std::set<std::string> kReadOnly = {"recall", "profile", "graph", "read_graph", "search_nodes",
                                                  "open_nodes"};
  const bool writes = kReadOnly.count(name) == 0;
  if (writes ? !access.CanWrite(tenant) : !access.CanRead(tenant)) {
    return Denied(access, writes ? "write" : "read", tenant);
  }
  WriteOptions sync;
  sync.sync = true;  // an acknowledged tool call survives a power loss

  if (name == "remember") {
    Turn turn;
    turn.speaker = StringArg(args, "speaker");
    turn.text = StringArg(args, "text");
    turn.session = StringArg(args, "session");
    turn.source_id = StringArg(args, "id");
    auto time = TimeArg(args, "time");
    if (!time.ok()) return time.status();
    turn.time_ms = *time;
    if (auto m = args.find("metadata"); m != args.end()) {
      for (const auto& [k, v] : m->items()) turn.metadata[k] = v.get<std::string>();
    }
    auto seq = store_.Observe(tenant, turn, sync);
    if (!seq.ok()) return seq.status();
    auto stored = store_.GetTurn(tenant, *seq);
    if (!stored.ok()) return stored.status();
    return json{{"tenant", tenant}, {"seq", *seq}, {"source_id", stored->turn.source_id}};
  }
  if (name == "recall") {
    RecallOptions options;
    options.k = static_cast<size_t>(IntArg(args, "k", 10));
    options.speaker = StringArg(args, "speaker");
    options.session = StringArg(args, "session");
    const std::string question = StringArg(args, "question");
    auto budget = static_cast<size_t>(IntArg(args, "budget_tokens", static_cast<int64_t>(options_.default_budget_tokens)));
    auto context = store_.RecallContext(tenant, question, budget, options);
    if (!context.ok()) return context.status();
    auto result = store_.Recall(tenant, question, options);
    if (!result.ok()) return result.status();
    json hits = json::array();
    for (const auto& h : result->hits) hits.push_back(HitToJson(h));
    return json{{"text", context->text},
                {"tokens", context->tokens},
                {"route", RouteToJson(context->route)},
                {"hits", hits},
                {"tenant_known", result->tenant_known}};
  }
  if (name == "profile") {
    auto as_of = TimeArg(args, "as_of");
    if (!as_of.ok()) return as_of.status();
    auto facts = store_.Profile(tenant, StringArg(args, "speaker"), *as_of,
                                args.value("include_history", json(false)).get<bool>());
    if (!facts.ok()) return facts.status();
    json out = json::array();
    for (const auto& f : *facts) out.push_back(FactToJson(f));
    return json{{"facts", out}};
  }
  if (name == "graph") {
    auto as_of = TimeArg(args, "as_of");
    if (!as_of.ok()) return as_of.status();
    auto view = store_.Graph(tenant, StringArg(args, "entity"), static_cast<int>(IntArg(args, "hops", 1)), 500, *as_of);
    if (!view.ok()) return view.status();
    json entities = json::array(), relations = json::array();
    for (const auto& e : view->entities) {
      entities.push_back({{"name", e.name}, {"type", EntityTypeName(e.type)}, {"aliases", e.aliases}});
    }
    for (const auto& r : view->relations) relations.push_back(RelationToJson(r));
    return json{{"entities", entities}, {"relations", relations}};
  }
  if (name == "forget") {
    std::vector<std::pair<std::string, std::string>> given;
    for (const char* key : {"source_id", "fact_id", "relation_id"}) {
      if (!StringArg(args, key).empty()) given.emplace_back(key, StringArg(args, key));
    }
    if (given.size() != 1) {
      return Status::InvalidArgument("forget takes exactly one of source_id, fact_id, relation_id (got " +
                                     std::to_string(given.size()) + ")");
    }
    const auto& [key, id] = given.front();
    // Synced: when the call returns, no byte of what was forgotten is left on disk.
    Result<ForgetReport> report = key == "source_id" ? store_.Forget(tenant, id, sync)
                                  : key == "fact_id" ? store_.ForgetFact(tenant, id, sync)
                                                     : store_.ForgetRelation(tenant, id, sync);
    if (!report.ok()) return report.status();
    return json{{"removed", report->removed}, {"kept", report->kept}, {"disk_checked", report->disk_checked}};
  }

  // The reference tool set. Empty names, types and texts are refused before
  // anything is written (a call writes several records, so it checks what it
  // can up front rather than stop half-way).
  ENGRAM_RETURN_IF_ERROR(RequireNonEmptyStrings(args, "arguments"));
  // Read the graph, then write, one call at a time.
  std::lock_guard<std::mutex> lock(knowledge_mutex_);
  auto graph = LoadRefGraph(store_, tenant);
  if (!graph.ok()) return graph.status();
  if (name == "read_graph") return RefGraphJson(*graph, [](const RefEntity&) { return true; });
  if (name == "open_nodes") {
    std::set<std::string> names;
    for (const auto& n : args["names"]) names.insert(n.get<std::string>());
    return RefGraphJson(*graph, [&](const RefEntity& e) { return names.count(e.name) > 0; });
  }
  if (name == "search_nodes") {
    const std::string q = Lower(args["query"].get<std::string>());
    return RefGraphJson(*graph, [&](const RefEntity& e) {
      if (Lower(e.name).find(q) != std::string::npos || Lower(e.type).find(q) != std::string::npos) return true;
      return std::any_of(e.observations.begin(), e.observations.end(),
                         [&](const auto& o) { return Lower(o.first).find(q) != std::string::npos; });
    });
  }
  if (name == "create_entities") {
    json created = json::array();
    for (const auto& e : args["entities"]) {
      const std::string entity = e["name"].get<std::string>();
      if (graph->Find(entity) != nullptr) continue;  // the reference server skips existing names
      auto type_id = WriteFact(store_, tenant, entity, kEntityType, e["entityType"].get<std::string>());
      if (!type_id.ok()) return type_id.status();
      RefEntity added{entity, e["entityType"].get<std::string>(), {*type_id}, {}};
      for (const auto& o : e["observations"]) {
        const std::string text = o.get<std::string>();
        if (std::any_of(added.observations.begin(), added.observations.end(),
                        [&](const auto& x) { return x.first == text; })) {
          continue;
        }
        auto id = WriteFact(store_, tenant, entity, kObservation, text);
        if (!id.ok()) return id.status();
        added.observations.push_back({text, {*id}});
      }
      graph->entities.push_back(added);
      created.push_back(RefEntityJson(added));
    }
    return json{{"entities", created}};
  }
  if (name == "create_relations") {
    json created = json::array();
    for (const auto& r : args["relations"]) {
      RefRelation rel{r["from"].get<std::string>(), r["to"].get<std::string>(), r["relationType"].get<std::string>(), {}};
      if (std::any_of(graph->relations.begin(), graph->relations.end(), [&](const RefRelation& x) {
            return x.from == rel.from && x.to == rel.to && x.type == rel.type;
          })) {
        continue;
      }
      Relation relation;
      relation.subject = rel.from;
      relation.relation = rel.type;
      relation.object = rel.to;
      relation.provenance = kExplicit;
      auto id = store_.RememberRelation(tenant, relation, sync);
      if (!id.ok()) return id.status();
      rel.ids = {*id};
      graph->relations.push_back(rel);
      created.push_back(RefRelationJson(rel));
    }
    return json{{"relations", created}};
  }
  if (name == "add_observations") {
    // Every entity must exist before anything is written, as in the reference server.
    for (const auto& o : args["observations"]) {
      if (graph->Find(o["entityName"].get<std::string>()) == nullptr) {
        return Status::NotFound("Entity with name " + o["entityName"].get<std::string>() + " not found");
      }
    }
    json results = json::array();
    for (const auto& o : args["observations"]) {
      RefEntity* entity = graph->Find(o["entityName"].get<std::string>());
      json added = json::array();
      for (const auto& c : o["contents"]) {
        const std::string text = c.get<std::string>();
        if (std::any_of(entity->observations.begin(), entity->observations.end(),
                        [&](const auto& x) { return x.first == text; })) {
          continue;
        }
        auto id = WriteFact(store_, tenant, entity->name, kObservation, text);
        if (!id.ok()) return id.status();
        entity->observations.push_back({text, {*id}});
        added.push_back(text);
      }
      results.push_back({{"entityName", entity->name}, {"addedObservations", added}});
    }
    return json{{"results", results}};
  }
  Doomed doomed;
  if (name == "delete_entities") {
    std::set<std::string> names;
    for (const auto& n : args["entityNames"]) names.insert(n.get<std::string>());
    for (const auto& r : graph->relations) {
      if (names.count(r.from) > 0 || names.count(r.to) > 0) AddAll(doomed, true, r.ids);
    }
    for (const auto& e : graph->entities) {
      if (names.count(e.name) == 0) continue;
      for (const auto& o : e.observations) AddAll(doomed, false, o.second);
      AddAll(doomed, false, e.type_fact_ids);
    }
    ENGRAM_RETURN_IF_ERROR(ForgetAll(store_, tenant, doomed));
    return json{{"success", true}, {"message", "Entities deleted successfully"}};
  }
  if (name == "delete_observations") {
    for (const auto& d : args["deletions"]) {
      RefEntity* entity = graph->Find(d["entityName"].get<std::string>());
      if (entity == nullptr) continue;  // as the reference server: nothing to delete
      std::set<std::string> texts;
      for (const auto& o : d["observations"]) texts.insert(o.get<std::string>());
      for (const auto& o : entity->observations) {
        if (texts.count(o.first) > 0) AddAll(doomed, false, o.second);
      }
    }
    ENGRAM_RETURN_IF_ERROR(ForgetAll(store_, tenant, doomed));
    return json{{"success", true}, {"message", "Observations deleted successfully"}};
  }
  if (name == "delete_relations") {
    for (const auto& r : graph->relations) {
      for (const auto& d : args["relations"]) {
        if (d["from"] == r.from && d["to"] == r.to && d["relationType"] == r.type) {
          AddAll(doomed, true, r.ids);
          break;
        }
      }
    }
    ENGRAM_RETURN_IF_ERROR(ForgetAll(store_, tenant, doomed));
    return json{{"success", true}, {"message", "Relations deleted successfully"}};
  }
  return Status::Internal("tool '" + name + "' has a definition but no implementation");
}

}  // namespace engram::service
