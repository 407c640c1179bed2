// Scalar reference kernels: the specification every SIMD kernel is tested against. Plain,
// readable C++ with no intrinsics; the math follows GGUF's block definitions in kernels/types.h.
#pragma once

#include <cstdint>

#include "kernels/panel.h"

namespace slm::ref {

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

// ---- float ops of the forward pass (kernels/ops.h states the contracts) ----
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps);
void scale(float* x, int64_t n, float s);
void add(float* y, const float* x, int64_t n);
void swiglu(float* gate, const float* up, int64_t n);
void geglu(float* gate, const float* up, int64_t n);
// GELU of every binary16 value (indexed by its bits), stored as binary16: llama.cpp's CPU backend
// evaluates GELU this way, and matching it keeps greedy decoding identical on near-ties.
const uint16_t* gelu_fp16_table();

// ---- packed panels (kernels/panel.h) ----
void gemm_panel(const PanelFormat& f, const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride,
                int n_rows);

}  // namespace slm::ref
