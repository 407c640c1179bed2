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
// 32-byte load of nibbles is the 8 rows' quants of two groups (masked low and high halves),
// the high bits of 5- and 6-bit quants are shifted, masked and or-ed in per group, binary16 scales take one
// vcvtph2ps, and sub-block scales (q4_K, q6_K) are widened from bytes and multiplied by the
// super-block's d once per block. The kernel is compiled per format (a template on the
// PanelFormat itself).
#include <immintrin.h>

#include "kernels/unaligned.h"
#include "kernels/x86_avx2/avx2.h"

namespace slm::avx2 {
namespace {

__m256i load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
__m128i load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// Group g (quants 4g .. 4g + 3) of a block with high bits, from its low nibbles: or in its bits
// of the block's high vector (width 1: fifth bits, bit g of each byte; width 2: q6_K's pairs,
// bits 2g and 2g + 1), moved to bit 4.
template <int kWidth, int g>
inline __m256i add_high_bits(__m256i nib, __m256i high) {
  constexpr int pos = kWidth * g;  // of the group's bits in each byte
  static_assert(pos < 8);
  __m256i h = high;
  if constexpr (pos < 4) h = _mm256_slli_epi16(high, 4 - pos);
  if constexpr (pos > 4) h = _mm256_srli_epi16(high, pos - 4);
  return _mm256_or_si256(nib, _mm256_and_si256(h, _mm256_set1_epi8(static_cast<char>(((1 << kWidth) - 1) << 4))));
}

// add_high_bits for a group s known only at run time (the loop below is unrolled, so the switch
// folds away). q6_K's blocks of 16 have groups 0..3 only; the modulo keeps cases 4..7 compilable
// for its width.
template <int kWidth>
inline __m256i with_high_bits(int s, __m256i q, __m256i high) {
  switch (s) {
    case 0: return add_high_bits<kWidth, 0>(q, high);
    case 1: return add_high_bits<kWidth, 1>(q, high);
    case 2: return add_high_bits<kWidth, 2>(q, high);
    case 3: return add_high_bits<kWidth, 3>(q, high);
    case 4: return add_high_bits<kWidth, 4 % (8 / kWidth)>(q, high);
    case 5: return add_high_bits<kWidth, 5 % (8 / kWidth)>(q, high);
    case 6: return add_high_bits<kWidth, 6 % (8 / kWidth)>(q, high);
    default: return add_high_bits<kWidth, 7 % (8 / kWidth)>(q, high);
  }
}

template <PanelFormat F, int C>
void tile(const PanelView& w, const GemmActs& a, int64_t t0, int half, float* y, int64_t y_stride, __m256i rows) {
  constexpr bool kSigned = F.bias == 128;  // q8_0, see above
  constexpr bool kSub = F.scales == PanelScales::kSubBlock;
  constexpr size_t kDOffset = F.quant_bytes(), kMOffset = F.quant_bytes() + F.scale_bytes();
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
  const int8_t* aq = a.q + static_cast<size_t>(t0) * a.q_stride;
  const GemmSide* side = a.side + t0 * a.side_stride;
  for (int64_t sb = 0; sb < w.n_supers; ++sb) {
    const uint8_t* sp = w.super(sb);
    [[maybe_unused]] __m256 d_super, dmin_super;
    if constexpr (kSub) {
      d_super = _mm256_cvtph_ps(load128(sp + 16 * half));
      if constexpr (F.has_min) dmin_super = _mm256_cvtph_ps(load128(sp + 32 + 16 * half));
    }
    for (int j = 0; j < F.per_super; ++j) {
      const int64_t b = sb * F.per_super + j;
      const uint8_t* wb = sp + F.header_bytes() + static_cast<size_t>(j) * F.block_bytes();
      const uint8_t* wq = wb + 32 * half;  // this half's lanes of each 64-byte vector
      const int8_t* ab = aq + b * F.block;
      __m256i dot[C];
      for (int c = 0; c < C; ++c) dot[c] = _mm256_set1_epi32(kSigned ? 0 : side[c * a.side_stride + b].corr);
      // 5- and 6-bit quants: one vector of high bits per block (32 fifth bits or 16 pairs a lane)
      constexpr int kWidth = F.quants == PanelQuants::kFiveBits ? 1 : F.quants == PanelQuants::kSixBits ? 2 : 0;
      [[maybe_unused]] __m256i high;
      if constexpr (kWidth > 0) {
        static_assert(F.block * kWidth == 32);
        high = load256(wq + F.block / 8 * 64);
      }
#pragma GCC unroll 8
      for (int s = 0; s < F.block / 4; ++s) {
        __m256i q;
        if constexpr (F.quants == PanelQuants::kBytes) {
          q = load256(wq + 64 * s);
        } else {  // group s is the low (even s) or high (odd s) half of vector s / 2
          const __m256i v = load256(wq + 64 * (s / 2));
          q = _mm256_and_si256(s % 2 ? _mm256_srli_epi16(v, 4) : v, low4);
          if constexpr (kWidth > 0) q = with_high_bits<kWidth>(s, q, high);
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
      if constexpr (kSub) {  // d = d_super * scale, m = dmin * min (subtracted below)
        const __m128i sc = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(wb + kDOffset + 8 * half));
        d = _mm256_mul_ps(d_super, _mm256_cvtepi32_ps(F.signed_scales ? _mm256_cvtepi8_epi32(sc) : _mm256_cvtepu8_epi32(sc)));
        if constexpr (F.has_min) {
          const __m128i mn = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(wb + kMOffset + 8 * half));
          m = _mm256_mul_ps(dmin_super, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(mn)));
        }
      } else if constexpr (F.scales == PanelScales::kHalf) {
        d = _mm256_cvtph_ps(load128(wb + kDOffset + 16 * half));
        if constexpr (F.has_min) m = _mm256_cvtph_ps(load128(wb + kMOffset + 16 * half));
      } else {
        d = _mm256_loadu_ps(reinterpret_cast<const float*>(wb + kDOffset) + 8 * half);
        if constexpr (F.has_min) m = _mm256_loadu_ps(reinterpret_cast<const float*>(wb + kMOffset) + 8 * half);
      }
      for (int c = 0; c < C; ++c) {
        const __m256 scale = _mm256_mul_ps(d, _mm256_set1_ps(side[c * a.side_stride + b].d));
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[c]), scale, acc[c]);
      }
      if constexpr (F.has_min) {
        for (int c = 0; c < C; ++c) {
          const __m256 sa = _mm256_set1_ps(side[c * a.side_stride + b].s);
          // fma(-(dmin * min), sa, acc) is -(dmin * min * sa) + acc rounded once: fnmadd
          acc[c] = kSub ? _mm256_fnmadd_ps(m, sa, acc[c]) : _mm256_fmadd_ps(m, sa, acc[c]);
        }
      }
    }
  }
  for (int c = 0; c < C; ++c) _mm256_maskstore_ps(y + (t0 + c) * y_stride + 8 * half, rows, acc[c]);
}

template <PanelFormat F>
void tiles(const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride, int n_rows) {
  for (int half = 0; half < 2; ++half) {
    const int valid = n_rows - 8 * half;
    if (valid <= 0) break;
    // lane r is stored when r < valid
    const __m256i rows = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    int64_t t = 0;
    for (; t + 4 <= T; t += 4) tile<F, 4>(w, a, t, half, y, y_stride, rows);
    switch (T - t) {
      case 3: tile<F, 3>(w, a, t, half, y, y_stride, rows); break;
      case 2: tile<F, 2>(w, a, t, half, y, y_stride, rows); break;
      case 1: tile<F, 1>(w, a, t, half, y, y_stride, rows); break;
      default: break;
    }
  }
}

void gemm_panel(const PanelFormat& f, const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride,
                int n_rows) {
  with_panel_format(f, [&]<PanelFormat F>() { tiles<F>(w, a, T, y, y_stride, n_rows); });
}

}  // namespace

void register_gemm(KernelTable& t) { t.gemm_panel = gemm_panel; }

}  // namespace slm::avx2
