// AVX-512 VNNI product of a packed weight panel (16 rows, kernels/panel.h) and a batch of tokens.
// Same IEEE operations as kernels/ref/gemm.cc, lane r of every vector being weight row r.
//
// Tile: the 16 rows times C <= 8 tokens. Per block, C int32 vectors start at the tokens' corr
// (-bias * sum(a)); each 64-byte load of the panel (four quants of every row) feeds C vpdpbusd,
// each with four bytes of one token broadcast to all lanes from memory. Then per token one
// conversion, one multiplication (row scales times the token's scale) and one FMA into its float
// accumulator (and one more FMA for m * sa). Registers: C int32 + C float accumulators + the
// weights and scales: 8 tokens use 19 of the 32. Resident panels add two masks per 64-byte load
// (nibbles: the low and high halves are the quants of two groups), a shift and a vpternlogd per
// group for the high bits of 5- and 6-bit quants, and read binary16 scales with one vcvtph2ps; sub-block scales
// (q4_K, q6_K) are widened from bytes and multiplied by the super-block's d once per block, not
// per token. The kernel is compiled per format (a template on the PanelFormat itself).
#include "kernels/unaligned.h"
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {
namespace {
using namespace detail;

// Group g (quants 4g .. 4g + 3) of a block with high bits, from its low nibbles: or in its bits
// of the block's high vector (width 1: fifth bits, bit g of each byte; width 2: q6_K's pairs,
// bits 2g and 2g + 1), moved to bit 4.
template <int kWidth, int g>
SLM_ALWAYS_INLINE __m512i add_high_bits(__m512i nib, __m512i high) {
  constexpr int pos = kWidth * g;  // of the group's bits in each byte
  static_assert(pos < 8);
  __m512i h = high;
  if constexpr (pos < 4) h = _mm512_slli_epi16(high, 4 - pos);
  if constexpr (pos > 4) h = _mm512_srli_epi16(high, pos - 4);
  return _mm512_ternarylogic_epi32(h, _mm512_set1_epi8(((1 << kWidth) - 1) << 4), nib, 0xEA);  // (h & mask) | nib
}

template <PanelFormat F, int C>
void tile(const PanelView& w, const GemmActs& a, int64_t t0, float* y, int64_t y_stride, __mmask16 rows) {
  constexpr bool kSub = F.scales == PanelScales::kSubBlock;
  constexpr size_t kDOffset = F.quant_bytes(), kMOffset = F.quant_bytes() + F.scale_bytes();
  __m512 acc[C];
  unroll<C>([&](auto c) { acc[c] = _mm512_setzero_ps(); });
  const int8_t* aq = a.q + static_cast<size_t>(t0) * a.q_stride;
  const GemmSide* side = a.side + t0 * a.side_stride;
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int64_t sb = 0; sb < w.n_supers; ++sb) {
    const uint8_t* sp = w.super(sb);
    [[maybe_unused]] __m512 d_super, dmin_super;
    if constexpr (kSub) {
      d_super = _mm512_cvtph_ps(loadu256(sp));
      if constexpr (F.has_min) dmin_super = _mm512_cvtph_ps(loadu256(sp + 32));
    }
    for (int j = 0; j < F.per_super; ++j) {
      const int64_t b = sb * F.per_super + j;
      const uint8_t* wq = sp + F.header_bytes() + static_cast<size_t>(j) * F.block_bytes();
      const int8_t* ab = aq + b * F.block;
      __m512i dot[C];
      unroll<C>([&](auto c) { dot[c] = _mm512_set1_epi32(side[c * a.side_stride + b].corr); });
      auto group = [&](auto ss, __m512i q) SLM_LAMBDA_INLINE {  // quants 4s .. 4s + 3 of every row
        constexpr int s = decltype(ss)::value;
        unroll<C>([&](auto c) {
          dot[c] = _mm512_dpbusd_epi32(dot[c], q, _mm512_set1_epi32(load_i32(ab + c * a.q_stride + 4 * s)));
        });
      };
      if constexpr (F.quants == PanelQuants::kBytes) {
        unroll<F.block / 4>([&](auto ss) { group(ss, loadu512(wq + 64 * decltype(ss)::value)); });
      } else {
        // 5- and 6-bit quants: one vector of high bits per block (32 fifth bits or 16 pairs a lane)
        constexpr int kWidth = F.quants == PanelQuants::kFiveBits ? 1 : F.quants == PanelQuants::kSixBits ? 2 : 0;
        [[maybe_unused]] __m512i high;
        if constexpr (kWidth > 0) {
          static_assert(F.block * kWidth == 32);
          high = loadu512(wq + F.block / 8 * 64);
        }
        unroll<F.block / 8>([&](auto ss) {
          constexpr int s = decltype(ss)::value;
          const __m512i v = loadu512(wq + 64 * s);
          __m512i lo = _mm512_and_si512(v, low4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
          if constexpr (kWidth > 0) {
            lo = add_high_bits<kWidth, 2 * s>(lo, high);
            hi = add_high_bits<kWidth, 2 * s + 1>(hi, high);
          }
          group(std::integral_constant<int, 2 * s>{}, lo);
          group(std::integral_constant<int, 2 * s + 1>{}, hi);
        });
      }
      __m512 d;
      [[maybe_unused]] __m512 m;
      if constexpr (kSub) {  // d = d_super * scale, m = dmin * min (subtracted below)
        const __m128i sc = loadu128(wq + kDOffset);
        d = _mm512_mul_ps(d_super, _mm512_cvtepi32_ps(F.signed_scales ? _mm512_cvtepi8_epi32(sc) : _mm512_cvtepu8_epi32(sc)));
        if constexpr (F.has_min) m = _mm512_mul_ps(dmin_super, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(loadu128(wq + kMOffset))));
      } else if constexpr (F.scales == PanelScales::kHalf) {
        d = _mm512_cvtph_ps(loadu256(wq + kDOffset));
        if constexpr (F.has_min) m = _mm512_cvtph_ps(loadu256(wq + kMOffset));
      } else {
        d = _mm512_loadu_ps(wq + kDOffset);
        if constexpr (F.has_min) m = _mm512_loadu_ps(wq + kMOffset);
      }
      unroll<C>([&](auto c) {
        const __m512 scale = _mm512_mul_ps(d, _mm512_set1_ps(side[c * a.side_stride + b].d));
        acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[c]), scale, acc[c]);
      });
      if constexpr (F.has_min) {
        unroll<C>([&](auto c) {
          const __m512 sa = _mm512_set1_ps(side[c * a.side_stride + b].s);
          // fma(-(dmin * min), sa, acc) is -(dmin * min * sa) + acc rounded once: fnmadd
          acc[c] = kSub ? _mm512_fnmadd_ps(m, sa, acc[c]) : _mm512_fmadd_ps(m, sa, acc[c]);
        });
      }
    }
  }
  unroll<C>([&](auto c) { _mm512_mask_storeu_ps(y + (t0 + c) * y_stride, rows, acc[c]); });
}

template <PanelFormat F>
void tiles(const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride, __mmask16 rows) {
  int64_t t = 0;
  for (; t + 8 <= T; t += 8) tile<F, 8>(w, a, t, y, y_stride, rows);
  switch (T - t) {
    case 7: tile<F, 7>(w, a, t, y, y_stride, rows); break;
    case 6: tile<F, 6>(w, a, t, y, y_stride, rows); break;
    case 5: tile<F, 5>(w, a, t, y, y_stride, rows); break;
    case 4: tile<F, 4>(w, a, t, y, y_stride, rows); break;
    case 3: tile<F, 3>(w, a, t, y, y_stride, rows); break;
    case 2: tile<F, 2>(w, a, t, y, y_stride, rows); break;
    case 1: tile<F, 1>(w, a, t, y, y_stride, rows); break;
    default: break;
  }
}

void gemm_panel(const PanelFormat& f, const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride,
                int n_rows) {
  const auto rows = static_cast<__mmask16>((1u << n_rows) - 1);
  with_panel_format(f, [&]<PanelFormat F>() { tiles<F>(w, a, T, y, y_stride, rows); });
}

}  // namespace

void register_gemm(KernelTable& t) { t.gemm_panel = gemm_panel; }

}  // namespace slm::avx512
