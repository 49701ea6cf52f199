// HashEmbedder: a tiny deterministic embedder for tests that need vectors
// but not meaning: words hashed into 16 buckets, L2-normalised. Instant to
// load, unlike the built-in model.
//
// Thread safety: stateless; safe from many threads.
#pragma once

#include <cctype>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "engram/embedder.h"

namespace engram::testing {

class HashEmbedder final : public Embedder {
 public:
  size_t dim() const override { return kDim; }
  std::string identity() const override { return "test-hash/16"; }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    std::vector<float> out(texts.size() * kDim, 0.0f);
    for (size_t i = 0; i < texts.size(); ++i) {
      float* v = out.data() + i * kDim;
      uint32_t h = 2166136261u;
      for (unsigned char c : texts[i]) {
        if (std::isalnum(c)) {
          h = (h ^ static_cast<uint32_t>(std::tolower(c))) * 16777619u;
        } else if (h != 2166136261u) {
          v[h % kDim] += 1.0f;
          h = 2166136261u;
        }
      }
      if (h != 2166136261u) v[h % kDim] += 1.0f;
      float norm = 0;
      for (size_t d = 0; d < kDim; ++d) norm += v[d] * v[d];
      norm = norm > 0 ? std::sqrt(norm) : 1.0f;
      for (size_t d = 0; d < kDim; ++d) v[d] /= norm;
    }
    return out;
  }

 private:
  static constexpr size_t kDim = 16;
};

}  // namespace engram::testing
