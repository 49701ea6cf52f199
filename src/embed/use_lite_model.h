// The Universal Sentence Encoder Lite network: its weights (loaded from the
// TensorFlow.js model.json manifest and group1-shard*of7 files) and a forward
// pass from token ids to unit-length 512-d vectors.
//
// The forward pass packs the tokens of all texts of a batch into one matrix
// (no padding at all: attention runs per text over that text's own tokens),
// so every dense layer is one large sgemm. The result for a text does not
// depend on which other texts share its batch.
//
// Thread safety: immutable after Load(); Embed() may run from many threads at
// once. Each thread that embeds keeps its own scratch memory for reuse (up to
// ~8.5 MB, freed when the thread ends).
//
// Load() sets OpenBLAS to one thread for the whole process: engram
// parallelises across texts (callers embed from several threads), and a
// multi-threaded sgemm inside each call would only oversubscribe the cores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engram/status.h"

namespace engram {

class UseLiteModel {
 public:
  static constexpr size_t kDim = 512;         // output floats per text
  static constexpr size_t kMaxTokens = 128;   // longer inputs are clipped
  static constexpr size_t kVocabRows = 8002;  // rows of the embedding table

  // Reads `model_dir`/model.json and the shard files it lists. NotFound
  // naming the file when one is missing; Corruption when a file does not hold
  // the expected weights.
  static Result<std::unique_ptr<UseLiteModel>> Load(const std::string& model_dir);

  // Embeds each token sequence (ids < kVocabRows; at most kMaxTokens are
  // used; an empty sequence gives a zero-token mean, so callers pass at least
  // one id). out: sequences.size() * kDim floats, row i for sequence i.
  void Embed(std::span<const std::vector<int32_t>> sequences, float* out) const;

  // Floating-point operations of one forward pass over `tokens` tokens
  // (multiply and add counted separately), for GFLOP/s figures.
  static double Flops(size_t tokens);

  ~UseLiteModel();

 private:
  struct Layer;
  struct Scratch;
  UseLiteModel();

  void EmbedChunk(std::span<const std::vector<int32_t>> sequences, float* out,
                  Scratch* scratch) const;
  void Attention(const Layer& layer, const float* qkv, std::span<const size_t> offsets,
                 float* out, Scratch* scratch) const;
  void FeedForward(const Layer& layer, float* h, size_t tokens, Scratch* scratch) const;

  std::vector<float> embeddings_;  // kVocabRows x 256
  std::vector<float> timing_;      // kMaxTokens x 256 position signal
  std::unique_ptr<Layer> layer0_;
  std::unique_ptr<Layer> layer1_;
  std::vector<float> head_w_;  // 512 x 512
  std::vector<float> head_b_;  // 512
  float eps_ = 1e-6f;
};

}  // namespace engram
