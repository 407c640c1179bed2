// Tensor element types, with block layouts byte-identical to GGUF's (ggml's). A quantized row of
// n elements is n / block_size blocks laid end to end; rows never share a block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slm {

// Values are the on-disk GGUF type ids (append-only upstream; never renumber).
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
};
inline constexpr int kTensorTypeIdLimit = 40;  // one past the largest GGUF type id we index

inline constexpr int QK = 32;     // block size of the legacy formats
inline constexpr int QK_K = 256;  // super-block size of the k-quants
inline constexpr int K_SCALE_SIZE = 12;

using fp16_t = uint16_t;  // IEEE binary16 bits
using bf16_t = uint16_t;  // bfloat16 bits

// ---- legacy blocks (32 weights) --------------------------------------------------------------
struct block_q4_0 {  // w = d * (q - 8), q in [0,15]; low nibbles hold 0..15, high nibbles 16..31
  fp16_t d;
  uint8_t qs[QK / 2];
};
struct block_q4_1 {  // w = d * q + m
  fp16_t d, m;
  uint8_t qs[QK / 2];
};
struct block_q5_0 {  // w = d * (q - 16), fifth bit of element j is bit j of qh
  fp16_t d;
  uint8_t qh[4];
  uint8_t qs[QK / 2];
};
struct block_q5_1 {  // w = d * q + m
  fp16_t d, m;
  uint8_t qh[4];
  uint8_t qs[QK / 2];
};
struct block_q8_0 {  // w = d * q
  fp16_t d;
  int8_t qs[QK];
};
struct block_q8_1 {  // activation type for q4_1/q5_1: s = d * sum(qs)
  fp16_t d, s;
  int8_t qs[QK];
};

// ---- k-quant super-blocks (256 weights) ------------------------------------------------------
struct block_q2_K {
  uint8_t scales[QK_K / 16];  // 4-bit scale and 4-bit min per 16 weights
  uint8_t qs[QK_K / 4];       // 2-bit quants
  fp16_t d, dmin;
};
struct block_q3_K {
  uint8_t hmask[QK_K / 8];  // high bit of each quant
  uint8_t qs[QK_K / 4];     // low 2 bits
  uint8_t scales[12];       // 16 6-bit scales
  fp16_t d;
};
struct block_q4_K {
  fp16_t d, dmin;
  uint8_t scales[K_SCALE_SIZE];  // 8 6-bit scales and 8 6-bit mins
  uint8_t qs[QK_K / 2];
};
struct block_q5_K {
  fp16_t d, dmin;
  uint8_t scales[K_SCALE_SIZE];
  uint8_t qh[QK_K / 8];
  uint8_t qs[QK_K / 2];
};
struct block_q6_K {
  uint8_t ql[QK_K / 2];       // low 4 bits
  uint8_t qh[QK_K / 4];       // high 2 bits
  int8_t scales[QK_K / 16];   // 8-bit scales per 16 weights
  fp16_t d;
};
struct block_q8_K {  // activation type for the k-quants
  float d;
  int8_t qs[QK_K];
  int16_t bsums[QK_K / 16];  // sum of each group of 16 quants
};

static_assert(sizeof(block_q4_0) == 18);
static_assert(sizeof(block_q4_1) == 20);
static_assert(sizeof(block_q5_0) == 22);
static_assert(sizeof(block_q5_1) == 24);
static_assert(sizeof(block_q8_0) == 34);
static_assert(sizeof(block_q8_1) == 36);
static_assert(sizeof(block_q2_K) == 84);
static_assert(sizeof(block_q3_K) == 110);
static_assert(sizeof(block_q4_K) == 144);
static_assert(sizeof(block_q5_K) == 176);
static_assert(sizeof(block_q6_K) == 210);
static_assert(sizeof(block_q8_K) == 292);

struct TypeTraits {
  std::string_view name;       // GGUF/ggml spelling, e.g. "q4_K"
  int64_t block_size = 0;      // elements per block; 0 = not a type slm knows
  size_t type_size = 0;        // bytes per block
  TensorType vec_dot_type{};   // the type activations are converted to for dot products
};

// Traits of a type id, or a TypeTraits with block_size 0 for ids slm does not support.
const TypeTraits& type_traits(uint32_t type_id);
inline const TypeTraits& type_traits(TensorType t) { return type_traits(static_cast<uint32_t>(t)); }
bool is_supported_type(uint32_t type_id);
// Bytes of a row of n elements (n must be a multiple of the block size).
inline size_t row_size(TensorType t, int64_t n) {
  const TypeTraits& tr = type_traits(t);
  return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}
std::string_view type_name(uint32_t type_id);  // "unknown(id)" is not returned; use name or ""

}  // namespace slm
