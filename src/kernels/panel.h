// Packed weight panels: the layout quantized weights are multiplied in, by batches of prompt
// tokens and, for the types with a resident format, by single tokens too.
//
// A panel is kPanelRows = 16 consecutive weight rows re-laid so that one 64-byte vector holds four
// consecutive quants of each of the 16 rows (32-bit lane r = row r). An integer dot instruction
// (unsigned x signed bytes, four products summed into each int32 lane: VNNI's vpdpbusd) against
// four activation bytes broadcast to every lane then advances 16 row dots at once, with no
// horizontal sums, and one weight load serves every token of a tile.
//
// Every supported type is written as blocks of B elements (32, or 16 for q6_K's 16-weight
// scales) of unsigned quants u with w = d * (u - bias) + m (m = 0 for types without a min). The
// n_blocks blocks lie back to back, in super-blocks of S blocks (S = 1 but for the resident
// k-quants, below), each block holding
//   q [B / 4][16][4] uint8   quants, lane r = row r
//   d [16] float              its scale per row
//   m [16] float              its min per row (types with a min only)
// Rows past the end of the matrix have u = 0 and d = m = 0. Scales sit inside their block, not
// in an array after the quants, so that a product reads a panel (and a matrix of resident panels)
// as one forward stream: hardware prefetchers follow forward streams and lose them at jumps (one
// core streaming 4.6 KiB pieces read 33 GB/s back to back, 12 GB/s skipping 576 bytes after each).
//
// Two kinds of panels use this layout:
//  - packed on the fly (panel_format): every type above; a thread packs one panel at a time for
//    a batch of prompt tokens and reuses it for all of them, so nothing is copied at load time;
//  - resident (resident_panel_format): matrices of every type above are packed once at load and
//    replace the file's bytes for the products. To read (nearly) no more bytes than
//    the file per token, they keep the file's bits:
//     - 4-bit quants are two per byte (nibbles): a block's q becomes [B / 8][16][4], byte (s, r, k)
//       holding quant 8s + k of row r in its low nibble and quant 8s + 4 + k in its high one, so
//       one 64-byte load and two masks give the vectors of two groups of four;
//     - 5-bit quants (q5_0, q5_1, q5_K) are those nibbles of their low four bits followed by one
//       64-byte vector of fifth bits: bit i of byte (r, k) is bit 4 of quant 4i + k of row r;
//       q6_K's 6-bit quants are the nibbles followed by [B / 16][16][4] bytes of high bit pairs:
//       bits 2i, 2i + 1 of byte (h, r, k) are bits 4, 5 of quant 16h + 4i + k. Either way one
//       more load, then a shift and a mask per group of four, complete the quants;
//     - q4_0, q4_1, q5_0, q5_1, q8_0: d and m are the file's binary16;
//     - q4_K, q5_K, q6_K (sub-block scales): a super-block (S = 8 blocks of 32, or 16 of 16: the
//       file's 256 weights) starts with a header of the file's binary16 d [16] (and dmin [16]) per row;
//       each block's d and m are then 8-bit: scale [16] (int8 for q6_K) and min [16], and the
//       weights are d = d_super * scale, m = -(dmin * min). Those products are exact in float
//       (11 by 8 significant bits), so they are the same values the on-the-fly format stores.
//       q6_K takes exactly the file's bytes; q4_K and q5_K 4 more per 256 weights than the file's
//       144 and 176 (their 6-bit scales and mins widened to bytes, loaded without unpacking).
//    A single generated token then costs the same few instructions per 16 rows as a batch does,
//    instead of a horizontal sum per row.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/fp16.h"
#include "kernels/types.h"
#include "kernels/unaligned.h"

namespace slm {

inline constexpr int kPanelRows = 16;

enum class PanelQuants : uint8_t {
  kBytes,     // one quant per byte
  kNibbles,   // 4-bit, two per byte
  kFiveBits,  // the nibbles of the low four bits, then the fifth bits
  kSixBits,   // the nibbles of the low four bits, then the high bit pairs
};
enum class PanelScales : uint8_t {
  kFloat,     // per block: d (and m) as float
  kHalf,      // per block: d (and m) as binary16
  kSubBlock,  // per super-block a binary16 header, per block 8-bit scales (and mins)
};

struct PanelFormat {
  int block = 32;  // elements per block: 32, or 16
  int bias = 0;    // w = d * (u - bias) + m
  bool has_min = false;
  PanelQuants quants = PanelQuants::kBytes;
  PanelScales scales = PanelScales::kFloat;
  int per_super = 1;           // blocks per super-block: 1 but for kSubBlock
  bool signed_scales = false;  // kSubBlock: the 8-bit scales are int8 (q6_K), else uint8

  constexpr bool resident() const { return scales != PanelScales::kFloat; }
  // Bytes of a block's quants, of one block's d (or m) for the 16 rows, of a whole block, of a
  // super-block's header and of a whole super-block.
  constexpr size_t quant_bytes() const {
    const int bits = quants == PanelQuants::kBytes     ? 8
                     : quants == PanelQuants::kNibbles ? 4
                     : quants == PanelQuants::kFiveBits ? 5
                                                        : 6;
    return static_cast<size_t>(block * bits / 8) * kPanelRows;
  }
  constexpr size_t scale_bytes() const {
    return kPanelRows * (scales == PanelScales::kFloat ? 4 : scales == PanelScales::kHalf ? 2 : 1);
  }
  constexpr size_t block_bytes() const { return quant_bytes() + scale_bytes() * (has_min ? 2 : 1); }
  constexpr size_t header_bytes() const {
    return scales == PanelScales::kSubBlock ? kPanelRows * sizeof(uint16_t) * (has_min ? 2 : 1) : 0;
  }
  constexpr size_t super_bytes() const { return header_bytes() + static_cast<size_t>(per_super) * block_bytes(); }
  constexpr int super_elements() const { return block * per_super; }
  friend constexpr bool operator==(const PanelFormat&, const PanelFormat&) = default;
};

// Every format, named so that kernels can be compiled per format (a PanelFormat is a valid
// template argument; see with_panel_format). On the fly:
inline constexpr PanelFormat kPanelBias8{32, 8};      // q4_0
inline constexpr PanelFormat kPanelBias16{32, 16};    // q5_0
inline constexpr PanelFormat kPanelBias128{32, 128};  // q8_0: u = q + 128
inline constexpr PanelFormat kPanelWithMin{32, 0, true};  // q4_1, q5_1, q4_K, q5_K
inline constexpr PanelFormat kPanelQ6_K{16, 32};          // 16-weight scales
// Resident:
inline constexpr PanelFormat kResidentQ4_0{32, 8, false, PanelQuants::kNibbles, PanelScales::kHalf};
inline constexpr PanelFormat kResidentQ4_1{32, 0, true, PanelQuants::kNibbles, PanelScales::kHalf};
inline constexpr PanelFormat kResidentQ5_0{32, 16, false, PanelQuants::kFiveBits, PanelScales::kHalf};
inline constexpr PanelFormat kResidentQ5_1{32, 0, true, PanelQuants::kFiveBits, PanelScales::kHalf};
inline constexpr PanelFormat kResidentQ8_0{32, 128, false, PanelQuants::kBytes, PanelScales::kHalf};
inline constexpr PanelFormat kResidentQ4_K{32, 0, true, PanelQuants::kNibbles, PanelScales::kSubBlock, 8};
inline constexpr PanelFormat kResidentQ5_K{32, 0, true, PanelQuants::kFiveBits, PanelScales::kSubBlock, 8};
inline constexpr PanelFormat kResidentQ6_K{16, 32, false, PanelQuants::kSixBits, PanelScales::kSubBlock, 16, true};

// Calls fn.template operator()<F>() with F the named format equal to f, so that a kernel is
// compiled per format. On-the-fly formats that differ only in their bias (it enters through the
// activations' corr) share kPanelBias8's kernel, but for q8_0's kPanelBias128 (whose quants AVX2
// multiplies signed).
template <class Fn>
void with_panel_format(const PanelFormat& f, Fn&& fn) {
  if (f == kResidentQ4_0) return fn.template operator()<kResidentQ4_0>();
  if (f == kResidentQ4_1) return fn.template operator()<kResidentQ4_1>();
  if (f == kResidentQ5_0) return fn.template operator()<kResidentQ5_0>();
  if (f == kResidentQ5_1) return fn.template operator()<kResidentQ5_1>();
  if (f == kResidentQ8_0) return fn.template operator()<kResidentQ8_0>();
  if (f == kResidentQ4_K) return fn.template operator()<kResidentQ4_K>();
  if (f == kResidentQ5_K) return fn.template operator()<kResidentQ5_K>();
  if (f == kResidentQ6_K) return fn.template operator()<kResidentQ6_K>();
  if (f == kPanelQ6_K) return fn.template operator()<kPanelQ6_K>();
  if (f == kPanelWithMin) return fn.template operator()<kPanelWithMin>();
  if (f == kPanelBias128) return fn.template operator()<kPanelBias128>();
  fn.template operator()<kPanelBias8>();
}

// The panel format of weight type t packed on the fly, or null when t has none.
const PanelFormat* panel_format(TensorType t);
// The resident panel format of t, or null when t has none (every type panel_format knows has
// one). It converts activations exactly as panel_format(t) does (same block, bias and min).
const PanelFormat* resident_panel_format(TensorType t);
// Bytes of one packed panel of n_in columns (a multiple of f.super_elements()).
size_t panel_bytes(const PanelFormat& f, int64_t n_in);

// Packs rows [0, n_rows) (n_rows <= kPanelRows) of a t-typed matrix (row i at w + i * row_bytes)
// into `panel` (panel_bytes(f, n_in) bytes) in format f, panel_format(t) or
// resident_panel_format(t). Plain C++: a layout change done once per panel and batch (or once at
// load), cheap next to the products.
void pack_panel(const PanelFormat& f, TensorType t, const uint8_t* w, size_t row_bytes, int n_rows, int64_t n_in,
                uint8_t* panel);

struct PanelView {  // a packed panel, see the layout above
  const uint8_t* base = nullptr;
  size_t super_stride = 0;  // bytes from one super-block to the next
  size_t header_bytes = 0;  // of a super-block's header (kSubBlock)
  size_t block_stride = 0;  // bytes from one block to the next inside a super-block
  size_t d_offset = 0;      // of d inside a block (= the quants' bytes)
  size_t m_offset = 0;      // of m inside a block; 0 without a min
  int per_super = 1;
  int64_t n_blocks = 0;
  int64_t n_supers = 0;
  const uint8_t* super(int64_t s) const { return base + static_cast<size_t>(s) * super_stride; }
  const uint8_t* q(int64_t b) const {
    return super(b / per_super) + header_bytes + static_cast<size_t>(b % per_super) * block_stride;
  }
  const uint8_t* d(int64_t b) const { return q(b) + d_offset; }  // [16] float, binary16 or 8-bit
  const uint8_t* m(int64_t b) const { return q(b) + m_offset; }  // with a min only
  // kSubBlock: the super-block's d [16] and dmin [16] binary16
  const uint8_t* d_super(int64_t b) const { return super(b / per_super); }
  const uint8_t* dmin_super(int64_t b) const { return super(b / per_super) + kPanelRows * sizeof(uint16_t); }
};
PanelView panel_view(const PanelFormat& f, const uint8_t* panel, int64_t n_in);

// Element access, the layout above in code (the reference kernel and the tests read through it).
// Quant e (< f.block) of block b, row r:
inline int panel_quant(const PanelFormat& f, const PanelView& v, int64_t b, int r, int e) {
  const uint8_t* q = v.q(b);
  if (f.quants == PanelQuants::kBytes) return q[(e / 4) * 4 * kPanelRows + 4 * r + e % 4];
  const uint8_t byte = q[(e / 8) * 4 * kPanelRows + 4 * r + e % 4];
  int u = (e % 8 < 4 ? byte : byte >> 4) & 15;
  if (f.quants == PanelQuants::kNibbles) return u;
  // the high bits: width 1 (fifth bits, 32 quants per vector) or 2 (bit pairs, 16 per vector)
  const int width = f.quants == PanelQuants::kFiveBits ? 1 : 2, per_vector = 32 / width;
  const uint8_t* high = q + static_cast<size_t>(f.block / 8) * 4 * kPanelRows;
  const uint8_t byte_h = high[(e / per_vector) * 4 * kPanelRows + 4 * r + e % 4];
  return u | ((byte_h >> (width * ((e % per_vector) / 4))) & ((1 << width) - 1)) << 4;
}
inline float panel_d(const PanelFormat& f, const PanelView& v, int64_t b, int r) {
  switch (f.scales) {
    case PanelScales::kFloat: return load_f32(v.d(b) + 4 * r);
    case PanelScales::kHalf: return fp16_to_fp32(load_u16(v.d(b) + 2 * r));
    case PanelScales::kSubBlock: {
      const uint8_t s = v.d(b)[r];
      const float scale = f.signed_scales ? static_cast<float>(static_cast<int8_t>(s)) : static_cast<float>(s);
      return fp16_to_fp32(load_u16(v.d_super(b) + 2 * r)) * scale;
    }
  }
  return 0.0f;
}
inline float panel_m(const PanelFormat& f, const PanelView& v, int64_t b, int r) {  // 0 without a min
  if (!f.has_min) return 0.0f;
  switch (f.scales) {
    case PanelScales::kFloat: return load_f32(v.m(b) + 4 * r);
    case PanelScales::kHalf: return fp16_to_fp32(load_u16(v.m(b) + 2 * r));
    case PanelScales::kSubBlock:
      return -(fp16_to_fp32(load_u16(v.dmin_super(b) + 2 * r)) * static_cast<float>(v.m(b)[r]));
  }
  return 0.0f;
}

// y[n_in] = the weights of row r (< kPanelRows) of a packed panel, d * (u - bias) + m: the same
// values as the type's dequantize_row (embedding lookups of a matrix packed at load).
void dequantize_panel_row(const PanelFormat& f, const PanelView& v, int r, float* y);

// Per token and block of the activations.
struct GemmSide {
  float d = 0;       // the activation block's scale
  int32_t corr = 0;  // -bias * sum(a)
  float s = 0;       // types with a min: the activation's sum scaled like vec_dot's (d * sum(a))
};
struct GemmActs {
  const int8_t* q = nullptr;        // [T][n_in] quants
  size_t q_stride = 0;              // bytes between tokens
  const GemmSide* side = nullptr;   // [T][n_blocks]
  int64_t side_stride = 0;          // entries between tokens
};

// Bytes gemm_acts_prepare writes for T tokens of n_in columns.
size_t gemm_acts_bytes(const PanelFormat& f, int64_t n_in, int64_t T);
// From T activation rows xq already converted for weight type t (its vec_dot_type, row_bytes
// apart), writes the GEMM view of tokens [t0, t1) into `out` (gemm_acts_bytes(f, n_in, T) bytes,
// laid out as gemm_acts_view describes).
void gemm_acts_prepare(TensorType t, const uint8_t* xq, size_t row_bytes, int64_t n_in, int64_t T, int64_t t0,
                       int64_t t1, uint8_t* out);
GemmActs gemm_acts_view(const PanelFormat& f, const uint8_t* out, int64_t n_in, int64_t T);

// y[t][r] (row stride y_stride floats) for t < T, r < n_rows: the panel product above.
using GemmPanelFn = void (*)(const PanelFormat& f, const PanelView& w, const GemmActs& a, int64_t T, float* y,
                             int64_t y_stride, int n_rows);

}  // namespace slm
