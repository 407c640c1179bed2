// The kernel table: every inner loop the engine runs, one function pointer each, filled once per
// ISA. `kernels()` returns the best table for this CPU (chosen once, at first use); tests take
// `ref_kernels()` (the scalar specification) and each compiled ISA table and compare them.
//
// Conventions for every kernel:
//  - n is the number of elements and a multiple of the type's block size;
//  - pointers need no particular alignment;
//  - a dot product takes the weight row in its own type and the activation row already
//    converted to type_traits(w).vec_dot_type by that type's quantize_row.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kernels/panel.h"
#include "kernels/types.h"

namespace slm {

using DequantizeRowFn = void (*)(const void* x, float* y, int64_t n);
using QuantizeRowFn = void (*)(const float* x, void* y, int64_t n);
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);
// One weight row against four activation rows (a, a + a_stride, ... in bytes): out[k] must equal
// vec_dot(n, w, a + k * a_stride) bit for bit, so results never depend on how tokens are batched.
// Prompt processing uses it to unpack each weight block once for four tokens.
using VecDotX4Fn = void (*)(int64_t n, const void* w, const void* a, size_t a_stride, float* out);
// Dot products of m f32 rows of x with nq f32 rows of q (attention's scores for a chunk of keys):
//   out[r * out_stride + j] = sum over i < n of x[j * x_stride + i] * q[r * q_stride + i]
// for j < m, r < nq, each equal bit for bit to the same table's F32 vec_dot(n, x_j, q_r), so
// scores never depend on how keys and query heads are grouped. Strides are in floats.
using DotRowsFn = void (*)(int64_t n, int64_t m, const float* x, int64_t x_stride, int64_t nq, const float* q,
                           int64_t q_stride, float* out, int64_t out_stride);
// Weighted sum of m f32 rows into y (attention's probabilities times values): for i < n,
//   y[i] += p[0] * x[i] + p[1] * x[x_stride + i] + ... + p[m-1] * x[(m-1) * x_stride + i]
// adding the m products to y[i] one at a time, j = 0 first, as m successive axpys would. Each
// product may be rounded before the add (reference) or fused with it (FMA); the two agree bit for
// bit when p[j] * x[...] is exact in f32, e.g. for binary16 p and x. x_stride >= n, in floats.
using AxpyRowsFn = void (*)(int64_t n, int64_t m, const float* p, const float* x, int64_t x_stride, float* y);

struct TypeKernels {
  DequantizeRowFn dequantize_row = nullptr;  // every supported type
  QuantizeRowFn quantize_row = nullptr;      // activation types: f32, f16, bf16, q8_0, q8_1, q8_K
  VecDotFn vec_dot = nullptr;                // weight types: w (this type) . a (vec_dot_type)
  VecDotX4Fn vec_dot_x4 = nullptr;           // optional: four activation rows at once
};

// The float ops of the forward pass; kernels/ops.h states each one's contract and the ops::
// functions call these. The reference (ref/ops.cc) is the specification: the gated activations
// and scale / add match it bit for bit in every table, swiglu within a few ulp (its exp), the
// norms within double-sum reassociation.
struct OpKernels {
  void (*rms_norm)(const float* x, const float* w, float* y, int64_t n, float eps) = nullptr;
  void (*layer_norm)(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) = nullptr;
  void (*scale)(float* x, int64_t n, float s) = nullptr;
  void (*add)(float* y, const float* x, int64_t n) = nullptr;
  void (*swiglu)(float* gate, const float* up, int64_t n) = nullptr;
  void (*geglu)(float* gate, const float* up, int64_t n) = nullptr;
};

struct KernelTable {
  const char* isa = "";  // "ref", "avx2", "avx512"
  std::array<TypeKernels, kTensorTypeIdLimit> types{};
  OpKernels ops;  // every table sets all of them
  // Optional: the product of a packed weight panel and a batch of tokens (kernels/panel.h), for
  // every type panel_format() knows. matmul uses it for batches of prompt tokens.
  GemmPanelFn gemm_panel = nullptr;
  DotRowsFn dot_rows = nullptr;    // f32 only
  AxpyRowsFn axpy_rows = nullptr;  // f32 only
  const TypeKernels& of(TensorType t) const { return types[static_cast<size_t>(t)]; }
};

const KernelTable& ref_kernels();
// Every table compiled into this binary that this CPU can run, ref first.
std::vector<const KernelTable*> available_kernel_tables();
// The table the engine uses: the best available, or the one named by SLM_KERNELS (e.g. "ref").
const KernelTable& kernels();

// Per-ISA table builders (defined in their folders; absent ISAs are not linked).
namespace ref {
KernelTable make_table();
}
#if defined(SLM_HAVE_AVX2)
namespace avx2 {
KernelTable make_table();  // callers must check cpu_has_avx2() first
}
#endif
#if defined(SLM_HAVE_AVX512)
namespace avx512 {
// Starts from the AVX2 table; callers must check avx512_usable() in dispatch.cc first.
KernelTable make_table();
}
#endif

}  // namespace slm
