// AVX2 + FMA + F16C kernels for the k-quants and q8_K (same contracts as kernels/ref/k_quants.cc,
// which documents the bit layouts).
//
// Dot products: each super-block's weights are unpacked 32 at a time into unsigned bytes u, so
// that _mm256_maddubs_epi16(u, a) (unsigned x signed bytes, pairs added into int16) forms the
// products; _mm256_madd_epi16 then multiplies by the sub-block scale and widens to int32. Signed
// formats are unpacked with a bias (q3_K: u = q + 4, q6_K: u = q + 32) whose contribution,
// bias * sum_s(scale_s * bsum_s), is taken back with one madd over the activation's bsums.
// The min terms of q2_K/q4_K/q5_K use bsums the same way. All integer sums are exact (|values|
// stay far below int16/int32 limits, see the notes at each kernel); only the final float
// accumulation differs in order from the reference.
//
// Blocks are addressed as bytes with offsetof + unaligned loads, so no pointer needs alignment.
#include <immintrin.h>

#include <cassert>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/types.h"
#include "kernels/unaligned.h"
#include "kernels/x86_avx2/avx2.h"

namespace slm::avx2 {
namespace {

inline float load_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}
inline __m256i loadu256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m128i loadu128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float hsum(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// q8_K field offsets.
constexpr size_t kQ8d = offsetof(block_q8_K, d);
constexpr size_t kQ8qs = offsetof(block_q8_K, qs);
constexpr size_t kQ8bsums = offsetof(block_q8_K, bsums);

// Moves bit `From` of every byte to bit `To` (other bits are garbage; callers mask). 16-bit lane
// shifts are fine here: the wanted bit never crosses a byte boundary.
template <int From, int To>
inline __m256i move_bit(__m256i v) {
  if constexpr (From < To) return _mm256_slli_epi16(v, To - From);
  else if constexpr (From > To) return _mm256_srli_epi16(v, From - To);
  else return v;
}

// From 16 signed byte scales, an int16 vector whose low half is scale[k] (8 times) and whose high
// half is scale[k + 1]: the scales for the two 16-weight sub-blocks of a 32-byte register.
template <int K>
inline __m256i scale_pair(__m128i scales8) {
  const __m128i pick = _mm_set_epi64x(0x0101010101010101LL * (K + 1), 0x0101010101010101LL * K);
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales8, pick));
}

// Broadcasts int16 word K of a 128-bit vector to all 16 words of a 256-bit one.
template <int K>
inline __m256i broadcast_word(__m128i v) {
  const __m256i pick = _mm256_set1_epi16(static_cast<short>((2 * K) | ((2 * K + 1) << 8)));
  return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(v), pick);
}

template <int... I, typename F>
inline void unroll_impl(std::integer_sequence<int, I...>, F&& f) {
  (f(std::integral_constant<int, I>{}), ...);
}
// Calls f(std::integral_constant<int, i>) for i = 0 .. N-1, so that each step can use i as a
// template argument (immediate shift counts, shuffle constants).
template <int N, typename F>
inline void unroll(F&& f) {
  unroll_impl(std::make_integer_sequence<int, N>{}, f);
}

// Stores 32 dequantized weights: y = dl * q - ml, the first 16 with (dl0, ml0), the rest with
// (dl1, ml1); multiply then subtract, both rounded, exactly as the reference does.
inline void store_dequant32(__m256i q, float dl0, float ml0, float dl1, float ml1, float* y) {
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
  for (int k = 0; k < 4; ++k) {
    const __m256 dl = _mm256_set1_ps(k < 2 ? dl0 : dl1), ml = _mm256_set1_ps(k < 2 ? ml0 : ml1);
    const __m256 qf = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[k]));
    _mm256_storeu_ps(y + 8 * k, _mm256_sub_ps(_mm256_mul_ps(dl, qf), ml));
  }
}

// ---- scale unpacking -------------------------------------------------------------------------

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

// q3_K: 16 6-bit scales from 12 bytes, minus 32, as 16 signed bytes.
inline __m128i unpack_q3_K_scales(const uint8_t* s) {
  const uint32_t a0 = load_u32(s), a1 = load_u32(s + 4), a2 = load_u32(s + 8);
  const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
  const uint32_t s0 = (a0 & m4) | ((a2 & m2) << 4);
  const uint32_t s1 = (a1 & m4) | (((a2 >> 2) & m2) << 4);
  const uint32_t s2 = ((a0 >> 4) & m4) | (((a2 >> 4) & m2) << 4);
  const uint32_t s3 = ((a1 >> 4) & m4) | (((a2 >> 6) & m2) << 4);
  const __m128i raw = _mm_set_epi32(static_cast<int>(s3), static_cast<int>(s2), static_cast<int>(s1),
                                    static_cast<int>(s0));
  return _mm_sub_epi8(raw, _mm_set1_epi8(32));
}

// ---- per-format unpacking of 32 weights (as unsigned bytes u) ---------------------------------

// q2_K, half H, group J (weights 128H + 32J ..): u = q in [0, 3].
template <int J>
inline __m256i q2_group(__m256i qs) {
  return _mm256_and_si256(_mm256_srli_epi16(qs, 2 * J), _mm256_set1_epi8(3));
}

// q3_K, half H, group J: u = low two bits | high bit << 2 = q + 4, in [0, 7].
template <int H, int J>
inline __m256i q3_group(__m256i qs, __m256i hmask) {
  const __m256i low = _mm256_and_si256(_mm256_srli_epi16(qs, 2 * J), _mm256_set1_epi8(3));
  const __m256i high = _mm256_and_si256(move_bit<4 * H + J, 2>(hmask), _mm256_set1_epi8(4));
  return _mm256_or_si256(low, high);
}

// q6_K, half H, group G (weights 128H + 32G ..): u = q + 32, in [0, 63].
template <int G>
inline __m256i q6_group(__m256i ql_a, __m256i ql_b, __m256i qh) {
  const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
  const __m256i ql = G % 2 == 0 ? ql_a : ql_b;
  const __m256i low = _mm256_and_si256(G < 2 ? ql : _mm256_srli_epi16(ql, 4), m4);
  const __m256i high = _mm256_and_si256(move_bit<2 * G, 4>(qh), m30);
  return _mm256_or_si256(low, high);
}

// q5_K, chunk C: low (sub-block 2C) and high (2C+1) nibbles with their fifth bits, in [0, 31].
template <int C>
inline void q5_chunk(__m256i qs, __m256i qh, __m256i& lo, __m256i& hi) {
  const __m256i m4 = _mm256_set1_epi8(0x0f), m10 = _mm256_set1_epi8(0x10);
  lo = _mm256_or_si256(_mm256_and_si256(qs, m4), _mm256_and_si256(move_bit<2 * C, 4>(qh), m10));
  hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 4), m4),
                       _mm256_and_si256(move_bit<2 * C + 1, 4>(qh), m10));
}

}  // namespace

// The dot kernels below are templates over NR, the number of activation rows (1 or 4) dotted
// with one weight row: the weight super-block is unpacked once and reused for every row. Each
// row's float operations (d and dmin products, the FMA chains per lane, the final horizontal
// sums) are the same, in the same order, whatever NR is, so vec_dot_x4's out[k] equals
// vec_dot(n, w, a + k * a_stride) bit for bit; the integer sums are exact in any order.
namespace {

template <int NR>
inline void dot_q2_K(int64_t n, const uint8_t* wb, const uint8_t* ab, size_t a_stride, float* out) {
  assert(n % QK_K == 0);
  __m256 acc[NR], acc_min[NR];
  for (int r = 0; r < NR; ++r) acc[r] = acc_min[r] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const uint8_t* x = wb + i * sizeof(block_q2_K);
    const float xd = load_f16(x + offsetof(block_q2_K, d));
    const float xdmin = load_f16(x + offsetof(block_q2_K, dmin));
    const __m128i packed = loadu128(x + offsetof(block_q2_K, scales));
    const __m128i scales8 = _mm_and_si128(packed, _mm_set1_epi8(0x0f));
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f)));

    float d[NR];
    const uint8_t* q8[NR];
    __m256i sumi[NR];
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      const uint8_t* y = ab + R * a_stride + i * sizeof(block_q8_K);
      const float dy = load_f32(y + kQ8d);
      d[R] = xd * dy;
      const float dmin = xdmin * dy;
      const __m256i min_prod = _mm256_madd_epi16(mins16, loadu256(y + kQ8bsums));
      acc_min[R] = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(min_prod), acc_min[R]);
      q8[R] = y + kQ8qs;
      sumi[R] = _mm256_setzero_si256();
    });

    const uint8_t* qs = x + offsetof(block_q2_K, qs);
    unroll<2>([&](auto h) {
      constexpr int H = decltype(h)::value;
      const __m256i bits = loadu256(qs + 32 * H);
      unroll<4>([&](auto j) {
        constexpr int J = decltype(j)::value;
        const __m256i u = q2_group<J>(bits);
        const __m256i sc = scale_pair<8 * H + 2 * J>(scales8);
        unroll<NR>([&](auto rr) {
          constexpr int R = decltype(rr)::value;
          const __m256i p = _mm256_maddubs_epi16(u, loadu256(q8[R] + 128 * H + 32 * J));
          sumi[R] = _mm256_add_epi32(sumi[R], _mm256_madd_epi16(p, sc));
        });
      });
    });
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      acc[R] = _mm256_fmadd_ps(_mm256_set1_ps(d[R]), _mm256_cvtepi32_ps(sumi[R]), acc[R]);
    });
  }
  for (int r = 0; r < NR; ++r) out[r] = hsum(acc[r]) - hsum(acc_min[r]);
}

}  // namespace

// ---- q2_K ----------------------------------------------------------------------------------
// |maddubs pair| <= 2*3*127; scale <= 15, so every int32 sum is tiny.
float vec_dot_q2_K_q8_K(int64_t n, const void* w, const void* a) {
  float out;
  dot_q2_K<1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
  return out;
}

void dequantize_row_q2_K(const void* xv, float* y, int64_t n) {
  assert(n % QK_K == 0);
  const auto* xb = static_cast<const uint8_t*>(xv);
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const uint8_t* x = xb + i * sizeof(block_q2_K);
    const float d = load_f16(x + offsetof(block_q2_K, d));
    const float dmin = load_f16(x + offsetof(block_q2_K, dmin));
    const uint8_t* sc = x + offsetof(block_q2_K, scales);
    const uint8_t* qs = x + offsetof(block_q2_K, qs);
    unroll<2>([&](auto h) {
      constexpr int H = decltype(h)::value;
      const __m256i bits = loadu256(qs + 32 * H);
      unroll<4>([&](auto j) {
        constexpr int J = decltype(j)::value;
        constexpr int S = 8 * H + 2 * J;
        store_dequant32(q2_group<J>(bits), d * static_cast<float>(sc[S] & 15),
                        dmin * static_cast<float>(sc[S] >> 4), d * static_cast<float>(sc[S + 1] & 15),
                        dmin * static_cast<float>(sc[S + 1] >> 4), y + 128 * H + 32 * J);
      });
    });
  }
}

// ---- q3_K ----------------------------------------------------------------------------------
// u = q + 4 in [0,7]; scales in [-32,31]; the bias is removed with 4 * sum(scale * bsum).
namespace {
template <int NR>
inline void dot_q3_K(int64_t n, const uint8_t* wb, const uint8_t* ab, size_t a_stride, float* out) {
  assert(n % QK_K == 0);
  __m256 acc[NR];
  for (int r = 0; r < NR; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const uint8_t* x = wb + i * sizeof(block_q3_K);
    const float xd = load_f16(x + offsetof(block_q3_K, d));
    const __m128i scales8 = unpack_q3_K_scales(x + offsetof(block_q3_K, scales));
    const __m256i scales16 = _mm256_cvtepi8_epi16(scales8);

    float d[NR];
    const uint8_t* q8[NR];
    __m256i sumi[NR];
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      const uint8_t* y = ab + R * a_stride + i * sizeof(block_q8_K);
      d[R] = xd * load_f32(y + kQ8d);
      const __m256i bias = _mm256_madd_epi16(scales16, loadu256(y + kQ8bsums));
      sumi[R] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(bias, 2));
      q8[R] = y + kQ8qs;
    });

    const __m256i hmask = loadu256(x + offsetof(block_q3_K, hmask));
    const uint8_t* qs = x + offsetof(block_q3_K, qs);
    unroll<2>([&](auto h) {
      constexpr int H = decltype(h)::value;
      const __m256i bits = loadu256(qs + 32 * H);
      unroll<4>([&](auto j) {
        constexpr int J = decltype(j)::value;
        const __m256i u = q3_group<H, J>(bits, hmask);
        const __m256i sc = scale_pair<8 * H + 2 * J>(scales8);
        unroll<NR>([&](auto rr) {
          constexpr int R = decltype(rr)::value;
          const __m256i p = _mm256_maddubs_epi16(u, loadu256(q8[R] + 128 * H + 32 * J));
          sumi[R] = _mm256_add_epi32(sumi[R], _mm256_madd_epi16(p, sc));
        });
      });
    });
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      acc[R] = _mm256_fmadd_ps(_mm256_set1_ps(d[R]), _mm256_cvtepi32_ps(sumi[R]), acc[R]);
    });
  }
  for (int r = 0; r < NR; ++r) out[r] = hsum(acc[r]);
}
}  // namespace

float vec_dot_q3_K_q8_K(int64_t n, const void* w, const void* a) {
  float out;
  dot_q3_K<1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
  return out;
}

void dequantize_row_q3_K(const void* xv, float* y, int64_t n) {
  assert(n % QK_K == 0);
  const auto* xb = static_cast<const uint8_t*>(xv);
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const uint8_t* x = xb + i * sizeof(block_q3_K);
    const float d = load_f16(x + offsetof(block_q3_K, d));
    alignas(16) int8_t sc[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(sc), unpack_q3_K_scales(x + offsetof(block_q3_K, scales)));
    const __m256i hmask = loadu256(x + offsetof(block_q3_K, hmask));
    const uint8_t* qs = x + offsetof(block_q3_K, qs);
    unroll<2>([&](auto h) {
      constexpr int H = decltype(h)::value;
      const __m256i bits = loadu256(qs + 32 * H);
      unroll<4>([&](auto j) {
        constexpr int J = decltype(j)::value;
        constexpr int S = 8 * H + 2 * J;
        const __m256i q = _mm256_sub_epi8(q3_group<H, J>(bits, hmask), _mm256_set1_epi8(4));
        store_dequant32(q, d * static_cast<float>(sc[S]), 0.0f, d * static_cast<float>(sc[S + 1]), 0.0f,
                        y + 128 * H + 32 * J);
      });
    });
  }
}

// ---- q4_K ----------------------------------------------------------------------------------
// |maddubs pair| <= 2*15*127; scales and mins <= 63.
namespace {
template <int NR>
inline void dot_q4_K(int64_t n, const uint8_t* wb, const uint8_t* ab, size_t a_stride, float* out) {
  assert(n % QK_K == 0);
  __m256 acc[NR];
  __m128 acc_min[NR];
  for (int r = 0; r < NR; ++r) {
    acc[r] = _mm256_setzero_ps();
    acc_min[r] = _mm_setzero_ps();
  }
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const uint8_t* x = wb + i * sizeof(block_q4_K);
    const float xd = load_f16(x + offsetof(block_q4_K, d));
    const float xdmin = load_f16(x + offsetof(block_q4_K, dmin));
    // words 0..7: scales, words 8..15: mins
    const __m256i sc_mn = _mm256_cvtepu8_epi16(unpack_k4_scales(x + offsetof(block_q4_K, scales)));
    const __m128i scales16 = _mm256_castsi256_si128(sc_mn);
    const __m128i mins16 = _mm256_extracti128_si256(sc_mn, 1);

    float d[NR];
    const uint8_t* q8[NR];
    __m256i sumi[NR];
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      const uint8_t* y = ab + R * a_stride + i * sizeof(block_q8_K);
      const float dy = load_f32(y + kQ8d);
      d[R] = xd * dy;
      const float dmin = xdmin * dy;
      // bsums per 32 weights (pairs of the 16-wide sums) times the mins
      const __m256i bsums = loadu256(y + kQ8bsums);
      const __m128i bsums32 = _mm_hadd_epi16(_mm256_castsi256_si128(bsums), _mm256_extracti128_si256(bsums, 1));
      const __m128i min_prod = _mm_madd_epi16(mins16, bsums32);
      acc_min[R] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(min_prod), acc_min[R]);
      q8[R] = y + kQ8qs;
      sumi[R] = _mm256_setzero_si256();
    });

    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const uint8_t* qs = x + offsetof(block_q4_K, qs);
    unroll<4>([&](auto c) {
      constexpr int C = decltype(c)::value;
      const __m256i bits = loadu256(qs + 32 * C);
      const __m256i lo = _mm256_and_si256(bits, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
      const __m256i s_lo = broadcast_word<2 * C>(scales16);
      const __m256i s_hi = broadcast_word<2 * C + 1>(scales16);
      unroll<NR>([&](auto rr) {
        constexpr int R = decltype(rr)::value;
        __m256i p_lo = _mm256_maddubs_epi16(lo, loadu256(q8[R] + 64 * C));
        __m256i p_hi = _mm256_maddubs_epi16(hi, loadu256(q8[R] + 64 * C + 32));
        p_lo = _mm256_madd_epi16(p_lo, s_lo);
        p_hi = _mm256_madd_epi16(p_hi, s_hi);
        sumi[R] = _mm256_add_epi32(sumi[R], _mm256_add_epi32(p_lo, p_hi));
      });
    });
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      acc[R] = _mm256_fmadd_ps(_mm256_set1_ps(d[R]), _mm256_cvtepi32_ps(sumi[R]), acc[R]);
    });
  }
  for (int r = 0; r < NR; ++r) out[r] = hsum(acc[r]) - hsum(acc_min[r]);
}
}  // namespace

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) {
  float out;
  dot_q4_K<1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
  return out;
}

void dequantize_row_q4_K(const void* xv, float* y, int64_t n) {
  assert(n % QK_K == 0);
  const auto* xb = static_cast<const uint8_t*>(xv);
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const uint8_t* x = xb + i * sizeof(block_q4_K);
    const float d = load_f16(x + offsetof(block_q4_K, d));
    const float dmin = load_f16(x + offsetof(block_q4_K, dmin));
    alignas(16) uint8_t sm[16];  // 8 scales, 8 mins
    _mm_store_si128(reinterpret_cast<__m128i*>(sm), unpack_k4_scales(x + offsetof(block_q4_K, scales)));
    const uint8_t* qs = x + offsetof(block_q4_K, qs);
    for (int c = 0; c < 4; ++c) {
      const __m256i bits = loadu256(qs + 32 * c);
      const float dl0 = d * static_cast<float>(sm[2 * c]), ml0 = dmin * static_cast<float>(sm[8 + 2 * c]);
      const float dl1 = d * static_cast<float>(sm[2 * c + 1]), ml1 = dmin * static_cast<float>(sm[9 + 2 * c]);
      store_dequant32(_mm256_and_si256(bits, m4), dl0, ml0, dl0, ml0, y + 64 * c);
      store_dequant32(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), dl1, ml1, dl1, ml1, y + 64 * c + 32);
    }
  }
}

// ---- q5_K ----------------------------------------------------------------------------------
// |maddubs pair| <= 2*31*127; scales and mins <= 63.
namespace {
template <int NR>
inline void dot_q5_K(int64_t n, const uint8_t* wb, const uint8_t* ab, size_t a_stride, float* out) {
  assert(n % QK_K == 0);
  __m256 acc[NR];
  __m128 acc_min[NR];
  for (int r = 0; r < NR; ++r) {
    acc[r] = _mm256_setzero_ps();
    acc_min[r] = _mm_setzero_ps();
  }
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const uint8_t* x = wb + i * sizeof(block_q5_K);
    const float xd = load_f16(x + offsetof(block_q5_K, d));
    const float xdmin = load_f16(x + offsetof(block_q5_K, dmin));
    // words 0..7: scales, words 8..15: mins
    const __m256i sc_mn = _mm256_cvtepu8_epi16(unpack_k4_scales(x + offsetof(block_q5_K, scales)));
    const __m128i scales16 = _mm256_castsi256_si128(sc_mn);
    const __m128i mins16 = _mm256_extracti128_si256(sc_mn, 1);

    float d[NR];
    const uint8_t* q8[NR];
    __m256i sumi[NR];
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      const uint8_t* y = ab + R * a_stride + i * sizeof(block_q8_K);
      const float dy = load_f32(y + kQ8d);
      d[R] = xd * dy;
      const float dmin = xdmin * dy;
      // bsums per 32 weights (pairs of the 16-wide sums) times the mins
      const __m256i bsums = loadu256(y + kQ8bsums);
      const __m128i bsums32 = _mm_hadd_epi16(_mm256_castsi256_si128(bsums), _mm256_extracti128_si256(bsums, 1));
      const __m128i min_prod = _mm_madd_epi16(mins16, bsums32);
      acc_min[R] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(min_prod), acc_min[R]);
      q8[R] = y + kQ8qs;
      sumi[R] = _mm256_setzero_si256();
    });

    const __m256i qh = loadu256(x + offsetof(block_q5_K, qh));
    const uint8_t* qs = x + offsetof(block_q5_K, qs);
    unroll<4>([&](auto c) {
      constexpr int C = decltype(c)::value;
      __m256i lo, hi;
      q5_chunk<C>(loadu256(qs + 32 * C), qh, lo, hi);
      const __m256i s_lo = broadcast_word<2 * C>(scales16);
      const __m256i s_hi = broadcast_word<2 * C + 1>(scales16);
      unroll<NR>([&](auto rr) {
        constexpr int R = decltype(rr)::value;
        __m256i p_lo = _mm256_maddubs_epi16(lo, loadu256(q8[R] + 64 * C));
        __m256i p_hi = _mm256_maddubs_epi16(hi, loadu256(q8[R] + 64 * C + 32));
        p_lo = _mm256_madd_epi16(p_lo, s_lo);
        p_hi = _mm256_madd_epi16(p_hi, s_hi);
        sumi[R] = _mm256_add_epi32(sumi[R], _mm256_add_epi32(p_lo, p_hi));
      });
    });
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      acc[R] = _mm256_fmadd_ps(_mm256_set1_ps(d[R]), _mm256_cvtepi32_ps(sumi[R]), acc[R]);
    });
  }
  for (int r = 0; r < NR; ++r) out[r] = hsum(acc[r]) - hsum(acc_min[r]);
}
}  // namespace

float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) {
  float out;
  dot_q5_K<1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
  return out;
}

void dequantize_row_q5_K(const void* xv, float* y, int64_t n) {
  assert(n % QK_K == 0);
  const auto* xb = static_cast<const uint8_t*>(xv);
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const uint8_t* x = xb + i * sizeof(block_q5_K);
    const float d = load_f16(x + offsetof(block_q5_K, d));
    const float dmin = load_f16(x + offsetof(block_q5_K, dmin));
    alignas(16) uint8_t sm[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(sm), unpack_k4_scales(x + offsetof(block_q5_K, scales)));
    const __m256i qh = loadu256(x + offsetof(block_q5_K, qh));
    const uint8_t* qs = x + offsetof(block_q5_K, qs);
    unroll<4>([&](auto c) {
      constexpr int C = decltype(c)::value;
      __m256i lo, hi;
      q5_chunk<C>(loadu256(qs + 32 * C), qh, lo, hi);
      const float dl0 = d * static_cast<float>(sm[2 * C]), ml0 = dmin * static_cast<float>(sm[8 + 2 * C]);
      const float dl1 = d * static_cast<float>(sm[2 * C + 1]), ml1 = dmin * static_cast<float>(sm[9 + 2 * C]);
      store_dequant32(lo, dl0, ml0, dl0, ml0, y + 64 * C);
      store_dequant32(hi, dl1, ml1, dl1, ml1, y + 64 * C + 32);
    });
  }
}

// ---- q6_K ----------------------------------------------------------------------------------
// u = q + 32 in [0,63]: |maddubs pair| <= 2*63*127 < 2^15; scales in [-128,127], so a block's
// int32 sum is below 256*63*127*128 < 2^29. The bias is removed with 32 * sum(scale * bsum).
namespace {
template <int NR>
inline void dot_q6_K(int64_t n, const uint8_t* wb, const uint8_t* ab, size_t a_stride, float* out) {
  assert(n % QK_K == 0);
  __m256 acc[NR];
  for (int r = 0; r < NR; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const uint8_t* x = wb + i * sizeof(block_q6_K);
    const float xd = load_f16(x + offsetof(block_q6_K, d));
    const __m128i scales8 = loadu128(x + offsetof(block_q6_K, scales));
    const __m256i scales16 = _mm256_cvtepi8_epi16(scales8);

    float d[NR];
    const uint8_t* q8[NR];
    __m256i sumi[NR];
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      const uint8_t* y = ab + R * a_stride + i * sizeof(block_q8_K);
      d[R] = xd * load_f32(y + kQ8d);
      const __m256i bias = _mm256_madd_epi16(scales16, loadu256(y + kQ8bsums));
      sumi[R] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(bias, 5));
      q8[R] = y + kQ8qs;
    });

    const uint8_t* ql = x + offsetof(block_q6_K, ql);
    const uint8_t* qhp = x + offsetof(block_q6_K, qh);
    unroll<2>([&](auto h) {
      constexpr int H = decltype(h)::value;
      const __m256i ql_a = loadu256(ql + 64 * H), ql_b = loadu256(ql + 64 * H + 32);
      const __m256i qh = loadu256(qhp + 32 * H);
      unroll<4>([&](auto g) {
        constexpr int G = decltype(g)::value;
        const __m256i u = q6_group<G>(ql_a, ql_b, qh);
        const __m256i sc = scale_pair<8 * H + 2 * G>(scales8);
        unroll<NR>([&](auto rr) {
          constexpr int R = decltype(rr)::value;
          const __m256i p = _mm256_maddubs_epi16(u, loadu256(q8[R] + 128 * H + 32 * G));
          sumi[R] = _mm256_add_epi32(sumi[R], _mm256_madd_epi16(p, sc));
        });
      });
    });
    unroll<NR>([&](auto rr) {
      constexpr int R = decltype(rr)::value;
      acc[R] = _mm256_fmadd_ps(_mm256_set1_ps(d[R]), _mm256_cvtepi32_ps(sumi[R]), acc[R]);
    });
  }
  for (int r = 0; r < NR; ++r) out[r] = hsum(acc[r]);
}
}  // namespace

float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) {
  float out;
  dot_q6_K<1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
  return out;
}

void dequantize_row_q6_K(const void* xv, float* y, int64_t n) {
  assert(n % QK_K == 0);
  const auto* xb = static_cast<const uint8_t*>(xv);
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const uint8_t* x = xb + i * sizeof(block_q6_K);
    const float d = load_f16(x + offsetof(block_q6_K, d));
    int8_t sc[16];
    std::memcpy(sc, x + offsetof(block_q6_K, scales), sizeof sc);
    const uint8_t* ql = x + offsetof(block_q6_K, ql);
    const uint8_t* qhp = x + offsetof(block_q6_K, qh);
    unroll<2>([&](auto h) {
      constexpr int H = decltype(h)::value;
      const __m256i ql_a = loadu256(ql + 64 * H), ql_b = loadu256(ql + 64 * H + 32);
      const __m256i qh = loadu256(qhp + 32 * H);
      unroll<4>([&](auto g) {
        constexpr int G = decltype(g)::value;
        constexpr int S = 8 * H + 2 * G;
        const __m256i q = _mm256_sub_epi8(q6_group<G>(ql_a, ql_b, qh), _mm256_set1_epi8(32));
        store_dequant32(q, d * static_cast<float>(sc[S]), 0.0f, d * static_cast<float>(sc[S + 1]), 0.0f,
                        y + 128 * H + 32 * G);
      });
    });
  }
}

// ---- q8_K ----------------------------------------------------------------------------------

void dequantize_row_q8_K(const void* xv, float* y, int64_t n) {
  assert(n % QK_K == 0);
  const auto* xb = static_cast<const uint8_t*>(xv);
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const uint8_t* x = xb + i * sizeof(block_q8_K);
    const __m256 d = _mm256_set1_ps(load_f32(x + kQ8d));
    for (int k = 0; k < QK_K; k += 8) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + kQ8qs + k));
      _mm256_storeu_ps(y + k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q))));
    }
  }
}

// Same result as the reference bit for bit: the first element of largest magnitude sets
// iscale = -127 / x_max; cvtps_epi32 rounds to nearest even under the default MXCSR mode, as the
// reference's rounding does; the int32 -> int8 packing cannot saturate (|q| <= 127).
void quantize_row_q8_K(const float* x, void* yv, int64_t n) {
  assert(n % QK_K == 0);
  auto* yb = static_cast<uint8_t*>(yv);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    uint8_t* out = yb + i * sizeof(block_q8_K);
    __m256 vmax = _mm256_setzero_ps();
    for (int k = 0; k < QK_K; k += 8)  // NaN inputs are skipped, as in the reference
      vmax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + k), abs_mask), vmax);
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float amax = _mm_cvtss_f32(m);

    block_q8_K zero{};
    if (amax == 0.0f) {
      std::memcpy(out, &zero, sizeof zero);
      continue;
    }
    float max = 0;
    const __m256 vamax = _mm256_set1_ps(amax);
    for (int k = 0; k < QK_K; k += 8) {
      const __m256 ax = _mm256_and_ps(_mm256_loadu_ps(x + k), abs_mask);
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(ax, vamax, _CMP_EQ_OQ));
      if (hit) {
        max = x[k + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    alignas(32) int8_t qs[QK_K];
    for (int k = 0; k < QK_K; k += 32) {
      const __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + k)));
      const __m256i q1 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + k + 8)));
      const __m256i q2 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + k + 16)));
      const __m256i q3 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + k + 24)));
      const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
      _mm256_store_si256(reinterpret_cast<__m256i*>(qs + k), _mm256_permutevar8x32_epi32(p, order));
    }
    int16_t bsums[QK_K / 16];
    for (int j = 0; j < QK_K / 16; ++j) {
      // widen 16 quants to int16 and add them up
      const __m256i w16 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(qs + 16 * j)));
      __m128i s = _mm_add_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
      s = _mm_add_epi16(s, _mm_unpackhi_epi64(s, s));
      s = _mm_add_epi16(s, _mm_srli_epi64(s, 32));
      s = _mm_add_epi16(s, _mm_srli_epi32(s, 16));
      bsums[j] = static_cast<int16_t>(_mm_cvtsi128_si32(s));
    }
    const float d = 1.0f / iscale;
    std::memcpy(out + kQ8d, &d, sizeof d);
    std::memcpy(out + kQ8qs, qs, sizeof qs);
    std::memcpy(out + kQ8bsums, bsums, sizeof bsums);
  }
}

namespace {
// One weight row against four activation rows a, a + a_stride, ... (see VecDotX4Fn).
template <void (*Dot)(int64_t, const uint8_t*, const uint8_t*, size_t, float*)>
void vec_dot_x4(int64_t n, const void* w, const void* a, size_t a_stride, float* out) {
  Dot(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), a_stride, out);
}
}  // namespace

void register_kquant_x4(KernelTable& t) {
  t.types[static_cast<size_t>(TensorType::Q2_K)].vec_dot_x4 = vec_dot_x4<dot_q2_K<4>>;
  t.types[static_cast<size_t>(TensorType::Q3_K)].vec_dot_x4 = vec_dot_x4<dot_q3_K<4>>;
  t.types[static_cast<size_t>(TensorType::Q4_K)].vec_dot_x4 = vec_dot_x4<dot_q4_K<4>>;
  t.types[static_cast<size_t>(TensorType::Q5_K)].vec_dot_x4 = vec_dot_x4<dot_q5_K<4>>;
  t.types[static_cast<size_t>(TensorType::Q6_K)].vec_dot_x4 = vec_dot_x4<dot_q6_K<4>>;
}

}  // namespace slm::avx2
