// Element-wise kernels of the USE-lite network (everything that is not a
// matrix product): layer normalisation, bias + ReLU, row softmax, tanh head.
//
// Matrix products go to OpenBLAS; these run between them and are memory
// bound, so each has a portable version and an AVX2+FMA version, chosen once
// at run time for the CPU (one binary runs everywhere).
//
// Thread safety: all functions are pure; call them from any thread.
#pragma once

#include <cstddef>

namespace engram::use_lite {

struct Kernels {
  // out[r, :] = (x[r, :] - mean) / sqrt(var + eps) * scale + bias, for each of
  // `rows` rows of `dim` floats. out may equal x.
  void (*layer_norm)(const float* x, size_t rows, size_t dim, const float* scale,
                     const float* bias, float eps, float* out);
  // y[r, c] = max(0, y[r, c] + bias[c]).
  void (*bias_relu)(float* y, size_t rows, size_t cols, const float* bias);
  // Each of `rows` rows of `cols` floats (row stride `ld`) becomes its softmax.
  void (*softmax_rows)(float* s, size_t rows, size_t cols, size_t ld);
  // Name for logs and benchmarks: "avx2" or "portable".
  const char* name;
};

// The best kernels for this CPU.
const Kernels& BestKernels();
// The portable kernels (tests compare the two).
const Kernels& PortableKernels();

// Defined in use_lite_kernels_avx2.cc; call only when the CPU has AVX2+FMA.
const Kernels& Avx2Kernels();

}  // namespace engram::use_lite
