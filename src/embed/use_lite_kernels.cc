#include "embed/use_lite_kernels.h"

#include <algorithm>
#include <cmath>

namespace engram::use_lite {
namespace {

void LayerNormPortable(const float* x, size_t rows, size_t dim, const float* scale,
                       const float* bias, float eps, float* out) {
  for (size_t r = 0; r < rows; ++r, x += dim, out += dim) {
    float mean = 0;
    for (size_t i = 0; i < dim; ++i) mean += x[i];
    mean /= static_cast<float>(dim);
    float var = 0;
    for (size_t i = 0; i < dim; ++i) var += (x[i] - mean) * (x[i] - mean);
    var /= static_cast<float>(dim);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (size_t i = 0; i < dim; ++i) out[i] = (x[i] - mean) * inv * scale[i] + bias[i];
  }
}

void BiasReluPortable(float* y, size_t rows, size_t cols, const float* bias) {
  for (size_t r = 0; r < rows; ++r, y += cols) {
    for (size_t c = 0; c < cols; ++c) y[c] = std::max(0.0f, y[c] + bias[c]);
  }
}

void SoftmaxRowsPortable(float* s, size_t rows, size_t cols, size_t ld) {
  for (size_t r = 0; r < rows; ++r, s += ld) {
    float max = s[0];
    for (size_t c = 1; c < cols; ++c) max = std::max(max, s[c]);
    float sum = 0;
    for (size_t c = 0; c < cols; ++c) sum += (s[c] = std::exp(s[c] - max));
    const float inv = 1.0f / sum;
    for (size_t c = 0; c < cols; ++c) s[c] *= inv;
  }
}

const Kernels kPortable{LayerNormPortable, BiasReluPortable, SoftmaxRowsPortable, "portable"};

}  // namespace

const Kernels& PortableKernels() { return kPortable; }

const Kernels& BestKernels() {
  static const Kernels& best = [] () -> const Kernels& {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Avx2Kernels();
#endif
    return kPortable;
  }();
  return best;
}

}  // namespace engram::use_lite
