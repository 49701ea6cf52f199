// HttpEmbedder: an Embedder over any OpenAI-compatible /v1/embeddings
// endpoint (OpenAI, llama.cpp server, Ollama, vLLM, text-embeddings-inference).
//
// Thread safety: immutable after construction; Embed() may run on many
// threads at once (HttpJsonClient opens a connection per request). Embed()
// blocks on the network.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_json_client.h"
#include "common/utf8.h"
#include "engram/embedder.h"

namespace engram {
namespace {

using nlohmann::json;

constexpr char kProbeText[] = "dimension probe";

// The base URL without a trailing '/' or "/embeddings", so that both ways of
// writing the same endpoint give the same identity.
std::string NormaliseBaseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  constexpr std::string_view kSuffix = "/embeddings";
  if (url.size() >= kSuffix.size() && url.compare(url.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
    url.resize(url.size() - kSuffix.size());
  }
  return url;
}

// Checks an OpenAI embeddings reply for `count` texts and writes row i of the
// row-major `out` (count * dim floats) from the item whose "index" is i.
// `*dim` == 0 means "learn it from the first vector".
Status ParseEmbeddingsReply(const json& reply, size_t count, size_t* dim, std::vector<float>* out) {
  if (!reply.is_object() || !reply.contains("data") || !reply["data"].is_array()) {
    return Status::InvalidArgument("reply has no \"data\" array");
  }
  const json& data = reply["data"];
  if (data.size() != count) {
    return Status::InvalidArgument("reply has " + std::to_string(data.size()) + " embeddings for " +
                                   std::to_string(count) + " texts");
  }
  std::vector<bool> seen(count, false);
  for (size_t pos = 0; pos < data.size(); ++pos) {
    const json& item = data[pos];
    const std::string where = "data[" + std::to_string(pos) + "]";
    if (!item.is_object()) return Status::InvalidArgument(where + " is not an object");
    // Servers that omit "index" answer in input order.
    size_t row = pos;
    if (item.contains("index")) {
      const json& index = item["index"];
      if (!index.is_number_integer()) return Status::InvalidArgument(where + ".index is not an integer");
      const int64_t value = index.get<int64_t>();
      if (value < 0 || static_cast<uint64_t>(value) >= count) {
        return Status::InvalidArgument(where + ".index " + std::to_string(value) + " is out of range [0, " +
                                       std::to_string(count) + ")");
      }
      row = static_cast<size_t>(value);
    }
    if (seen[row]) return Status::InvalidArgument(where + ".index " + std::to_string(row) + " appears twice");
    seen[row] = true;
    if (!item.contains("embedding") || !item["embedding"].is_array()) {
      return Status::InvalidArgument(where + " has no \"embedding\" array");
    }
    const json& vec = item["embedding"];
    if (*dim == 0) {
      if (vec.empty()) return Status::InvalidArgument(where + ".embedding is empty");
      *dim = vec.size();
    }
    if (vec.size() != *dim) {
      return Status::InvalidArgument("embedding dimension " + std::to_string(vec.size()) + " != expected " +
                                     std::to_string(*dim) + " (" + where + ")");
    }
    if (out->size() != count * *dim) out->assign(count * *dim, 0.0f);
    float* dst = out->data() + row * *dim;
    for (size_t k = 0; k < vec.size(); ++k) {
      const json& x = vec[k];
      // A float that overflows is as useless to the index as a NaN.
      const float f = x.is_number() ? static_cast<float>(x.get<double>()) : std::numeric_limits<float>::quiet_NaN();
      if (!std::isfinite(f)) {
        return Status::InvalidArgument(where + ".embedding[" + std::to_string(k) + "] is not a finite float: " +
                                       x.dump());
      }
      dst[k] = f;
    }
  }
  return Status::OK();
}

// One request for `texts`. `*dim` == 0 learns the dimension (the probe).
Result<std::vector<float>> RequestEmbeddings(const HttpJsonClient& client, const std::string& model,
                                             std::span<const std::string> texts, size_t* dim) {
  json request = {{"model", model}, {"input", json::array()}};
  for (const std::string& text : texts) request["input"].push_back(text);
  Result<json> reply = client.Post(request);
  if (!reply.ok()) return reply.status().WithContext("HttpEmbedder");
  std::vector<float> out;
  Status parsed = ParseEmbeddingsReply(*reply, texts.size(), dim, &out);
  if (!parsed.ok()) return parsed.WithContext("HttpEmbedder " + client.url());
  return out;
}

class HttpEmbedder final : public Embedder {
 public:
  HttpEmbedder(std::unique_ptr<HttpJsonClient> client, std::string model, std::string base_url, size_t dim,
               size_t max_batch)
      : client_(std::move(client)),
        model_(std::move(model)),
        base_url_(std::move(base_url)),
        dim_(dim),
        max_batch_(max_batch) {}

  size_t dim() const override { return dim_; }

  std::string identity() const override {
    return "http/" + model_ + "@" + base_url_ + "/" + std::to_string(dim_);
  }

  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    for (size_t i = 0; i < texts.size(); ++i) {
      ENGRAM_RETURN_IF_ERROR(ValidateUtf8(texts[i], "texts[" + std::to_string(i) + "]"));
    }
    std::vector<float> all;
    all.reserve(texts.size() * dim_);
    for (size_t begin = 0; begin < texts.size(); begin += max_batch_) {
      const size_t n = std::min(max_batch_, texts.size() - begin);
      size_t dim = dim_;
      Result<std::vector<float>> batch = RequestEmbeddings(*client_, model_, texts.subspan(begin, n), &dim);
      if (!batch.ok()) return batch.status();
      all.insert(all.end(), batch->begin(), batch->end());
    }
    return all;
  }

 private:
  const std::unique_ptr<HttpJsonClient> client_;
  const std::string model_;
  const std::string base_url_;
  const size_t dim_;
  const size_t max_batch_;
};

}  // namespace

Result<std::unique_ptr<Embedder>> NewHttpEmbedder(const HttpEmbedderOptions& options) {
  auto endpoint = ResolveEndpointSettings("HttpEmbedder", "HttpEmbedderOptions", "ENGRAM_EMBED",
                                          {options.url, options.model, options.api_key});
  if (!endpoint.ok()) return endpoint.status();
  const std::string& url = endpoint->url;
  const std::string& model = endpoint->model;
  const std::string& api_key = endpoint->api_key;
  if (options.max_batch == 0) return Status::InvalidArgument("HttpEmbedder: max_batch must be at least 1");

  const HttpJsonClientOptions client_options = ClientOptionsFrom(options, api_key);
  Result<std::unique_ptr<HttpJsonClient>> client =
      HttpJsonClient::Create(JoinEndpoint(url, "/embeddings"), client_options);
  if (!client.ok()) return client.status().WithContext("HttpEmbedder");

  size_t dim = options.dim;
  if (dim == 0) {
    // dim() must be right from the start (a store checks it on Open), so ask
    // the endpoint once now instead of waiting for the first real text.
    const std::string probe[] = {kProbeText};
    Result<std::vector<float>> vec = RequestEmbeddings(**client, model, probe, &dim);
    if (!vec.ok()) {
      return vec.status().WithContext("could not learn the embedding dimension (HttpEmbedderOptions::dim is 0)");
    }
  }
  auto embedder = std::make_unique<HttpEmbedder>(std::move(client).value(), model, NormaliseBaseUrl(url), dim,
                                                 options.max_batch);
  return std::unique_ptr<Embedder>(std::move(embedder));
}

}  // namespace engram
