// What the CPU can run, read once with cpuid (x86) and checked against OS support (xgetbv): the
// AVX-512 flags are only set when the OS saves the opmask and zmm state (XCR0 bits 5-7).
#pragma once

namespace slm {

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
  bool avx_vnni = false;
};
const CpuFeatures& cpu_features();
// Physical cores (not SMT siblings) this process may run on; at least 1.
int physical_core_count();

}  // namespace slm
