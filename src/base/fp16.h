// Scalar half-precision (IEEE binary16) and bfloat16 conversions. Portable bit manipulation:
// the reference kernels and the file formats use these; SIMD kernels use F16C instead.
#pragma once

#include <cstdint>
#include <cstring>

namespace slm {

inline float fp32_from_bits(uint32_t w) {
  float f;
  std::memcpy(&f, &w, sizeof f);
  return f;
}
inline uint32_t fp32_to_bits(float f) {
  uint32_t w;
  std::memcpy(&w, &f, sizeof w);
  return w;
}

// binary16 -> binary32, exact for every input (normals, subnormals, inf, nan).
inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return fp32_from_bits(sign | 0x7f800000u | (mant << 13));  // inf / nan
  if (exp == 0) {
    if (mant == 0) return fp32_from_bits(sign);  // +-0
    // subnormal: value = mant * 2^-24
    float v = static_cast<float>(mant) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return fp32_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
}

// binary32 -> binary16 with round-to-nearest-even; overflow gives inf, nan stays nan.
inline uint16_t fp32_to_fp16(float f) {
  const uint32_t w = fp32_to_bits(f);
  const uint32_t sign = (w >> 16) & 0x8000u;
  const uint32_t abs = w & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // nan
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    // value in units of 2^-24, rounded to nearest even
    const float v = fp32_from_bits(abs) * 16777216.0f;  // exact scaling by 2^24
    uint32_t q = static_cast<uint32_t>(v);
    const float rem = v - static_cast<float>(q);
    if (rem > 0.5f || (rem == 0.5f && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  // normal: rebias exponent and round the 13 dropped mantissa bits to nearest even
  uint32_t h = ((abs >> 13) - (112u << 10));
  const uint32_t dropped = abs & 0x1fffu;
  if (dropped > 0x1000u || (dropped == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

inline float bf16_to_fp32(uint16_t h) { return fp32_from_bits(static_cast<uint32_t>(h) << 16); }

// binary32 -> bfloat16 with round-to-nearest-even (nan kept quiet), as GGUF writers do.
inline uint16_t fp32_to_bf16(float f) {
  uint32_t w = fp32_to_bits(f);
  if ((w & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((w >> 16) | 64u);
  return static_cast<uint16_t>((w + (0x7fffu + ((w >> 16) & 1u))) >> 16);
}

}  // namespace slm
