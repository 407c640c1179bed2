// AVX-512 kernels (F, BW, VL, DQ, VNNI; compiled with those flags plus AVX2/FMA/F16C, and only
// called when the CPU and OS support them, see dispatch.cc). The table starts from the AVX2 one
// and replaces the hot dot products; contracts are those of kernels/ref/ref.h, and the tests
// compare every kernel with its reference.
//
// Integer dots use VNNI's vpdpbusd (unsigned bytes x signed bytes, four products summed straight
// into int32, no saturation), 64 bytes per instruction. This header also holds the small helpers
// the files of this folder share; include it only from them.
#pragma once

// GCC 12's AVX-512 headers build "undefined" registers by self-initialization, which -Wall
// reports as uninitialized uses wherever such an intrinsic is inlined (GCC bug 105593); the
// warning is about the headers, not this code, so it is off in the files that include this one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cstdint>
#include <type_traits>
#include <utility>

#include "kernels/kernels.h"
#include "kernels/unaligned.h"

// Forces inlining where the compiler's size heuristics would otherwise give up on a kernel's
// pieces: an out-of-line call inside a kernel loop spills every vector register (all are
// caller-saved) and costs far more than the code size.
#define SLM_ALWAYS_INLINE inline __attribute__((always_inline))
#define SLM_LAMBDA_INLINE __attribute__((always_inline))

namespace slm::avx512 {

// Each file fills in its kernels over the AVX2 table (table.cc calls them in order).
void register_legacy(KernelTable& t);  // q4_0, q4_1, q5_0, q5_1, q8_0: vec_dot and vec_dot_x4
void register_kquant(KernelTable& t);  // q4_K, q5_K, q6_K: vec_dot and vec_dot_x4
void register_gemm(KernelTable& t);    // gemm_panel (kernels/panel.h)
void register_ops(KernelTable& t);     // ops.swiglu (the other float ops stay AVX2)

namespace detail {

inline float load_f16(const uint8_t* p) { return _cvtsh_ss(load_u16(p)); }
inline __m128i loadu128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m256i loadu256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m512i loadu512(const uint8_t* p) { return _mm512_loadu_si512(p); }

// Horizontal sums with a fixed order of additions (kernels rely on it being the same for every
// caller: vec_dot and vec_dot_x4 must agree bit for bit).
inline float hsum(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float hsum(__m256 v) { return hsum(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))); }
inline float hsum(__m512 v) {
  return hsum(_mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)));
}

template <int... I, typename F>
inline void unroll_impl(std::integer_sequence<int, I...>, F&& f) {
  (f(std::integral_constant<int, I>{}), ...);
}
// Calls f(std::integral_constant<int, i>) for i = 0 .. N-1, so that each step can use i as a
// template argument (immediate shift counts, constant indices).
template <int N, typename F>
inline void unroll(F&& f) {
  unroll_impl(std::make_integer_sequence<int, N>{}, f);
}

}  // namespace detail
}  // namespace slm::avx512
