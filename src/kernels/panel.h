// Packed weight panels: the layout prompt processing multiplies quantized weights in.
//
// A panel is kPanelRows = 16 consecutive weight rows re-laid so that one 64-byte vector holds four
// consecutive quants of each of the 16 rows (32-bit lane r = row r). An integer dot instruction
// (unsigned x signed bytes, four products summed into each int32 lane: VNNI's vpdpbusd) against
// four activation bytes broadcast to every lane then advances 16 row dots at once, with no
// horizontal sums, and one weight load serves every token of a tile. Weights are packed on the
// fly, one panel at a time, and reused by all the tokens of a batch, so nothing is copied at load
// time and the mmap stays the only copy of the weights.
//
// Every supported type is written as blocks of B elements (32, or 16 for q6_K's 16-weight
// scales) of unsigned quants u with w = d * (u - bias) + m (m = 0 for types without a min):
//   q [n_blocks][B / 4][16][4] uint8   quants, lane r = row r
//   d [n_blocks][16] float              per block and row
//   m [n_blocks][16] float              (types with a min only)
// Rows past the end of the matrix have u = 0 and d = m = 0.
//
// Activations for a panel product are int8 rows (the values of the q8 activation blocks the
// dot kernels use, unchanged) plus, per token and block, their scale, -bias * sum(a) and, for
// types with a min, the block's scaled sum. The product of weight row r and token t is then
//   y[t][r] = sum over blocks b, in order, of
//             acc = fma(float(corr + sum u * a), d * da, acc);  acc = fma(m, sa, acc) (with a min)
// which every ISA computes with the same IEEE operations, so all agree bit for bit with the
// scalar reference (kernels/ref/gemm.cc). Against vec_dot the results differ by float rounding
// only (vec_dot sums partial dots in other orders); prompt processing uses panels and one-token
// generation vec_dot, as llama.cpp uses different kernels for batches and single tokens.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace slm {

inline constexpr int kPanelRows = 16;

struct PanelFormat {
  int block = 32;        // elements per block: 32, or 16
  int bias = 0;          // w = d * (u - bias) + m
  bool has_min = false;  // m is stored
};

// The panel format of weight type t, or null when t has no panel packing.
const PanelFormat* panel_format(TensorType t);
// Bytes of one packed panel of n_in columns.
size_t panel_bytes(const PanelFormat& f, int64_t n_in);

// Packs rows [0, n_rows) (n_rows <= kPanelRows) of a t-typed matrix (row i at w + i * row_bytes)
// into `panel` (panel_bytes(*panel_format(t), n_in) bytes). Plain C++: a layout change done once
// per panel and batch, cheap next to the products.
void pack_panel(TensorType t, const uint8_t* w, size_t row_bytes, int n_rows, int64_t n_in, uint8_t* panel);

struct PanelView {  // a packed panel, see the layout above
  const uint8_t* q = nullptr;
  const float* d = nullptr;
  const float* m = nullptr;  // null without a min
  int64_t n_blocks = 0;
};
PanelView panel_view(const PanelFormat& f, const uint8_t* panel, int64_t n_in);

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
