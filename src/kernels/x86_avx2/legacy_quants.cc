// AVX2 + FMA + F16C kernels for the legacy 32-element block formats. Same contracts and the same
// results as kernels/ref/legacy_quants.cc: dequantize and quantize are bit-exact, dot products
// compute each block's integer dot exactly (vpmaddubsw) and differ from the reference only in
// the order the per-block float terms are summed.
//
// A block's 32 quants are unpacked into one __m256i of bytes in element order: the low 128-bit
// half holds elements 0..15 (the low nibbles of qs), the high half elements 16..31 (the high
// nibbles). All loads are unaligned (loadu / memcpy); blocks are addressed as bytes.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstring>

#include "kernels/types.h"
#include "kernels/x86_avx2/avx2.h"

namespace slm::avx2 {
namespace {

const unsigned char* bytes(const void* p) { return static_cast<const unsigned char*>(p); }

float load_f16(const unsigned char* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}

__m128i loadu128(const unsigned char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
__m256i loadu256(const unsigned char* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// The 32 4-bit quants of qs[16] as bytes 0..15, in element order.
__m256i unpack_nibbles(const unsigned char* qs) {
  const __m128i lo = loadu128(qs);
  const __m128i hi = _mm_srli_epi16(lo, 4);
  return _mm256_and_si256(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(0x0F));
}

// Byte j is 0xFF where bit j of the little-endian word at qh is set, else 0.
__m256i expand_bits(const unsigned char* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  // byte j takes byte j / 8 of the word (bytes 0-1 feed the low half, 2-3 the high half)
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000));
  const __m256i select = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));  // bit j % 8
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

// The 32 5-bit quants (0..31) of a q5 block.
__m256i unpack_q5(const unsigned char* qs, const unsigned char* qh) {
  return _mm256_or_si256(unpack_nibbles(qs), _mm256_and_si256(expand_bits(qh), _mm256_set1_epi8(0x10)));
}

// Sum of x[j] * y[j] over pairs of bytes into 8 int32 lanes, x unsigned (0..255), y signed.
// vpmaddubsw's int16 pair sums saturate beyond 32767; with x <= 128 and |y| <= 127 (activations
// come from quantize_row_q8_*, whose quants are within +-127) they stay below 32512.
__m256i dot_u8_i8(__m256i x, __m256i y) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(x, y), _mm256_set1_epi16(1));
}
// A signed weight block (x, -128..127) held as |x| and x, for sum x[j] * y[j] =
// dot_u8_i8(|x|, sign(y, x)): x's sign moves onto y (the activations) so that the unsigned
// operand is |x|; a -128 weight becomes 128, and negating y cannot wrap since y > -128.
// Unpacking it once serves any number of activation rows.
struct SignedQuants {
  __m256i abs, sign;
};
SignedQuants signed_quants(__m256i x) { return {_mm256_sign_epi8(x, x), x}; }
__m256i dot_signed(const SignedQuants& x, __m256i y) { return dot_u8_i8(x.abs, _mm256_sign_epi8(y, x.sign)); }

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x1));
  return _mm_cvtsi128_si32(s);
}

// Writes 32 signed bytes as floats times d (and plus m when add_m), in the same operations as the
// reference: one rounding for the multiply, one for the add (no fused multiply-add).
template <bool kAddMin>
void store_scaled(__m256i q, float d, float m, float* y) {
  const __m256 vd = _mm256_set1_ps(d);
  const __m256 vm = _mm256_set1_ps(m);
  const __m128i halves[2] = {_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)};
  for (int h = 0; h < 2; ++h) {
    for (int k = 0; k < 2; ++k) {
      const __m128i b = k == 0 ? halves[h] : _mm_srli_si128(halves[h], 8);
      __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b)), vd);
      if constexpr (kAddMin) v = _mm256_add_ps(v, vm);
      _mm256_storeu_ps(y + h * 16 + k * 8, v);
    }
  }
}

// roundf (half away from zero) of 8 floats that are already within int8 range.
__m256 round_half_away(__m256 t) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 r = _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_andnot_ps(sign_mask, _mm256_sub_ps(t, r));  // exact
  const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 one_signed = _mm256_or_ps(_mm256_and_ps(t, sign_mask), _mm256_set1_ps(1.0f));
  return _mm256_add_ps(r, _mm256_and_ps(up, one_signed));
}

// One 32-float block to int8 quants as the reference does (d = amax / 127, q = roundf(x / d),
// clamped to +-127); returns d and writes the sum of the quants to *sum when asked.
float quantize_block_q8(const float* x, int8_t* qs, int* sum) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  for (int k = 0; k < 4; ++k) v[k] = _mm256_loadu_ps(x + 8 * k);
  __m256 amax8 = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign_mask, v[0]), _mm256_andnot_ps(sign_mask, v[1])),
                               _mm256_max_ps(_mm256_andnot_ps(sign_mask, v[2]), _mm256_andnot_ps(sign_mask, v[3])));
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax8), _mm256_extractf128_ps(amax8, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  const float amax = _mm_cvtss_f32(m4);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const __m256 vid = _mm256_set1_ps(id);
  const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
  __m256i q[4];
  for (int k = 0; k < 4; ++k) {
    // max/min return the second operand for nan, like the reference's fmax/fmin chain
    const __m256 t = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v[k], vid), lo), hi);
    q[k] = _mm256_cvttps_epi32(round_half_away(t));
  }
  if (sum) *sum = hsum_i32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
  // int32 -> int8; the packs interleave 128-bit halves, the permute restores element order
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
  const __m256i ordered = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), ordered);
  return d;
}

}  // namespace

// ---- dequantize ----

void dequantize_row_q4_0(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const unsigned char* b = bytes(x) + i * sizeof(block_q4_0);
    const __m256i q = _mm256_sub_epi8(unpack_nibbles(b + offsetof(block_q4_0, qs)), _mm256_set1_epi8(8));
    store_scaled<false>(q, load_f16(b + offsetof(block_q4_0, d)), 0.0f, y + i * QK);
  }
}

void dequantize_row_q4_1(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const unsigned char* b = bytes(x) + i * sizeof(block_q4_1);
    store_scaled<true>(unpack_nibbles(b + offsetof(block_q4_1, qs)), load_f16(b + offsetof(block_q4_1, d)),
                       load_f16(b + offsetof(block_q4_1, m)), y + i * QK);
  }
}

void dequantize_row_q5_0(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const unsigned char* b = bytes(x) + i * sizeof(block_q5_0);
    const __m256i q = _mm256_sub_epi8(unpack_q5(b + offsetof(block_q5_0, qs), b + offsetof(block_q5_0, qh)),
                                      _mm256_set1_epi8(16));
    store_scaled<false>(q, load_f16(b + offsetof(block_q5_0, d)), 0.0f, y + i * QK);
  }
}

void dequantize_row_q5_1(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const unsigned char* b = bytes(x) + i * sizeof(block_q5_1);
    store_scaled<true>(unpack_q5(b + offsetof(block_q5_1, qs), b + offsetof(block_q5_1, qh)),
                       load_f16(b + offsetof(block_q5_1, d)), load_f16(b + offsetof(block_q5_1, m)), y + i * QK);
  }
}

void dequantize_row_q8_0(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const unsigned char* b = bytes(x) + i * sizeof(block_q8_0);
    store_scaled<false>(loadu256(b + offsetof(block_q8_0, qs)), load_f16(b + offsetof(block_q8_0, d)), 0.0f,
                        y + i * QK);
  }
}

void dequantize_row_q8_1(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const unsigned char* b = bytes(x) + i * sizeof(block_q8_1);
    store_scaled<false>(loadu256(b + offsetof(block_q8_1, qs)), load_f16(b + offsetof(block_q8_1, d)), 0.0f,
                        y + i * QK);
  }
}

// ---- quantize (activations) ----

void quantize_row_q8_0(const float* x, void* y, int64_t n) {
  unsigned char* out = static_cast<unsigned char*>(y);
  for (int64_t i = 0; i < n / QK; ++i) {
    unsigned char* b = out + i * sizeof(block_q8_0);
    int8_t qs[QK];
    const uint16_t d = _cvtss_sh(quantize_block_q8(x + i * QK, qs, nullptr), _MM_FROUND_TO_NEAREST_INT);
    std::memcpy(b + offsetof(block_q8_0, d), &d, sizeof d);
    std::memcpy(b + offsetof(block_q8_0, qs), qs, sizeof qs);
  }
}

void quantize_row_q8_1(const float* x, void* y, int64_t n) {
  unsigned char* out = static_cast<unsigned char*>(y);
  for (int64_t i = 0; i < n / QK; ++i) {
    unsigned char* b = out + i * sizeof(block_q8_1);
    int8_t qs[QK];
    int sum = 0;
    const float d = quantize_block_q8(x + i * QK, qs, &sum);
    const uint16_t dh = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
    const uint16_t sh = _cvtss_sh(static_cast<float>(sum) * d, _MM_FROUND_TO_NEAREST_INT);
    std::memcpy(b + offsetof(block_q8_1, d), &dh, sizeof dh);
    std::memcpy(b + offsetof(block_q8_1, s), &sh, sizeof sh);
    std::memcpy(b + offsetof(block_q8_1, qs), qs, sizeof qs);
  }
}

// ---- dot products ----
// One template computes R activation rows against one weight row: each weight block is unpacked
// (nibbles, high bits, f16 scales) once and used for all R rows. vec_dot is R = 1 and
// vec_dot_x4 is R = 4; per row, both run exactly the same float operations in the same order
// (two FMA accumulators for even and odd blocks, then one horizontal sum, plus the min terms
// summed block by block with fused multiply-adds), so out[k] of vec_dot_x4 equals vec_dot's
// result bit for bit. The integer block dots are exact.

namespace {

// Per format: the unpacked weight block and its integer dot (8 int32 lanes) with an
// activation block's quants.
struct Q4_0Dot {
  using W = block_q4_0;
  using A = block_q8_0;
  using Unpacked = SignedQuants;
  static Unpacked unpack(const unsigned char* w) {
    return signed_quants(_mm256_sub_epi8(unpack_nibbles(w + offsetof(W, qs)), _mm256_set1_epi8(8)));
  }
  static __m256i dot(const Unpacked& u, const unsigned char* qs) { return dot_signed(u, loadu256(qs)); }
};
struct Q4_1Dot {
  using W = block_q4_1;
  using A = block_q8_1;
  using Unpacked = __m256i;  // 0..15
  static Unpacked unpack(const unsigned char* w) { return unpack_nibbles(w + offsetof(W, qs)); }
  static __m256i dot(const Unpacked& u, const unsigned char* qs) { return dot_u8_i8(u, loadu256(qs)); }
};
struct Q5_0Dot {
  using W = block_q5_0;
  using A = block_q8_0;
  using Unpacked = SignedQuants;
  static Unpacked unpack(const unsigned char* w) {
    return signed_quants(
        _mm256_sub_epi8(unpack_q5(w + offsetof(W, qs), w + offsetof(W, qh)), _mm256_set1_epi8(16)));
  }
  static __m256i dot(const Unpacked& u, const unsigned char* qs) { return dot_signed(u, loadu256(qs)); }
};
struct Q5_1Dot {
  using W = block_q5_1;
  using A = block_q8_1;
  using Unpacked = __m256i;  // 0..31
  static Unpacked unpack(const unsigned char* w) { return unpack_q5(w + offsetof(W, qs), w + offsetof(W, qh)); }
  static __m256i dot(const Unpacked& u, const unsigned char* qs) { return dot_u8_i8(u, loadu256(qs)); }
};
struct Q8_0Dot {
  using W = block_q8_0;
  using A = block_q8_0;
  using Unpacked = SignedQuants;
  static Unpacked unpack(const unsigned char* w) { return signed_quants(loadu256(w + offsetof(W, qs))); }
  static __m256i dot(const Unpacked& u, const unsigned char* qs) { return dot_signed(u, loadu256(qs)); }
};

// out[r] = sum over blocks of d_w * d_a * dot(w, a_r)  [+ m_w * s_a when kHasMin], for the R
// activation rows a + r * a_stride.
// The f16 scale fields of four activation blocks (d, and s just after it in q8_1) as floats:
// lanes 0..3 hold d of blocks b[0..3], lanes 4..7 their s (or unused bytes for q8_0). The
// conversion is exact, so these are the values load_f16 gives.
template <class A>
__m256 load_scales4(const unsigned char* const b[4]) {
  uint32_t ds[4];
  for (int r = 0; r < 4; ++r) std::memcpy(&ds[r], b[r] + offsetof(A, d), sizeof ds[r]);
  const __m128i v = _mm_setr_epi32(static_cast<int>(ds[0]), static_cast<int>(ds[1]), static_cast<int>(ds[2]),
                                   static_cast<int>(ds[3]));
  // halves d0 s0 d1 s1 d2 s2 d3 s3 -> d0 d1 d2 d3 s0 s1 s2 s3
  const __m128i order = _mm_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
  return _mm256_cvtph_ps(_mm_shuffle_epi8(v, order));
}

// out[r] = sum over blocks of d_w * d_a * dot(w, a_r)  [+ m_w * s_a when kHasMin], for the R
// activation rows a + r * a_stride. Per row the float operations are, whatever R:
//   acc[i % 2] = fma(float(dot_i), set1(d_w * d_a,i), acc[i % 2])   (8 lanes)
//   min = fma(m_w, s_a,i, min)
//   out = hsum(acc[0] + acc[1]) + min
// R = 4 does the scale products and min terms of the four rows in one vector (lane r is row r:
// the same IEEE operations as the scalar ones).
template <class F, bool kHasMin, int R>
inline void vec_dot_rows(int64_t n, const void* w, const void* a, size_t a_stride, float* out) {
  static_assert(R == 1 || R == 4);
  using W = typename F::W;
  using A = typename F::A;
  if constexpr (kHasMin) static_assert(offsetof(A, s) == offsetof(A, d) + 2, "load_scales4 reads d and s together");
  const unsigned char* pw = bytes(w);
  const unsigned char* pa[R];
  __m256 acc0[R], acc1[R];
  float min_sum[R];
  __m128 min4 = _mm_setzero_ps();
  for (int r = 0; r < R; ++r) {
    pa[r] = bytes(a) + static_cast<size_t>(r) * a_stride;
    acc0[r] = _mm256_setzero_ps();
    acc1[r] = _mm256_setzero_ps();
    min_sum[r] = 0.0f;
  }
  const int64_t nb = n / QK;
  // block i of every row into acc[0..R)
  auto block = [&](int64_t i, __m256* acc) {
    const unsigned char* bw = pw + i * sizeof(W);
    const typename F::Unpacked u = F::unpack(bw);
    const float dw = load_f16(bw + offsetof(W, d));
    [[maybe_unused]] float mw = 0.0f;
    if constexpr (kHasMin) mw = load_f16(bw + offsetof(W, m));
    const unsigned char* ba[R];
    for (int r = 0; r < R; ++r) ba[r] = pa[r] + i * sizeof(A);
    if constexpr (R == 1) {
      const __m256 d = _mm256_set1_ps(dw * load_f16(ba[0] + offsetof(A, d)));
      // explicit fma: the rounding must not depend on the compiler's contraction choices
      if constexpr (kHasMin) min_sum[0] = std::fma(mw, load_f16(ba[0] + offsetof(A, s)), min_sum[0]);
      acc[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(F::dot(u, ba[0] + offsetof(A, qs))), d, acc[0]);
    } else {
      const __m256 scales = load_scales4<A>(ba);
      const __m256 d4 = _mm256_castps128_ps256(_mm_mul_ps(_mm256_castps256_ps128(scales), _mm_set1_ps(dw)));
      if constexpr (kHasMin) min4 = _mm_fmadd_ps(_mm_set1_ps(mw), _mm256_extractf128_ps(scales, 1), min4);
      for (int r = 0; r < 4; ++r) {
        const __m256 d = _mm256_permutevar8x32_ps(d4, _mm256_set1_epi32(r));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(F::dot(u, ba[r] + offsetof(A, qs))), d, acc[r]);
      }
    }
  };
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    block(i, acc0);
    block(i + 1, acc1);
  }
  if (i < nb) block(i, acc0);
  if constexpr (R == 4) _mm_storeu_ps(min_sum, min4);
  for (int r = 0; r < R; ++r) out[r] = hsum(_mm256_add_ps(acc0[r], acc1[r])) + min_sum[r];
}

template <class F, bool kHasMin>
float vec_dot_1(int64_t n, const void* w, const void* a) {
  float out;
  vec_dot_rows<F, kHasMin, 1>(n, w, a, 0, &out);
  return out;
}

template <class F, bool kHasMin>
void vec_dot_4(int64_t n, const void* w, const void* a, size_t a_stride, float* out) {
  vec_dot_rows<F, kHasMin, 4>(n, w, a, a_stride, out);
}

}  // namespace

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) { return vec_dot_1<Q4_0Dot, false>(n, w, a); }
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) { return vec_dot_1<Q4_1Dot, true>(n, w, a); }
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) { return vec_dot_1<Q5_0Dot, false>(n, w, a); }
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) { return vec_dot_1<Q5_1Dot, true>(n, w, a); }
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) { return vec_dot_1<Q8_0Dot, false>(n, w, a); }

void register_legacy_x4(KernelTable& t) {
  auto set = [&](TensorType type, VecDotX4Fn f) { t.types[static_cast<size_t>(type)].vec_dot_x4 = f; };
  set(TensorType::Q4_0, vec_dot_4<Q4_0Dot, false>);
  set(TensorType::Q4_1, vec_dot_4<Q4_1Dot, true>);
  set(TensorType::Q5_0, vec_dot_4<Q5_0Dot, false>);
  set(TensorType::Q5_1, vec_dot_4<Q5_1Dot, true>);
  set(TensorType::Q8_0, vec_dot_4<Q8_0Dot, false>);
}

}  // namespace slm::avx2
