// Feature-hashing embedder (see NewHashingEmbedder in engram/embedder.h).
//
// The hash is written out here (FNV-1a, then a 64-bit finaliser) rather than
// std::hash, whose values differ between standard libraries: a store built
// on one machine must be opened with the same vectors on another.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engram/embedder.h"

namespace engram {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t Fnv1a(std::string_view bytes, uint64_t h = kFnvOffset) {
  for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
  return h;
}

// FNV-1a's low bits are weak for short keys; the finaliser (from
// MurmurHash3) spreads every input bit over the bucket and sign bits.
uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// A word is a run of ASCII letters, digits, apostrophes or any non-ASCII
// byte (so UTF-8 words stay whole); ASCII letters are lower-cased.
bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (unsigned char c : text) {
    if (IsWordByte(c)) {
      word.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

class HashingEmbedder final : public Embedder {
 public:
  explicit HashingEmbedder(size_t dim) : dim_(dim) {}

  size_t dim() const override { return dim_; }
  std::string identity() const override { return "hashing/v1/" + std::to_string(dim_); }

  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    std::vector<float> out(texts.size() * dim_, 0.0f);
    for (size_t i = 0; i < texts.size(); ++i) EmbedOne(texts[i], out.data() + i * dim_);
    return out;
  }

 private:
  // Bigrams weigh half a word: they separate "moved to Lisbon" from "Lisbon
  // moved to" without drowning the words they share.
  static constexpr float kBigramWeight = 0.5f;

  void Add(uint64_t hash, float weight, float* v) const {
    uint64_t h = Mix(hash);
    v[h % dim_] += (h >> 63) != 0 ? -weight : weight;
  }

  void EmbedOne(std::string_view text, float* v) const {
    std::vector<std::string> words = Words(text);
    for (size_t w = 0; w < words.size(); ++w) {
      Add(Fnv1a(words[w]), 1.0f, v);
      if (w + 1 < words.size()) {
        // The pair's hash continues over "first second", so it never equals a word's.
        Add(Fnv1a(words[w + 1], Fnv1a(" ", Fnv1a(words[w]))), kBigramWeight, v);
      }
    }
    double norm = 0;
    for (size_t d = 0; d < dim_; ++d) norm += static_cast<double>(v[d]) * v[d];
    if (norm == 0) return;  // no words (or cancelling signs): the zero vector
    const float scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (size_t d = 0; d < dim_; ++d) v[d] *= scale;
  }

  size_t dim_;
};

}  // namespace

Result<std::unique_ptr<Embedder>> NewHashingEmbedder(const HashingEmbedderOptions& options) {
  if (options.dim == 0) return Status::InvalidArgument("hashing embedder dimension 0 (must be at least 1)");
  return std::unique_ptr<Embedder>(new HashingEmbedder(options.dim));
}

}  // namespace engram
