// AVX-512 VNNI dot products for the legacy 32-weight block formats (q4_0, q4_1, q5_0, q5_1,
// q8_0 against q8_0 / q8_1 activations). Same results as kernels/ref/legacy_quants.cc up to the
// order of the float additions: each block's integer dot is exact, for any int8 activations
// (-128 included; the AVX2 kernels need |a| <= 127).
//
// Shapes. One block is one 256-bit register of 32 quants in element order (the 512-bit forms
// double the work per instruction but Zen 4 runs them at half rate, and a block is 32 bytes).
// The integer dot is one vpdpbusd (unsigned x signed bytes, four products straight into each
// int32 lane, no 16-bit intermediate):
//  - one row (vec_dot): weights as unsigned u with w = u - bias (bias 8 for q4_0, 16 for q5_0,
//    128 for q8_0 via u = q ^ 0x80, 0 for the _1 types): sum(w * a) = dpbusd(u, a) -
//    dpbusd(bias, a);
//  - four rows (vec_dot_x4): the signed weights w once per block, a + 128 = a ^ 0x80 per row:
//    sum(w * a) = dpbusd(-128 * sum(w), a ^ 0x80, w), the correction computed once per block.
// The 8 int32 lanes are converted to float and multiplied by d_w * d_a broadcast to all lanes,
// one fused multiply-add per block and row into one of two accumulators (even and odd blocks);
// the _1 types add m_w * s_a per block in a third vector.
//
// Blocks go four at a time. The f16 scales of a group are read with integer loads (shifted into
// one 64-bit word, or one 32-bit field per block) and converted with one vcvtph2ps; their
// products are formed with one multiplication (four rows: one 512-bit one for all sixteen).
// vec_dot keeps them in a register and broadcasts with a permute; vec_dot_x4 computes them one
// group ahead into a small buffer and reads them as broadcast memory operands of the FMAs (a
// read right behind the store would stall on store-to-load forwarding). A row's last 1..3
// blocks take the same path with fewer blocks (nothing past the row is read).
//
// out[k] of vec_dot_x4 equals vec_dot's result bit for bit, as kernels.h requires: per row both
// run the same IEEE operations in the same order (the same products, the same FMA into the same
// accumulator per block, the same final sums); only the integer dots are formed differently, and
// those are exact.
#include <array>
#include <cstddef>

#include "kernels/types.h"
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {
namespace {
using namespace detail;

// ---- unpacking one weight block ------------------------------------------------------------------

// The 32 4-bit quants of qs[16] as bytes in element order (low nibbles, then high nibbles).
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m256i b = _mm256_broadcastsi128_si256(loadu128(qs));
  return _mm256_and_si256(_mm256_mask_srli_epi16(b, 0xFF00u, b, 4), _mm256_set1_epi8(0x0F));
}
// Adds 16 to the bytes whose fifth bit (bit j of the little-endian 32-bit qh) is set.
inline __m256i add_fifth_bits(__m256i u, const uint8_t* qh) {
  return _mm256_mask_add_epi8(u, _cvtu32_mask32(load_u32(qh)), u, _mm256_set1_epi8(16));
}

// Per format: the block types, the bias (w = u - kBias), the unpacking to u (unsigned) and, for
// the signed formats, straight to w.
struct Q4_0 {
  using W = block_q4_0;
  using A = block_q8_0;
  static constexpr int kBias = 8;
  static __m256i unpack(const uint8_t* b) { return unpack_nibbles(b + offsetof(W, qs)); }
  static __m256i unpack_signed(const uint8_t* b) { return _mm256_sub_epi8(unpack(b), _mm256_set1_epi8(8)); }
};
struct Q4_1 {
  using W = block_q4_1;
  using A = block_q8_1;
  static constexpr int kBias = 0;
  static __m256i unpack(const uint8_t* b) { return unpack_nibbles(b + offsetof(W, qs)); }
};
struct Q5_0 {
  using W = block_q5_0;
  using A = block_q8_0;
  static constexpr int kBias = 16;
  static __m256i unpack(const uint8_t* b) {
    return add_fifth_bits(unpack_nibbles(b + offsetof(W, qs)), b + offsetof(W, qh));
  }
  // w = nibble - 16 where the fifth bit is clear, else the nibble: one masked subtraction
  static __m256i unpack_signed(const uint8_t* b) {
    const __m256i nib = unpack_nibbles(b + offsetof(W, qs));
    return _mm256_mask_sub_epi8(nib, _cvtu32_mask32(~load_u32(b + offsetof(W, qh))), nib, _mm256_set1_epi8(16));
  }
};
struct Q5_1 {
  using W = block_q5_1;
  using A = block_q8_1;
  static constexpr int kBias = 0;
  static __m256i unpack(const uint8_t* b) {
    return add_fifth_bits(unpack_nibbles(b + offsetof(W, qs)), b + offsetof(W, qh));
  }
};
struct Q8_0 {
  using W = block_q8_0;
  using A = block_q8_0;
  static constexpr int kBias = 128;
  static __m256i unpack_signed(const uint8_t* b) { return loadu256(b + offsetof(W, qs)); }
  static __m256i unpack(const uint8_t* b) {  // q + 128
    return _mm256_xor_si256(unpack_signed(b), _mm256_set1_epi8(static_cast<char>(0x80)));
  }
};

template <class F>
constexpr bool kHasMin = !std::is_same_v<typename F::A, block_q8_0>;

// ---- the integer dot of one block -------------------------------------------------------------
// Both forms are exact for any int8 activations, so either may serve any number of rows.

// One row: sum(w * a) = dpbusd(u, a) - dpbusd(bias, a).
template <int kBias>
inline __m256i dot_block(__m256i u, __m256i a) {
  const __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, a);
  if constexpr (kBias == 0) return s;
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(kBias));
  return _mm256_sub_epi32(s, _mm256_dpbusd_epi32(_mm256_setzero_si256(), bias, a));
}

// Several rows share the weights, so the correction moves to the weight side: with the signed
// weights w and a + 128 = a ^ 0x80 as the unsigned operand, sum((a + 128) * w) - 128 * sum(w).
struct SignedWeights {
  __m256i w;         // -128 .. 127
  __m256i neg_wsum;  // -128 * sum(w) per group of four bytes
};
inline SignedWeights signed_weights(__m256i w) {
  const __m256i wsum = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(static_cast<char>(0x80)), w);
  return {w, _mm256_sub_epi32(_mm256_setzero_si256(), wsum)};
}
inline __m256i dot_block(const SignedWeights& s, __m256i a) {
  return _mm256_dpbusd_epi32(s.neg_wsum, _mm256_xor_si256(a, _mm256_set1_epi8(static_cast<char>(0x80))), s.w);
}

// ---- f16 scales of four blocks ------------------------------------------------------------------

// The 16-bit fields at p + j * S for j < N (zero for j >= N, never read), packed into 64 bits.
template <size_t S, int N>
inline uint64_t gather4_u16(const uint8_t* p) {
  uint64_t v = 0;
  unroll<N>([&](auto j) { v |= static_cast<uint64_t>(load_u16(p + decltype(j)::value * S)) << (16 * decltype(j)::value); });
  return v;
}
// The 32-bit fields (d and m, or d and s: two f16) at p + j * S for j < N, as 128 bits.
template <size_t S, int N>
inline __m128i gather4_u32(const uint8_t* p) {
  __m128i v = _mm_cvtsi32_si128(static_cast<int>(load_u32(p)));  // vmovd, then vpinsrd from memory
  unroll<N - 1>([&](auto jj) {
    constexpr int j = decltype(jj)::value + 1;
    v = _mm_insert_epi32(v, static_cast<int>(load_u32(p + j * S)), j);
  });
  return v;
}

// ---- the kernel ---------------------------------------------------------------------------------

template <class F>
constexpr int kStep = kHasMin<F> ? 2 : 1;
// Blocks j >= N of a partial group contribute nothing to ms (their fields read as zero).
template <int N>
constexpr __mmask8 kMsLanes = 0xAA & ((1u << (2 * N)) - 1);

// ---- four activation rows (vec_dot_x4) --------------------------------------------------------

// Running sums of activation row r: acc[r][j % 2] takes block j of every group of four blocks;
// for the _1 types, ms[r] lanes 1, 3, 5, 7 take m_w * s_a of the group's blocks 0..3 (lanes 0,
// 2, 4, 6 stay 0). They are separate arrays so that the compiler keeps acc in registers.

// The scale products of blocks i .. i + N - 1 (N = 1..4; w at block i of the weight row, a[r]
// at block i of activation row r): d_w * d_a of block j for row r goes to scale[(4r + j) *
// kStep]; for the _1 types (kStep = 2) the odd entries hold m_w * s_a, which are also added to
// the rows' ms. Each product is one IEEE multiplication, the same as vec_dot's.
template <class F, int N>
SLM_ALWAYS_INLINE void group_scales(const uint8_t* w, const uint8_t* const* a, __m256* ms, float* scale) {
  using W = typename F::W;
  using A = typename F::A;
  constexpr size_t kW = sizeof(W), kA = sizeof(A);
  if constexpr (!kHasMin<F>) {
    const __m128 wd = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<int64_t>(gather4_u16<kW, N>(w + offsetof(W, d)))));
    // words 4r + j: d_a of block j, row r
    const __m256i ad = _mm256_set_epi64x(static_cast<int64_t>(gather4_u16<kA, N>(a[3] + offsetof(A, d))),
                                         static_cast<int64_t>(gather4_u16<kA, N>(a[2] + offsetof(A, d))),
                                         static_cast<int64_t>(gather4_u16<kA, N>(a[1] + offsetof(A, d))),
                                         static_cast<int64_t>(gather4_u16<kA, N>(a[0] + offsetof(A, d))));
    _mm512_store_ps(scale, _mm512_mul_ps(_mm512_broadcast_f32x4(wd), _mm512_cvtph_ps(ad)));
  } else {
    // f16 pairs 2j, 2j + 1: d and m (weights) or d and s (activations) of block j
    static_assert(offsetof(W, m) == offsetof(W, d) + 2 && offsetof(A, s) == offsetof(A, d) + 2);
    const __m512 w2 = _mm512_broadcast_f32x8(_mm256_cvtph_ps(gather4_u32<kW, N>(w + offsetof(W, d))));
    unroll<2>([&](auto hh) {  // rows 2h (lanes 0..7) and 2h + 1 (lanes 8..15)
      constexpr int h = decltype(hh)::value;
      // (the operands are named first: at -O0 the intrinsic is a macro, and a template's comma
      // inside its arguments would split them)
      const __m128i lo = gather4_u32<kA, N>(a[2 * h] + offsetof(A, d));
      const __m128i hi = gather4_u32<kA, N>(a[2 * h + 1] + offsetof(A, d));
      const __m256i ad = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
      const __m512 p = _mm512_mul_ps(w2, _mm512_cvtph_ps(ad));
      ms[2 * h] = _mm256_mask_add_ps(ms[2 * h], kMsLanes<N>, ms[2 * h], _mm512_castps512_ps256(p));
      ms[2 * h + 1] = _mm256_mask_add_ps(ms[2 * h + 1], kMsLanes<N>, ms[2 * h + 1], _mm512_extractf32x8_ps(p, 1));
      _mm512_store_ps(scale + 16 * h, p);
    });
  }
}

// The dots of blocks i .. i + N - 1 (pointers as above) with their scale products: per block and
// row, the integer dot (8 int32 lanes), converted to float, times the broadcast d_w * d_a, into
// acc[r][j % 2]. The products are read as broadcast loads folded into the FMA.
template <class F, int N>
SLM_ALWAYS_INLINE void group_dots(const uint8_t* w, const uint8_t* const* a, __m256 (*acc)[2], const float* scale) {
  using A = typename F::A;
  constexpr size_t kW = sizeof(typename F::W), kA = sizeof(A);
  unroll<N>([&](auto jj) {
    constexpr int j = decltype(jj)::value;
    auto row = [&](auto rr, __m256i s) SLM_LAMBDA_INLINE {
      constexpr int r = decltype(rr)::value;
      const __m256 d = _mm256_broadcast_ss(scale + (4 * r + j) * kStep<F>);
      acc[r][j % 2] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, acc[r][j % 2]);
    };
    if constexpr (F::kBias == 0) {
      const __m256i u = F::unpack(w + j * kW);
      unroll<4>([&](auto rr) { row(rr, dot_block<0>(u, loadu256(a[rr] + j * kA + offsetof(A, qs)))); });
    } else {
      const SignedWeights sw = signed_weights(F::unpack_signed(w + j * kW));
      unroll<4>([&](auto rr) { row(rr, dot_block(sw, loadu256(a[rr] + j * kA + offsetof(A, qs)))); });
    }
  });
}

// out[r] = w . (a + r * a_stride) for r < 4.
//
// The scale products of each group of four blocks are computed one group ahead and kept in
// memory: the FMAs then load them long after the stores, where a load right behind its store
// would stall on store-to-load forwarding (a 64-byte store read back as 4-byte broadcasts), and
// keeping them in registers would cost a permute per block and row.
template <class F>
SLM_ALWAYS_INLINE void dot_rows4(int64_t n, const void* wv, const void* av, size_t a_stride, float* out) {
  constexpr int R = 4;
  using W = typename F::W;
  using A = typename F::A;
  constexpr size_t kW = sizeof(W), kA = sizeof(A);
  const auto* w0 = static_cast<const uint8_t*>(wv);
  const uint8_t* a0[R];
  __m256 acc[R][2], ms[R];
  unroll<R>([&](auto r) {
    a0[r] = static_cast<const uint8_t*>(av) + r * a_stride;
    acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    ms[r] = _mm256_setzero_ps();
  });
  const int64_t nb = n / QK;
  alignas(64) float scale[2][4 * R * kStep<F>];
  auto at = [&](const uint8_t* const* base, int64_t i, const uint8_t** p) SLM_LAMBDA_INLINE {
    unroll<R>([&](auto r) { p[r] = base[r] + i * kA; });
  };
  auto tail_scales = [&](int64_t i, float* dst) SLM_LAMBDA_INLINE {  // the last, partial group
    const uint8_t* a[R];
    at(a0, i, a);
    switch (nb - i) {
      case 1: group_scales<F, 1>(w0 + i * kW, a, ms, dst); break;
      case 2: group_scales<F, 2>(w0 + i * kW, a, ms, dst); break;
      default: group_scales<F, 3>(w0 + i * kW, a, ms, dst); break;
    }
  };
  auto scales = [&](int64_t i, float* dst) SLM_LAMBDA_INLINE {  // of the group at block i
    const uint8_t* a[R];
    at(a0, i, a);
    if (nb - i >= 4) return group_scales<F, 4>(w0 + i * kW, a, ms, dst);  // inline: the common case
    tail_scales(i, dst);
  };
  if (nb > 0) scales(0, scale[0]);
  int64_t i = 0;
  int cur = 0;
  for (; i + 4 <= nb; i += 4, cur ^= 1) {
    if (i + 4 < nb) scales(i + 4, scale[cur ^ 1]);
    const uint8_t* a[R];
    at(a0, i, a);
    group_dots<F, 4>(w0 + i * kW, a, acc, scale[cur]);
  }
  const float* sp = scale[cur];
  const uint8_t* a[R];
  at(a0, i, a);
  switch (nb - i) {
    case 3: group_dots<F, 3>(w0 + i * kW, a, acc, sp); break;
    case 2: group_dots<F, 2>(w0 + i * kW, a, acc, sp); break;
    case 1: group_dots<F, 1>(w0 + i * kW, a, acc, sp); break;
    default: break;
  }
  unroll<R>([&](auto r) {
    const __m256 sum = _mm256_add_ps(acc[r][0], acc[r][1]);
    out[r] = hsum(kHasMin<F> ? _mm256_add_ps(sum, ms[r]) : sum);
  });
}

// ---- one activation row (vec_dot) --------------------------------------------------------------

// The same arithmetic as dot_rows4 for one row, without its pipelining. Rows are short in practice (a 576-wide model has 18 blocks per row), so the
// products stay in a register and are broadcast with a permute: no stack buffer, no store.
template <class F, int N>
SLM_ALWAYS_INLINE void group1(const uint8_t* w, const uint8_t* a, __m256* acc, __m256& ms) {
  using W = typename F::W;
  using A = typename F::A;
  constexpr size_t kW = sizeof(W), kA = sizeof(A);
  __m256 sv;  // lane j * kStep: d_w * d_a of block j; for the _1 types lane 2j + 1: m_w * s_a
  if constexpr (!kHasMin<F>) {
    const __m128 wd = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<int64_t>(gather4_u16<kW, N>(w + offsetof(W, d)))));
    const __m128 ad = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<int64_t>(gather4_u16<kA, N>(a + offsetof(A, d)))));
    sv = _mm256_castps128_ps256(_mm_mul_ps(wd, ad));
  } else {
    sv = _mm256_mul_ps(_mm256_cvtph_ps(gather4_u32<kW, N>(w + offsetof(W, d))),
                       _mm256_cvtph_ps(gather4_u32<kA, N>(a + offsetof(A, d))));
    ms = _mm256_mask_add_ps(ms, kMsLanes<N>, ms, sv);
  }
  unroll<N>([&](auto jj) {
    constexpr int j = decltype(jj)::value;
    const __m256i s = dot_block<F::kBias>(F::unpack(w + j * kW), loadu256(a + j * kA + offsetof(A, qs)));
    const __m256 d = _mm256_permutexvar_ps(_mm256_set1_epi32(j * kStep<F>), sv);
    acc[j % 2] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, acc[j % 2]);
  });
}

template <class F>
SLM_ALWAYS_INLINE float dot_row1(int64_t n, const uint8_t* w, const uint8_t* a) {
  constexpr size_t kW = sizeof(typename F::W), kA = sizeof(typename F::A);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, ms = _mm256_setzero_ps();
  const int64_t nb = n / QK;
  int64_t i = 0;
  for (; i + 4 <= nb; i += 4) group1<F, 4>(w + i * kW, a + i * kA, acc, ms);
  switch (nb - i) {
    case 3: group1<F, 3>(w + i * kW, a + i * kA, acc, ms); break;
    case 2: group1<F, 2>(w + i * kW, a + i * kA, acc, ms); break;
    case 1: group1<F, 1>(w + i * kW, a + i * kA, acc, ms); break;
    default: break;
  }
  const __m256 sum = _mm256_add_ps(acc[0], acc[1]);
  return hsum(kHasMin<F> ? _mm256_add_ps(sum, ms) : sum);
}

template <class F>
float vec_dot(int64_t n, const void* w, const void* a) {
  return dot_row1<F>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a));
}

template <class F>
void vec_dot_x4(int64_t n, const void* w, const void* a, size_t a_stride, float* out) {
  dot_rows4<F>(n, w, a, a_stride, out);
}

}  // namespace

void register_legacy(KernelTable& t) {
  auto set = [&](TensorType type, VecDotFn dot, VecDotX4Fn dot4) {
    t.types[static_cast<size_t>(type)].vec_dot = dot;
    t.types[static_cast<size_t>(type)].vec_dot_x4 = dot4;
  };
  set(TensorType::Q4_0, vec_dot<Q4_0>, vec_dot_x4<Q4_0>);
  set(TensorType::Q4_1, vec_dot<Q4_1>, vec_dot_x4<Q4_1>);
  set(TensorType::Q5_0, vec_dot<Q5_0>, vec_dot_x4<Q5_0>);
  set(TensorType::Q5_1, vec_dot<Q5_1>, vec_dot_x4<Q5_1>);
  set(TensorType::Q8_0, vec_dot<Q8_0>, vec_dot_x4<Q8_0>);
}

}  // namespace slm::avx512
