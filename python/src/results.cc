#include "results.h"

#include <datetime.h>

#include <initializer_list>
#include <string>

#include <pybind11/stl.h>

#include "errors.h"

namespace engram::python {
namespace py = pybind11;
using namespace pybind11::literals;

namespace {

// The registered classes. Heap-allocated and never freed: they must outlive
// every converter call, including ones during interpreter shutdown.
struct ResultClasses {
  py::object tiers[4];  // the members of engram.Tier, by Tier value
  py::object hit, route_info, recall_result, context_section, context, stored_turn, event_unit,
      persona_fact, entity, relation, graph_view, session_summary, tenant_stats, forget_report;
  py::object utc_epoch;  // datetime(1970, 1, 1, tzinfo=timezone.utc)
};
ResultClasses* g_classes = nullptr;

const ResultClasses& Classes() {
  if (g_classes == nullptr) {
    throw StatusError(Status::Internal("engram's result classes are not registered (import engram, not engram._engram)"));
  }
  return *g_classes;
}

py::object Lookup(const py::dict& classes, const char* name) {
  if (!classes.contains(name)) {
    throw StatusError(Status::Internal(std::string("result class '") + name + "' missing from the registration"));
  }
  return classes[name];
}

// The converters pass fields by position (much cheaper than keywords), so
// the dataclass must declare exactly these fields in this order.
py::object LookupDataclass(const py::dict& classes, const char* name, std::initializer_list<const char*> fields) {
  py::object cls = Lookup(classes, name);
  py::list declared = py::module_::import("dataclasses").attr("fields")(cls);
  std::string want, have;
  for (const char* f : fields) want += std::string(want.empty() ? "" : ", ") + f;
  for (py::handle f : declared) have += (have.empty() ? "" : ", ") + py::str(f.attr("name")).cast<std::string>();
  if (want != have) {
    throw StatusError(Status::Internal(std::string("result class ") + name + " declares (" + have +
                                       "), the converter passes (" + want + ")"));
  }
  return cls;
}

py::list Strings(const std::vector<std::string>& values) {
  py::list out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = py::str(values[i]);
  return out;
}

template <typename V>
py::dict Map(const std::map<std::string, V>& values) {
  py::dict out;
  for (const auto& [key, value] : values) out[py::str(key)] = value;
  return out;
}

constexpr TimeMs kMillisecondsPerDay = 86'400'000;

py::object TierObject(Tier tier) {
  auto index = static_cast<size_t>(tier);
  return index < 4 ? Classes().tiers[index] : Classes().tiers[static_cast<size_t>(Tier::kEpisodic)];
}

py::object ToPython(const Hit& hit) {
  return Classes().hit(hit.kind, TierObject(hit.tier),
                       Strings(hit.source_ids), hit.text, hit.speaker,
                       hit.session, ToDatetime(hit.time_ms), hit.score,
                       Map(hit.signals), hit.id);
}

py::list Hits(const std::vector<Hit>& hits) {
  py::list out(hits.size());
  for (size_t i = 0; i < hits.size(); ++i) out[i] = ToPython(hits[i]);
  return out;
}

py::object ToPython(const RouteInfo& route) {
  return Classes().route_info(route.name, route.question_kind,
                              Strings(route.targets), Strings(route.entities),
                              ToDatetime(route.from_ms), ToDatetime(route.to_ms),
                              route.graph_expansion,
                              route.likely_unanswerable, Map(route.weights),
                              Strings(route.steps));
}

py::object ToPython(const Entity& entity) {
  return Classes().entity(entity.name, EntityTypeName(entity.type),
                          Strings(entity.aliases), Strings(entity.source_ids));
}

py::object ToPython(const Relation& relation) {
  return Classes().relation(relation.subject, relation.relation,
                            relation.object, ToDatetime(relation.time_ms),
                            Strings(relation.source_ids), ToDatetime(relation.valid_from_ms),
                            ToDatetime(relation.valid_to_ms), relation.id);
}

}  // namespace

void RegisterResultClasses(const py::dict& classes) {
  PyDateTime_IMPORT;
  if (PyDateTimeAPI == nullptr) throw py::error_already_set();
  auto* c = new ResultClasses();
  py::object tier = Lookup(classes, "Tier");
  for (Tier t : {Tier::kWorking, Tier::kEpisodic, Tier::kPersona, Tier::kGraph}) {
    c->tiers[static_cast<size_t>(t)] = tier(TierName(t));
  }
  c->hit = LookupDataclass(classes, "Hit",
                           {"kind", "tier", "source_ids", "text", "speaker", "session", "time", "score", "signals", "id"});
  c->route_info = LookupDataclass(classes, "RouteInfo",
                                  {"name", "question_kind", "targets", "entities", "since", "until",
                                   "graph_expansion", "likely_unanswerable", "weights", "steps"});
  c->recall_result = LookupDataclass(classes, "RecallResult", {"hits", "route", "embed_us", "search_us"});
  c->context_section = LookupDataclass(classes, "ContextSection", {"name", "items"});
  c->context = LookupDataclass(classes, "Context", {"sections", "text", "tokens", "route"});
  c->stored_turn = LookupDataclass(classes, "StoredTurn", {"seq", "tenant", "session", "speaker", "text", "time", "id", "metadata"});
  c->event_unit = LookupDataclass(classes, "EventUnit",
                                  {"text", "subject", "time", "event_from", "event_to", "source_ids", "id"});
  c->persona_fact = LookupDataclass(classes, "PersonaFact",
                                    {"subject", "attribute", "value", "valid_from", "valid_to", "confidence",
                                     "source_ids", "negated", "id"});
  c->entity = LookupDataclass(classes, "Entity", {"name", "type", "aliases", "source_ids"});
  c->relation = LookupDataclass(classes, "Relation", {"subject", "relation", "object", "time", "source_ids", "valid_from", "valid_to", "id"});
  c->graph_view = LookupDataclass(classes, "GraphView", {"entities", "relations"});
  c->session_summary = LookupDataclass(classes, "SessionSummary", {"session", "start", "end", "text", "source_ids"});
  c->tenant_stats = LookupDataclass(classes, "TenantStats",
                                    {"tenant", "sessions", "turns", "bytes", "units", "facts", "entities",
                                     "relations"});
  c->forget_report = LookupDataclass(classes, "ForgetReport",
                                      {"removed", "kept", "dry_run", "disk_checked", "files_checked"});
  py::object utc = py::reinterpret_borrow<py::object>(PyDateTime_TimeZone_UTC);
  c->utc_epoch = py::reinterpret_steal<py::object>(
      PyDateTimeAPI->DateTime_FromDateAndTime(1970, 1, 1, 0, 0, 0, 0, utc.ptr(), PyDateTimeAPI->DateTimeType));
  if (!c->utc_epoch) throw py::error_already_set();
  delete g_classes;  // a re-registration (importlib.reload) replaces the old set
  g_classes = c;
}

py::object ToDatetime(TimeMs ms) {
  if (ms == 0) return py::none();
  // Floor division keeps times before 1970 exact.
  TimeMs days = ms / kMillisecondsPerDay;
  TimeMs rest = ms % kMillisecondsPerDay;
  if (rest < 0) {
    rest += kMillisecondsPerDay;
    --days;
  }
  py::object delta = py::reinterpret_steal<py::object>(
      PyDelta_FromDSU(static_cast<int>(days), static_cast<int>(rest / 1000), static_cast<int>(rest % 1000) * 1000));
  if (!delta) throw py::error_already_set();
  PyObject* sum = PyNumber_Add(Classes().utc_epoch.ptr(), delta.ptr());
  if (sum == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(sum);
}

py::object ToPython(const StoredTurn& turn) {
  return Classes().stored_turn(turn.seq, turn.tenant, turn.turn.session,
                               turn.turn.speaker, turn.turn.text,
                               ToDatetime(turn.turn.time_ms), turn.turn.source_id, Map(turn.turn.metadata));
}

py::object ToPython(const RecallResult& result) {
  return Classes().recall_result(Hits(result.hits), ToPython(result.route),
                                 result.embed_us, result.search_us);
}

py::object ToPython(const Context& context) {
  py::list sections(context.sections.size());
  for (size_t i = 0; i < context.sections.size(); ++i) {
    sections[i] = Classes().context_section(context.sections[i].name,
                                            Hits(context.sections[i].items));
  }
  return Classes().context(sections, context.text, context.tokens,
                           ToPython(context.route));
}

py::object ToPython(const PersonaFact& fact) {
  return Classes().persona_fact(fact.subject, fact.attribute, fact.value,
                                ToDatetime(fact.valid_from_ms),
                                ToDatetime(fact.valid_to_ms), fact.confidence,
                                Strings(fact.source_ids), fact.negated, fact.id);
}

py::object ToPython(const GraphView& graph) {
  py::list entities(graph.entities.size()), relations(graph.relations.size());
  for (size_t i = 0; i < graph.entities.size(); ++i) entities[i] = ToPython(graph.entities[i]);
  for (size_t i = 0; i < graph.relations.size(); ++i) relations[i] = ToPython(graph.relations[i]);
  return Classes().graph_view(entities, relations);
}

py::object ToPython(const EventUnit& unit) {
  return Classes().event_unit(unit.text, unit.subject, ToDatetime(unit.time_ms),
                              ToDatetime(unit.event_from_ms),
                              ToDatetime(unit.event_to_ms), Strings(unit.source_ids), unit.id);
}

py::object ToPython(const SessionSummary& summary) {
  return Classes().session_summary(summary.session, ToDatetime(summary.from_ms),
                                   ToDatetime(summary.to_ms), summary.text,
                                   Strings(summary.source_ids));
}

py::object ToPython(const TenantStats& stats) {
  return Classes().tenant_stats(stats.tenant, stats.sessions, stats.turns,
                                stats.bytes, stats.units, stats.facts,
                                stats.entities, stats.relations);
}

py::object ToPython(const ForgetReport& report) {
  return Classes().forget_report(Map(report.removed), Map(report.kept), report.dry_run, report.disk_checked,
                                 report.files_checked);
}

}  // namespace engram::python
