// Scalar reference kernels for the float types (f32, f16, bf16). Block size 1: a row of n
// elements is n values laid end to end. Values are read and written with memcpy because rows
// carry no alignment guarantee.
#include <cstring>

#include "base/fp16.h"
#include "kernels/ref/ref.h"

namespace slm::ref {
namespace {

float load_f32(const void* p, int64_t i) {
  float v;
  std::memcpy(&v, static_cast<const unsigned char*>(p) + i * 4, sizeof v);
  return v;
}
uint16_t load_u16(const void* p, int64_t i) {
  uint16_t v;
  std::memcpy(&v, static_cast<const unsigned char*>(p) + i * 2, sizeof v);
  return v;
}
void store_u16(void* p, int64_t i, uint16_t v) {
  std::memcpy(static_cast<unsigned char*>(p) + i * 2, &v, sizeof v);
}

}  // namespace

// ---- f32 ----
void dequantize_row_f32(const void* x, float* y, int64_t n) {
  if (n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

void quantize_row_f32(const float* x, void* y, int64_t n) {
  if (n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += load_f32(w, i) * load_f32(a, i);
  return sum;
}

// ---- f16 (IEEE binary16; conversion from f32 rounds to nearest even) ----
void dequantize_row_f16(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(load_u16(x, i));
}

void quantize_row_f16(const float* x, void* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store_u16(y, i, fp32_to_fp16(x[i]));
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += fp16_to_fp32(load_u16(w, i)) * fp16_to_fp32(load_u16(a, i));
  return sum;
}

// ---- bf16 (the top 16 bits of an f32; conversion rounds to nearest even) ----
void dequantize_row_bf16(const void* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(load_u16(x, i));
}

void quantize_row_bf16(const float* x, void* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store_u16(y, i, fp32_to_bf16(x[i]));
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += bf16_to_fp32(load_u16(w, i)) * bf16_to_fp32(load_u16(a, i));
  return sum;
}

// ---- f32 rows of x dotted with rows of q, each dot summed in order i ----
void dot_rows_f32(int64_t n, int64_t m, const float* x, int64_t x_stride, int64_t nq, const float* q, int64_t q_stride,
                  float* out, int64_t out_stride) {
  for (int64_t r = 0; r < nq; ++r)
    for (int64_t j = 0; j < m; ++j) out[r * out_stride + j] = vec_dot_f32(n, x + j * x_stride, q + r * q_stride);
}

// ---- f32 rows weighted by p: y += sum_j p[j] * x_j, one product at a time in order j ----
void axpy_rows_f32(int64_t n, int64_t m, const float* p, const float* x, int64_t x_stride, float* y) {
  for (int64_t j = 0; j < m; ++j) {
    const float* xj = x + j * x_stride;
    for (int64_t i = 0; i < n; ++i) {
      const float prod = p[j] * xj[i];  // rounded on its own, then added
      y[i] += prod;
    }
  }
}

}  // namespace slm::ref
