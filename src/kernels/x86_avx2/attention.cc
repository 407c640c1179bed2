// AVX2 + FMA kernels over f32 rows for attention (blocks/attend.cc): the scores of a chunk of keys
// against a token's query heads (dot_rows, bit-identical to vec_dot_f32 of float_types.cc) and
// the probability-weighted sum of value rows (axpy_rows). Contracts in kernels/kernels.h; tests
// compare them with the reference and with vec_dot_f32. The AVX-512 table keeps both: a zmm
// dot_rows (acc0|acc1 and acc2|acc3 in one register each, 2 keys x 4 queries per tile) measured
// no faster on Zen 4, whose 512-bit FMAs and loads are two 256-bit ones.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "kernels/x86_avx2/avx2.h"

namespace slm::avx2 {
namespace {

#define SLM_AVX2_INLINE inline __attribute__((always_inline))

SLM_AVX2_INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Calls f(std::integral_constant<int, i>) for i = 0 .. N-1: every index into the accumulator
// arrays below is then a constant, so they live in registers instead of on the stack.
template <int... I, typename F>
SLM_AVX2_INLINE void unroll_impl(std::integer_sequence<int, I...>, F&& f) {
  (f(std::integral_constant<int, I>{}), ...);
}
template <int N, typename F>
SLM_AVX2_INLINE void unroll(F&& f) {
  unroll_impl(std::make_integer_sequence<int, N>{}, f);
}

// A tile of MK rows of x by MQ rows of q, each of the MK * MQ dot products summed exactly as
// vec_dot_f32 sums it (four 8-lane accumulators over 32-value steps, 8-value steps into the
// first, the same reduction, then the scalar tail in order), so the tile is bit-identical to
// MK * MQ vec_dot_f32 calls; it gains by loading each x and q vector once for MQ and MK products.
// MK * MQ <= 3: twelve accumulators, plus the loaded vectors, fit the sixteen registers.
template <int MK, int MQ>
SLM_AVX2_INLINE void dot_tile(int64_t n, const float* x, int64_t xs, const float* q, int64_t qs, float* out,
                              int64_t os) {
  static_assert(MK * MQ <= 3);
  constexpr int P = MK * MQ;
  __m256 acc[P][4];
  unroll<P>([&](auto p) __attribute__((always_inline)) {
    unroll<4>([&](auto a) __attribute__((always_inline)) { acc[p][a] = _mm256_setzero_ps(); });
  });
  // x[k] . q[r] over values i .. i + 7 into accumulator a of every product
  const auto step = [&](int64_t i, auto a) __attribute__((always_inline)) {
    __m256 qv[MQ];
    unroll<MQ>([&](auto r) __attribute__((always_inline)) { qv[r] = _mm256_loadu_ps(q + r * qs + i); });
    unroll<MK>([&](auto k) __attribute__((always_inline)) {
      const __m256 xv = _mm256_loadu_ps(x + k * xs + i);
      unroll<MQ>([&](auto r) __attribute__((always_inline)) {
        acc[k * MQ + r][a] = _mm256_fmadd_ps(xv, qv[r], acc[k * MQ + r][a]);
      });
    });
  };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    unroll<4>([&](auto a) __attribute__((always_inline)) { step(i + 8 * a, a); });
  for (; i + 8 <= n; i += 8) step(i, std::integral_constant<int, 0>{});
  unroll<MK>([&](auto k) __attribute__((always_inline)) {
    unroll<MQ>([&](auto r) __attribute__((always_inline)) {
      constexpr int p = k * MQ + r;
      float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[p][0], acc[p][1]), _mm256_add_ps(acc[p][2], acc[p][3])));
      for (int64_t t = i; t < n; ++t) sum += x[k * xs + t] * q[r * qs + t];
      out[r * os + k] = sum;
    });
  });
}

}  // namespace

// Query rows three at a time against one key row each (x vectors loaded once for three
// products), a last pair likewise, and a last single query against three key rows at a time.
void dot_rows_f32(int64_t n, int64_t m, const float* x, int64_t x_stride, int64_t nq, const float* q, int64_t q_stride,
                  float* out, int64_t out_stride) {
  int64_t r = 0;
  for (; r + 3 <= nq; r += 3)
    for (int64_t j = 0; j < m; ++j)
      dot_tile<1, 3>(n, x + j * x_stride, x_stride, q + r * q_stride, q_stride, out + r * out_stride + j, out_stride);
  if (nq - r == 2) {
    for (int64_t j = 0; j < m; ++j)
      dot_tile<1, 2>(n, x + j * x_stride, x_stride, q + r * q_stride, q_stride, out + r * out_stride + j, out_stride);
  } else if (nq - r == 1) {
    int64_t j = 0;
    for (; j + 3 <= m; j += 3)
      dot_tile<3, 1>(n, x + j * x_stride, x_stride, q + r * q_stride, q_stride, out + r * out_stride + j, out_stride);
    for (; j < m; ++j)
      dot_tile<1, 1>(n, x + j * x_stride, x_stride, q + r * q_stride, q_stride, out + r * out_stride + j, out_stride);
  }
}

// y is read into registers 64 values at a time (8 accumulators: enough independent FMAs to hide
// their latency) and every row j is added to them in order, so y is loaded and stored once per
// 64 values instead of once per row; each element still sees the products in order j.
void axpy_rows_f32(int64_t n, int64_t m, const float* p, const float* x, int64_t x_stride, float* y) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m256 acc[8];
    for (int k = 0; k < 8; ++k) acc[k] = _mm256_loadu_ps(y + i + 8 * k);
    const float* xj = x + i;
    for (int64_t j = 0; j < m; ++j, xj += x_stride) {
      const __m256 pj = _mm256_broadcast_ss(p + j);
      for (int k = 0; k < 8; ++k) acc[k] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(xj + 8 * k), acc[k]);
    }
    for (int k = 0; k < 8; ++k) _mm256_storeu_ps(y + i + 8 * k, acc[k]);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 acc = _mm256_loadu_ps(y + i);
    const float* xj = x + i;
    for (int64_t j = 0; j < m; ++j, xj += x_stride)
      acc = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), _mm256_loadu_ps(xj), acc);
    _mm256_storeu_ps(y + i, acc);
  }
  for (; i < n; ++i) {
    float acc = y[i];
    for (int64_t j = 0; j < m; ++j) acc = std::fma(p[j], x[j * x_stride + i], acc);
    y[i] = acc;
  }
}

}  // namespace slm::avx2
