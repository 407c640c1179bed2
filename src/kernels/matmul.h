// Matrix products of the forward pass: Y = X . W^T with W a weight matrix in any supported type,
// viewed in place in the mmap. Orchestration only (blocking, threading); the inner dot products
// come from the kernel table, so this file has no intrinsics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/thread_pool.h"
#include "kernels/types.h"

namespace slm {

// W: n_out rows of n_in elements, each row_bytes long, in `type`. Shape in ggml terms [n_in, n_out].
struct WeightMatrix {
  const uint8_t* data = nullptr;
  TensorType type = TensorType::F32;
  int64_t n_in = 0;
  int64_t n_out = 0;
  size_t row_bytes = 0;
  // The same rows packed at load in resident_panel_format(type) (kernels/panel.h), panel p (rows
  // 16p .. 16p + 15) at panels + p * panel_bytes(format, n_in); null when not packed. Products
  // then read these instead of `data`, for any number of tokens, and so do row lookups
  // (dequantize_row); `data` stays valid (SLM_PANELS=0) but its pages are no longer resident.
  const uint8_t* panels = nullptr;
};

// False when SLM_PANELS=0 is set: no panel products (resident or packed on the fly) and no
// resident panels at load, to compare both paths on one build.
bool panels_enabled();

// Bytes needed to hold T activation rows of n_in values converted for a weight of type w_type.
size_t activation_bytes(TensorType w_type, int64_t n_in, int64_t T);

// Whether activations converted for a serve b too, for T tokens (the same vec_dot_type and the
// same kind of product: dot kernels, or panels of the same block, bias and min).
bool same_activations(const WeightMatrix& a, const WeightMatrix& b, int64_t T);

// xq[T][act row] = x[T][w.n_in] converted to w.type's vec_dot_type, followed, when w is
// multiplied in panels for T tokens, by their view of the same values (kernels/panel.h).
void convert_activations(const WeightMatrix& w, const float* x, int64_t T, uint8_t* xq, ThreadPool& pool);

// y[t][o] (row stride y_stride floats) = dot(W[o], xq[t]) for t < T, o < W.n_out.
void matmul_converted(const WeightMatrix& w, const uint8_t* xq, int64_t T, float* y, int64_t y_stride, ThreadPool& pool);

// Several products of the same converted activations (same_activations() for all of them),
// in one parallel job: the matrices' rows are handed out in chunks of 64, each thread starting on
// its share and then taking what the others have left (ThreadPool::parallel_for_balanced), so
// q/k/v or gate/up cost one fork and one join instead of one per matrix (token generation runs
// hundreds a token) and no thread waits long for a slower one.
struct MatmulOut {
  const WeightMatrix* w = nullptr;
  float* y = nullptr;  // [T][y_stride]
  int64_t y_stride = 0;
};
void matmul_converted_many(std::span<const MatmulOut> outs, const uint8_t* xq, int64_t T, ThreadPool& pool);

// Convenience: convert then multiply. scratch must hold activation_bytes(w.type, w.n_in, T).
void matmul(const WeightMatrix& w, const float* x, int64_t T, float* y, ThreadPool& pool, uint8_t* scratch);

// y[n_in] = row `row` of W, dequantized (embedding lookup), from its panels when it has them.
void dequantize_row(const WeightMatrix& w, int64_t row, float* y);

}  // namespace slm
