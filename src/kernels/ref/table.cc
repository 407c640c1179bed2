#include "kernels/kernels.h"
#include "kernels/ref/ref.h"

namespace slm::ref {

KernelTable make_table() {
  KernelTable t;
  t.isa = "ref";
  auto set = [&](TensorType type, DequantizeRowFn deq, QuantizeRowFn quant, VecDotFn dot) {
    TypeKernels& k = t.types[static_cast<size_t>(type)];
    k.dequantize_row = deq;
    k.quantize_row = quant;
    k.vec_dot = dot;
  };
  set(TensorType::F32, dequantize_row_f32, quantize_row_f32, vec_dot_f32);
  set(TensorType::F16, dequantize_row_f16, quantize_row_f16, vec_dot_f16);
  set(TensorType::BF16, dequantize_row_bf16, quantize_row_bf16, vec_dot_bf16);
  set(TensorType::Q4_0, dequantize_row_q4_0, nullptr, vec_dot_q4_0_q8_0);
  set(TensorType::Q4_1, dequantize_row_q4_1, nullptr, vec_dot_q4_1_q8_1);
  set(TensorType::Q5_0, dequantize_row_q5_0, nullptr, vec_dot_q5_0_q8_0);
  set(TensorType::Q5_1, dequantize_row_q5_1, nullptr, vec_dot_q5_1_q8_1);
  set(TensorType::Q8_0, dequantize_row_q8_0, quantize_row_q8_0, vec_dot_q8_0_q8_0);
  set(TensorType::Q8_1, dequantize_row_q8_1, quantize_row_q8_1, nullptr);
  set(TensorType::Q2_K, dequantize_row_q2_K, nullptr, vec_dot_q2_K_q8_K);
  set(TensorType::Q3_K, dequantize_row_q3_K, nullptr, vec_dot_q3_K_q8_K);
  set(TensorType::Q4_K, dequantize_row_q4_K, nullptr, vec_dot_q4_K_q8_K);
  set(TensorType::Q5_K, dequantize_row_q5_K, nullptr, vec_dot_q5_K_q8_K);
  set(TensorType::Q6_K, dequantize_row_q6_K, nullptr, vec_dot_q6_K_q8_K);
  set(TensorType::Q8_K, dequantize_row_q8_K, quantize_row_q8_K, nullptr);
  t.gemm_panel = gemm_panel;
  t.ops = {.rms_norm = rms_norm, .layer_norm = layer_norm, .scale = scale, .add = add, .swiglu = swiglu,
           .geglu = geglu};
  t.dot_rows = dot_rows_f32;
  t.axpy_rows = axpy_rows_f32;
  return t;
}

}  // namespace slm::ref
