// AVX2+FMA versions of the distance kernels. This file is compiled with
// -mavx2 -mfma; nothing here may run before distance_kernels.cc has checked
// the CPU.
#include <immintrin.h>

#include <algorithm>

#include "index/distance_kernels.h"

namespace engram::kernels {
namespace {

inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

inline int32_t HorizontalSum(__m256i v) {
  __m128i lo = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  lo = _mm_add_epi32(lo, _mm_shuffle_epi32(lo, _MM_SHUFFLE(1, 0, 3, 2)));
  lo = _mm_add_epi32(lo, _mm_shuffle_epi32(lo, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(lo);
}

float DotF32Avx2(const float* a, const float* b, size_t dim) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  size_t j = 0;
  // Four accumulators hide the 4-cycle FMA latency.
  for (; j + 32 <= dim; j += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 16), _mm256_loadu_ps(b + j + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 24), _mm256_loadu_ps(b + j + 24), acc3);
  }
  for (; j + 8 <= dim; j += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
  }
  float sum = HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; j < dim; ++j) sum += a[j] * b[j];
  return sum;
}

// Four rows per pass: each query load feeds four FMAs, and two accumulators
// per row give eight independent FMA chains. The rows stream sequentially,
// which the hardware prefetcher follows, so the loop runs at memory bandwidth
// once the data is larger than the caches.
void DotF32RowsAvx2(const float* query, const float* rows, size_t n, size_t dim, float* out) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* r0 = rows + i * dim;
    const float* r1 = r0 + dim;
    const float* r2 = r1 + dim;
    const float* r3 = r2 + dim;
    if (i + 12 <= n) {  // as in DotI8RowsAvx2: stay ahead of DRAM latency
      const char* ahead = reinterpret_cast<const char*>(rows + (i + 8) * dim);
      for (size_t line = 0; line < 4 * dim * sizeof(float); line += 64) _mm_prefetch(ahead + line, _MM_HINT_T0);
    }
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
    __m256 b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 16 <= dim; j += 16) {
      const __m256 q0 = _mm256_loadu_ps(query + j);
      const __m256 q1 = _mm256_loadu_ps(query + j + 8);
      a0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r0 + j), a0);
      a1 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r1 + j), a1);
      a2 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r2 + j), a2);
      a3 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r3 + j), a3);
      b0 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r0 + j + 8), b0);
      b1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r1 + j + 8), b1);
      b2 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r2 + j + 8), b2);
      b3 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(r3 + j + 8), b3);
    }
    for (; j + 8 <= dim; j += 8) {
      const __m256 q0 = _mm256_loadu_ps(query + j);
      a0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r0 + j), a0);
      a1 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r1 + j), a1);
      a2 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r2 + j), a2);
      a3 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(r3 + j), a3);
    }
    float s0 = HorizontalSum(_mm256_add_ps(a0, b0));
    float s1 = HorizontalSum(_mm256_add_ps(a1, b1));
    float s2 = HorizontalSum(_mm256_add_ps(a2, b2));
    float s3 = HorizontalSum(_mm256_add_ps(a3, b3));
    for (; j < dim; ++j) {
      s0 += query[j] * r0[j];
      s1 += query[j] * r1[j];
      s2 += query[j] * r2[j];
      s3 += query[j] * r3[j];
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < n; ++i) out[i] = DotF32Avx2(query, rows + i * dim, dim);
}

// int8 x int8 without VNNI: maddubs needs one unsigned operand, so multiply
// |q| (unsigned) by r carrying q's sign: |q| * sign(r, q) == q * r. With
// components in [-127, 127] the pairwise int16 sums (<= 2 * 127 * 127)
// cannot saturate; madd with ones widens them to int32.
inline __m256i DotI8Step(__m256i q_abs, __m256i q, __m256i r, __m256i acc) {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i prod16 = _mm256_maddubs_epi16(q_abs, _mm256_sign_epi8(r, q));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(prod16, ones));
}

void DotI8RowsAvx2(const int8_t* query, const int8_t* rows, size_t n, size_t stride,
                   int32_t* out) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int8_t* r0 = rows + i * stride;
    const int8_t* r1 = r0 + stride;
    const int8_t* r2 = r1 + stride;
    const int8_t* r3 = r2 + stride;
    // Prefetch the rows two groups ahead: short int8 rows leave the hardware
    // prefetcher too little run-up to reach full DRAM bandwidth on its own.
    if (i + 12 <= n) {
      const int8_t* ahead = rows + (i + 8) * stride;
      for (size_t line = 0; line < 4 * stride; line += 64) _mm_prefetch(reinterpret_cast<const char*>(ahead + line), _MM_HINT_T0);
    }
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    __m256i a2 = _mm256_setzero_si256(), a3 = _mm256_setzero_si256();
    for (size_t j = 0; j < stride; j += 32) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + j));
      const __m256i q_abs = _mm256_abs_epi8(q);
      a0 = DotI8Step(q_abs, q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + j)), a0);
      a1 = DotI8Step(q_abs, q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r1 + j)), a1);
      a2 = DotI8Step(q_abs, q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r2 + j)), a2);
      a3 = DotI8Step(q_abs, q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r3 + j)), a3);
    }
    out[i] = HorizontalSum(a0);
    out[i + 1] = HorizontalSum(a1);
    out[i + 2] = HorizontalSum(a2);
    out[i + 3] = HorizontalSum(a3);
  }
  for (; i < n; ++i) {
    const int8_t* r = rows + i * stride;
    __m256i acc = _mm256_setzero_si256();
    for (size_t j = 0; j < stride; j += 32) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + j));
      acc = DotI8Step(_mm256_abs_epi8(q), q,
                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + j)), acc);
    }
    out[i] = HorizontalSum(acc);
  }
}

inline void PrefetchRow(const int8_t* row, size_t stride) {
  for (size_t line = 0; line < stride; line += 64) _mm_prefetch(reinterpret_cast<const char*>(row + line), _MM_HINT_T0);
}

// Rows one at a time (they are scattered, so there is no shared stream to
// amortise), with the row kGatherAhead positions later prefetched: a graph
// step's neighbours then arrive from DRAM in parallel.
void DotI8GatherAvx2(const int8_t* query, const int8_t* rows, size_t stride, const int32_t* idx,
                     size_t n, int32_t* out) {
  constexpr size_t kGatherAhead = 4;
  for (size_t i = 0; i < std::min(n, kGatherAhead); ++i) PrefetchRow(rows + static_cast<size_t>(idx[i]) * stride, stride);
  for (size_t i = 0; i < n; ++i) {
    if (i + kGatherAhead < n) PrefetchRow(rows + static_cast<size_t>(idx[i + kGatherAhead]) * stride, stride);
    const int8_t* r = rows + static_cast<size_t>(idx[i]) * stride;
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 64 <= stride; j += 64) {
      const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + j));
      const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + j + 32));
      acc0 = DotI8Step(_mm256_abs_epi8(q0), q0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + j)), acc0);
      acc1 = DotI8Step(_mm256_abs_epi8(q1), q1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + j + 32)), acc1);
    }
    for (; j < stride; j += 32) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + j));
      acc0 = DotI8Step(_mm256_abs_epi8(q), q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + j)), acc0);
    }
    out[i] = HorizontalSum(_mm256_add_epi32(acc0, acc1));
  }
}

constexpr DistanceKernels kAvx2{"avx2", DotF32Avx2, DotF32RowsAvx2, DotI8RowsAvx2, DotI8GatherAvx2};

}  // namespace

const DistanceKernels& Avx2KernelsUnchecked() { return kAvx2; }

}  // namespace engram::kernels
