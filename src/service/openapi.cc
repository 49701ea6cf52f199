#include "service/openapi.h"

#include <map>
#include <string>
#include <vector>

namespace engram::service {
namespace {

using nlohmann::json;

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json Str() { return {{"type", "string"}}; }
json Time() { return {{"type", {"string", "null"}}, {"format", "date-time"}}; }
json StrList() { return {{"type", "array"}, {"items", Str()}}; }
json StrMap() { return {{"type", "object"}, {"additionalProperties", Str()}}; }
json Int() { return {{"type", "integer"}}; }
json Bool() { return {{"type", "boolean"}}; }

json Obj(json properties, std::vector<std::string> required = {}, bool closed = false) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = required;
  if (closed) o["additionalProperties"] = false;
  return o;
}

json PathParam(const std::string& name, const std::string& what) {
  return {{"name", name}, {"in", "path"}, {"required", true}, {"description", what}, {"schema", Str()}};
}
json QueryParam(const std::string& name, json schema, const std::string& what) {
  return {{"name", name}, {"in", "query"}, {"required", false}, {"description", what}, {"schema", std::move(schema)}};
}

json JsonContent(json schema) { return {{"application/json", {{"schema", std::move(schema)}}}}; }

json ErrorReply(const std::string& what) {
  return {{"description", what}, {"content", JsonContent(Ref("Error"))}};
}

// (A one-element list is written json::array({x}): a bare {x} is an array
// for GCC but a copy of x for Clang.)
// An operation: its summary, an optional JSON request body, the 200 reply
// and the errors it can answer with (401/403/429 added to tenant routes).
json Op(const std::string& id, const std::string& summary, const json& reply, std::vector<int> errors,
        json body = nullptr, json parameters = json::array(), bool public_route = false) {
  json responses = {{"200", reply}};
  static const std::map<int, std::string> kWhat = {
      {400, "bad input: the message names the field and value"},
      {401, "no or unknown bearer token"},
      {403, "the token may not use this tenant or operation"},
      {404, "unknown tenant, turn, fact, relation or block"},
      {409, "conflicts with what is stored (AlreadyExists, FailedPrecondition)"},
      {413, "body over the size limit, or a batch over the turn limit"},
      {429, "too many requests at once; retry after Retry-After seconds"},
      {500, "a storage error"},
      {501, "not supported by this store"},
      {503, "unavailable (shutting down, or the store does not answer)"}};
  if (!public_route) {
    for (int e : {401, 403, 429, 500}) errors.push_back(e);
  }
  for (int e : errors) responses[std::to_string(e)] = ErrorReply(kWhat.at(e));
  json op = {{"operationId", id}, {"summary", summary}, {"responses", responses}};
  if (!body.is_null()) op["requestBody"] = {{"required", true}, {"content", JsonContent(std::move(body))}};
  if (!parameters.empty()) op["parameters"] = std::move(parameters);
  if (public_route) op["security"] = json::array();
  return op;
}

json Reply(const std::string& what, const std::string& schema) {
  return {{"description", what}, {"content", JsonContent(Ref(schema))}};
}

json Schemas() {
  json s;
  s["Error"] = Obj({{"error", Obj({{"code", {{"type", "string"},
                                               {"enum", {"invalid_argument", "unauthenticated", "permission_denied",
                                                         "not_found", "method_not_allowed", "request_timeout",
                                                         "conflict", "payload_too_large", "uri_too_long",
                                                         "too_many_requests", "not_supported", "unavailable",
                                                         "internal", "bad_request"}}}},
                                   {"status", Int()},
                                   {"message", Str()}},
                                  {"code", "status", "message"})}},
                   {"error"});
  s["TurnInput"] = Obj({{"tenant", Str()}, {"session", Str()}, {"time", Str()}, {"speaker", Str()},
                        {"text", Str()}, {"id", Str()}, {"metadata", StrMap()}},
                       {"speaker", "text"}, true);
  s["TurnBatch"] = Obj({{"turns", {{"type", "array"}, {"items", Ref("TurnInput")}, {"minItems", 1}}},
                        {"sync", Bool()}},
                       {"turns"}, true);
  s["ObserveRequest"] = {{"oneOf", {Ref("TurnInput"), Ref("TurnBatch")}}};
  s["ObserveReply"] = Obj({{"seqs", {{"type", "array"}, {"items", Int()}}}, {"new", Int()}, {"already_stored", Int()}},
                          {"seqs", "new", "already_stored"});
  json recall_props = {{"question", Str()},
                       {"k", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
                       {"route", {{"type", "string"}, {"enum", {"auto", "hybrid", "bm25", "vector"}}}},
                       {"speaker", Str()},
                       {"session", Str()},
                       {"asking_user", Str()},
                       {"agent_name", Str()},
                       {"lexical_weight", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
                       {"vector_weight", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
                       {"from", Str()},
                       {"to", Str()},
                       {"where", StrMap()},
                       {"tiers", {{"type", "array"},
                                  {"items", {{"type", "string"},
                                             {"enum", {"working", "episodic", "persona", "graph"}}}}}}};
  s["RecallRequest"] = Obj(recall_props, {"question"}, true);
  json context_props = recall_props;
  context_props["budget_tokens"] = {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000}};
  s["ContextRequest"] = Obj(context_props, {"question"}, true);
  s["Route"] = Obj({{"name", Str()}, {"question_kind", Str()}, {"targets", StrList()}, {"entities", StrList()},
                    {"graph_expansion", Bool()}, {"likely_unanswerable", Bool()},
                    {"weights", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}},
                    {"steps", StrList()}, {"time_range", StrList()}});
  s["Hit"] = Obj({{"kind", Str()}, {"id", Str()}, {"tier", Str()}, {"source_ids", StrList()}, {"text", Str()},
                  {"speaker", Str()}, {"session", Str()}, {"time", Time()}, {"score", {{"type", "number"}}},
                  {"signals", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}},
                  {"metadata", StrMap()}});
  s["RecallReply"] = Obj({{"hits", {{"type", "array"}, {"items", Ref("Hit")}}}, {"route", Ref("Route")},
                          {"tenant_known", Bool()}},
                         {"hits", "route"});
  s["ContextReply"] = Obj({{"sections", {{"type", "array"},
                                         {"items", Obj({{"name", Str()},
                                                        {"items", {{"type", "array"}, {"items", Ref("Hit")}}}})}}},
                           {"text", Str()}, {"tokens", Int()}, {"route", Ref("Route")}, {"tenant_known", Bool()}},
                          {"sections", "text", "tokens", "route"});
  s["Fact"] = Obj({{"id", Str()}, {"subject", Str()}, {"attribute", Str()}, {"value", Str()},
                   {"valid_from", Time()}, {"valid_to", Time()}, {"confidence", {{"type", "number"}}},
                   {"negated", Bool()}, {"provenance", Str()}, {"source_ids", StrList()}});
  s["Profile"] = Obj({{"tenant", Str()}, {"facts", {{"type", "array"}, {"items", Ref("Fact")}}}}, {"facts"});
  s["Entity"] = Obj({{"name", Str()}, {"type", Str()}, {"aliases", StrList()}, {"source_ids", StrList()}});
  s["Relation"] = Obj({{"id", Str()}, {"subject", Str()}, {"relation", Str()}, {"object", Str()}, {"time", Time()},
                       {"valid_from", Time()}, {"valid_to", Time()}, {"provenance", Str()},
                       {"source_ids", StrList()}});
  s["Graph"] = Obj({{"tenant", Str()}, {"entity", Str()}, {"hops", Int()}, {"as_of", Time()},
                    {"entities", {{"type", "array"}, {"items", Ref("Entity")}}},
                    {"relations", {{"type", "array"}, {"items", Ref("Relation")}}}},
                   {"entities", "relations"});
  s["Stats"] = Obj({{"tenant", Str()}, {"sessions", Int()}, {"turns", Int()}, {"bytes", Int()}, {"units", Int()},
                    {"facts", Int()}, {"entities", Int()}, {"relations", Int()}},
                   {"tenant", "turns"});
  s["Tenants"] = Obj({{"tenants", StrList()}}, {"tenants"});
  json counts = {{"type", "object"}, {"additionalProperties", Int()}};
  s["ForgetReport"] = Obj({{"removed", counts}, {"kept", counts}, {"dry_run", Bool()}, {"disk_checked", Bool()},
                           {"files_checked", Int()}, {"total", Int()}},
                          {"removed", "dry_run", "total"});
  s["StoredTurn"] = Obj({{"seq", Int()}, {"id", Str()}, {"session", Str()}, {"speaker", Str()}, {"text", Str()},
                         {"time", Time()}, {"metadata", StrMap()}},
                        {"seq", "id", "speaker", "text"});
  s["Turns"] = Obj({{"tenant", Str()}, {"turns", {{"type", "array"}, {"items", Ref("StoredTurn")}}}}, {"turns"});
  s["TextUpdate"] = Obj({{"text", Str()}, {"sync", Bool()}}, {"text"}, true);
  s["UpdateReply"] = Obj({{"id", Str()}, {"version", Int()}}, {"id", "version"});
  s["TurnHistory"] = Obj({{"id", Str()},
                          {"versions", {{"type", "array"},
                                        {"items", Obj({{"version", Int()}, {"text", Str()}, {"speaker", Str()},
                                                       {"session", Str()}, {"time", Time()},
                                                       {"replaced", Time()}})}}}},
                         {"id", "versions"});
  s["FactInput"] = Obj({{"subject", Str()}, {"attribute", Str()}, {"value", Str()}, {"valid_from", Str()},
                        {"valid_to", Str()}, {"sync", Bool()}},
                       {"subject", "attribute", "value"}, true);
  s["RelationInput"] = Obj({{"subject", Str()}, {"relation", Str()}, {"object", Str()}, {"valid_from", Str()},
                            {"valid_to", Str()}, {"sync", Bool()}},
                           {"subject", "relation", "object"}, true);
  s["IdReply"] = Obj({{"id", Str()}}, {"id"});
  s["CoreBlock"] = Obj({{"name", Str()}, {"text", Str()}, {"version", Int()}, {"updated", Time()}},
                       {"name", "text", "version"});
  s["CoreBlocks"] = Obj({{"tenant", Str()}, {"blocks", {{"type", "array"}, {"items", Ref("CoreBlock")}}}},
                        {"blocks"});
  s["CoreBlockHistory"] = Obj({{"name", Str()}, {"versions", {{"type", "array"}, {"items", Ref("CoreBlock")}}}},
                              {"name", "versions"});
  s["Status"] = Obj({{"status", Str()}}, {"status"});
  return s;
}

json Paths() {
  const json tenant = PathParam("tenant", "the tenant (URL-encoded; no '/')");
  const json source_id = PathParam("source_id", "the turn's source id");
  const json id = PathParam("id", "the fact's or relation's id");
  const json name = PathParam("name", "the core memory block's name");
  const json sync = QueryParam("sync", Bool(), "wait for fsync before replying (default true for forgetting)");
  const json dry_run = QueryParam("dry_run", Bool(), "report what would be removed; remove nothing");
  json p;
  p["/healthz"]["get"] = Op("healthz", "The process is up", Reply("up", "Status"), {}, nullptr, json::array(), true);
  p["/readyz"]["get"] = Op("readyz", "The store is open and writable", Reply("ready", "Status"), {503}, nullptr,
                           json::array(), true);
  p["/metrics"]["get"] = Op("metrics", "Prometheus metrics",
                            {{"description", "the Prometheus text format"},
                             {"content", {{"text/plain", {{"schema", Str()}}}}}},
                            {}, nullptr, json::array(), true);
  p["/openapi.json"]["get"] = Op("openapi", "This document",
                                 {{"description", "the OpenAPI document"},
                                  {"content", JsonContent({{"type", "object"}})}},
                                 {}, nullptr, json::array(), true);
  p["/v1/tenants"]["get"] = Op("listTenants", "Every tenant (admin tokens only)", Reply("tenants", "Tenants"), {});
  p["/v1/tenants/{tenant}"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}"]["delete"] = Op("forgetTenant", "Forget every record of the tenant",
                                           Reply("what was removed", "ForgetReport"), {400, 404}, nullptr,
                                           {dry_run, sync});
  p["/v1/tenants/{tenant}/turns"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/turns"]["post"] =
      Op("observe", "Record one turn, or a batch atomically (a bad turn writes nothing)",
         Reply("sequence numbers", "ObserveReply"), {400, 409, 413}, Ref("ObserveRequest"),
         json::array({QueryParam("sync", Bool(), "wait for fsync before replying")}));
  p["/v1/tenants/{tenant}/turns"]["get"] =
      Op("listTurns", "The tenant's turns in the order observed (an unknown tenant has none)",
         Reply("the turns", "Turns"), {400, 404}, nullptr,
         {QueryParam("seq", {{"type", "integer"}, {"minimum", 1}}, "only the turn with this sequence number (404 if none)"),
          QueryParam("session", Str(), "only this session"),
          QueryParam("from", Str(), "ISO 8601 time, inclusive"),
          QueryParam("to", Str(), "ISO 8601 time, exclusive"),
          QueryParam("limit", {{"type", "integer"}, {"minimum", 0}, {"maximum", 1000000}}, "at most this many (0: all)")});
  const std::string turn = "/v1/tenants/{tenant}/turns/{source_id}";
  p[turn]["parameters"] = {tenant, source_id};
  p[turn]["get"] = Op("getTurn", "One stored turn", Reply("the turn", "StoredTurn"), {400, 404});
  p[turn]["put"] = Op("updateTurn", "Replace a turn's text (the old text stays in its history)",
                      Reply("the new version", "UpdateReply"), {400, 404, 501}, Ref("TextUpdate"));
  p[turn]["delete"] = Op("forgetTurn", "Forget one turn and what only it supports",
                         Reply("what was removed", "ForgetReport"), {400, 404, 501}, nullptr, {dry_run, sync});
  p[turn + "/history"]["parameters"] = {tenant, source_id};
  p[turn + "/history"]["get"] = Op("turnHistory", "Every version of a turn", Reply("versions", "TurnHistory"),
                                   {400, 404, 501});
  p["/v1/tenants/{tenant}/recall"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/recall"]["post"] = Op("recall", "What the memory holds for a question",
                                                Reply("hits and the route", "RecallReply"), {400, 409},
                                                Ref("RecallRequest"));
  p["/v1/tenants/{tenant}/context"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/context"]["post"] = Op("context", "A prompt-ready context within a token budget",
                                                 Reply("the packed context", "ContextReply"), {400, 409},
                                                 Ref("ContextRequest"));
  p["/v1/tenants/{tenant}/profile"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/profile"]["get"] =
      Op("profile", "Persona facts valid at a time", Reply("facts", "Profile"), {400},
         nullptr,
         {QueryParam("speaker", Str(), "only this speaker's facts"),
          QueryParam("as_of", Str(), "ISO 8601 time (default now)"),
          QueryParam("history", Bool(), "closed facts too")});
  p["/v1/tenants/{tenant}/graph"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/graph"]["get"] =
      Op("graph", "The entity graph around an entity", Reply("entities and relations", "Graph"), {400}, nullptr,
         {QueryParam("entity", Str(), "the centre (default every entity)"),
          QueryParam("hops", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10}}, "hops from the entity"),
          QueryParam("as_of", Str(), "the graph as it was then"),
          QueryParam("max_edges", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000}}, "at most this many")});
  p["/v1/tenants/{tenant}/stats"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/stats"]["get"] = Op("stats", "Counts of the tenant's records", Reply("counts", "Stats"),
                                              {400, 404});
  p["/v1/tenants/{tenant}/export"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/export"]["get"] =
      Op("export", "The tenant's turns as JSON Lines, in the order observed",
         {{"description", "one turn per line"}, {"content", {{"application/x-ndjson", {{"schema", Str()}}}}}},
         {400, 404});
  p["/v1/tenants/{tenant}/facts"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/facts"]["post"] = Op("rememberFact", "Write a persona fact", Reply("its id", "IdReply"),
                                               {400, 501}, Ref("FactInput"));
  p["/v1/tenants/{tenant}/facts/{id}"]["parameters"] = {tenant, id};
  p["/v1/tenants/{tenant}/facts/{id}"]["delete"] = Op("forgetFact", "Forget one persona fact",
                                                      Reply("what was removed", "ForgetReport"), {400, 404, 501},
                                                      nullptr, json::array({dry_run}));
  p["/v1/tenants/{tenant}/relations"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/relations"]["post"] = Op("rememberRelation", "Write a relation",
                                                   Reply("its id", "IdReply"), {400, 501}, Ref("RelationInput"));
  p["/v1/tenants/{tenant}/relations/{id}"]["parameters"] = {tenant, id};
  p["/v1/tenants/{tenant}/relations/{id}"]["delete"] = Op("forgetRelation", "Forget one relation",
                                                          Reply("what was removed", "ForgetReport"),
                                                          {400, 404, 501}, nullptr, json::array({dry_run}));
  p["/v1/tenants/{tenant}/core"]["parameters"] = json::array({tenant});
  p["/v1/tenants/{tenant}/core"]["get"] = Op("coreMemory", "Every core memory block",
                                             Reply("blocks", "CoreBlocks"), {400, 501});
  const std::string core = "/v1/tenants/{tenant}/core/{name}";
  p[core]["parameters"] = {tenant, name};
  p[core]["get"] = Op("coreBlock", "One core memory block (with ?history=true every version)",
                      {{"description", "the block, or its versions"},
                       {"content", JsonContent({{"oneOf", {Ref("CoreBlock"), Ref("CoreBlockHistory")}}})}},
                      {400, 404, 501}, nullptr,
                      json::array({QueryParam("history", Bool(), "every version, oldest first")}));
  p[core]["put"] = Op("setCoreBlock", "Replace a block (an empty text deletes it)", Reply("the block", "CoreBlock"),
                      {400, 501}, Ref("TextUpdate"));
  p[core]["post"] = Op("appendCoreBlock", "Append a line to a block", Reply("the block", "CoreBlock"), {400, 501},
                       Ref("TextUpdate"));
  return p;
}

}  // namespace

const json& OpenApiDocument() {
  static const json doc = {
      {"openapi", "3.1.0"},
      {"info", {{"title", "engram HTTP API"},
                {"version", "1"},
                {"description", "Long-horizon memory for LLM agents: observe turns, recall, packed contexts, "
                                "profiles, graphs and the memory lifecycle, per tenant."},
                {"license", {{"name", "Apache-2.0"}, {"identifier", "Apache-2.0"}}}}},
      {"servers", {{{"url", "http://127.0.0.1:8080"}}}},
      {"security", {{{"bearer", json::array()}}}},
      {"paths", Paths()},
      {"components", {{"schemas", Schemas()},
                      {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
  return doc;
}

}  // namespace engram::service
