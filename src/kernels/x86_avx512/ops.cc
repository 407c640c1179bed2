// AVX-512 swiglu (contract in kernels/ops.h, specification in kernels/ref/ops.cc). The other float
// ops stay AVX2: swiglu is bound by its division, and on Zen 4 a 512-bit vdivps costs about what a
// 256-bit one does, so sixteen lanes halve its time (ops_bench: ~0.33 vs ~0.66 ns per value); the
// norms, scale and add are bound by loads and stores and gain little, and geglu's table reads are
// scalar loads either way.
//
// The exp is the AVX2 kernel's (x86_avx2/ops.cc), with the 2^n scaling done by vscalefps: every
// step rounds the same way, so this swiglu equals the AVX2 one bit for bit and is within a few ulp
// of the reference. The tail is one masked step.
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {
namespace {

// exp(x) for 16 floats: x clamped to [-86, 89] (nan kept), x = n ln2 + r, Taylor series of exp(r)
// to r^7, times 2^n (overflowing to inf above 88.72 as std::exp does). See the AVX2 exp8.
SLM_ALWAYS_INLINE __m512 exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
  x = _mm512_max_ps(_mm512_set1_ps(-86.0f), x);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.4286068199453094e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

SLM_ALWAYS_INLINE __m512 swiglu16(__m512 g, __m512 up) {
  const __m512 e = exp16(_mm512_xor_ps(g, _mm512_set1_ps(-0.0f)));
  return _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), up);
}

void swiglu(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(gate + i, swiglu16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(gate + i, m, swiglu16(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
  }
}

}  // namespace

void register_ops(KernelTable& t) { t.ops.swiglu = swiglu; }

}  // namespace slm::avx512
