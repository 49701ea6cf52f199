// Converts engram's C++ result values into the Python result classes
// (dataclasses defined in engram/_types.py and registered at import).
//
// Every function needs the GIL.
#pragma once

#include <vector>

#include <pybind11/pybind11.h>

#include "engram/recall.h"
#include "engram/store.h"
#include "engram/types.h"

namespace engram::python {

// Stores the Python classes the converters instantiate; `classes` maps a
// class name ("Hit", "StoredTurn", ...) to the class.
void RegisterResultClasses(const pybind11::dict& classes);

// An aware UTC datetime, or None for 0 ("unknown").
pybind11::object ToDatetime(TimeMs ms);

pybind11::object ToPython(const StoredTurn& turn);
pybind11::object ToPython(const RecallResult& result);
pybind11::object ToPython(const Context& context);
pybind11::object ToPython(const PersonaFact& fact);
pybind11::object ToPython(const GraphView& graph);
pybind11::object ToPython(const EventUnit& unit);
pybind11::object ToPython(const SessionSummary& summary);
pybind11::object ToPython(const TenantStats& stats);
pybind11::object ToPython(const ForgetReport& report);

template <typename T>
pybind11::list ToPythonList(const std::vector<T>& values) {
  pybind11::list out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = ToPython(values[i]);
  return out;
}

}  // namespace engram::python
