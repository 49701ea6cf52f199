// Embedders and extractors as Python objects: engram's built-in ones, and
// Python code (any callable) as an engram::Embedder.
#pragma once

#include <memory>
#include <string>

#include <pybind11/pybind11.h>

#include "engram/embedder.h"
#include "engram/extractor.h"

namespace engram::python {

// What Python holds for an embedder: the C++ object the store uses.
struct EmbedderHandle {
  std::shared_ptr<Embedder> embedder;
};

struct ExtractorHandle {
  std::shared_ptr<Extractor> extractor;
};

// An engram::Embedder that calls `embed(texts: list[str])` in Python. The
// call re-acquires the GIL, so Python embedders run one at a time; the reply
// may be a NumPy array of shape (n, dim), n sequences of dim floats, or a
// flat sequence of n * dim floats. A Python exception becomes Unavailable, a
// reply of the wrong shape or with non-finite values InvalidArgument.
class PythonEmbedder : public Embedder {
 public:
  PythonEmbedder(pybind11::object embed, size_t dim, std::string identity);
  ~PythonEmbedder() override;

  size_t dim() const override { return dim_; }
  std::string identity() const override { return identity_; }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override;

 private:
  pybind11::object embed_;
  size_t dim_;
  std::string identity_;
};

// Adds EmbedderHandle/ExtractorHandle and their factories to `module`.
void RegisterEmbedders(pybind11::module_& module);

}  // namespace engram::python
