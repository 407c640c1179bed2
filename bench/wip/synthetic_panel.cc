#include <immintrin.h>
#include <cstdint>
#include <cstddef>
// variant-3-like loop over one panel: nb blocks of 256 B q, then 32 B scales per block at the end
__attribute__((noinline)) void syn_panel(const uint8_t* q, const uint16_t* d16, const int8_t* act, int64_t nb, float* y, int mode) {
  __m512 acc = _mm512_setzero_ps();
  const __m512i m = _mm512_set1_epi8(15);
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* wq = q + b * 256;
    __m512i d = _mm512_setzero_si512();
    for (int s = 0; s < 4; ++s) {
      __m512i v = _mm512_loadu_si512(wq + 64 * s);
      __m512i a0 = mode ? _mm512_set1_epi32(*(const int32_t*)(act + b * 32 + 8 * s)) : _mm512_set1_epi8(3);
      __m512i a1 = mode ? _mm512_set1_epi32(*(const int32_t*)(act + b * 32 + 8 * s + 4)) : _mm512_set1_epi8(3);
      d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v, m), a0);
      d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v, 4), m), a1);
    }
    __m512 sc = mode > 1 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(d16 + b * 16))) : _mm512_set1_ps(0.5f);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sc, acc);
  }
  _mm512_storeu_ps(y, acc);
}
