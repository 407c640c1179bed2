// AVX2 + FMA + F16C kernels for the float types (f32, f16, bf16). Conversions are bit-exact with
// the reference (F16C rounds to nearest even like fp32_to_fp16; bf16 uses the same integer
// rounding); dot products use four 8-wide FMA accumulators, so they differ from the sequential
// reference sum only by float reassociation. Tails (n % 8) are handled with scalar code.
// (One known difference: F16C keeps a nan's payload where fp32_to_fp16 returns the canonical
// quiet nan; both are nan.)
#include <immintrin.h>

#include <cstring>

#include "base/fp16.h"
#include "kernels/x86_avx2/avx2.h"

namespace slm::avx2 {
namespace {

const unsigned char* bytes(const void* p) { return static_cast<const unsigned char*>(p); }

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

uint16_t load_u16(const void* p, int64_t i) {
  uint16_t v;
  std::memcpy(&v, bytes(p) + i * 2, sizeof v);
  return v;
}

// 8 f16 / bf16 values at element i, widened to f32.
__m256 load8_f16(const void* p, int64_t i) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes(p) + i * 2)));
}
__m256 load8_bf16(const void* p, int64_t i) {
  const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes(p) + i * 2)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

// f32 -> bf16 for 8 values, rounding to nearest even, nan kept quiet (as fp32_to_bf16).
__m128i to_bf16(__m256 x) {
  const __m256i w = _mm256_castps_si256(x);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(w, 16), _mm256_set1_epi32(1));
  const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(w, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
  const __m256i abs = _mm256_and_si256(w, _mm256_set1_epi32(0x7fffffff));
  const __m256i is_nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));  // abs < 2^31: signed ok
  const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(w, 16), _mm256_set1_epi32(64));
  const __m256i r = _mm256_blendv_epi8(rounded, quiet, is_nan);
  // pack the 8 32-bit lanes (each < 2^16) to 16 bits; packus works per 128-bit half
  const __m256i packed = _mm256_packus_epi32(r, r);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08));
}

}  // namespace

// ---- f32 ----
void dequantize_row_f32(const void* x, float* y, int64_t n) {
  if (n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

void quantize_row_f32(const float* x, void* y, int64_t n) {
  if (n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  const unsigned char* bw = bytes(w);
  const unsigned char* ba = bytes(a);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
         acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const unsigned char* pw0 = bw + i * 4;
    const unsigned char* pa0 = ba + i * 4;
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(pw0)),
                           _mm256_loadu_ps(reinterpret_cast<const float*>(pa0)), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(pw0 + 32)),
                           _mm256_loadu_ps(reinterpret_cast<const float*>(pa0 + 32)), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(pw0 + 64)),
                           _mm256_loadu_ps(reinterpret_cast<const float*>(pa0 + 64)), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(pw0 + 96)),
                           _mm256_loadu_ps(reinterpret_cast<const float*>(pa0 + 96)), acc3);
  }
  for (; i + 8 <= n; i += 8)
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(bw + i * 4)),
                           _mm256_loadu_ps(reinterpret_cast<const float*>(ba + i * 4)), acc0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) {
    float x, y;
    std::memcpy(&x, bw + i * 4, 4);
    std::memcpy(&y, ba + i * 4, 4);
    sum += x * y;
  }
  return sum;
}

// ---- f16 ----
void dequantize_row_f16(const void* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load8_f16(x, i));
  for (; i < n; ++i) y[i] = _cvtsh_ss(load_u16(x, i));
}

void quantize_row_f16(const float* x, void* y, int64_t n) {
  unsigned char* out = static_cast<unsigned char*>(y);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i * 2),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) {
    const uint16_t h = fp32_to_fp16(x[i]);
    std::memcpy(out + i * 2, &h, 2);
  }
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
         acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(load8_f16(w, i), load8_f16(a, i), acc0);
    acc1 = _mm256_fmadd_ps(load8_f16(w, i + 8), load8_f16(a, i + 8), acc1);
    acc2 = _mm256_fmadd_ps(load8_f16(w, i + 16), load8_f16(a, i + 16), acc2);
    acc3 = _mm256_fmadd_ps(load8_f16(w, i + 24), load8_f16(a, i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load8_f16(w, i), load8_f16(a, i), acc0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += _cvtsh_ss(load_u16(w, i)) * _cvtsh_ss(load_u16(a, i));
  return sum;
}

// ---- bf16 ----
void dequantize_row_bf16(const void* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load8_bf16(x, i));
  for (; i < n; ++i) y[i] = bf16_to_fp32(load_u16(x, i));
}

void quantize_row_bf16(const float* x, void* y, int64_t n) {
  unsigned char* out = static_cast<unsigned char*>(y);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i * 2), to_bf16(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) {
    const uint16_t h = fp32_to_bf16(x[i]);
    std::memcpy(out + i * 2, &h, 2);
  }
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
         acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(load8_bf16(w, i), load8_bf16(a, i), acc0);
    acc1 = _mm256_fmadd_ps(load8_bf16(w, i + 8), load8_bf16(a, i + 8), acc1);
    acc2 = _mm256_fmadd_ps(load8_bf16(w, i + 16), load8_bf16(a, i + 16), acc2);
    acc3 = _mm256_fmadd_ps(load8_bf16(w, i + 24), load8_bf16(a, i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load8_bf16(w, i), load8_bf16(a, i), acc0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += bf16_to_fp32(load_u16(w, i)) * bf16_to_fp32(load_u16(a, i));
  return sum;
}

}  // namespace slm::avx2
