#include "kernels/matmul.h"

#include "kernels/kernels.h"

namespace slm {
namespace {
// Rows of W handled together: their bytes stay in L1 while every activation row streams past,
// so each weight byte is read from memory once per matmul whatever T is.
constexpr int64_t kRowBlock = 8;
// Activation rows per pass over a row block: keeps the converted activations of the pass in L2.
constexpr int64_t kTokenBlock = 64;
}  // namespace

size_t activation_bytes(TensorType w_type, int64_t n_in, int64_t T) {
  return row_size(type_traits(w_type).vec_dot_type, n_in) * static_cast<size_t>(T);
}

void convert_activations(TensorType w_type, const float* x, int64_t n_in, int64_t T, uint8_t* xq, ThreadPool& pool) {
  const TensorType at = type_traits(w_type).vec_dot_type;
  const QuantizeRowFn quantize = kernels().of(at).quantize_row;
  const size_t row_bytes = row_size(at, n_in);
  pool.parallel_for(T, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) quantize(x + t * n_in, xq + static_cast<size_t>(t) * row_bytes, n_in);
  });
}

void matmul_converted(const WeightMatrix& w, const uint8_t* xq, int64_t T, float* y, int64_t y_stride, ThreadPool& pool) {
  const VecDotFn dot = kernels().of(w.type).vec_dot;
  const VecDotX4Fn dot4 = kernels().of(w.type).vec_dot_x4;
  const size_t act_row = row_size(type_traits(w.type).vec_dot_type, w.n_in);
  pool.parallel_for(w.n_out, kRowBlock, [&](int64_t r0, int64_t r1, int) {
    for (int64_t rb = r0; rb < r1; rb += kRowBlock) {
      const int64_t re = rb + kRowBlock < r1 ? rb + kRowBlock : r1;
      for (int64_t tb = 0; tb < T; tb += kTokenBlock) {
        const int64_t te = tb + kTokenBlock < T ? tb + kTokenBlock : T;
        for (int64_t r = rb; r < re; ++r) {
          const uint8_t* wr = w.data + static_cast<size_t>(r) * w.row_bytes;
          int64_t t = tb;
          if (dot4) {
            float out[4];
            for (; t + 4 <= te; t += 4) {
              dot4(w.n_in, wr, xq + static_cast<size_t>(t) * act_row, act_row, out);
              for (int k = 0; k < 4; ++k) y[(t + k) * y_stride + r] = out[k];
            }
          }
          for (; t < te; ++t) y[t * y_stride + r] = dot(w.n_in, wr, xq + static_cast<size_t>(t) * act_row);
        }
      }
    }
  });
}

void matmul(const WeightMatrix& w, const float* x, int64_t T, float* y, ThreadPool& pool, uint8_t* scratch) {
  convert_activations(w.type, x, w.n_in, T, scratch, pool);
  matmul_converted(w, scratch, T, y, w.n_out, pool);
}

void dequantize_row(const WeightMatrix& w, int64_t row, float* y) {
  kernels().of(w.type).dequantize_row(w.data + static_cast<size_t>(row) * w.row_bytes, y, w.n_in);
}

}  // namespace slm
