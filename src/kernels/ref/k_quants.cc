// Scalar reference kernels for the k-quants (256-weight super-blocks) and their activation type
// q8_K. Each block is first decoded into plain integers (quants and sub-block scales) by one
// small function per format; dequantize and the dot product are then written once over those
// integers, so the bit layout of each format is spelled out in exactly one place.
//
// Layouts (see kernels/types.h for the structs). Element e of a super-block, 0 <= e < 256:
//  q2_K: half h = e/128, r = e%128, shift = 2*(r/32): q = (qs[32h + r%32] >> shift) & 3;
//        sub-block s = e/16 has scale scales[s] & 15 and min scales[s] >> 4;
//        w = d*scale*q - dmin*min.
//  q3_K: like q2_K's low two bits, plus bit (4h + r/32) of hmask[r%32]; q = low - (bit ? 0 : 4);
//        16 signed 6-bit scales (packed, see unpack_q3_K_scales), minus 32; w = d*scale*q.
//  q4_K: chunk c = e/64 uses qs[32c .. 32c+31]: low nibbles are sub-block 2c, high nibbles
//        2c+1; 8 6-bit scales and 8 6-bit mins packed in 12 bytes (unpack_k4_scales);
//        w = d*scale*q - dmin*min, one scale and min per 32 weights.
//  q5_K: q4_K plus a fifth bit: bit s = e/32 of qh[e%32] adds 16.
//  q6_K: half h = e/128, r = e%128: low nibble of ql[64h + r%64] (shifted right by 4 when
//        r >= 64), high two bits (qh[32h + r%32] >> 2*(r/32)) & 3; q = low | high<<4, minus 32;
//        signed 8-bit scale per 16 weights; w = d*scale*q.
//  q8_K: w = d * qs (d is a float), bsums[s] = sum of qs over sub-block s of 16.
//
// Dot products w . a (a in q8_K) are exact integer sums per super-block, scaled in float:
//   sum += (d_w * d_a) * sum_s(scale_s * sum_{e in s} q_e * a_e) - (dmin_w * d_a) * sum_s(min_s * bsum_s)
// which is the math ggml defines; only the order of the float additions differs between kernels.
#include <cassert>
#include <cmath>
#include <cstring>

#include "base/fp16.h"
#include "kernels/ref/ref.h"
#include "kernels/types.h"

namespace slm::ref {
namespace {

// Blocks are read by memcpy so that no pointer needs any alignment.
template <typename Block>
Block load_block(const void* base, int64_t i) {
  Block b;
  std::memcpy(&b, static_cast<const uint8_t*>(base) + i * static_cast<int64_t>(sizeof(Block)),
              sizeof(Block));
  return b;
}

// A super-block decoded to integers: w_e = d * scale[e/group] * q_e - dmin * min[e/group].
struct Decoded {
  int8_t q[QK_K];
  int scale[16];  // per sub-block (16 sub-blocks of 16, or 8 of 32 for q4_K/q5_K)
  int min[16];
  int group = 16;  // weights per sub-block
  float d = 0, dmin = 0;
};

// q4_K / q5_K: 12 bytes hold 8 scales and 8 mins of 6 bits. Sub-blocks 0..3 keep their low six
// bits in bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 keep their low four bits in the
// nibbles of bytes 8..11 (scale low, min high) and their top two bits in the top two bits of
// bytes 0..3 (scales) and 4..7 (mins).
void unpack_k4_scales(const uint8_t* s, int* scale, int* min) {
  for (int j = 0; j < 4; ++j) {
    scale[j] = s[j] & 63;
    min[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scale[j] = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
    min[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// q3_K: 16 scales of 6 bits. The low four bits of scale j are nibble j/8 of byte j%8; the high
// two bits are bits 2*(j/4) .. 2*(j/4)+1 of byte 8 + j%4. Stored with a bias of 32.
void unpack_q3_K_scales(const uint8_t* s, int* scale) {
  for (int j = 0; j < 16; ++j) {
    const int low = (s[j % 8] >> (4 * (j / 8))) & 15;
    const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    scale[j] = (low | (high << 4)) - 32;
  }
}

void decode_q2_K(const block_q2_K& b, Decoded& out) {
  out.group = 16;
  out.d = fp16_to_fp32(b.d);
  out.dmin = fp16_to_fp32(b.dmin);
  for (int s = 0; s < 16; ++s) {
    out.scale[s] = b.scales[s] & 15;
    out.min[s] = b.scales[s] >> 4;
  }
  for (int e = 0; e < QK_K; ++e) {
    const int h = e / 128, r = e % 128;
    out.q[e] = static_cast<int8_t>((b.qs[32 * h + r % 32] >> (2 * (r / 32))) & 3);
  }
}

void decode_q3_K(const block_q3_K& b, Decoded& out) {
  out.group = 16;
  out.d = fp16_to_fp32(b.d);
  out.dmin = 0;
  unpack_q3_K_scales(b.scales, out.scale);
  for (int s = 0; s < 16; ++s) out.min[s] = 0;
  for (int e = 0; e < QK_K; ++e) {
    const int h = e / 128, r = e % 128;
    const int low = (b.qs[32 * h + r % 32] >> (2 * (r / 32))) & 3;
    const bool high = (b.hmask[r % 32] >> (4 * h + r / 32)) & 1;
    out.q[e] = static_cast<int8_t>(low - (high ? 0 : 4));
  }
}

void decode_q4_K(const block_q4_K& b, Decoded& out) {
  out.group = 32;
  out.d = fp16_to_fp32(b.d);
  out.dmin = fp16_to_fp32(b.dmin);
  unpack_k4_scales(b.scales, out.scale, out.min);
  for (int e = 0; e < QK_K; ++e) {
    const int c = e / 64, r = e % 64;
    out.q[e] = static_cast<int8_t>((b.qs[32 * c + r % 32] >> (4 * (r / 32))) & 15);
  }
}

void decode_q5_K(const block_q5_K& b, Decoded& out) {
  out.group = 32;
  out.d = fp16_to_fp32(b.d);
  out.dmin = fp16_to_fp32(b.dmin);
  unpack_k4_scales(b.scales, out.scale, out.min);
  for (int e = 0; e < QK_K; ++e) {
    const int c = e / 64, r = e % 64;
    const int low = (b.qs[32 * c + r % 32] >> (4 * (r / 32))) & 15;
    const int high = (b.qh[e % 32] >> (e / 32)) & 1;
    out.q[e] = static_cast<int8_t>(low | (high << 4));
  }
}

void decode_q6_K(const block_q6_K& b, Decoded& out) {
  out.group = 16;
  out.d = fp16_to_fp32(b.d);
  out.dmin = 0;
  for (int s = 0; s < 16; ++s) {
    out.scale[s] = b.scales[s];
    out.min[s] = 0;
  }
  for (int e = 0; e < QK_K; ++e) {
    const int h = e / 128, r = e % 128;
    const int low = (b.ql[64 * h + r % 64] >> (4 * (r / 64))) & 15;
    const int high = (b.qh[32 * h + r % 32] >> (2 * (r / 32))) & 3;
    out.q[e] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

// y_e = (d*scale)*q_e - dmin*min, with the products formed in float in that order (as ggml and
// gguf-py do), so SIMD kernels can match bit for bit.
void dequantize_decoded(const Decoded& b, float* y) {
  for (int s = 0; s < QK_K / b.group; ++s) {
    const float dl = b.d * static_cast<float>(b.scale[s]);
    const float ml = b.dmin * static_cast<float>(b.min[s]);
    for (int l = 0; l < b.group; ++l) {
      const int e = s * b.group + l;
      y[e] = dl * static_cast<float>(b.q[e]) - ml;
    }
  }
}

// One super-block of w . a: the integer sums, then the two float scalings.
float dot_decoded(const Decoded& w, const block_q8_K& a) {
  int32_t sum_q = 0;  // sum over sub-blocks of scale * (q . a)
  for (int s = 0; s < QK_K / w.group; ++s) {
    int32_t dot = 0;
    for (int l = 0; l < w.group; ++l) dot += w.q[s * w.group + l] * a.qs[s * w.group + l];
    sum_q += w.scale[s] * dot;
  }
  int32_t sum_min = 0;  // sum over sub-blocks of min * (sum of a), from the 16-wide bsums
  for (int j = 0; j < QK_K / 16; ++j) sum_min += w.min[j * 16 / w.group] * a.bsums[j];
  return (w.d * a.d) * static_cast<float>(sum_q) - (w.dmin * a.d) * static_cast<float>(sum_min);
}

template <typename Block, void (*Decode)(const Block&, Decoded&)>
void dequantize_row(const void* x, float* y, int64_t n) {
  assert(n % QK_K == 0);
  Decoded dec;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    Decode(load_block<Block>(x, i), dec);
    dequantize_decoded(dec, y + i * QK_K);
  }
}

template <typename Block, void (*Decode)(const Block&, Decoded&)>
float vec_dot(int64_t n, const void* w, const void* a) {
  assert(n % QK_K == 0);
  Decoded dec;
  float sum = 0;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    Decode(load_block<Block>(w, i), dec);
    sum += dot_decoded(dec, load_block<block_q8_K>(a, i));
  }
  return sum;
}

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 pushes the fraction out of
// the mantissa under the default rounding mode, and the low mantissa bits are then the integer
// (offset by 2^22). This is the rounding ggml's quantizers use.
int round_nearest(float v) {
  const float shifted = v + 12582912.0f;
  const uint32_t bits = fp32_to_bits(shifted);
  return static_cast<int>(bits & 0x007fffffu) - 0x00400000;
}

}  // namespace

void dequantize_row_q2_K(const void* x, float* y, int64_t n) { dequantize_row<block_q2_K, decode_q2_K>(x, y, n); }
void dequantize_row_q3_K(const void* x, float* y, int64_t n) { dequantize_row<block_q3_K, decode_q3_K>(x, y, n); }
void dequantize_row_q4_K(const void* x, float* y, int64_t n) { dequantize_row<block_q4_K, decode_q4_K>(x, y, n); }
void dequantize_row_q5_K(const void* x, float* y, int64_t n) { dequantize_row<block_q5_K, decode_q5_K>(x, y, n); }
void dequantize_row_q6_K(const void* x, float* y, int64_t n) { dequantize_row<block_q6_K, decode_q6_K>(x, y, n); }

float vec_dot_q2_K_q8_K(int64_t n, const void* w, const void* a) { return vec_dot<block_q2_K, decode_q2_K>(n, w, a); }
float vec_dot_q3_K_q8_K(int64_t n, const void* w, const void* a) { return vec_dot<block_q3_K, decode_q3_K>(n, w, a); }
float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) { return vec_dot<block_q4_K, decode_q4_K>(n, w, a); }
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) { return vec_dot<block_q5_K, decode_q5_K>(n, w, a); }
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) { return vec_dot<block_q6_K, decode_q6_K>(n, w, a); }

void dequantize_row_q8_K(const void* x, float* y, int64_t n) {
  assert(n % QK_K == 0);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const block_q8_K b = load_block<block_q8_K>(x, i);
    for (int e = 0; e < QK_K; ++e) y[i * QK_K + e] = b.d * static_cast<float>(b.qs[e]);
  }
}

// Activation quantizer, as ggml defines it: per super-block take the element of largest magnitude
// (the first one, with its sign), iscale = -127 / that element, q = round(iscale * x) clamped
// above at 127 (the largest element itself lands on -127), d = 1 / iscale. An all-zero block
// gets d = 0 and zero quants.
void quantize_row_q8_K(const float* x, void* y, int64_t n) {
  assert(n % QK_K == 0);
  auto* out = static_cast<uint8_t*>(y);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float* xb = x + i * QK_K;
    block_q8_K b{};
    float amax = 0, max = 0;
    for (int e = 0; e < QK_K; ++e) {
      const float ax = std::fabs(xb[e]);
      if (ax > amax) {
        amax = ax;
        max = xb[e];
      }
    }
    if (amax != 0) {
      const float iscale = -127.0f / max;
      for (int e = 0; e < QK_K; ++e) {
        const int v = round_nearest(iscale * xb[e]);
        b.qs[e] = static_cast<int8_t>(v < 127 ? v : 127);
      }
      for (int j = 0; j < QK_K / 16; ++j) {
        int sum = 0;
        for (int l = 0; l < 16; ++l) sum += b.qs[16 * j + l];
        b.bsums[j] = static_cast<int16_t>(sum);
      }
      b.d = 1.0f / iscale;
    }
    std::memcpy(out + i * static_cast<int64_t>(sizeof(block_q8_K)), &b, sizeof b);
  }
}

}  // namespace slm::ref
