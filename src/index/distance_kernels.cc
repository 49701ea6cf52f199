#include "index/distance_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace engram::kernels {

// Defined in distance_kernels_avx2.cc, which is compiled with -mavx2 -mfma.
// Only called after the CPU check below.
const DistanceKernels& Avx2KernelsUnchecked();

namespace {

float DotF32Portable(const float* a, const float* b, size_t dim) {
  // Four independent sums let the compiler keep several additions in
  // flight (and vectorise with SSE2) without -ffast-math reassociation.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t j = 0;
  for (; j + 4 <= dim; j += 4) {
    s0 += a[j] * b[j];
    s1 += a[j + 1] * b[j + 1];
    s2 += a[j + 2] * b[j + 2];
    s3 += a[j + 3] * b[j + 3];
  }
  for (; j < dim; ++j) s0 += a[j] * b[j];
  return (s0 + s1) + (s2 + s3);
}

void DotF32RowsPortable(const float* query, const float* rows, size_t n, size_t dim, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = DotF32Portable(query, rows + i * dim, dim);
}

void DotI8RowsPortable(const int8_t* query, const int8_t* rows, size_t n, size_t stride,
                       int32_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const int8_t* row = rows + i * stride;
    int32_t sum = 0;
    for (size_t j = 0; j < stride; ++j) sum += int32_t{query[j]} * int32_t{row[j]};
    out[i] = sum;
  }
}

void DotI8GatherPortable(const int8_t* query, const int8_t* rows, size_t stride,
                         const int32_t* idx, size_t n, int32_t* out) {
  for (size_t i = 0; i < n; ++i) {
    DotI8RowsPortable(query, rows + static_cast<size_t>(idx[i]) * stride, 1, stride, out + i);
  }
}

constexpr DistanceKernels kPortable{"portable", DotF32Portable, DotF32RowsPortable,
                                    DotI8RowsPortable, DotI8GatherPortable};

bool CpuHasAvx2Fma() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

}  // namespace

const DistanceKernels& PortableKernels() { return kPortable; }

const DistanceKernels* Avx2Kernels() {
  static const bool supported = CpuHasAvx2Fma();
  return supported ? &Avx2KernelsUnchecked() : nullptr;
}

const DistanceKernels& BestKernels() {
  static const DistanceKernels* best = [] {
    const char* force = std::getenv("ENGRAM_FORCE_PORTABLE_KERNELS");
    if (force != nullptr && std::strcmp(force, "1") == 0) return &kPortable;
    const DistanceKernels* avx2 = Avx2Kernels();
    return avx2 != nullptr ? avx2 : &kPortable;
  }();
  return *best;
}

float QuantizeInt8(const float* x, size_t dim, int8_t* code) {
  float max_abs = 0;
  for (size_t j = 0; j < dim; ++j) max_abs = std::max(max_abs, std::fabs(x[j]));
  std::memset(code, 0, Int8Stride(dim));
  if (max_abs == 0) return 0;
  const float scale = max_abs / 127.0f;
  const float inv = 127.0f / max_abs;
  for (size_t j = 0; j < dim; ++j) {
    // Clamp to [-127, 127]: -128 would break the AVX2 sign trick.
    const float v = std::nearbyint(x[j] * inv);
    code[j] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
  }
  return scale;
}

}  // namespace engram::kernels
