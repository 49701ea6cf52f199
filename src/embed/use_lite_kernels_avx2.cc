// AVX2+FMA versions of the USE-lite element-wise kernels. This file is
// compiled with -mavx2 -mfma; BestKernels() only hands these out when the CPU
// has both.
#include <immintrin.h>

#include <cmath>

#include "embed/use_lite_kernels.h"

namespace engram::use_lite {
namespace {

inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

inline float HorizontalMax(__m256 v) {
  __m128 lo = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_max_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// e^x for x <= 0 (softmax inputs after subtracting the row maximum), relative
// error ~2e-7: x = n ln2 + r, e^r by a degree-6 polynomial, 2^n through the
// exponent bits. Inputs below -87 give 0 rather than denormals.
inline __m256 ExpNonPositive(__m256 x) {
  const __m256 kLog2e = _mm256_set1_ps(1.44269504088896341f);
  const __m256 kLn2Hi = _mm256_set1_ps(0.693359375f);
  const __m256 kLn2Lo = _mm256_set1_ps(-2.12194440e-4f);
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, kLog2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, kLn2Hi, x);
  r = _mm256_fnmadd_ps(n, kLn2Lo, r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i pow2n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(pow2n));
}

void LayerNormAvx2(const float* x, size_t rows, size_t dim, const float* scale,
                   const float* bias, float eps, float* out) {
  const size_t vec_end = dim & ~size_t{7};
  const float inv_dim = 1.0f / static_cast<float>(dim);
  for (size_t r = 0; r < rows; ++r, x += dim, out += dim) {
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i < vec_end; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(x + i));
    float sum = HorizontalSum(acc);
    for (; i < dim; ++i) sum += x[i];
    const float mean = sum * inv_dim;
    const __m256 vmean = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (i = 0; i < vec_end; i += 8) {
      __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
      acc = _mm256_fmadd_ps(d, d, acc);
    }
    float sq = HorizontalSum(acc);
    for (; i < dim; ++i) sq += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.0f / std::sqrt(sq * inv_dim + eps);
    const __m256 vinv = _mm256_set1_ps(inv);
    for (i = 0; i < vec_end; i += 8) {
      __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmean), vinv);
      _mm256_storeu_ps(out + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(scale + i), _mm256_loadu_ps(bias + i)));
    }
    for (; i < dim; ++i) out[i] = (x[i] - mean) * inv * scale[i] + bias[i];
  }
}

void BiasReluAvx2(float* y, size_t rows, size_t cols, const float* bias) {
  const size_t vec_end = cols & ~size_t{7};
  const __m256 zero = _mm256_setzero_ps();
  for (size_t r = 0; r < rows; ++r, y += cols) {
    size_t c = 0;
    for (; c < vec_end; c += 8) {
      __m256 v = _mm256_add_ps(_mm256_loadu_ps(y + c), _mm256_loadu_ps(bias + c));
      _mm256_storeu_ps(y + c, _mm256_max_ps(v, zero));
    }
    for (; c < cols; ++c) y[c] = y[c] + bias[c] > 0 ? y[c] + bias[c] : 0.0f;
  }
}

void SoftmaxRowsAvx2(float* s, size_t rows, size_t cols, size_t ld) {
  const size_t vec_end = cols & ~size_t{7};
  for (size_t r = 0; r < rows; ++r, s += ld) {
    __m256 vmax = _mm256_set1_ps(s[0]);
    size_t c = 0;
    for (; c < vec_end; c += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(s + c));
    float max = HorizontalMax(vmax);
    for (; c < cols; ++c) max = s[c] > max ? s[c] : max;
    vmax = _mm256_set1_ps(max);
    __m256 vsum = _mm256_setzero_ps();
    for (c = 0; c < vec_end; c += 8) {
      __m256 e = ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(s + c), vmax));
      _mm256_storeu_ps(s + c, e);
      vsum = _mm256_add_ps(vsum, e);
    }
    float sum = HorizontalSum(vsum);
    for (; c < cols; ++c) sum += (s[c] = std::exp(s[c] - max));
    const float inv = 1.0f / sum;
    const __m256 vinv = _mm256_set1_ps(inv);
    for (c = 0; c < vec_end; c += 8) _mm256_storeu_ps(s + c, _mm256_mul_ps(_mm256_loadu_ps(s + c), vinv));
    for (; c < cols; ++c) s[c] *= inv;
  }
}

const Kernels kAvx2{LayerNormAvx2, BiasReluAvx2, SoftmaxRowsAvx2, "avx2"};

}  // namespace

const Kernels& Avx2Kernels() { return kAvx2; }

}  // namespace engram::use_lite
