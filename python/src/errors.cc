#include "errors.h"

#include <array>

namespace engram::python {
namespace {

namespace py = pybind11;

struct ErrorClass {
  Status::Code code;
  const char* name;
  PyObject* builtin_base;  // a second base so `except ValueError` also works; may be null
  const char* doc;
};

// Classes live for the life of the interpreter (module attributes hold them).
std::array<PyObject*, 10> g_classes{};

size_t Index(Status::Code code) { return static_cast<size_t>(code); }

}  // namespace

void ThrowIfError(const Status& status) {
  if (!status.ok()) throw StatusError(status);
}

PyObject* ErrorClassFor(Status::Code code) {
  PyObject* cls = Index(code) < g_classes.size() ? g_classes[Index(code)] : nullptr;
  return cls != nullptr ? cls : g_classes[Index(Status::Code::kOk)];
}

void RegisterErrors(py::module_& module) {
  PyObject* base = PyErr_NewExceptionWithDoc(
      "engram.Error", "Base of every error engram raises; str(error) is engram's message.", PyExc_Exception,
      nullptr);
  if (base == nullptr) throw py::error_already_set();
  PyObject_SetAttrString(base, "code", py::str("Error").ptr());
  module.add_object("Error", py::reinterpret_borrow<py::object>(base));
  g_classes[Index(Status::Code::kOk)] = base;

  const ErrorClass classes[] = {
      {Status::Code::kNotFound, "NotFound", PyExc_LookupError, "No such tenant, turn or source id."},
      {Status::Code::kInvalidArgument, "InvalidArgument", PyExc_ValueError,
       "Bad input from the caller; nothing was written."},
      {Status::Code::kCorruption, "Corruption", nullptr, "Stored data is damaged."},
      {Status::Code::kIOError, "IOError", PyExc_OSError, "The file system or the network failed."},
      {Status::Code::kNotSupported, "NotSupported", nullptr,
       "Not supported, e.g. a store written by a newer engram format."},
      {Status::Code::kFailedPrecondition, "FailedPrecondition", nullptr,
       "The store is not in a state that allows the call: it is closed, log-only, or was built by "
       "another embedder."},
      {Status::Code::kUnavailable, "Unavailable", nullptr,
       "A remote endpoint (or a Python embedder) failed or is overloaded; retrying may help."},
      {Status::Code::kInternal, "Internal", nullptr, "A bug in engram."},
      {Status::Code::kAlreadyExists, "AlreadyExists", nullptr,
       "Something is already there, e.g. a store where a new one was to be made."},
  };
  for (const ErrorClass& c : classes) {
    py::tuple bases = c.builtin_base != nullptr
                          ? py::make_tuple(py::handle(base), py::handle(c.builtin_base))
                          : py::make_tuple(py::handle(base));
    std::string qualified = std::string("engram.") + c.name;
    PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), c.doc, bases.ptr(), nullptr);
    if (cls == nullptr) throw py::error_already_set();
    PyObject_SetAttrString(cls, "code", py::str(c.name).ptr());
    module.add_object(c.name, py::reinterpret_borrow<py::object>(cls));
    g_classes[Index(c.code)] = cls;
  }

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      PyErr_SetString(ErrorClassFor(e.status().code()), e.status().message().c_str());
    }
  });
}

}  // namespace engram::python
