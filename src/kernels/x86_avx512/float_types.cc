// AVX-512 f16 . f16 dot product (attention scores against the f16 KV cache): 16 values per
// conversion, four accumulators, and a masked load for the last n % 16 values instead of a
// scalar tail. Differs from the sequential reference sum only by float reassociation.
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {
namespace {
using namespace detail;

// 16 (or, with a mask, fewer) f16 values at element i, widened to f32; masked-off lanes are 0.
inline __m512 load16_f16(const uint8_t* p, int64_t i) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
}
inline __m512 load16_f16(const uint8_t* p, int64_t i, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + 2 * i));
}

float vec_dot_f16(int64_t n, const void* wv, const void* av) {
  const auto* w = static_cast<const uint8_t*>(wv);
  const auto* a = static_cast<const uint8_t*>(av);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
         acc3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_fmadd_ps(load16_f16(w, i), load16_f16(a, i), acc0);
    acc1 = _mm512_fmadd_ps(load16_f16(w, i + 16), load16_f16(a, i + 16), acc1);
    acc2 = _mm512_fmadd_ps(load16_f16(w, i + 32), load16_f16(a, i + 32), acc2);
    acc3 = _mm512_fmadd_ps(load16_f16(w, i + 48), load16_f16(a, i + 48), acc3);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(load16_f16(w, i), load16_f16(a, i), acc0);
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    acc1 = _mm512_fmadd_ps(load16_f16(w, i, m), load16_f16(a, i, m), acc1);
  }
  return hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

}  // namespace

void register_float(KernelTable& t) { t.types[static_cast<size_t>(TensorType::F16)].vec_dot = vec_dot_f16; }

}  // namespace slm::avx512
