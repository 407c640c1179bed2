// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c; only called when the CPU has them).
// Same contracts as kernels/ref/ref.h; tests compare each against its reference.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace slm::avx2 {

// ---- float types ----
void dequantize_row_f32(const void* x, float* y, int64_t n);
void quantize_row_f32(const float* x, void* y, int64_t n);
float vec_dot_f32(int64_t n, const void* w, const void* a);
void dequantize_row_f16(const void* x, float* y, int64_t n);
void quantize_row_f16(const float* x, void* y, int64_t n);
float vec_dot_f16(int64_t n, const void* w, const void* a);  // f16 . f16, f32 accumulate
void dequantize_row_bf16(const void* x, float* y, int64_t n);
void quantize_row_bf16(const float* x, void* y, int64_t n);
float vec_dot_bf16(int64_t n, const void* w, const void* a);  // bf16 . bf16, f32 accumulate
void dot_rows_f32(int64_t n, int64_t m, const float* x, int64_t x_stride, int64_t nq, const float* q, int64_t q_stride,
                  float* out, int64_t out_stride);
void axpy_rows_f32(int64_t n, int64_t m, const float* p, const float* x, int64_t x_stride, float* y);

// ---- legacy 32-element blocks ----
void dequantize_row_q4_0(const void* x, float* y, int64_t n);
void dequantize_row_q4_1(const void* x, float* y, int64_t n);
void dequantize_row_q5_0(const void* x, float* y, int64_t n);
void dequantize_row_q5_1(const void* x, float* y, int64_t n);
void dequantize_row_q8_0(const void* x, float* y, int64_t n);
void dequantize_row_q8_1(const void* x, float* y, int64_t n);
void quantize_row_q8_0(const float* x, void* y, int64_t n);
void quantize_row_q8_1(const float* x, void* y, int64_t n);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a);
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);

// ---- k-quants (256-element super-blocks) ----
void dequantize_row_q2_K(const void* x, float* y, int64_t n);
void dequantize_row_q3_K(const void* x, float* y, int64_t n);
void dequantize_row_q4_K(const void* x, float* y, int64_t n);
void dequantize_row_q5_K(const void* x, float* y, int64_t n);
void dequantize_row_q6_K(const void* x, float* y, int64_t n);
void dequantize_row_q8_K(const void* x, float* y, int64_t n);
void quantize_row_q8_K(const float* x, void* y, int64_t n);
float vec_dot_q2_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q3_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a);

// ---- float ops of the forward pass (ops.cc; contracts in kernels/ops.h) ----
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps);
void scale(float* x, int64_t n, float s);
void add(float* y, const float* x, int64_t n);
void swiglu(float* gate, const float* up, int64_t n);
void geglu(float* gate, const float* up, int64_t n);
// Registers them in t.ops.
void register_ops(KernelTable& t);

// Registers the vec_dot_x4 kernels of legacy_quants.cc / k_quants.cc in a table.
void register_legacy_x4(KernelTable& t);
void register_kquant_x4(KernelTable& t);
// Registers gemm_panel (gemm.cc), the packed-panel product of kernels/panel.h.
void register_gemm(KernelTable& t);

}  // namespace slm::avx2
