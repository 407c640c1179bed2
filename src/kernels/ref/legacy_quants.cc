// Scalar reference kernels for the legacy 32-element block formats (q4_0, q4_1, q5_0, q5_1,
// q8_0, q8_1). Layouts are in kernels/types.h; the numbers follow GGUF (ggml) exactly:
//
//   q4_0  w[j] = d * (q[j] - 8)        q[j] in 0..15
//   q4_1  w[j] = d * q[j] + m          q[j] in 0..15
//   q5_0  w[j] = d * (q[j] - 16)       q[j] in 0..31
//   q5_1  w[j] = d * q[j] + m          q[j] in 0..31
//   q8_0  w[j] = d * q[j]              q[j] in -128..127
//   q8_1  w[j] = d * q[j], and s = d * sum(q) for the q4_1 / q5_1 dot products
//
// Nibble order: byte qs[j] holds element j in its low nibble and element j + 16 in its high
// nibble. The fifth bit of element j (q5_*) is bit j of the little-endian 32-bit word qh.
//
// Blocks are copied out with memcpy: rows need no alignment, and a block pointer at an odd
// address must not be dereferenced as a struct.
#include <cmath>
#include <cstring>

#include "base/fp16.h"
#include "kernels/ref/ref.h"
#include "kernels/types.h"

namespace slm::ref {
namespace {

template <class Block>
Block load_block(const void* p, int64_t i) {
  Block b;
  std::memcpy(&b, static_cast<const unsigned char*>(p) + i * static_cast<int64_t>(sizeof(Block)), sizeof b);
  return b;
}

template <class Block>
void store_block(void* p, int64_t i, const Block& b) {
  std::memcpy(static_cast<unsigned char*>(p) + i * static_cast<int64_t>(sizeof(Block)), &b, sizeof b);
}

uint32_t load_qh(const uint8_t qh[4]) {
  return static_cast<uint32_t>(qh[0]) | static_cast<uint32_t>(qh[1]) << 8 | static_cast<uint32_t>(qh[2]) << 16 |
         static_cast<uint32_t>(qh[3]) << 24;
}

// The 4-bit quant of element j (0..31) of a block's qs.
int nibble(const uint8_t qs[QK / 2], int j) { return j < QK / 2 ? qs[j] & 0x0F : qs[j - QK / 2] >> 4; }

// The 5-bit quant of element j: its nibble plus bit j of qh as bit 4.
int quant5(const uint8_t qs[QK / 2], uint32_t qh, int j) {
  return nibble(qs, j) | static_cast<int>((qh >> j) & 1u) << 4;
}

// The activation quantizer shared by q8_0 and q8_1: d = amax / 127, q = roundf(x / d) computed
// as x * (1 / d) (bit-exact with ggml's reference), d == 0 gives all-zero quants.
float quantize_block_q8(const float* x, int8_t qs[QK]) {
  float amax = 0.0f;
  for (int j = 0; j < QK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  // The clamp changes nothing for finite inputs (|x * id| <= 127 up to rounding); it keeps the
  // int8 conversion defined for nan/inf and for a subnormal d whose inverse overflows.
  for (int j = 0; j < QK; ++j) qs[j] = static_cast<int8_t>(std::roundf(std::fmin(std::fmax(x[j] * id, -127.0f), 127.0f)));
  return d;
}

}  // namespace

// ---- dequantize ----

void dequantize_row_q4_0(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q4_0 b = load_block<block_q4_0>(x, i);
    const float d = fp16_to_fp32(b.d);
    for (int j = 0; j < QK; ++j) y[i * QK + j] = static_cast<float>(nibble(b.qs, j) - 8) * d;
  }
}

void dequantize_row_q4_1(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q4_1 b = load_block<block_q4_1>(x, i);
    const float d = fp16_to_fp32(b.d), m = fp16_to_fp32(b.m);
    for (int j = 0; j < QK; ++j) y[i * QK + j] = static_cast<float>(nibble(b.qs, j)) * d + m;
  }
}

void dequantize_row_q5_0(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q5_0 b = load_block<block_q5_0>(x, i);
    const float d = fp16_to_fp32(b.d);
    const uint32_t qh = load_qh(b.qh);
    for (int j = 0; j < QK; ++j) y[i * QK + j] = static_cast<float>(quant5(b.qs, qh, j) - 16) * d;
  }
}

void dequantize_row_q5_1(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q5_1 b = load_block<block_q5_1>(x, i);
    const float d = fp16_to_fp32(b.d), m = fp16_to_fp32(b.m);
    const uint32_t qh = load_qh(b.qh);
    for (int j = 0; j < QK; ++j) y[i * QK + j] = static_cast<float>(quant5(b.qs, qh, j)) * d + m;
  }
}

void dequantize_row_q8_0(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q8_0 b = load_block<block_q8_0>(x, i);
    const float d = fp16_to_fp32(b.d);
    for (int j = 0; j < QK; ++j) y[i * QK + j] = static_cast<float>(b.qs[j]) * d;
  }
}

void dequantize_row_q8_1(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q8_1 b = load_block<block_q8_1>(x, i);
    const float d = fp16_to_fp32(b.d);
    for (int j = 0; j < QK; ++j) y[i * QK + j] = static_cast<float>(b.qs[j]) * d;
  }
}

// ---- quantize (activations) ----

void quantize_row_q8_0(const float* x, void* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    block_q8_0 b;
    const float d = quantize_block_q8(x + i * QK, b.qs);
    b.d = fp32_to_fp16(d);
    store_block(y, i, b);
  }
}

void quantize_row_q8_1(const float* x, void* y, int64_t n) {
  for (int64_t i = 0; i < n / QK; ++i) {
    block_q8_1 b;
    const float d = quantize_block_q8(x + i * QK, b.qs);
    int sum = 0;
    for (int j = 0; j < QK; ++j) sum += b.qs[j];
    b.d = fp32_to_fp16(d);
    b.s = fp32_to_fp16(static_cast<float>(sum) * d);  // the f32 d, not the rounded f16 one
    store_block(y, i, b);
  }
}

// ---- dot products: exact integer dot per block, scaled by both block scales ----

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q4_0 x = load_block<block_q4_0>(w, i);
    const block_q8_0 y = load_block<block_q8_0>(a, i);
    int sumi = 0;
    for (int j = 0; j < QK; ++j) sumi += (nibble(x.qs, j) - 8) * y.qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x.d) * fp16_to_fp32(y.d));
  }
  return sum;
}

float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
  // sum_j (d_x q_j + m)(d_y r_j) = d_x d_y sum_j q_j r_j + m * s_y
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q4_1 x = load_block<block_q4_1>(w, i);
    const block_q8_1 y = load_block<block_q8_1>(a, i);
    int sumi = 0;
    for (int j = 0; j < QK; ++j) sumi += nibble(x.qs, j) * y.qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x.d) * fp16_to_fp32(y.d)) + fp16_to_fp32(x.m) * fp16_to_fp32(y.s);
  }
  return sum;
}

float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q5_0 x = load_block<block_q5_0>(w, i);
    const block_q8_0 y = load_block<block_q8_0>(a, i);
    const uint32_t qh = load_qh(x.qh);
    int sumi = 0;
    for (int j = 0; j < QK; ++j) sumi += (quant5(x.qs, qh, j) - 16) * y.qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x.d) * fp16_to_fp32(y.d));
  }
  return sum;
}

float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q5_1 x = load_block<block_q5_1>(w, i);
    const block_q8_1 y = load_block<block_q8_1>(a, i);
    const uint32_t qh = load_qh(x.qh);
    int sumi = 0;
    for (int j = 0; j < QK; ++j) sumi += quant5(x.qs, qh, j) * y.qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x.d) * fp16_to_fp32(y.d)) + fp16_to_fp32(x.m) * fp16_to_fp32(y.s);
  }
  return sum;
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK; ++i) {
    const block_q8_0 x = load_block<block_q8_0>(w, i);
    const block_q8_0 y = load_block<block_q8_0>(a, i);
    int sumi = 0;
    for (int j = 0; j < QK; ++j) sumi += x.qs[j] * y.qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x.d) * fp16_to_fp32(y.d));
  }
  return sum;
}

}  // namespace slm::ref
