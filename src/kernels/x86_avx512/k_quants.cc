// AVX-512 VNNI dot products for q4_K, q5_K and q6_K against q8_K activations (bit layouts in
// kernels/ref/k_quants.cc). Same results as the reference up to the order of float additions:
// every integer sum is exact.
//
// A super-block of 256 weights is four 512-bit registers of 64 quants, unpacked to unsigned
// bytes u (q6_K: u = q + 32), each lined up with 64 contiguous activation quants. Per register:
//   p = vpdpbusd(0, u, a)          16 int32 lanes, each the sum of 4 products, |p| <= 4*63*128
//   sumi = vpdpwssd(sumi, p, S)    + p * sub-block scale, lane by lane
// vpdpwssd multiplies int16 pairs: p fits in int16 (its high half is its sign), and S holds the
// scale in its low half and 0 in its high half, so the high halves contribute nothing and the
// product is exact. q4_K/q5_K have one scale per 32 weights (8 lanes), q6_K one per 16 (4 lanes).
// The per-super-block terms use the activation's 16-wide sums (bsums): q4_K/q5_K subtract
// dmin * sum(min_s * bsum_s) through a second float accumulator, q6_K takes 32 * sum(scale_s *
// bsum_s) off its integer sum (the +32 bias of u).
//
// Each kernel is a template over NR (1 or 4 activation rows): the weight super-block is unpacked
// once for all rows, and each row's float operations are the same whatever NR is, so vec_dot_x4's
// out[k] equals vec_dot's result bit for bit.
#include <cassert>
#include <cstddef>

#include "kernels/types.h"
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {
namespace {
using namespace detail;

constexpr size_t kQ8d = offsetof(block_q8_K, d);
constexpr size_t kQ8qs = offsetof(block_q8_K, qs);
constexpr size_t kQ8bsums = offsetof(block_q8_K, bsums);

// q4_K/q5_K: 8 scales and 8 mins of 6 bits from 12 bytes, as 16 bytes (scales, then mins).
inline __m128i unpack_k4_scales(const uint8_t* s) {
  const uint32_t w0 = load_u32(s), w1 = load_u32(s + 4), w2 = load_u32(s + 8);
  const uint32_t sc_lo = w0 & 0x3f3f3f3fu;
  const uint32_t mn_lo = w1 & 0x3f3f3f3fu;
  const uint32_t sc_hi = (w2 & 0x0f0f0f0fu) | (((w0 >> 6) & 0x03030303u) << 4);
  const uint32_t mn_hi = ((w2 >> 4) & 0x0f0f0f0fu) | (((w1 >> 6) & 0x03030303u) << 4);
  return _mm_set_epi32(static_cast<int>(mn_hi), static_cast<int>(mn_lo), static_cast<int>(sc_hi),
                       static_cast<int>(sc_lo));
}

// 32 bytes at p in both halves of a register.
inline __m512i broadcast256(const uint8_t* p) { return _mm512_broadcast_i64x4(loadu256(p)); }

// Index vector: lanes 0..7 pick lane i, lanes 8..15 lane j.
inline __m512i pick2(int i, int j) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(i)), _mm256_set1_epi32(j), 1);
}

// u = A | (B & C), bytewise (vpternlogd truth table 0xF8).
inline __m512i or_and(__m512i a, __m512i b, __m512i c) { return _mm512_ternarylogic_epi32(a, b, c, 0xF8); }

// The low nibbles of 32 bytes at p in lanes 0..31 and their high nibbles in lanes 32..63.
inline __m512i nibbles_lo_hi(const uint8_t* p) {
  const __m512i b = broadcast256(p);
  return _mm512_and_si512(_mm512_mask_srli_epi16(b, 0xFFFF0000u, b, 4), _mm512_set1_epi8(0x0F));
}

// q4_K and q5_K share everything but the unpacking of chunk c (weights 64c .. 64c + 63):
// kFifth adds q5_K's high bits. Each row's integer sum runs in two chains (even and odd chunks)
// so that the dependent vpdpwssd latencies overlap.
template <bool kFifth, int NR>
inline void dot_q45_K(int64_t n, const uint8_t* wb, const uint8_t* ab, size_t a_stride, float* out) {
  assert(n % QK_K == 0);
  using B = std::conditional_t<kFifth, block_q5_K, block_q4_K>;
  __m512 acc[NR];
  __m256 acc_min[NR];
  unroll<NR>([&](auto r) {
    acc[r] = _mm512_setzero_ps();
    acc_min[r] = _mm256_setzero_ps();
  });
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const uint8_t* x = wb + i * sizeof(B);
    const float xd = load_f16(x + offsetof(B, d));
    const float xdmin = load_f16(x + offsetof(B, dmin));
    const __m128i sm8 = unpack_k4_scales(x + offsetof(B, scales));
    const __m512i sm32 = _mm512_cvtepu8_epi32(sm8);  // lanes 0..7 scales, 8..15 mins: < 64
    // mins as words m0 m0 m1 m1 .. m7 m7, to pair with the 16 bsums
    const __m256i mins16 = _mm256_cvtepu8_epi16(
        _mm_shuffle_epi8(sm8, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15)));
    float d[NR];
    const uint8_t* q8[NR];
    __m512i sumi[NR][2];
    unroll<NR>([&](auto r) {
      const uint8_t* y = ab + r * a_stride + i * sizeof(block_q8_K);
      const float dy = load_f32(y + kQ8d);
      d[r] = xd * dy;
      const float dmin = xdmin * dy;
      const __m256i min_prod = _mm256_madd_epi16(mins16, loadu256(y + kQ8bsums));  // min_s * bsum32_s
      acc_min[r] = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(min_prod), acc_min[r]);
      sumi[r][0] = sumi[r][1] = _mm512_setzero_si512();
      q8[r] = y + kQ8qs;
    });
    [[maybe_unused]] __m512i qh;
    if constexpr (kFifth) {
      // bit 2c of qh[j] in the low half, bit 2c + 1 moved down to bit 2c in the high half
      const __m512i h = broadcast256(x + offsetof(block_q5_K, qh));
      qh = _mm512_mask_srli_epi16(h, 0xFFFF0000u, h, 1);
    }
    const uint8_t* qs = x + offsetof(B, qs);
    unroll<4>([&](auto cc) {
      constexpr int c = decltype(cc)::value;
      __m512i u = nibbles_lo_hi(qs + 32 * c);
      if constexpr (kFifth) {
        // bring bit 2c to bit 4 (16-bit shifts: the bits taken never cross a byte)
        __m512i hb = qh;
        if constexpr (c < 2) hb = _mm512_slli_epi16(qh, 4 - 2 * c);
        if constexpr (c == 3) hb = _mm512_srli_epi16(qh, 2);
        u = or_and(u, hb, _mm512_set1_epi8(0x10));
      }
      const __m512i sc = _mm512_permutexvar_epi32(pick2(2 * c, 2 * c + 1), sm32);
      unroll<NR>([&](auto r) {
        const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, loadu512(q8[r] + 64 * c));
        sumi[r][c % 2] = _mm512_dpwssd_epi32(sumi[r][c % 2], p, sc);
      });
    });
    unroll<NR>([&](auto r) {
      const __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[r][0], sumi[r][1]));
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(d[r]), f, acc[r]);
    });
  }
  unroll<NR>([&](auto r) { out[r] = hsum(acc[r]) - hsum(acc_min[r]); });
}

template <int NR>
inline void dot_q6_K(int64_t n, const uint8_t* wb, const uint8_t* ab, size_t a_stride, float* out) {
  assert(n % QK_K == 0);
  __m512 acc[NR];
  unroll<NR>([&](auto r) { acc[r] = _mm512_setzero_ps(); });
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const uint8_t* x = wb + i * sizeof(block_q6_K);
    const float xd = load_f16(x + offsetof(block_q6_K, d));
    const __m128i sc8 = loadu128(x + offsetof(block_q6_K, scales));
    // signed scales in the low 16 bits of each lane, high 16 bits 0 (see vpdpwssd above)
    const __m512i sc32 = _mm512_and_si512(_mm512_cvtepi8_epi32(sc8), _mm512_set1_epi32(0xFFFF));
    const __m256i neg_sc16 = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_cvtepi8_epi16(sc8));

    float d[NR];
    const uint8_t* q8[NR];
    __m512i sumi[NR][2];
    unroll<NR>([&](auto r) {
      const uint8_t* y = ab + r * a_stride + i * sizeof(block_q8_K);
      d[r] = xd * load_f32(y + kQ8d);
      // -32 * sum(scale_s * bsum_s): the +32 bias of u, taken off up front
      const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(neg_sc16, loadu256(y + kQ8bsums)), 5);
      sumi[r][0] = _mm512_zextsi256_si512(bias);
      sumi[r][1] = _mm512_setzero_si512();
      q8[r] = y + kQ8qs;
    });

    const uint8_t* ql = x + offsetof(block_q6_K, ql);
    const uint8_t* qhp = x + offsetof(block_q6_K, qh);
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    unroll<2>([&](auto hh) {
      constexpr int h = decltype(hh)::value;  // weights 128h .. 128h + 127
      const __m512i l = loadu512(ql + 64 * h);
      // qh[32h + j] in the low half; shifted right by 2 in the high half, so that the high half's
      // bits (2, 3) and (6, 7) sit where the low half's (0, 1) and (4, 5) do
      const __m512i qb = broadcast256(qhp + 32 * h);
      const __m512i qh = _mm512_mask_srli_epi16(qb, 0xFFFF0000u, qb, 2);
      unroll<2>([&](auto kk) {
        constexpr int k = 2 * h + decltype(kk)::value;  // weights 64k .. 64k + 63
        const __m512i u = k % 2 == 0 ? or_and(_mm512_and_si512(l, m4), _mm512_slli_epi16(qh, 4), m30)
                                     : or_and(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4), qh, m30);
        // lanes 4j .. 4j + 3 take scale 4k + j (16 weights each)
        const __m512i idx = _mm512_setr_epi32(4 * k, 4 * k, 4 * k, 4 * k, 4 * k + 1, 4 * k + 1, 4 * k + 1, 4 * k + 1,
                                              4 * k + 2, 4 * k + 2, 4 * k + 2, 4 * k + 2, 4 * k + 3, 4 * k + 3,
                                              4 * k + 3, 4 * k + 3);
        const __m512i sc = _mm512_permutexvar_epi32(idx, sc32);
        unroll<NR>([&](auto r) {
          const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, loadu512(q8[r] + 64 * k));
          sumi[r][k % 2] = _mm512_dpwssd_epi32(sumi[r][k % 2], p, sc);
        });
      });
    });
    unroll<NR>([&](auto r) {
      const __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[r][0], sumi[r][1]));
      acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(d[r]), f, acc[r]);
    });
  }
  unroll<NR>([&](auto r) { out[r] = hsum(acc[r]); });
}

template <void (*Dot)(int64_t, const uint8_t*, const uint8_t*, size_t, float*)>
float vec_dot(int64_t n, const void* w, const void* a) {
  float out;
  Dot(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
  return out;
}

template <void (*Dot)(int64_t, const uint8_t*, const uint8_t*, size_t, float*)>
void vec_dot_x4(int64_t n, const void* w, const void* a, size_t a_stride, float* out) {
  Dot(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), a_stride, out);
}

}  // namespace

void register_kquant(KernelTable& t) {
  auto set = [&](TensorType type, VecDotFn dot, VecDotX4Fn dot4) {
    t.types[static_cast<size_t>(type)].vec_dot = dot;
    t.types[static_cast<size_t>(type)].vec_dot_x4 = dot4;
  };
  set(TensorType::Q4_K, vec_dot<dot_q45_K<false, 1>>, vec_dot_x4<dot_q45_K<false, 4>>);
  set(TensorType::Q5_K, vec_dot<dot_q45_K<true, 1>>, vec_dot_x4<dot_q45_K<true, 4>>);
  set(TensorType::Q6_K, vec_dot<dot_q6_K<1>>, vec_dot_x4<dot_q6_K<4>>);
}

}  // namespace slm::avx512
