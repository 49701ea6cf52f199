// Half-float decoding with F16C (this file is compiled with -mavx2 -mfma
// -mf16c); doc_vectors.cc calls it only after checking the CPU.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace engram {

void HalfsToFloatsF16c(const unsigned char* halfs, size_t n, float* out) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(halfs + 2 * i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, halfs + 2 * i, 2);
    out[i] = _cvtsh_ss(h);
  }
}

}  // namespace engram
