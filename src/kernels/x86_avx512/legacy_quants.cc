// AVX-512 VNNI dot products for the legacy 32-weight block formats (q4_0, q4_1, q5_0, q5_1,
// q8_0 against q8_0 / q8_1 activations). Same results as kernels/ref/legacy_quants.cc up to the
// order of the float additions: each block's integer dot is exact.
//
// Shapes. Two consecutive blocks fill one 512-bit register, in element order: bytes 0..31 are
// block i's 32 quants, bytes 32..63 block i + 1's. Weights are unpacked to unsigned bytes u with
// w = u - bias (bias 8 for q4_0, 16 for q5_0, 128 for q8_0 via u = q ^ 0x80, 0 for the _1
// types), so that vpdpbusd (unsigned x signed) gives sum(u * a), and
//   sum(w * a) = dpbusd(u, a) - dpbusd(bias, a)
// exactly for any int8 activations (-128 included); there is no 16-bit intermediate to saturate.
// The 16 int32 lanes of a pair hold 8 partial sums per block; they are converted to float and
// multiplied by a scale vector holding d_w * d_a of block i in lanes 0..7 and of block i + 1 in
// lanes 8..15 (one fused multiply-add per pair into a float accumulator).
//
// Blocks go four at a time (two pairs, two accumulators); the f16 scales of the four blocks are
// gathered into one vector and converted with one instruction. A row's last 1..3 blocks take the
// same path with the missing blocks as zeros (never read).
//
// vec_dot (one activation row) and vec_dot_x4 (four) are one template: per row, the float
// operations and their order are the same whatever the number of rows (the x4 version only
// batches the f16 conversions and scale products, lane for lane), so out[k] of vec_dot_x4 equals
// vec_dot's result bit for bit, as kernels.h requires.
#include <cstddef>

#include "kernels/types.h"
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {
namespace {
using namespace detail;

// ---- unpacking a pair of weight blocks ----------------------------------------------------------

// The 32 4-bit quants of each of two blocks (qs0, and qs1 when kTwo; else zeros) as bytes in
// element order: 128-bit lanes hold qs0 low nibbles, qs0 high nibbles, qs1 low, qs1 high.
template <bool kTwo>
inline __m512i nibbles_pair(const uint8_t* qs0, const uint8_t* qs1) {
  const __m256i b0 = _mm256_broadcastsi128_si256(loadu128(qs0));
  const __m256i b1 = kTwo ? _mm256_broadcastsi128_si256(loadu128(qs1)) : _mm256_setzero_si256();
  __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(b0), b1, 1);
  z = _mm512_mask_srli_epi16(z, 0xFF00FF00u, z, 4);  // words 8..15 and 24..31: lanes 1 and 3
  return _mm512_and_si512(z, _mm512_set1_epi8(0x0F));
}

// Adds 16 to each byte whose fifth bit (bit j of the block's 32-bit qh) is set.
template <bool kTwo>
inline __m512i add_fifth_bits(__m512i u, const uint8_t* qh0, const uint8_t* qh1) {
  uint64_t bits = load_u32(qh0);
  if constexpr (kTwo) bits |= static_cast<uint64_t>(load_u32(qh1)) << 32;
  return _mm512_mask_add_epi8(u, _cvtu64_mask64(bits), u, _mm512_set1_epi8(16));
}

// Per format: the block types, the bias and the pair unpacking (b0, and b1 when kTwo).
struct Q4_0 {
  using W = block_q4_0;
  using A = block_q8_0;
  static constexpr int kBias = 8;
  template <bool kTwo>
  static __m512i unpack(const uint8_t* b0, const uint8_t* b1) {
    return nibbles_pair<kTwo>(b0 + offsetof(W, qs), b1 + offsetof(W, qs));
  }
};
struct Q4_1 {
  using W = block_q4_1;
  using A = block_q8_1;
  static constexpr int kBias = 0;
  template <bool kTwo>
  static __m512i unpack(const uint8_t* b0, const uint8_t* b1) {
    return nibbles_pair<kTwo>(b0 + offsetof(W, qs), b1 + offsetof(W, qs));
  }
};
struct Q5_0 {
  using W = block_q5_0;
  using A = block_q8_0;
  static constexpr int kBias = 16;
  template <bool kTwo>
  static __m512i unpack(const uint8_t* b0, const uint8_t* b1) {
    return add_fifth_bits<kTwo>(nibbles_pair<kTwo>(b0 + offsetof(W, qs), b1 + offsetof(W, qs)), b0 + offsetof(W, qh),
                                b1 + offsetof(W, qh));
  }
};
struct Q5_1 {
  using W = block_q5_1;
  using A = block_q8_1;
  static constexpr int kBias = 0;
  template <bool kTwo>
  static __m512i unpack(const uint8_t* b0, const uint8_t* b1) {
    return add_fifth_bits<kTwo>(nibbles_pair<kTwo>(b0 + offsetof(W, qs), b1 + offsetof(W, qs)), b0 + offsetof(W, qh),
                                b1 + offsetof(W, qh));
  }
};
struct Q8_0 {
  using W = block_q8_0;
  using A = block_q8_0;
  static constexpr int kBias = 128;
  template <bool kTwo>
  static __m512i unpack(const uint8_t* b0, const uint8_t* b1) {
    const __m512i lo = _mm512_castsi256_si512(loadu256(b0 + offsetof(W, qs)));
    const __m512i q = _mm512_inserti64x4(lo, kTwo ? loadu256(b1 + offsetof(W, qs)) : _mm256_setzero_si256(), 1);
    return _mm512_xor_si512(q, _mm512_set1_epi8(static_cast<char>(0x80)));  // q + 128; zeros stay harmless
  }
};

template <class F>
constexpr bool kHasMin = !std::is_same_v<typename F::A, block_q8_0>;

// ---- activations and the integer dot ---------------------------------------------------------------

// The quants of activation blocks (qs0, and qs1 when kTwo) as one register.
template <bool kTwo>
inline __m512i act_pair(const uint8_t* qs0, const uint8_t* qs1) {
  const __m512i lo = _mm512_castsi256_si512(loadu256(qs0));
  return _mm512_inserti64x4(lo, kTwo ? loadu256(qs1) : _mm256_setzero_si256(), 1);
}

// sum(w * a) per group of four bytes, w = u - kBias: exact.
template <int kBias>
inline __m512i dot_pair(__m512i u, __m512i a) {
  const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, a);
  if constexpr (kBias == 0) return s;
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(kBias));
  return _mm512_sub_epi32(s, _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, a));
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
  uint64_t v[2] = {0, 0};
  unroll<N>([&](auto jj) {
    constexpr int j = decltype(jj)::value;
    v[j / 2] |= static_cast<uint64_t>(load_u32(p + j * S)) << (32 * (j % 2));
  });
  return _mm_set_epi64x(static_cast<int64_t>(v[1]), static_cast<int64_t>(v[0]));
}

// Index vector selecting float lane i for lanes 0..7 and lane j for lanes 8..15.
inline __m512i pick2(int i, int j) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(i)), _mm256_set1_epi32(j), 1);
}

// ---- the kernel ---------------------------------------------------------------------------------

// Running sums of one activation row: acc[p] takes pair p of every group of four blocks; for the
// _1 types, ms lanes 1, 3, 5, 7 take m_w * s_a of the group's blocks 0..3 (lanes 0, 2, 4, 6 stay 0).
struct RowAcc {
  __m512 acc[2];
  __m256 ms;
};

// Blocks i .. i + N - 1 (N = 1..4) of the weight row (w at block i) against R activation rows
// (a[r] at block i).
template <class F, int R, int N>
inline void group(const uint8_t* w, const uint8_t* const* a, RowAcc* acc) {
  using W = typename F::W;
  using A = typename F::A;
  constexpr size_t kW = sizeof(W), kA = sizeof(A);
  constexpr int kPairs = (N + 1) / 2;
  __m512i u[2];
  u[0] = F::template unpack<(N >= 2)>(w, w + kW);
  if constexpr (N >= 3) u[1] = F::template unpack<(N == 4)>(w + 2 * kW, w + 3 * kW);

  // sv[r][p]: the scale vector of pair p for row r (d_w * d_a, one product per block).
  __m512 sv[R][2];
  if constexpr (!kHasMin<F>) {
    const __m128 wd = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<int64_t>(gather4_u16<kW, N>(w + offsetof(W, d)))));
    if constexpr (R == 1) {
      const __m128 ad = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<int64_t>(gather4_u16<kA, N>(a[0] + offsetof(A, d)))));
      const __m512 p = _mm512_castps128_ps512(_mm_mul_ps(wd, ad));
      for (int q = 0; q < kPairs; ++q) sv[0][q] = _mm512_permutexvar_ps(pick2(2 * q, 2 * q + 1), p);
    } else {
      static_assert(R == 4);
      // lanes 4r + j: block j of row r
      const __m256i ad16 = _mm256_set_epi64x(
          static_cast<int64_t>(gather4_u16<kA, N>(a[3] + offsetof(A, d))),
          static_cast<int64_t>(gather4_u16<kA, N>(a[2] + offsetof(A, d))),
          static_cast<int64_t>(gather4_u16<kA, N>(a[1] + offsetof(A, d))),
          static_cast<int64_t>(gather4_u16<kA, N>(a[0] + offsetof(A, d))));
      const __m512 p = _mm512_mul_ps(_mm512_broadcast_f32x4(wd), _mm512_cvtph_ps(ad16));
      for (int r = 0; r < 4; ++r)
        for (int q = 0; q < kPairs; ++q) sv[r][q] = _mm512_permutexvar_ps(pick2(4 * r + 2 * q, 4 * r + 2 * q + 1), p);
    }
  } else {
    // lanes 2j, 2j + 1: d and m (weights) or d and s (activations) of block j
    static_assert(offsetof(W, m) == offsetof(W, d) + 2 && offsetof(A, s) == offsetof(A, d) + 2);
    const __m256 wdm = _mm256_cvtph_ps(gather4_u32<kW, N>(w + offsetof(W, d)));
    if constexpr (R == 1) {
      const __m256 p = _mm256_mul_ps(wdm, _mm256_cvtph_ps(gather4_u32<kA, N>(a[0] + offsetof(A, d))));
      acc[0].ms = _mm256_mask_add_ps(acc[0].ms, 0xAA, acc[0].ms, p);
      const __m512 p512 = _mm512_castps256_ps512(p);
      for (int q = 0; q < kPairs; ++q) sv[0][q] = _mm512_permutexvar_ps(pick2(4 * q, 4 * q + 2), p512);
    } else {
      static_assert(R == 4);
      const __m512 w2 = _mm512_broadcast_f32x8(wdm);
      for (int h = 0; h < 2; ++h) {  // rows 2h (lanes 0..7) and 2h + 1 (lanes 8..15)
        const __m256i ad = _mm256_inserti128_si256(_mm256_castsi128_si256(gather4_u32<kA, N>(a[2 * h] + offsetof(A, d))),
                                                   gather4_u32<kA, N>(a[2 * h + 1] + offsetof(A, d)), 1);
        const __m512 p = _mm512_mul_ps(w2, _mm512_cvtph_ps(ad));
        for (int k = 0; k < 2; ++k) {
          const __m256 pk = k == 0 ? _mm512_castps512_ps256(p) : _mm512_extractf32x8_ps(p, 1);
          acc[2 * h + k].ms = _mm256_mask_add_ps(acc[2 * h + k].ms, 0xAA, acc[2 * h + k].ms, pk);
          for (int q = 0; q < kPairs; ++q)
            sv[2 * h + k][q] = _mm512_permutexvar_ps(pick2(8 * k + 4 * q, 8 * k + 4 * q + 2), p);
        }
      }
    }
  }

  for (int r = 0; r < R; ++r) {
    const uint8_t* qs = a[r] + offsetof(A, qs);
    unroll<kPairs>([&](auto qq) {
      constexpr int q = decltype(qq)::value;
      constexpr bool two = 2 * q + 1 < N;
      const __m512i x = act_pair<two>(qs + 2 * q * kA, qs + (2 * q + 1) * kA);
      const __m512i s = dot_pair<F::kBias>(u[q], x);
      acc[r].acc[q] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sv[r][q], acc[r].acc[q]);
    });
  }
}

// out[r] = w . (a + r * a_stride) for r < R.
template <class F, int R>
inline void dot_rows(int64_t n, const void* wv, const void* av, size_t a_stride, float* out) {
  using W = typename F::W;
  using A = typename F::A;
  const auto* w = static_cast<const uint8_t*>(wv);
  const uint8_t* a[R];
  RowAcc acc[R];
  for (int r = 0; r < R; ++r) {
    a[r] = static_cast<const uint8_t*>(av) + r * a_stride;
    acc[r].acc[0] = acc[r].acc[1] = _mm512_setzero_ps();
    acc[r].ms = _mm256_setzero_ps();
  }
  const int64_t nb = n / QK;
  int64_t i = 0;
  for (; i + 4 <= nb; i += 4) {
    group<F, R, 4>(w, a, acc);
    w += 4 * sizeof(W);
    for (int r = 0; r < R; ++r) a[r] += 4 * sizeof(A);
  }
  switch (nb - i) {
    case 3: group<F, R, 3>(w, a, acc); break;
    case 2: group<F, R, 2>(w, a, acc); break;
    case 1: group<F, R, 1>(w, a, acc); break;
    default: break;
  }
  for (int r = 0; r < R; ++r) {
    out[r] = hsum(_mm512_add_ps(acc[r].acc[0], acc[r].acc[1]));
    if constexpr (kHasMin<F>) out[r] += hsum(acc[r].ms);
  }
}

template <class F>
float vec_dot(int64_t n, const void* w, const void* a) {
  float out;
  dot_rows<F, 1>(n, w, a, 0, &out);
  return out;
}

template <class F>
void vec_dot_x4(int64_t n, const void* w, const void* a, size_t a_stride, float* out) {
  dot_rows<F, 4>(n, w, a, a_stride, out);
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
