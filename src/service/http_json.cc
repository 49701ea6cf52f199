#include "service/http_json.h"

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

}  // namespace engram::service
