// Distance kernels for the vector index: inner products of one query against
// many stored rows, in fp32 and in int8, chosen once at run time for the CPU.
//
// Debian's libfaiss is compiled for generic x86-64 (SSE2 only), so its exact
// scan runs at a fraction of memory bandwidth. These kernels are compiled
// twice -- portable C++ (distance_kernels.cc) and AVX2+FMA
// (distance_kernels_avx2.cc) -- and BestKernels() picks the fastest one the
// CPU supports, so one binary runs everywhere and is fast where it can be.
//
// Thread safety: all functions are pure; call them from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace engram::kernels {

// Int8 rows are zero-padded to a multiple of this many bytes so the SIMD
// kernels never need a scalar tail.
inline constexpr size_t kInt8RowAlign = 32;

// Bytes per int8 row for vectors of `dim` components.
constexpr size_t Int8Stride(size_t dim) {
  return (dim + kInt8RowAlign - 1) / kInt8RowAlign * kInt8RowAlign;
}

// One implementation of every kernel, for one instruction set.
struct DistanceKernels {
  const char* name;  // "portable", "avx2"

  // Inner product of a[dim] and b[dim].
  float (*dot_f32)(const float* a, const float* b, size_t dim);

  // out[i] = <query, rows + i*dim> for i in [0, n). rows: n*dim row-major.
  void (*dot_f32_rows)(const float* query, const float* rows, size_t n, size_t dim, float* out);

  // out[i] = sum_j query[j] * rows[i*stride + j] for i in [0, n), exact in
  // int32. query and rows have `stride` bytes per vector (a multiple of
  // kInt8RowAlign, zero-padded); components must lie in [-127, 127].
  void (*dot_i8_rows)(const int8_t* query, const int8_t* rows, size_t n, size_t stride,
                      int32_t* out);

  // out[i] = sum_j query[j] * rows[idx[i]*stride + j] for i in [0, n): the
  // rows a graph search visits, scattered in memory. The kernel prefetches
  // the rows a few steps ahead so several DRAM fetches are in flight at
  // once instead of one stalled load per row.
  void (*dot_i8_gather)(const int8_t* query, const int8_t* rows, size_t stride,
                        const int32_t* idx, size_t n, int32_t* out);
};

// Plain C++; always available.
const DistanceKernels& PortableKernels();

// AVX2+FMA; nullptr when the CPU lacks AVX2 or FMA.
const DistanceKernels* Avx2Kernels();

// The fastest kernels this CPU supports, chosen on first call. Setting the
// environment variable ENGRAM_FORCE_PORTABLE_KERNELS=1 before the first call
// forces the portable ones (for comparisons and debugging).
const DistanceKernels& BestKernels();

// Quantises x[dim] to int8 with one scale per vector: code = round(x/scale),
// scale = max|x| / 127, so x ≈ scale * code. Writes Int8Stride(dim) bytes to
// `code` (padding zeroed) and returns the scale (0 for an all-zero vector).
float QuantizeInt8(const float* x, size_t dim, int8_t* code);

}  // namespace engram::kernels
