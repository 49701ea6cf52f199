#include "embed/use_lite_model.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "embed/use_lite_kernels.h"

namespace engram {
namespace {

constexpr size_t kEmbedDim = 256;   // token embedding width (layer 0 input)
constexpr size_t kWidth = 512;      // model width after layer 0
constexpr size_t kFfnWidth = 1536;  // feed-forward hidden width
constexpr size_t kHeads = 4;
// Token rows per forward chunk. Bounds the per-thread scratch memory (~13 KB
// per row, ~8.5 MB in all) while keeping the dense layers large GEMMs (512
// and 1024 measured the same); texts are never split across chunks.
constexpr size_t kChunkTokens = 512;
// Rows per feed-forward block, so the 1536-wide hidden activations stay in
// cache between the two GEMMs.
constexpr size_t kFfnBlockRows = 256;

const std::string kApply = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
const std::string kVars = "module/Encoder_en/KonaTransformer/Encode/";

// C[m x n] = A[m x k] * B[k x n] + beta * C, all row-major with leading
// dimensions lda, ldb, ldc.
inline void Gemm(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                 size_t ldb, float beta, float* c, size_t ldc) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}

inline void AddBias(float* y, size_t rows, size_t cols, const float* bias) {
  for (size_t r = 0; r < rows; ++r, y += cols) {
    for (size_t c = 0; c < cols; ++c) y[c] += bias[c];
  }
}

inline void FillRows(float* y, size_t rows, size_t cols, const float* row) {
  for (size_t r = 0; r < rows; ++r) std::memcpy(y + r * cols, row, cols * sizeof(float));
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("model file " + path + " not found");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read model file " + path);
  return contents.str();
}

// The weights of the manifest, by name, as views into the shard bytes.
class WeightTable {
 public:
  static Result<WeightTable> Load(const std::string& dir) {
    const std::string manifest_path = dir + "/model.json";
    Result<std::string> text = ReadFile(manifest_path);
    if (!text.ok()) return text.status();
    nlohmann::json model = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    auto bad = [&](const std::string& why) { return Status::Corruption(manifest_path + ": " + why); };
    if (!model.is_object() || !model.contains("weightsManifest") ||
        !model["weightsManifest"].is_array()) {
      return bad("no weightsManifest");
    }
    WeightTable table;
    try {
      for (const nlohmann::json& group : model["weightsManifest"]) {
        std::string bytes;
        for (const nlohmann::json& path : group.at("paths")) {
          Result<std::string> shard = ReadFile(dir + "/" + path.get<std::string>());
          if (!shard.ok()) return shard.status();
          bytes += *shard;
        }
        table.buffers_.push_back(std::make_unique<std::string>(std::move(bytes)));
        const std::string& buffer = *table.buffers_.back();
        size_t offset = 0;
        for (const nlohmann::json& w : group.at("weights")) {
          Entry entry;
          entry.dtype = w.at("dtype").get<std::string>();
          if (w.contains("quantization")) return bad("quantized weights are not supported");
          if (entry.dtype != "float32" && entry.dtype != "int32") {
            return bad("unsupported dtype " + entry.dtype);
          }
          size_t count = 1;
          for (const nlohmann::json& d : w.at("shape")) {
            entry.shape.push_back(d.get<size_t>());
            count *= entry.shape.back();
          }
          entry.count = count;
          entry.data = buffer.data() + offset;
          offset += count * 4;
          table.entries_[w.at("name").get<std::string>()] = std::move(entry);
        }
        if (offset != buffer.size()) {
          return bad("shards hold " + std::to_string(buffer.size()) + " bytes, manifest lists " +
                     std::to_string(offset));
        }
      }
    } catch (const nlohmann::json::exception& e) {
      return bad(e.what());
    }
    return table;
  }

  // The float32 weight `name`, which must hold exactly `count` values.
  Result<std::vector<float>> Floats(const std::string& name, size_t count) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) return Status::Corruption("model.json: no weight " + name);
    if (it->second.dtype != "float32" || it->second.count != count) {
      return Status::Corruption("model.json: weight " + name + " has " +
                                std::to_string(it->second.count) + " " + it->second.dtype +
                                " values, expected " + std::to_string(count) + " float32");
    }
    std::vector<float> values(count);
    std::memcpy(values.data(), it->second.data, count * sizeof(float));  // shards are little-endian
    return values;
  }

 private:
  struct Entry {
    std::string dtype;
    std::vector<size_t> shape;
    size_t count = 0;
    const char* data = nullptr;
  };
  std::vector<std::unique_ptr<std::string>> buffers_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace

struct UseLiteModel::Layer {
  size_t in = 0;        // input width: 256 (layer 0) or 512
  size_t channels = 0;  // attention width = in; head size channels / kHeads
  std::vector<float> attn_ln_scale, attn_ln_bias;  // in
  std::vector<float> qkv_w, qkv_b;                 // in x 3*channels (query part pre-scaled)
  std::vector<float> out_w, out_b;                 // channels x 512
  std::vector<float> res_w, res_b;                 // in x 512, layer 0 only
  std::vector<float> ffn_ln_scale, ffn_ln_bias;    // 512
  std::vector<float> ffn1_w, ffn1_b;               // 512 x 1536
  std::vector<float> ffn2_w, ffn2_b;               // 1536 x 512
  std::vector<float> out_res_b;                    // out_b (+ res_b for layer 0)
};

struct UseLiteModel::Scratch {
  std::vector<float> x0, norm, qkv, h, attn, ffn, scores, pooled;
  std::vector<size_t> offsets;
  void Reserve(size_t tokens, size_t texts) {
    auto grow = [](std::vector<float>& v, size_t n) {
      if (v.size() < n) v.resize(n);
    };
    grow(x0, tokens * kEmbedDim);
    grow(norm, tokens * kWidth);
    grow(qkv, tokens * 3 * kWidth);
    grow(h, tokens * kWidth);
    grow(attn, tokens * kWidth);
    grow(ffn, std::min(tokens, kFfnBlockRows) * kFfnWidth);
    grow(scores, kMaxTokens * kMaxTokens);
    grow(pooled, texts * kWidth);
  }
};

UseLiteModel::UseLiteModel() = default;
UseLiteModel::~UseLiteModel() = default;

Result<std::unique_ptr<UseLiteModel>> UseLiteModel::Load(const std::string& model_dir) {
  Result<WeightTable> loaded = WeightTable::Load(model_dir);
  if (!loaded.ok()) return loaded.status();
  const WeightTable& table = *loaded;
  std::unique_ptr<UseLiteModel> model(new UseLiteModel());
  Status status;
  auto take = [&](const std::string& name, size_t count, std::vector<float>* out) {
    if (!status.ok()) return;
    Result<std::vector<float>> w = table.Floats(name, count);
    if (w.ok()) {
      *out = std::move(*w);
    } else {
      status = w.status();
    }
  };

  take("module/Embeddings_en", kVocabRows * kEmbedDim, &model->embeddings_);
  std::vector<float> inv_timescales;
  take(kApply + "TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", kEmbedDim / 2,
       &inv_timescales);
  std::vector<float> eps;
  take(kApply + "TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x",
       1, &eps);
  take("module/Encoder_en/hidden_layers/tanh_layer_0/weights", kWidth * kWidth, &model->head_w_);
  take("module/Encoder_en/hidden_layers/tanh_layer_0/bias", kWidth, &model->head_b_);

  auto load_layer = [&](int index, size_t in) {
    auto layer = std::make_unique<Layer>();
    layer->in = in;
    layer->channels = in;
    const std::string n = std::to_string(index);
    const std::string apply = kApply + "Layer_" + n + "/TransformerLayer/";
    const std::string stack = kApply + "TransformerStack/Layer_" + n + "/TransformerLayer/";
    const std::string vars = kVars + "Layer_" + n + "/TransformerLayer/";
    const std::string ln = "layer_prepostprocess/layer_norm/layer_norm_";
    const size_t c = layer->channels;
    take(apply + ln + "scale/ConcatPartitions/concat", in, &layer->attn_ln_scale);
    take(apply + ln + "bias/ConcatPartitions/concat", in, &layer->attn_ln_bias);
    take(vars + "MultiheadAttention/qkv_transform_single/kernel/part_0", in * 3 * c, &layer->qkv_w);
    take(apply + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", 3 * c,
         &layer->qkv_b);
    take(vars + "MultiheadAttention/output_transform_single/kernel/part_0", c * kWidth, &layer->out_w);
    take(apply + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", kWidth,
         &layer->out_b);
    std::vector<float> query_scale;
    take(stack + "MultiheadAttention/mul/y", 1, &query_scale);
    if (index == 0) {
      take(apply + "dense/kernel/ConcatPartitions/concat", in * kWidth, &layer->res_w);
      take(apply + "dense/bias/ConcatPartitions/concat", kWidth, &layer->res_b);
    }
    take(apply + "FFN/" + ln + "scale/ConcatPartitions/concat", kWidth, &layer->ffn_ln_scale);
    take(apply + "FFN/" + ln + "bias/ConcatPartitions/concat", kWidth, &layer->ffn_ln_bias);
    take(stack + "FFN/conv1/Tensordot/Reshape_1", kWidth * kFfnWidth, &layer->ffn1_w);
    take(apply + "FFN/conv1/bias/ConcatPartitions/concat", kFfnWidth, &layer->ffn1_b);
    take(stack + "FFN/conv2/Tensordot/Reshape_1", kFfnWidth * kWidth, &layer->ffn2_w);
    take(apply + "FFN/conv2/bias/ConcatPartitions/concat", kWidth, &layer->ffn2_b);
    if (!status.ok()) return layer;
    // The graph multiplies the queries by 1/sqrt(head size) after the
    // projection; folding it into the query columns saves a pass.
    const float s = query_scale[0];
    for (size_t r = 0; r < in; ++r) {
      for (size_t j = 0; j < c; ++j) layer->qkv_w[r * 3 * c + j] *= s;
    }
    for (size_t j = 0; j < c; ++j) layer->qkv_b[j] *= s;
    layer->out_res_b = layer->out_b;
    if (index == 0) {
      for (size_t j = 0; j < kWidth; ++j) layer->out_res_b[j] += layer->res_b[j];
    }
    return layer;
  };
  model->layer0_ = load_layer(0, kEmbedDim);
  model->layer1_ = load_layer(1, kWidth);
  if (!status.ok()) return status;

  model->eps_ = eps[0];
  // Position signal: sin(t * inv[i]) in the first half, cos in the second.
  const size_t half = kEmbedDim / 2;
  model->timing_.resize(kMaxTokens * kEmbedDim);
  for (size_t t = 0; t < kMaxTokens; ++t) {
    for (size_t i = 0; i < half; ++i) {
      float angle = static_cast<float>(t) * inv_timescales[i];
      model->timing_[t * kEmbedDim + i] = std::sin(angle);
      model->timing_[t * kEmbedDim + half + i] = std::cos(angle);
    }
  }
  // engram parallelises across texts (callers embed from several threads),
  // so each sgemm runs on the calling thread only.
  openblas_set_num_threads(1);
  return model;
}

double UseLiteModel::Flops(size_t tokens) {
  const double t = static_cast<double>(std::min(tokens, kMaxTokens));
  const double per_token =
      kEmbedDim * 3 * kEmbedDim + kEmbedDim * kWidth * 2 +  // layer 0 qkv, output, residual
      kWidth * 3 * kWidth + kWidth * kWidth +              // layer 1 qkv, output
      2.0 * 2 * kWidth * kFfnWidth;                        // two feed-forward blocks
  const double attention = 2.0 * t * t * (kEmbedDim + kWidth);  // QK^T and PV, both layers
  return 2.0 * (per_token * t + attention + kWidth * kWidth);
}

void UseLiteModel::Embed(std::span<const std::vector<int32_t>> sequences, float* out) const {
  thread_local Scratch scratch;
  size_t begin = 0;
  while (begin < sequences.size()) {
    size_t end = begin;
    size_t tokens = 0;
    while (end < sequences.size()) {
      size_t len = std::min(sequences[end].size(), kMaxTokens);
      if (end > begin && tokens + len > kChunkTokens) break;
      tokens += len;
      ++end;
    }
    EmbedChunk(sequences.subspan(begin, end - begin), out + begin * kDim, &scratch);
    begin = end;
  }
}

void UseLiteModel::EmbedChunk(std::span<const std::vector<int32_t>> sequences, float* out,
                              Scratch* s) const {
  const use_lite::Kernels& k = use_lite::BestKernels();
  const size_t texts = sequences.size();
  s->offsets.assign(1, 0);
  for (const std::vector<int32_t>& seq : sequences) {
    s->offsets.push_back(s->offsets.back() + std::min(seq.size(), kMaxTokens));
  }
  const size_t n = s->offsets.back();
  s->Reserve(n, texts);

  // Input: 2 x embedding + position signal (the graph adds the looked-up
  // embedding to itself plus timing).
  for (size_t b = 0; b < texts; ++b) {
    for (size_t t = 0; t < s->offsets[b + 1] - s->offsets[b]; ++t) {
      int32_t id = sequences[b][t];
      if (id < 0 || static_cast<size_t>(id) >= kVocabRows) id = 0;
      const float* e = embeddings_.data() + static_cast<size_t>(id) * kEmbedDim;
      const float* p = timing_.data() + t * kEmbedDim;
      float* x = s->x0.data() + (s->offsets[b] + t) * kEmbedDim;
      for (size_t i = 0; i < kEmbedDim; ++i) x[i] = 2.0f * e[i] + p[i];
    }
  }
  const std::span<const size_t> offsets(s->offsets);
  float* h = s->h.data();

  // Layer 0: h = x W_res + attention(LN(x)) W_out + biases; h += FFN(h).
  const Layer& l0 = *layer0_;
  k.layer_norm(s->x0.data(), n, kEmbedDim, l0.attn_ln_scale.data(), l0.attn_ln_bias.data(), eps_,
               s->norm.data());
  FillRows(s->qkv.data(), n, 3 * kEmbedDim, l0.qkv_b.data());
  Gemm(n, 3 * kEmbedDim, kEmbedDim, s->norm.data(), kEmbedDim, l0.qkv_w.data(), 3 * kEmbedDim, 1.0f,
       s->qkv.data(), 3 * kEmbedDim);
  FillRows(h, n, kWidth, l0.out_res_b.data());
  Gemm(n, kWidth, kEmbedDim, s->x0.data(), kEmbedDim, l0.res_w.data(), kWidth, 1.0f, h, kWidth);
  Attention(l0, s->qkv.data(), offsets, s->attn.data(), s);
  Gemm(n, kWidth, kEmbedDim, s->attn.data(), kEmbedDim, l0.out_w.data(), kWidth, 1.0f, h, kWidth);
  FeedForward(l0, h, n, s);

  // Layer 1: h += attention(LN(h)) W_out + b; h += FFN(h).
  const Layer& l1 = *layer1_;
  k.layer_norm(h, n, kWidth, l1.attn_ln_scale.data(), l1.attn_ln_bias.data(), eps_, s->norm.data());
  FillRows(s->qkv.data(), n, 3 * kWidth, l1.qkv_b.data());
  Gemm(n, 3 * kWidth, kWidth, s->norm.data(), kWidth, l1.qkv_w.data(), 3 * kWidth, 1.0f,
       s->qkv.data(), 3 * kWidth);
  Attention(l1, s->qkv.data(), offsets, s->attn.data(), s);
  AddBias(h, n, kWidth, l1.out_b.data());
  Gemm(n, kWidth, kWidth, s->attn.data(), kWidth, l1.out_w.data(), kWidth, 1.0f, h, kWidth);
  FeedForward(l1, h, n, s);

  // Head: mean over the text's tokens -> dense -> tanh -> unit length.
  float* pooled = s->pooled.data();
  for (size_t b = 0; b < texts; ++b) {
    float* p = pooled + b * kWidth;
    std::fill(p, p + kWidth, 0.0f);
    const size_t len = offsets[b + 1] - offsets[b];
    for (size_t r = offsets[b]; r < offsets[b + 1]; ++r) {
      const float* row = h + r * kWidth;
      for (size_t i = 0; i < kWidth; ++i) p[i] += row[i];
    }
    const float inv = 1.0f / static_cast<float>(std::max<size_t>(len, 1));
    for (size_t i = 0; i < kWidth; ++i) p[i] *= inv;
  }
  FillRows(out, texts, kDim, head_b_.data());
  if (texts == 1) {  // sgemm is several times slower than sgemv for one row
    cblas_sgemv(CblasRowMajor, CblasTrans, static_cast<int>(kWidth), static_cast<int>(kDim), 1.0f,
                head_w_.data(), static_cast<int>(kDim), pooled, 1, 1.0f, out, 1);
  } else {
    Gemm(texts, kDim, kWidth, pooled, kWidth, head_w_.data(), kDim, 1.0f, out, kDim);
  }
  for (size_t b = 0; b < texts; ++b) {
    float* y = out + b * kDim;
    double norm = 0;
    for (size_t i = 0; i < kDim; ++i) {
      y[i] = std::tanh(y[i]);
      norm += static_cast<double>(y[i]) * y[i];
    }
    const float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
    for (size_t i = 0; i < kDim; ++i) y[i] *= inv;
  }
}

void UseLiteModel::Attention(const Layer& layer, const float* qkv, std::span<const size_t> offsets,
                             float* out, Scratch* s) const {
  const use_lite::Kernels& k = use_lite::BestKernels();
  const size_t c = layer.channels;
  const size_t d = c / kHeads;
  const size_t ld = 3 * c;
  float* scores = s->scores.data();
  for (size_t b = 0; b + 1 < offsets.size(); ++b) {
    const size_t r0 = offsets[b];
    const int t = static_cast<int>(offsets[b + 1] - r0);
    if (t == 0) continue;
    for (size_t head = 0; head < kHeads; ++head) {
      const float* q = qkv + r0 * ld + head * d;
      const float* key = q + c;
      const float* v = q + 2 * c;
      // scores[t x t] = Q K^T (queries already scaled); softmax per row;
      // out[:, head] = scores V.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, static_cast<int>(d), 1.0f, q,
                  static_cast<int>(ld), key, static_cast<int>(ld), 0.0f, scores, t);
      k.softmax_rows(scores, t, t, t);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, static_cast<int>(d), t, 1.0f, scores,
                  t, v, static_cast<int>(ld), 0.0f, out + r0 * c + head * d, static_cast<int>(c));
    }
  }
}

void UseLiteModel::FeedForward(const Layer& layer, float* h, size_t tokens, Scratch* s) const {
  const use_lite::Kernels& k = use_lite::BestKernels();
  for (size_t r0 = 0; r0 < tokens; r0 += kFfnBlockRows) {
    const size_t rows = std::min(kFfnBlockRows, tokens - r0);
    float* block = h + r0 * kWidth;
    float* norm = s->norm.data() + r0 * kWidth;
    k.layer_norm(block, rows, kWidth, layer.ffn_ln_scale.data(), layer.ffn_ln_bias.data(), eps_, norm);
    Gemm(rows, kFfnWidth, kWidth, norm, kWidth, layer.ffn1_w.data(), kFfnWidth, 0.0f, s->ffn.data(),
         kFfnWidth);
    k.bias_relu(s->ffn.data(), rows, kFfnWidth, layer.ffn1_b.data());
    AddBias(block, rows, kWidth, layer.ffn2_b.data());
    Gemm(rows, kWidth, kFfnWidth, s->ffn.data(), kFfnWidth, layer.ffn2_w.data(), kWidth, 1.0f, block,
         kWidth);
  }
}

}  // namespace engram
