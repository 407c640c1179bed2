// AVX2 + FMA + F16C versions of the forward pass's float ops (contracts in kernels/ops.h, scalar
// specification in kernels/ref/ops.cc). Eight floats per step; the last n % 8 go through the same
// vector code with masked loads and stores, so tails compute exactly what full vectors do.
//  - geglu: bit-identical to the reference. F16C's round-to-nearest-even conversion gives the same
//    binary16 index as fp32_to_fp16 on every non-nan float, the shared GELU table is read at it,
//    and the +-10 clamps and the final product are the reference's operations.
//  - swiglu: g / (1 + exp(-g)) * up with a polynomial exp (about 1 ulp), so within a few ulp.
//  - rms_norm / layer_norm: the reference's float products and its double sums, but the sums run
//    in several double accumulators (reassociation in double, far below float rounding); the
//    scaling passes are the reference's operations in the same order, without FMA contraction.
//  - scale / add: the same single rounding per element: bit-identical.
#include <immintrin.h>

#include <cmath>

#include "kernels/ref/ref.h"
#include "kernels/x86_avx2/avx2.h"

namespace slm::avx2 {
namespace {

// Lanes [0, rem) set, for masked loads and stores of a tail of rem < 8 floats.
__m256i tail_mask(int64_t rem) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

double hsum(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// Adds the 8 floats of v to two double accumulators (low four to lo, high four to hi).
void add_pd(__m256 v, __m256d& lo, __m256d& hi) {
  lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

// sum over i of double(f(x[i])), f applied in float: four double accumulators of four lanes each.
// Masked-off tail lanes load as 0 and are cleared again after f (here v or v*v), so they add nothing.
template <class F>
double sum_double(const float* x, int64_t n, F f) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    add_pd(f(_mm256_loadu_ps(x + i)), a0, a1);
    add_pd(f(_mm256_loadu_ps(x + i + 8)), a2, a3);
  }
  for (; i + 8 <= n; i += 8) add_pd(f(_mm256_loadu_ps(x + i)), a0, a1);
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = f(_mm256_maskload_ps(x + i, m));
    add_pd(_mm256_and_ps(v, _mm256_castsi256_ps(m)), a2, a3);
  }
  return hsum(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
}

// Calls op(i, io) for every 8-float step of [0, n): io.load / io.store are plain unaligned
// accesses on full vectors and masked ones (lanes [0, n - i)) on the tail; masked-off lanes load
// as 0 and are not written. (Masked stores are slow on AMD, so full vectors avoid them.)
struct Full {
  __m256 load(const float* p) const { return _mm256_loadu_ps(p); }
  void store(float* p, __m256 v) const { _mm256_storeu_ps(p, v); }
};
struct Masked {
  __m256i m;
  __m256 load(const float* p) const { return _mm256_maskload_ps(p, m); }
  void store(float* p, __m256 v) const { _mm256_maskstore_ps(p, m, v); }
};
template <class Op>
void for_each8(int64_t n, Op op) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) op(i, Full{});
  if (i < n) op(i, Masked{tail_mask(n - i)});
}

// exp(x) for 8 floats, within about 1 ulp of std::exp where the result is a normal float:
// x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so that r is exact to float precision), then
// exp(r) by its Taylor series to r^7 (truncation below 6e-9 relative), scaled by 2^n. x is first
// clamped to [-86, 89]: above 88.72 the product overflows to inf as std::exp does; below -86 the
// result stays exp(-86) ~ 4e-38 instead of going subnormal (swiglu adds it to 1, where anything
// below 2^-24 vanishes). nan stays nan (the clamps return their second operand on nan).
__m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-86.0f), x);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);  // ln2 high part: 16 bits, exact n*hi
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.4286068199453094e-06f), r);   // ln2 - high part
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  // 2^(n-1) (n in [-124, 128], so the biased exponent n + 126 is in [2, 254]), then * 2: the
  // product overflows to inf exactly when the rounded result exceeds FLT_MAX.
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(126)), 23);
  return _mm256_mul_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), _mm256_set1_ps(2.0f));
}

// GELU of 8 floats from the table: F16C rounds g to binary16 (to nearest even, as fp32_to_fp16),
// the eight 16-bit indices go to two general registers and each entry is one scalar load, and
// F16C widens the eight entries back. (On Zen 4 this is about twice as fast as a 32-bit gather of
// the table, which also needs a repack of its lanes.)
__m256 gelu8(__m256 g, const uint16_t* table) {
  const __m128i h = _mm256_cvtps_ph(g, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const uint64_t a = static_cast<uint64_t>(_mm_cvtsi128_si64(h));
  const uint64_t b = static_cast<uint64_t>(_mm_extract_epi64(h, 1));
  __m128i t = _mm_cvtsi32_si128(table[a & 0xffff]);
  t = _mm_insert_epi16(t, table[(a >> 16) & 0xffff], 1);
  t = _mm_insert_epi16(t, table[(a >> 32) & 0xffff], 2);
  t = _mm_insert_epi16(t, table[a >> 48], 3);
  t = _mm_insert_epi16(t, table[b & 0xffff], 4);
  t = _mm_insert_epi16(t, table[(b >> 16) & 0xffff], 5);
  t = _mm_insert_epi16(t, table[(b >> 32) & 0xffff], 6);
  t = _mm_insert_epi16(t, table[b >> 48], 7);
  return _mm256_cvtph_ps(t);
}

}  // namespace

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  const double sum = sum_double(x, n, [](__m256 v) { return _mm256_mul_ps(v, v); });
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float s = 1.0f / std::sqrt(mean + eps);
  const __m256 vs = _mm256_set1_ps(s);
  if (w) {
    for_each8(n, [&](int64_t i, auto io) {
      io.store(y + i, _mm256_mul_ps(_mm256_mul_ps(io.load(x + i), vs), io.load(w + i)));
    });
  } else {
    for_each8(n, [&](int64_t i, auto io) { io.store(y + i, _mm256_mul_ps(io.load(x + i), vs)); });
  }
}

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  const double sum = sum_double(x, n, [](__m256 v) { return v; });
  const float mean = static_cast<float>(sum) / static_cast<float>(n);
  const __m256 vmean = _mm256_set1_ps(mean);
  // Centre into y (x == y allowed: each vector is loaded before it is stored), then sum the
  // squares of y; masked tail lanes of y load as 0.
  for_each8(n, [&](int64_t i, auto io) { io.store(y + i, _mm256_sub_ps(io.load(x + i), vmean)); });
  const double var = sum_double(y, n, [](__m256 d) { return _mm256_mul_ps(d, d); });
  const float s = 1.0f / std::sqrt(static_cast<float>(var / static_cast<double>(n)) + eps);
  const __m256 vs = _mm256_set1_ps(s);
  for_each8(n, [&](int64_t i, auto io) {
    __m256 v = _mm256_mul_ps(io.load(y + i), vs);
    if (w) v = _mm256_mul_ps(v, io.load(w + i));
    if (b) v = _mm256_add_ps(v, io.load(b + i));
    io.store(y + i, v);
  });
}

void scale(float* x, int64_t n, float s) {
  const __m256 vs = _mm256_set1_ps(s);
  for_each8(n, [&](int64_t i, auto io) { io.store(x + i, _mm256_mul_ps(io.load(x + i), vs)); });
}

void add(float* y, const float* x, int64_t n) {
  for_each8(n, [&](int64_t i, auto io) { io.store(y + i, _mm256_add_ps(io.load(y + i), io.load(x + i))); });
}

void swiglu(float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for_each8(n, [&](int64_t i, auto io) {
    const __m256 g = io.load(gate + i);
    const __m256 e = exp8(_mm256_xor_ps(g, sign));
    io.store(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), io.load(up + i)));
  });
}

void geglu(float* gate, const float* up, int64_t n) {
  const uint16_t* table = ref::gelu_fp16_table();
  const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
  for_each8(n, [&](int64_t i, auto io) {
    const __m256 g = io.load(gate + i);
    __m256 v = gelu8(g, table);
    v = _mm256_blendv_ps(v, g, _mm256_cmp_ps(g, hi, _CMP_GE_OQ));      // g >= 10: g
    v = _mm256_andnot_ps(_mm256_cmp_ps(g, lo, _CMP_LE_OQ), v);         // g <= -10: 0
    io.store(gate + i, _mm256_mul_ps(v, io.load(up + i)));
  });
}

void register_ops(KernelTable& t) {
  t.ops = {.rms_norm = rms_norm, .layer_norm = layer_norm, .scale = scale, .add = add, .swiglu = swiglu,
           .geglu = geglu};
}

}  // namespace slm::avx2
