#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <vector>
#include <algorithm>
#include <cstdint>
#include <sys/mman.h>
int main() {
  size_t n = 75u << 20;
  auto* p = (uint8_t*)aligned_alloc(2 << 20, n); madvise(p, n, MADV_HUGEPAGE);
  for (size_t i = 0; i < n; ++i) p[i] = i * 7;
  for (int variant = 0; variant < 4; ++variant) {
    std::vector<double> r;
    for (int it = 0; it < 7; ++it) {
      auto t0 = std::chrono::steady_clock::now();
      __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
      __m512i a = _mm512_set1_epi8(3);
      for (size_t i = 0; i < n; i += 256) {
        __m512i v0 = _mm512_load_si512(p + i), v1 = _mm512_load_si512(p + i + 64), v2 = _mm512_load_si512(p + i + 128), v3 = _mm512_load_si512(p + i + 192);
        if (variant == 0) { acc0 = _mm512_add_epi32(acc0, v0); acc1 = _mm512_add_epi32(acc1, v1); acc2 = _mm512_add_epi32(acc2, v2); acc3 = _mm512_add_epi32(acc3, v3); }
        else if (variant == 1) { acc0 = _mm512_dpbusd_epi32(acc0, v0, a); acc1 = _mm512_dpbusd_epi32(acc1, v1, a); acc2 = _mm512_dpbusd_epi32(acc2, v2, a); acc3 = _mm512_dpbusd_epi32(acc3, v3, a); }
        else if (variant == 2) { // one chain, 8 dpbusd per 256B like C=1 panel
          __m512i m = _mm512_set1_epi8(15);
          __m512i d = acc0;
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v0, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v0, 4), m), a);
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v1, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v1, 4), m), a);
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v2, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v2, 4), m), a);
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v3, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v3, 4), m), a);
          acc0 = d;
        } else { // per-block chain reset, float accumulate
          __m512i m = _mm512_set1_epi8(15);
          __m512i d = _mm512_setzero_si512();
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v0, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v0, 4), m), a);
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v1, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v1, 4), m), a);
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v2, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v2, 4), m), a);
          d = _mm512_dpbusd_epi32(d, _mm512_and_si512(v3, m), a); d = _mm512_dpbusd_epi32(d, _mm512_and_si512(_mm512_srli_epi16(v3, 4), m), a);
          acc1 = _mm512_castps_si512(_mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_set1_ps(0.5f), _mm512_castsi512_ps(acc1)));
        }
      }
      auto t1 = std::chrono::steady_clock::now();
      volatile int s = _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(acc0, acc1), _mm512_add_epi32(acc2, acc3))); (void)s;
      r.push_back(n / std::chrono::duration<double>(t1 - t0).count() / 1e9);
    }
    std::sort(r.begin(), r.end());
    printf("variant %d: %.1f GB/s\n", variant, r[3]);
  }
}
