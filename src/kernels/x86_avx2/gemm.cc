// AVX2 product of a packed weight panel (16 rows, kernels/panel.h) and a batch of tokens. Same
// IEEE operations as kernels/ref/gemm.cc; lane r of a vector is row r of the panel's half.
//
// Without VNNI the four-byte dots of a lane take vpmaddubsw (unsigned x signed bytes, adjacent
// pairs summed into saturating int16) then vpmaddwd by ones (int16 pairs into int32). The int16
// sums cannot saturate for quants u <= 63 (every format but q8_0: 2 * 63 * 128 < 32767). q8_0's
// u = q + 128 would, so its weights go back to signed q = u ^ 0x80 and the product takes |q|
// times a with q's sign (2 * 128 * 127 < 32767: activations from our quantizers are within
// +-127); that sum already is sum(u * a) - 128 * sum(a), so its dots start at 0, not at corr.
//
// Tile: the 8 rows of one half of the panel (one ymm of four quants per row) times C = 4 tokens:
// 4 int32 + 4 float accumulators and 6 temporaries fit the 16 registers. Resident panels: a
// 32-byte load of nibbles is the 8 rows' quants of two groups (masked low and high halves), and
// binary16 scales take one vcvtph2ps.
#include <immintrin.h>

#include "kernels/unaligned.h"
#include "kernels/x86_avx2/avx2.h"

namespace slm::avx2 {
namespace {

template <int kBlock, bool kMin, bool kSigned, bool kNib, bool kHalf, int C>
void tile(const PanelView& w, const GemmActs& a, int64_t t0, int half, float* y, int64_t y_stride, __m256i rows) {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
  const int8_t* aq = a.q + static_cast<size_t>(t0) * a.q_stride;
  const GemmSide* side = a.side + t0 * a.side_stride;
  for (int64_t b = 0; b < w.n_blocks; ++b) {
    const uint8_t* wq = w.q(b) + 32 * half;  // [B/4][16][4], or [B/8][16][4] with nibbles
    const int8_t* ab = aq + b * kBlock;
    __m256i dot[C];
    for (int c = 0; c < C; ++c) dot[c] = _mm256_set1_epi32(kSigned ? 0 : side[c * a.side_stride + b].corr);
#pragma GCC unroll 8
    for (int s = 0; s < kBlock / 4; ++s) {
      __m256i q;
      if constexpr (kNib) {  // group s is the low (even s) or high (odd s) half of vector s / 2
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + 64 * (s / 2)));
        q = _mm256_and_si256(s % 2 ? _mm256_srli_epi16(v, 4) : v, low4);
      } else {
        q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + 64 * s));
      }
      __m256i q_abs = q;
      if constexpr (kSigned) {
        q = _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));
        q_abs = _mm256_abs_epi8(q);
      }
      for (int c = 0; c < C; ++c) {
        __m256i av = _mm256_set1_epi32(load_i32(ab + c * a.q_stride + 4 * s));
        if constexpr (kSigned) av = _mm256_sign_epi8(av, q);
        dot[c] = _mm256_add_epi32(dot[c], _mm256_madd_epi16(_mm256_maddubs_epi16(q_abs, av), ones));
      }
    }
    __m256 d;
    [[maybe_unused]] __m256 m;
    if constexpr (kHalf) {
      d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.d(b) + 16 * half)));
      if constexpr (kMin) m = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.m(b) + 16 * half)));
    } else {
      d = _mm256_loadu_ps(reinterpret_cast<const float*>(w.d(b)) + 8 * half);
      if constexpr (kMin) m = _mm256_loadu_ps(reinterpret_cast<const float*>(w.m(b)) + 8 * half);
    }
    for (int c = 0; c < C; ++c) {
      const __m256 scale = _mm256_mul_ps(d, _mm256_set1_ps(side[c * a.side_stride + b].d));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[c]), scale, acc[c]);
    }
    if constexpr (kMin) {
      for (int c = 0; c < C; ++c) acc[c] = _mm256_fmadd_ps(m, _mm256_set1_ps(side[c * a.side_stride + b].s), acc[c]);
    }
  }
  for (int c = 0; c < C; ++c) _mm256_maskstore_ps(y + (t0 + c) * y_stride + 8 * half, rows, acc[c]);
}

template <int kBlock, bool kMin, bool kSigned, bool kNib = false, bool kHalf = false>
void tiles(const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride, int n_rows) {
  for (int half = 0; half < 2; ++half) {
    const int valid = n_rows - 8 * half;
    if (valid <= 0) break;
    // lane r is stored when r < valid
    const __m256i rows = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    int64_t t = 0;
    for (; t + 4 <= T; t += 4) tile<kBlock, kMin, kSigned, kNib, kHalf, 4>(w, a, t, half, y, y_stride, rows);
    switch (T - t) {
      case 3: tile<kBlock, kMin, kSigned, kNib, kHalf, 3>(w, a, t, half, y, y_stride, rows); break;
      case 2: tile<kBlock, kMin, kSigned, kNib, kHalf, 2>(w, a, t, half, y, y_stride, rows); break;
      case 1: tile<kBlock, kMin, kSigned, kNib, kHalf, 1>(w, a, t, half, y, y_stride, rows); break;
      default: break;
    }
  }
}

void gemm_panel(const PanelFormat& f, const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride,
                int n_rows) {
  if (f.half_scales) {  // the resident formats (32-element blocks)
    if (f.bias == 128) tiles<32, false, true, false, true>(w, a, T, y, y_stride, n_rows);
    else if (f.has_min) tiles<32, true, false, true, true>(w, a, T, y, y_stride, n_rows);
    else tiles<32, false, false, true, true>(w, a, T, y, y_stride, n_rows);
  } else if (f.block == 16) {
    if (f.has_min) tiles<16, true, false>(w, a, T, y, y_stride, n_rows);
    else tiles<16, false, false>(w, a, T, y, y_stride, n_rows);
  } else if (f.bias == 128) {
    tiles<32, false, true>(w, a, T, y, y_stride, n_rows);
  } else {
    if (f.has_min) tiles<32, true, false>(w, a, T, y, y_stride, n_rows);
    else tiles<32, false, false>(w, a, T, y, y_stride, n_rows);
  }
}

}  // namespace

void register_gemm(KernelTable& t) { t.gemm_panel = gemm_panel; }

}  // namespace slm::avx2
