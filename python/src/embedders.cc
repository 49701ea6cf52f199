#include "embedders.h"

#include <cmath>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "errors.h"

namespace engram::python {
namespace py = pybind11;
using namespace pybind11::literals;

PythonEmbedder::PythonEmbedder(py::object embed, size_t dim, std::string identity)
    : embed_(std::move(embed)), dim_(dim), identity_(std::move(identity)) {}

PythonEmbedder::~PythonEmbedder() {
  // The last reference may go away on a thread without the GIL, or after
  // the interpreter has shut down (then the object is simply leaked).
  if (!Py_IsInitialized()) {
    embed_.release();
    return;
  }
  py::gil_scoped_acquire gil;
  embed_ = py::object();
}

Result<std::vector<float>> PythonEmbedder::Embed(std::span<const std::string> texts) {
  if (!Py_IsInitialized()) return Status::Unavailable("Python embedder called after the interpreter shut down");
  py::gil_scoped_acquire gil;
  try {
    py::list batch(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) batch[i] = py::str(texts[i]);
    py::object reply = embed_(batch);
    using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
    FloatArray matrix = FloatArray::ensure(reply);
    if (!matrix) {
      PyErr_Clear();
      return Status::InvalidArgument("Python embedder '" + identity_ + "' returned " +
                                     std::string(py::str(py::type::of(reply).attr("__name__"))) +
                                     ", not an array or a sequence of floats");
    }
    const size_t want = texts.size() * dim_;
    const bool shape_ok = (matrix.ndim() == 2 && static_cast<size_t>(matrix.shape(0)) == texts.size() &&
                           static_cast<size_t>(matrix.shape(1)) == dim_) ||
                          (matrix.ndim() == 1 && static_cast<size_t>(matrix.size()) == want);
    if (!shape_ok) {
      std::string shape;
      for (py::ssize_t d = 0; d < matrix.ndim(); ++d) shape += (d ? ", " : "") + std::to_string(matrix.shape(d));
      return Status::InvalidArgument("Python embedder '" + identity_ + "' returned shape (" + shape + ") for " +
                                     std::to_string(texts.size()) + " texts; expected (" +
                                     std::to_string(texts.size()) + ", " + std::to_string(dim_) + ")");
    }
    std::vector<float> out(matrix.data(), matrix.data() + want);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i])) {
        return Status::InvalidArgument("Python embedder '" + identity_ + "' returned a non-finite value in row " +
                                       std::to_string(i / dim_));
      }
    }
    return out;
  } catch (py::error_already_set& e) {
    return Status::Unavailable("Python embedder '" + identity_ + "' raised " + e.what());
  }
}

namespace {

std::shared_ptr<Embedder> Take(Result<std::unique_ptr<Embedder>>&& made) {
  return std::shared_ptr<Embedder>(ValueOrThrow(std::move(made)));
}

py::array_t<float> EmbedToArray(Embedder& embedder, const std::vector<std::string>& texts) {
  Result<std::vector<float>> rows = [&] {
    py::gil_scoped_release release;
    return embedder.Embed(texts);
  }();
  std::vector<float> flat = ValueOrThrow(std::move(rows));
  py::array_t<float> out({static_cast<py::ssize_t>(texts.size()), static_cast<py::ssize_t>(embedder.dim())});
  std::copy(flat.begin(), flat.end(), out.mutable_data());
  return out;
}

}  // namespace

void RegisterEmbedders(py::module_& m) {
  py::class_<EmbedderHandle>(m, "EmbedderHandle", "An embedder engram can call (built in, HTTP, or Python).")
      .def_property_readonly("dim", [](const EmbedderHandle& h) { return h.embedder->dim(); },
                             "Number of floats per vector.")
      .def_property_readonly("identity", [](const EmbedderHandle& h) { return h.embedder->identity(); },
                             "Names the model, its version and dimension.")
      .def("embed", [](const EmbedderHandle& h, const std::vector<std::string>& texts) {
             return EmbedToArray(*h.embedder, texts);
           }, "texts"_a, "Embeds every text; returns a float32 array of shape (len(texts), dim).");

  m.def("python_embedder", [](py::object embed, size_t dim, std::string identity) {
        if (dim == 0) ThrowIfError(Status::InvalidArgument("Python embedder '" + identity + "': dim must be > 0"));
        if (identity.empty()) ThrowIfError(Status::InvalidArgument("Python embedder: identity must not be empty"));
        return EmbedderHandle{std::make_shared<PythonEmbedder>(std::move(embed), dim, std::move(identity))};
      }, "embed"_a, "dim"_a, "identity"_a, "Wraps a Python callable embed(texts) as an engram embedder.");

  m.def("use_lite_embedder", [](std::string model_dir, bool verify_checksums, size_t max_batch) {
        UseLiteOptions options;
        options.model_dir = std::move(model_dir);
        options.verify_checksums = verify_checksums;
        options.max_batch = max_batch;
        py::gil_scoped_release release;
        return EmbedderHandle{Take(NewUseLiteEmbedder(options))};
      }, "model_dir"_a = "", "verify_checksums"_a = true, "max_batch"_a = 64,
      "Loads the built-in Universal Sentence Encoder Lite (512-d, offline).");

  m.def("default_use_lite_model_dir", &DefaultUseLiteModelDir,
        "The folder the built-in embedder reads when model_dir is empty.");

  m.def("http_embedder", [](std::string url, std::string model, std::string api_key, size_t dim, size_t max_batch,
                            int timeout_ms, int max_retries, int initial_backoff_ms) {
        HttpEmbedderOptions options;
        options.url = std::move(url);
        options.model = std::move(model);
        options.api_key = std::move(api_key);
        options.dim = dim;
        options.max_batch = max_batch;
        options.timeout_ms = timeout_ms;
        options.max_retries = max_retries;
        options.initial_backoff_ms = initial_backoff_ms;
        py::gil_scoped_release release;
        return EmbedderHandle{Take(NewHttpEmbedder(options))};
      }, "url"_a = "", "model"_a = "", "api_key"_a = "", "dim"_a = 0, "max_batch"_a = 64, "timeout_ms"_a = 30000,
      "max_retries"_a = 4, "initial_backoff_ms"_a = 200,
      "An OpenAI-compatible /v1/embeddings endpoint as an embedder.");

  py::class_<ExtractorHandle>(m, "ExtractorHandle", "An extractor engram can call (rule-based or LLM).")
      .def_property_readonly("identity", [](const ExtractorHandle& h) { return h.extractor->identity(); },
                             "Names the extractor and its version.");

  m.def("rule_based_extractor", [] { return ExtractorHandle{NewRuleBasedExtractor()}; },
        "The offline, deterministic built-in extractor.");

  m.def("llm_extractor", [](std::string url, std::string model, std::string api_key, int timeout_ms,
                            int max_retries, int initial_backoff_ms) {
        LlmExtractorOptions options;
        options.url = std::move(url);
        options.model = std::move(model);
        options.api_key = std::move(api_key);
        options.timeout_ms = timeout_ms;
        options.max_retries = max_retries;
        options.initial_backoff_ms = initial_backoff_ms;
        py::gil_scoped_release release;
        return ExtractorHandle{std::shared_ptr<Extractor>(ValueOrThrow(NewLlmExtractor(options)))};
      }, "url"_a = "", "model"_a = "", "api_key"_a = "", "timeout_ms"_a = 60000, "max_retries"_a = 3,
      "initial_backoff_ms"_a = 500, "An OpenAI-compatible chat-completions model as an extractor.");
}

}  // namespace engram::python
