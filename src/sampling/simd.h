// Four-float vectors (GCC/Clang vector extensions) for the sampler's passes over the whole
// vocabulary. Plain IEEE operations lane by lane, so the results equal the scalar code's
// (fast_exp4(v)[j] == fast_exp(v[j])) on every target; on one without SIMD the compiler splits
// them into scalars. Internal to src/sampling.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "sampling/stages.h"

namespace slm::sampling::simd {

using f4 = float __attribute__((vector_size(16)));
using i4 = int32_t __attribute__((vector_size(16)));

inline f4 load(const float* p) {
  f4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline f4 splat(float x) { return f4{x, x, x, x}; }
inline f4 max(f4 a, f4 b) { return a > b ? a : b; }  // NaN in a loses
inline bool any(i4 m) { return (m[0] | m[1] | m[2] | m[3]) != 0; }

// fast_exp (stages.h) on four lanes, the same operations in the same order.
inline f4 fast_exp(f4 x) {
  const f4 lo = splat(-87.0f);
  const f4 zero = splat(0.0f);
  const f4 xc = x < lo ? lo : (x > zero ? zero : x);
  const f4 shift = splat(12582912.0f);
  const f4 t = xc * 1.44269504088896341f + shift;
  const f4 n = t - shift;
  const i4 ni = std::bit_cast<i4>(t) - std::bit_cast<int32_t>(12582912.0f);
  f4 r = xc - n * 0.693145751953125f;
  r = r - n * 1.4286068202862268e-06f;
  f4 p = splat(1.0f / 720.0f);
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const f4 scale = std::bit_cast<f4>((ni + 127) << 23);
  const f4 y = p * scale;
  return x < lo ? zero : y;
}

}  // namespace slm::sampling::simd
