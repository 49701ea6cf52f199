// Bringing your own embedder: engram calls it for every turn it indexes and
// every question it recalls for.
//   example_custom_embedder STORE_DIR
//
// This one hashes character trigrams into 256 buckets: no model to load,
// robust to typos, and no notion of meaning. Put your model's call in Embed().
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <engram/engram.h>

class TrigramEmbedder : public engram::Embedder {
 public:
  size_t dim() const override { return kDim; }
  // A store records this and refuses to open with another embedder (or
  // another version of this one) unless Options::reembed is set.
  std::string identity() const override { return "example-trigram/v1/256"; }

  // Called from many threads at once: keep it free of shared mutable state.
  engram::Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    std::vector<float> out(texts.size() * kDim, 0.0f);
    for (size_t i = 0; i < texts.size(); ++i) {
      float* row = out.data() + i * kDim;
      const std::string padded = "  " + Lower(texts[i]) + " ";
      for (size_t j = 0; j + 3 <= padded.size(); ++j) row[Fnv1a(padded.substr(j, 3)) % kDim] += 1.0f;
      float norm = 0;
      for (size_t d = 0; d < kDim; ++d) norm += row[d] * row[d];
      if (norm > 0) for (size_t d = 0; d < kDim; ++d) row[d] /= std::sqrt(norm);
    }
    return out;
  }

 private:
  static constexpr size_t kDim = 256;
  static std::string Lower(std::string s) {
    for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return s;
  }
  static uint32_t Fnv1a(const std::string& s) {
    uint32_t h = 2166136261u;
    for (unsigned char c : s) h = (h ^ c) * 16777619u;
    return h;
  }
};

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]), 2;
  engram::Options options;
  options.embedder = std::make_shared<TrigramEmbedder>();
  auto store = engram::Store::Open(options, argv[1]);
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;

  engram::Turn turn;
  turn.session = "s1";
  turn.speaker = "Omar";
  turn.text = "My favourite band is Radiohead; I saw them in Lisbon.";
  turn.time_ms = 1710062100000;
  turn.source_id = "s1:1";
  if (auto seq = (*store)->Observe("omar", turn); !seq.ok())
    return std::fprintf(stderr, "%s\n", seq.status().ToString().c_str()), 1;

  // The vector route alone, so the hit below comes from this embedder (with a typo).
  engram::RecallOptions recall;
  recall.route = "vector";
  auto result = (*store)->Recall("omar", "favorite bands radiohed", recall);
  if (!result.ok()) return std::fprintf(stderr, "%s\n", result.status().ToString().c_str()), 1;
  for (const auto& hit : result->hits) {
    auto vector = hit.signals.find("vector");
    std::printf("%.3f %s\n", vector == hit.signals.end() ? 0.0f : vector->second, hit.text.c_str());
  }
  return result->hits.empty() ? 1 : 0;
}
