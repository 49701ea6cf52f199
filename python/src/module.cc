// engram._engram: the C++ core of the Python package. The Pythonic layer
// (keyword options, datetimes, dataclasses) is engram/__init__.py; this
// module stays close to the C++ API.
//
// Every store call releases the GIL while engram works, so Python threads
// observe and recall in parallel; Python embedders re-acquire it.
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common/time_format.h"
#include "embedders.h"
#include "engram/engram.h"
#include "errors.h"
#include "results.h"
#include "store/conversation_io.h"

namespace engram::python {
namespace {

namespace py = pybind11;
using namespace pybind11::literals;

// (session, speaker, text, time_ms, source_id, metadata): a turn as the
// Python layer passes it.
using TurnTuple =
    std::tuple<std::string, std::string, std::string, TimeMs, std::string, std::map<std::string, std::string>>;

Turn ToTurn(TurnTuple&& t) {
  return Turn{std::move(std::get<0>(t)), std::move(std::get<1>(t)), std::move(std::get<2>(t)), std::get<3>(t),
              std::move(std::get<4>(t)), std::move(std::get<5>(t))};
}

Result<Tier> TierFromName(const std::string& name) {
  for (Tier tier : {Tier::kWorking, Tier::kEpisodic, Tier::kPersona, Tier::kGraph}) {
    if (name == TierName(tier)) return tier;
  }
  return Status::InvalidArgument("unknown tier '" + name + "' (expected working, episodic, persona or graph)");
}

// Python's view of RecallOptions: tiers by name.
struct PyRecallOptions {
  RecallOptions options;
  void set_tiers(const std::vector<std::string>& names) {
    std::vector<Tier> tiers;
    for (const std::string& name : names) tiers.push_back(ValueOrThrow(TierFromName(name)));
    options.tiers = std::move(tiers);
  }
  std::vector<std::string> tiers() const {
    std::vector<std::string> names;
    for (Tier tier : options.tiers) names.emplace_back(TierName(tier));
    return names;
  }
};

// An open store. close() waits for calls in flight (they hold mu_ shared)
// and then destroys the C++ store, so the folder can be reopened at once.
class PyStore {
 public:
  PyStore(std::unique_ptr<Store> store, std::string path) : store_(std::move(store)), path_(std::move(path)) {}
  ~PyStore() {
    if (Py_IsInitialized() && PyGILState_Check()) {
      py::gil_scoped_release release;
      Reset();
    } else {
      Reset();
    }
  }

  static std::unique_ptr<PyStore> Open(const std::string& path, const Options& options) {
    Result<std::unique_ptr<Store>> store = [&] {
      py::gil_scoped_release release;
      return Store::Open(options, path);
    }();
    return std::make_unique<PyStore>(ValueOrThrow(std::move(store)), path);
  }

  void Close() {
    py::gil_scoped_release release;
    Reset();
  }

  bool closed() {
    std::shared_lock lock(mu_);
    return store_ == nullptr;
  }
  const std::string& path() const { return path_; }

  // Runs fn(store) without the GIL and returns its (C++) result. Records
  // how long fn took, for LastCallMicros.
  template <typename Fn>
  auto Call(Fn&& fn) {
    py::gil_scoped_release release;
    std::shared_lock lock(mu_);
    if (store_ == nullptr) {
      throw StatusError(Status::FailedPrecondition("store '" + path_ + "' is closed"));
    }
    auto t0 = std::chrono::steady_clock::now();
    auto result = fn(*store_);
    last_call_us_ = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    return result;
  }

  // Microseconds the calling thread's last store call spent in engram's C++
  // API, without the binding around it (what bench/python measures against).
  static double LastCallMicros() { return last_call_us_; }

 private:
  void Reset() {
    std::unique_lock lock(mu_);
    store_.reset();
  }

  static thread_local double last_call_us_;
  std::shared_mutex mu_;
  std::unique_ptr<Store> store_;
  const std::string path_;
};

thread_local double PyStore::last_call_us_ = 0;

WriteOptions Durability(bool sync) {
  WriteOptions w;
  w.sync = sync;
  return w;
}

void BindOptions(py::module_& m) {
  py::class_<Options>(m, "Options", "Options for opening a store (see engram/options.h).")
      .def(py::init<>())
      .def_readwrite("create_if_missing", &Options::create_if_missing)
      .def_readwrite("max_text_bytes", &Options::max_text_bytes)
      .def_readwrite("max_id_bytes", &Options::max_id_bytes)
      .def_readwrite("read_only", &Options::read_only)
      .def_readwrite("log_only", &Options::log_only)
      .def_readwrite("reembed", &Options::reembed)
      .def_readwrite("enrichment_max_attempts", &Options::enrichment_max_attempts)
      .def_readwrite("vector_index", &Options::vector_index)
      .def_readwrite("working_memory_turns", &Options::working_memory_turns)
      .def_readwrite("working_memory_tokens", &Options::working_memory_tokens)
      .def_readwrite("block_cache_bytes", &Options::block_cache_bytes)
      .def_readwrite("write_buffer_bytes", &Options::write_buffer_bytes)
      .def("set_embedder", [](Options& o, const EmbedderHandle& h) { o.embedder = h.embedder; }, "embedder"_a)
      .def("set_extractor", [](Options& o, const ExtractorHandle& h) { o.extractor = h.extractor; }, "extractor"_a)
      .def("set_enrichment_extractor",
           [](Options& o, const ExtractorHandle& h) { o.enrichment_extractor = h.extractor; }, "extractor"_a);

  py::class_<PyRecallOptions>(m, "RecallOptions", "Options of recall and context (see engram/recall.h).")
      .def(py::init<>())
      .def_property("k", [](const PyRecallOptions& o) { return o.options.k; },
                    [](PyRecallOptions& o, size_t v) { o.options.k = v; })
      .def_property("route", [](const PyRecallOptions& o) { return o.options.route; },
                    [](PyRecallOptions& o, std::string v) { o.options.route = std::move(v); })
      .def_property("lexical_weight", [](const PyRecallOptions& o) { return o.options.lexical_weight; },
                    [](PyRecallOptions& o, float v) { o.options.lexical_weight = v; })
      .def_property("vector_weight", [](const PyRecallOptions& o) { return o.options.vector_weight; },
                    [](PyRecallOptions& o, float v) { o.options.vector_weight = v; })
      .def_property("tiers", &PyRecallOptions::tiers, &PyRecallOptions::set_tiers)
      .def_property("speaker", [](const PyRecallOptions& o) { return o.options.speaker; },
                    [](PyRecallOptions& o, std::string v) { o.options.speaker = std::move(v); })
      .def_property("session", [](const PyRecallOptions& o) { return o.options.session; },
                    [](PyRecallOptions& o, std::string v) { o.options.session = std::move(v); })
      .def_property("from_ms", [](const PyRecallOptions& o) { return o.options.from_ms; },
                    [](PyRecallOptions& o, TimeMs v) { o.options.from_ms = v; })
      .def_property("to_ms", [](const PyRecallOptions& o) { return o.options.to_ms; },
                    [](PyRecallOptions& o, TimeMs v) { o.options.to_ms = v; })
      .def_property("asking_user", [](const PyRecallOptions& o) { return o.options.asking_user; },
                    [](PyRecallOptions& o, std::string v) { o.options.asking_user = std::move(v); })
      .def_property("agent_name", [](const PyRecallOptions& o) { return o.options.agent_name; },
                    [](PyRecallOptions& o, std::string v) { o.options.agent_name = std::move(v); })
      .def_property("where", [](const PyRecallOptions& o) { return o.options.where; },
                    [](PyRecallOptions& o, std::map<std::string, std::string> v) { o.options.where = std::move(v); });
}

void BindStore(py::module_& m) {
  py::class_<PyStore>(m, "Store", "An open engram store; see engram.Store for the documented API.")
      .def_static("open", &PyStore::Open, "path"_a, "options"_a)
      .def("close", &PyStore::Close)
      .def_property_readonly("closed", &PyStore::closed)
      .def_property_readonly("path", &PyStore::path)
      .def("observe",
           [](PyStore& s, const std::string& tenant, TurnTuple turn, bool sync) {
             Turn t = ToTurn(std::move(turn));
             return ValueOrThrow(s.Call([&](Store& st) { return st.Observe(tenant, t, Durability(sync)); }));
           }, "tenant"_a, "turn"_a, "sync"_a)
      .def("observe_batch",
           [](PyStore& s, const std::string& tenant, std::vector<TurnTuple> tuples, bool sync) {
             std::vector<Turn> turns;
             turns.reserve(tuples.size());
             for (TurnTuple& t : tuples) turns.push_back(ToTurn(std::move(t)));
             return ValueOrThrow(s.Call([&](Store& st) { return st.ObserveBatch(tenant, turns, Durability(sync)); }));
           }, "tenant"_a, "turns"_a, "sync"_a)
      .def("get_turn",
           [](PyStore& s, const std::string& tenant, uint64_t seq) {
             return ToPython(ValueOrThrow(s.Call([&](Store& st) { return st.GetTurn(tenant, seq); })));
           }, "tenant"_a, "seq"_a)
      .def("get_turn_by_id",
           [](PyStore& s, const std::string& tenant, const std::string& id) {
             return ToPython(ValueOrThrow(s.Call([&](Store& st) { return st.GetTurnBySourceId(tenant, id); })));
           }, "tenant"_a, "id"_a)
      .def("scan_turns",
           [](PyStore& s, const std::string& tenant, const std::string& session, TimeMs from_ms, TimeMs to_ms,
              size_t limit) {
             TurnFilter filter{session, from_ms, to_ms, limit};
             return ToPythonList(ValueOrThrow(s.Call([&](Store& st) { return st.ScanTurns(tenant, filter); })));
           }, "tenant"_a, "session"_a, "from_ms"_a, "to_ms"_a, "limit"_a)
      .def("list_tenants", [](PyStore& s) { return ValueOrThrow(s.Call([](Store& st) { return st.ListTenants(); })); })
      .def("stats",
           [](PyStore& s, const std::string& tenant) {
             return ToPython(ValueOrThrow(s.Call([&](Store& st) { return st.GetTenantStats(tenant); })));
           }, "tenant"_a)
      .def("forget_tenant",
           [](PyStore& s, const std::string& tenant, bool sync) {
             return ToPython(ValueOrThrow(s.Call([&](Store& st) { return st.ForgetTenant(tenant, Durability(sync)); })));
           }, "tenant"_a, "sync"_a)
      .def("forget",
           [](PyStore& s, const std::string& tenant, const std::string& source_id, const std::string& fact,
              const std::string& relation, bool dry_run, bool sync) {
             ForgetOptions fo(Durability(sync));
             fo.dry_run = dry_run;
             return ToPython(ValueOrThrow(s.Call([&](Store& st) {
               if (!fact.empty()) return st.ForgetFact(tenant, fact, fo);
               if (!relation.empty()) return st.ForgetRelation(tenant, relation, fo);
               return st.Forget(tenant, source_id, fo);
             })));
           }, "tenant"_a, "source_id"_a, "fact"_a, "relation"_a, "dry_run"_a, "sync"_a)
      .def("update",
           [](PyStore& s, const std::string& tenant, const std::string& source_id, const std::string& text,
              bool sync) {
             return ValueOrThrow(s.Call([&](Store& st) { return st.Update(tenant, source_id, text, Durability(sync)); }));
           }, "tenant"_a, "source_id"_a, "text"_a, "sync"_a)
      .def("history",
           [](PyStore& s, const std::string& tenant, const std::string& source_id) {
             auto versions = ValueOrThrow(s.Call([&](Store& st) { return st.History(tenant, source_id); }));
             py::list out;
             for (const TurnVersion& v : versions) {
               out.append(py::make_tuple(v.version, v.replaced_ms, v.turn.session, v.turn.speaker, v.turn.text,
                                         v.turn.time_ms, v.turn.source_id));
             }
             return out;
           }, "tenant"_a, "source_id"_a)
      .def("recall",
           [](PyStore& s, const std::string& tenant, const std::string& query, const PyRecallOptions& o) {
             return ToPython(ValueOrThrow(s.Call([&](Store& st) { return st.Recall(tenant, query, o.options); })));
           }, "tenant"_a, "query"_a, "options"_a)
      .def("context",
           [](PyStore& s, const std::string& tenant, const std::string& question, size_t budget_tokens,
              const PyRecallOptions& o) {
             return ToPython(ValueOrThrow(
                 s.Call([&](Store& st) { return st.RecallContext(tenant, question, budget_tokens, o.options); })));
           }, "tenant"_a, "question"_a, "budget_tokens"_a, "options"_a)
      .def("profile",
           [](PyStore& s, const std::string& tenant, const std::string& speaker, TimeMs as_of_ms,
              bool include_history) {
             return ToPythonList(ValueOrThrow(
                 s.Call([&](Store& st) { return st.Profile(tenant, speaker, as_of_ms, include_history); })));
           }, "tenant"_a, "speaker"_a, "as_of_ms"_a, "include_history"_a)
      .def("graph",
           [](PyStore& s, const std::string& tenant, const std::string& entity, int hops, size_t max_edges,
              TimeMs as_of_ms) {
             return ToPython(ValueOrThrow(
                 s.Call([&](Store& st) { return st.Graph(tenant, entity, hops, max_edges, as_of_ms); })));
           }, "tenant"_a, "entity"_a, "hops"_a, "max_edges"_a, "as_of_ms"_a)
      .def("event_units",
           [](PyStore& s, const std::string& tenant) {
             return ToPythonList(ValueOrThrow(s.Call([&](Store& st) { return st.EventUnits(tenant); })));
           }, "tenant"_a)
      .def("summaries",
           [](PyStore& s, const std::string& tenant, size_t max_sentences) {
             return ToPythonList(ValueOrThrow(s.Call([&](Store& st) { return st.Summaries(tenant, max_sentences); })));
           }, "tenant"_a, "max_sentences"_a)
      .def("working_memory",
           [](PyStore& s, const std::string& tenant, const std::string& session) {
             return ToPythonList(ValueOrThrow(s.Call([&](Store& st) { return st.WorkingMemory(tenant, session); })));
           }, "tenant"_a, "session"_a)
      .def("pending_enrichments",
           [](PyStore& s) { return ValueOrThrow(s.Call([](Store& st) { return st.PendingEnrichments(); })); })
      .def("wait_for_enrichment",
           [](PyStore& s, int timeout_ms) {
             ThrowIfError(s.Call([&](Store& st) { return st.WaitForEnrichment(timeout_ms); }));
           }, "timeout_ms"_a)
      .def("rebuild", [](PyStore& s) { ThrowIfError(s.Call([](Store& st) { return st.Rebuild(); })); })
      .def_static("_last_call_us", &PyStore::LastCallMicros,
                  "Microseconds this thread's last store call spent in the C++ API (benchmarks).")
      // For bench/python: the same calls timed in C++, without Python in the
      // loop, so the binding's overhead is measured in one process and run.
      .def("_time_recall",
           [](PyStore& s, const std::string& tenant, const std::vector<std::string>& questions,
              const PyRecallOptions& o) {
             return s.Call([&](Store& st) {
               std::vector<std::pair<double, double>> us;  // (whole call, embed_us + search_us)
               for (const std::string& q : questions) {
                 auto t0 = std::chrono::steady_clock::now();
                 Result<RecallResult> r = st.Recall(tenant, q, o.options);
                 double total = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
                 ThrowIfError(r.status());
                 us.emplace_back(total, static_cast<double>(r->embed_us + r->search_us));
               }
               return us;
             });
           }, "tenant"_a, "questions"_a, "options"_a,
           "For each question, microseconds of Recall called from C++ and of the part engram timed itself "
           "(embed_us + search_us); benchmarks only.")
      .def("_time_observe_batch",
           [](PyStore& s, const std::string& tenant, std::vector<TurnTuple> tuples, bool sync) {
             std::vector<Turn> turns;
             for (TurnTuple& t : tuples) turns.push_back(ToTurn(std::move(t)));
             return s.Call([&](Store& st) {
               auto t0 = std::chrono::steady_clock::now();
               ThrowIfError(st.ObserveBatch(tenant, turns, Durability(sync)).status());
               return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
             });
           }, "tenant"_a, "turns"_a, "sync"_a,
           "Microseconds of one ObserveBatch called from C++, turns already converted (benchmarks only).");
}

py::dict TurnDict(const Turn& turn) {
  return py::dict("session"_a = turn.session, "speaker"_a = turn.speaker, "text"_a = turn.text,
                  "time"_a = ToDatetime(turn.time_ms), "id"_a = turn.source_id);
}

void BindConversationFiles(py::module_& m) {
  m.def("parse_time", [](const std::string& text) { return ValueOrThrow(ParseIsoTime(text)); }, "text"_a,
        "ISO 8601 text to milliseconds since the epoch (no zone = UTC).");
  m.def("format_time", &FormatIsoTime, "ms"_a, "Milliseconds since the epoch to ISO 8601 UTC text.");
  m.def("read_locomo", [](const std::string& path) {
        std::vector<LocomoConversation> conversations = [&] {
          py::gil_scoped_release release;
          return ValueOrThrow(ReadLocomo(path));
        }();
        py::list out;
        for (const LocomoConversation& c : conversations) {
          py::list turns, questions;
          for (const Turn& t : c.turns) turns.append(TurnDict(t));
          for (const LocomoQuestion& q : c.questions) {
            questions.append(py::dict("question"_a = q.question, "category"_a = q.category,
                                      "evidence"_a = q.evidence));
          }
          out.append(py::dict("sample_id"_a = c.sample_id, "speaker_a"_a = c.speaker_a,
                              "speaker_b"_a = c.speaker_b, "turns"_a = turns, "questions"_a = questions));
        }
        return out;
      }, "path"_a, "Reads LoCoMo-format JSON: one dict per conversation with its turns and questions.");
}

void BindLogging(py::module_& m) {
  m.def("set_log_level", [](int level) { SetLogLevel(static_cast<LogLevel>(level)); }, "level"_a);
  m.def("set_log_handler", [](py::object handler) {
        if (handler.is_none()) {
          SetLogHandler({});
          return;
        }
        auto shared = std::shared_ptr<py::object>(new py::object(std::move(handler)), [](py::object* o) {
          if (Py_IsInitialized()) {
            py::gil_scoped_acquire gil;
            delete o;
          }
        });
        SetLogHandler([shared](LogLevel level, std::string_view message) {
          if (!Py_IsInitialized()) return;
          py::gil_scoped_acquire gil;
          try {
            (*shared)(static_cast<int>(level), py::str(message.data(), message.size()));
          } catch (py::error_already_set& e) {
            e.discard_as_unraisable("engram log handler");
          }
        });
      }, "handler"_a);
}

}  // namespace

PYBIND11_MODULE(_engram, m) {
  m.doc() = "The C++ core of the engram package; use `import engram`.";
  RegisterErrors(m);
  RegisterEmbedders(m);
  BindOptions(m);
  BindStore(m);
  BindConversationFiles(m);
  BindLogging(m);
  m.def("_register_result_classes", &RegisterResultClasses, "classes"_a);
}

}  // namespace engram::python
