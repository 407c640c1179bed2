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
// n_blocks blocks lie back to back, each holding
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
//  - resident (resident_panel_format): q4_0, q4_1 and q8_0 matrices are packed once at load and
//    replace the file's bytes for the products. To read no more bytes than the file per token,
//    their scales are binary16 (the file's own values) and 4-bit quants are two per byte
//    (nibbles): a block's q becomes [B / 8][16][4], byte (s, r, k) holding quant 8s + k of row r
//    in its low nibble and quant 8s + 4 + k in its high one, so one 64-byte load and two masks
//    give the vectors of two groups of four. A single generated token then costs the same few
//    instructions per 16 rows as a batch does, instead of a horizontal sum per row.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/fp16.h"
#include "kernels/types.h"
#include "kernels/unaligned.h"

namespace slm {

inline constexpr int kPanelRows = 16;

struct PanelFormat {
  int block = 32;            // elements per block: 32, or 16
  int bias = 0;              // w = d * (u - bias) + m
  bool has_min = false;      // m is stored
  bool nibbles = false;      // 4-bit quants, two per byte (resident formats)
  bool half_scales = false;  // d and m in binary16 (resident formats)
};

// The panel format of weight type t packed on the fly, or null when t has none.
const PanelFormat* panel_format(TensorType t);
// The resident panel format of t, or null when t has none (q4_0, q4_1, q8_0 have one). It
// converts activations exactly as panel_format(t) does (same block, bias and min).
const PanelFormat* resident_panel_format(TensorType t);
// Bytes of one packed panel of n_in columns.
size_t panel_bytes(const PanelFormat& f, int64_t n_in);

// Packs rows [0, n_rows) (n_rows <= kPanelRows) of a t-typed matrix (row i at w + i * row_bytes)
// into `panel` (panel_bytes(f, n_in) bytes) in format f, panel_format(t) or
// resident_panel_format(t). Plain C++: a layout change done once per panel and batch (or once at
// load), cheap next to the products.
void pack_panel(const PanelFormat& f, TensorType t, const uint8_t* w, size_t row_bytes, int n_rows, int64_t n_in,
                uint8_t* panel);

struct PanelView {  // a packed panel, see the layout above
  const uint8_t* blocks = nullptr;
  size_t block_stride = 0;  // bytes from one block to the next
  size_t d_offset = 0;      // of d inside a block (= the quants' bytes)
  size_t m_offset = 0;      // of m inside a block; 0 without a min
  int64_t n_blocks = 0;
  const uint8_t* q(int64_t b) const { return blocks + static_cast<size_t>(b) * block_stride; }
  const uint8_t* d(int64_t b) const { return q(b) + d_offset; }  // [16] float, or binary16
  const uint8_t* m(int64_t b) const { return q(b) + m_offset; }  // with a min only
};
PanelView panel_view(const PanelFormat& f, const uint8_t* panel, int64_t n_in);

// Element access, the layout above in code (the reference kernel and the tests read through it).
// Quant e (< f.block) of block b, row r:
inline int panel_quant(const PanelFormat& f, const PanelView& v, int64_t b, int r, int e) {
  if (!f.nibbles) return v.q(b)[(e / 4) * 4 * kPanelRows + 4 * r + e % 4];
  const uint8_t byte = v.q(b)[(e / 8) * 4 * kPanelRows + 4 * r + e % 4];
  return (e % 8 < 4 ? byte : byte >> 4) & 15;
}
namespace panel_detail {
inline float scale_at(const PanelFormat& f, const uint8_t* p, int r) {
  return f.half_scales ? fp16_to_fp32(load_u16(p + 2 * r)) : load_f32(p + 4 * r);
}
}  // namespace panel_detail
inline float panel_d(const PanelFormat& f, const PanelView& v, int64_t b, int r) {
  return panel_detail::scale_at(f, v.d(b), r);
}
inline float panel_m(const PanelFormat& f, const PanelView& v, int64_t b, int r) {  // 0 without a min
  return f.has_min ? panel_detail::scale_at(f, v.m(b), r) : 0.0f;
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
