#include "kernels/kernels.h"
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {

// The AVX2 table with the kernels this folder has replaced: everything not set by the register_*
// functions stays AVX2 (dequantize, the activation quantizers, the q2_K/q3_K dots, the float
// types: on Zen 4 a 512-bit f16 -> f32 conversion costs more than two 256-bit ones, so an
// AVX-512 f16 dot was slower than the AVX2 one, and the quantizers do not show in profiles; of
// the float ops only swiglu, see ops.cc).
KernelTable make_table() {
  KernelTable t = avx2::make_table();
  t.isa = "avx512";
  register_legacy(t);
  register_kquant(t);
  register_gemm(t);
  register_ops(t);
  return t;
}

}  // namespace slm::avx512
