// Python exceptions for engram's Status codes, and the C++ exception that
// carries a failed Status out of a binding (pybind11 translates it).
#pragma once

#include <exception>
#include <string>

#include <pybind11/pybind11.h>

#include "engram/status.h"

namespace engram::python {

// Thrown by the bindings for a non-OK Status; never crosses into Python as
// itself (the registered translator turns it into engram.<Code>).
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  Status status_;
};

// Throws StatusError unless `status` is OK.
void ThrowIfError(const Status& status);

// Returns the value or throws the Status as StatusError.
template <typename T>
T ValueOrThrow(Result<T>&& result) {
  if (!result.ok()) ThrowIfError(result.status());
  return std::move(result).value();
}

// Creates engram.Error and one subclass per Status code in `module`, and
// registers the translator for StatusError.
void RegisterErrors(pybind11::module_& module);

// The Python exception class for `code` (borrowed reference).
PyObject* ErrorClassFor(Status::Code code);

}  // namespace engram::python
