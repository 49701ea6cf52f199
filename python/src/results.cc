#include "results.h"

#include <datetime.h>

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
  py::object tier;  // engram.Tier, called with the tier's name
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

py::object TierObject(Tier tier) { return Classes().tier(TierName(tier)); }

py::object ToPython(const Hit& hit) {
  return Classes().hit("kind"_a = hit.kind, "tier"_a = TierObject(hit.tier),
                       "source_ids"_a = Strings(hit.source_ids), "text"_a = hit.text, "speaker"_a = hit.speaker,
                       "session"_a = hit.session, "time"_a = ToDatetime(hit.time_ms), "score"_a = hit.score,
                       "signals"_a = Map(hit.signals));
}

py::list Hits(const std::vector<Hit>& hits) {
  py::list out(hits.size());
  for (size_t i = 0; i < hits.size(); ++i) out[i] = ToPython(hits[i]);
  return out;
}

py::object ToPython(const RouteInfo& route) {
  return Classes().route_info("name"_a = route.name, "question_kind"_a = route.question_kind,
                              "targets"_a = Strings(route.targets), "entities"_a = Strings(route.entities),
                              "since"_a = ToDatetime(route.from_ms), "until"_a = ToDatetime(route.to_ms),
                              "graph_expansion"_a = route.graph_expansion,
                              "likely_unanswerable"_a = route.likely_unanswerable, "weights"_a = Map(route.weights),
                              "steps"_a = Strings(route.steps));
}

py::object ToPython(const Entity& entity) {
  return Classes().entity("name"_a = entity.name, "type"_a = EntityTypeName(entity.type),
                          "aliases"_a = Strings(entity.aliases), "source_ids"_a = Strings(entity.source_ids));
}

py::object ToPython(const Relation& relation) {
  return Classes().relation("subject"_a = relation.subject, "relation"_a = relation.relation,
                            "object"_a = relation.object, "time"_a = ToDatetime(relation.time_ms),
                            "source_ids"_a = Strings(relation.source_ids));
}

}  // namespace

void RegisterResultClasses(const py::dict& classes) {
  PyDateTime_IMPORT;
  if (PyDateTimeAPI == nullptr) throw py::error_already_set();
  auto* c = new ResultClasses();
  c->tier = Lookup(classes, "Tier");
  c->hit = Lookup(classes, "Hit");
  c->route_info = Lookup(classes, "RouteInfo");
  c->recall_result = Lookup(classes, "RecallResult");
  c->context_section = Lookup(classes, "ContextSection");
  c->context = Lookup(classes, "Context");
  c->stored_turn = Lookup(classes, "StoredTurn");
  c->event_unit = Lookup(classes, "EventUnit");
  c->persona_fact = Lookup(classes, "PersonaFact");
  c->entity = Lookup(classes, "Entity");
  c->relation = Lookup(classes, "Relation");
  c->graph_view = Lookup(classes, "GraphView");
  c->session_summary = Lookup(classes, "SessionSummary");
  c->tenant_stats = Lookup(classes, "TenantStats");
  c->forget_report = Lookup(classes, "ForgetReport");
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
  return Classes().stored_turn("seq"_a = turn.seq, "tenant"_a = turn.tenant, "session"_a = turn.turn.session,
                               "speaker"_a = turn.turn.speaker, "text"_a = turn.turn.text,
                               "time"_a = ToDatetime(turn.turn.time_ms), "id"_a = turn.turn.source_id);
}

py::object ToPython(const RecallResult& result) {
  return Classes().recall_result("hits"_a = Hits(result.hits), "route"_a = ToPython(result.route),
                                 "embed_us"_a = result.embed_us, "search_us"_a = result.search_us);
}

py::object ToPython(const Context& context) {
  py::list sections(context.sections.size());
  for (size_t i = 0; i < context.sections.size(); ++i) {
    sections[i] = Classes().context_section("name"_a = context.sections[i].name,
                                            "items"_a = Hits(context.sections[i].items));
  }
  return Classes().context("sections"_a = sections, "text"_a = context.text, "tokens"_a = context.tokens,
                           "route"_a = ToPython(context.route));
}

py::object ToPython(const PersonaFact& fact) {
  return Classes().persona_fact("subject"_a = fact.subject, "attribute"_a = fact.attribute, "value"_a = fact.value,
                                "valid_from"_a = ToDatetime(fact.valid_from_ms),
                                "valid_to"_a = ToDatetime(fact.valid_to_ms), "confidence"_a = fact.confidence,
                                "source_ids"_a = Strings(fact.source_ids), "negated"_a = fact.negated);
}

py::object ToPython(const GraphView& graph) {
  py::list entities(graph.entities.size()), relations(graph.relations.size());
  for (size_t i = 0; i < graph.entities.size(); ++i) entities[i] = ToPython(graph.entities[i]);
  for (size_t i = 0; i < graph.relations.size(); ++i) relations[i] = ToPython(graph.relations[i]);
  return Classes().graph_view("entities"_a = entities, "relations"_a = relations);
}

py::object ToPython(const EventUnit& unit) {
  return Classes().event_unit("text"_a = unit.text, "subject"_a = unit.subject, "time"_a = ToDatetime(unit.time_ms),
                              "event_from"_a = ToDatetime(unit.event_from_ms),
                              "event_to"_a = ToDatetime(unit.event_to_ms), "source_ids"_a = Strings(unit.source_ids));
}

py::object ToPython(const SessionSummary& summary) {
  return Classes().session_summary("session"_a = summary.session, "start"_a = ToDatetime(summary.from_ms),
                                   "end"_a = ToDatetime(summary.to_ms), "text"_a = summary.text,
                                   "source_ids"_a = Strings(summary.source_ids));
}

py::object ToPython(const TenantStats& stats) {
  return Classes().tenant_stats("tenant"_a = stats.tenant, "sessions"_a = stats.sessions, "turns"_a = stats.turns,
                                "bytes"_a = stats.bytes, "units"_a = stats.units, "facts"_a = stats.facts,
                                "entities"_a = stats.entities, "relations"_a = stats.relations);
}

py::object ToPython(const ForgetReport& report) { return Classes().forget_report("removed"_a = Map(report.removed)); }

}  // namespace engram::python
