#include "kernels/kernels.h"
#include "kernels/x86_avx512/avx512.h"

namespace slm::avx512 {

// The AVX2 table with the kernels this folder has replaced: everything not listed in the
// register_* functions (dequantize, quantize, the q2_K/q3_K dots, bf16/f32) stays AVX2.
KernelTable make_table() {
  KernelTable t = avx2::make_table();
  t.isa = "avx512";
  register_legacy(t);
  register_kquant(t);
  register_float(t);
  return t;
}

}  // namespace slm::avx512
