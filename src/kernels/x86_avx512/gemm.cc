// AVX-512 VNNI product of a packed weight panel (16 rows, kernels/panel.h) and a batch of tokens.
// Same IEEE operations as kernels/ref/gemm.cc, lane r of every vector being weight row r.
//
// Tile: the 16 rows times C <= 8 tokens. Per block, C int32 vectors start at the tokens' corr
// (-bias * sum(a)); each 64-byte load of the panel (four quants of every row) feeds C vpdpbusd,
// each with four bytes of one token broadcast to all lanes from memory. Then per token one
// conversion, one multiplication (row scales times the token's scale) and one FMA into its float
// accumulator (and one more FMA for m * sa). Registers: C int32 + C float accumulators + the
// weights and scales: 8 tokens use 19 of the 32. Resident panels add two masks per 64-byte load
// (nibbles: the low and high halves are the quants of two groups) and read binary16 scales with
// one vcvtph2ps.
#include "kernels/unaligned.h"
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {
namespace {
using namespace detail;

template <int kBlock, bool kMin, bool kNib, bool kHalf, int C>
void tile(const PanelView& w, const GemmActs& a, int64_t t0, float* y, int64_t y_stride, __mmask16 rows) {
  __m512 acc[C];
  unroll<C>([&](auto c) { acc[c] = _mm512_setzero_ps(); });
  const int8_t* aq = a.q + static_cast<size_t>(t0) * a.q_stride;
  const GemmSide* side = a.side + t0 * a.side_stride;
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int64_t b = 0; b < w.n_blocks; ++b) {
    const uint8_t* wq = w.q(b);  // [B/4][16][4], or [B/8][16][4] with nibbles
    const int8_t* ab = aq + b * kBlock;
    __m512i dot[C];
    unroll<C>([&](auto c) { dot[c] = _mm512_set1_epi32(side[c * a.side_stride + b].corr); });
    auto group = [&](auto ss, __m512i q) SLM_LAMBDA_INLINE {  // quants 4s .. 4s + 3 of every row
      constexpr int s = decltype(ss)::value;
      unroll<C>([&](auto c) {
        dot[c] = _mm512_dpbusd_epi32(dot[c], q, _mm512_set1_epi32(load_i32(ab + c * a.q_stride + 4 * s)));
      });
    };
    if constexpr (kNib) {
      unroll<kBlock / 8>([&](auto ss) {
        constexpr int s = decltype(ss)::value;
        const __m512i v = _mm512_loadu_si512(wq + 64 * s);
        group(std::integral_constant<int, 2 * s>{}, _mm512_and_si512(v, low4));
        group(std::integral_constant<int, 2 * s + 1>{}, _mm512_and_si512(_mm512_srli_epi16(v, 4), low4));
      });
    } else {
      unroll<kBlock / 4>([&](auto ss) { group(ss, _mm512_loadu_si512(wq + 64 * decltype(ss)::value)); });
    }
    __m512 d;
    [[maybe_unused]] __m512 m;
    if constexpr (kHalf) {
      d = _mm512_cvtph_ps(loadu256(w.d(b)));
      if constexpr (kMin) m = _mm512_cvtph_ps(loadu256(w.m(b)));
    } else {
      d = _mm512_loadu_ps(w.d(b));
      if constexpr (kMin) m = _mm512_loadu_ps(w.m(b));
    }
    unroll<C>([&](auto c) {
      const __m512 scale = _mm512_mul_ps(d, _mm512_set1_ps(side[c * a.side_stride + b].d));
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[c]), scale, acc[c]);
    });
    if constexpr (kMin) {
      unroll<C>([&](auto c) { acc[c] = _mm512_fmadd_ps(m, _mm512_set1_ps(side[c * a.side_stride + b].s), acc[c]); });
    }
  }
  unroll<C>([&](auto c) { _mm512_mask_storeu_ps(y + (t0 + c) * y_stride, rows, acc[c]); });
}

template <int kBlock, bool kMin, bool kNib = false, bool kHalf = false>
void tiles(const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride, __mmask16 rows) {
  int64_t t = 0;
  for (; t + 8 <= T; t += 8) tile<kBlock, kMin, kNib, kHalf, 8>(w, a, t, y, y_stride, rows);
  switch (T - t) {
    case 7: tile<kBlock, kMin, kNib, kHalf, 7>(w, a, t, y, y_stride, rows); break;
    case 6: tile<kBlock, kMin, kNib, kHalf, 6>(w, a, t, y, y_stride, rows); break;
    case 5: tile<kBlock, kMin, kNib, kHalf, 5>(w, a, t, y, y_stride, rows); break;
    case 4: tile<kBlock, kMin, kNib, kHalf, 4>(w, a, t, y, y_stride, rows); break;
    case 3: tile<kBlock, kMin, kNib, kHalf, 3>(w, a, t, y, y_stride, rows); break;
    case 2: tile<kBlock, kMin, kNib, kHalf, 2>(w, a, t, y, y_stride, rows); break;
    case 1: tile<kBlock, kMin, kNib, kHalf, 1>(w, a, t, y, y_stride, rows); break;
    default: break;
  }
}

void gemm_panel(const PanelFormat& f, const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride,
                int n_rows) {
  const auto rows = static_cast<__mmask16>((1u << n_rows) - 1);
  if (f.half_scales) {  // the resident formats (32-element blocks)
    if (!f.nibbles) tiles<32, false, false, true>(w, a, T, y, y_stride, rows);
    else if (f.has_min) tiles<32, true, true, true>(w, a, T, y, y_stride, rows);
    else tiles<32, false, true, true>(w, a, T, y, y_stride, rows);
  } else if (f.block == 16) {
    if (f.has_min) tiles<16, true>(w, a, T, y, y_stride, rows);
    else tiles<16, false>(w, a, T, y, y_stride, rows);
  } else {
    if (f.has_min) tiles<32, true>(w, a, T, y, y_stride, rows);
    else tiles<32, false>(w, a, T, y, y_stride, rows);
  }
}

}  // namespace

void register_gemm(KernelTable& t) { t.gemm_panel = gemm_panel; }

}  // namespace slm::avx512
