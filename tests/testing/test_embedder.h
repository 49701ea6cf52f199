// TestEmbedder: a tiny deterministic embedder for tests that need a vector
// index but not a real model. Each word adds 1 to a bucket chosen by a hash
// of the word (salted by `salt`, so two salts are two different embedders);
// the vector is then normalised. Loads in no time, unlike the built-in model.
//
// Thread safety: stateless after construction; safe for concurrent use.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engram/embedder.h"

namespace engram::testing {

class TestEmbedder final : public Embedder {
 public:
  explicit TestEmbedder(uint64_t salt = 0, size_t dim = 32) : salt_(salt), dim_(dim) {}

  size_t dim() const override { return dim_; }
  std::string identity() const override {
    return "test-word-hash/" + std::to_string(salt_) + "/" + std::to_string(dim_);
  }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    std::vector<float> out(texts.size() * dim_, 0.0f);
    for (size_t i = 0; i < texts.size(); ++i) {
      float* v = out.data() + i * dim_;
      uint64_t h = 1469598103934665603ull ^ salt_;  // FNV-1a over each word
      bool in_word = false;
      auto end_word = [&] {
        if (in_word) v[h % dim_] += 1.0f;
        h = 1469598103934665603ull ^ salt_;
        in_word = false;
      };
      for (unsigned char c : texts[i]) {
        if (c == ' ' || c == '\n' || c == '\t') {
          end_word();
          continue;
        }
        h = (h ^ (c | 0x20u)) * 1099511628211ull;
        in_word = true;
      }
      end_word();
      float norm = 0;
      for (size_t d = 0; d < dim_; ++d) norm += v[d] * v[d];
      if (norm == 0) {
        v[0] = 1.0f;
        continue;
      }
      norm = std::sqrt(norm);
      for (size_t d = 0; d < dim_; ++d) v[d] /= norm;
    }
    return out;
  }

 private:
  uint64_t salt_;
  size_t dim_;
};

}  // namespace engram::testing
