// Chooses the kernel table once, from CPU features; SLM_KERNELS=<isa> forces one (tests, debugging).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/cpu_features.h"
#include "kernels/kernels.h"

namespace slm {
namespace {
#if defined(SLM_HAVE_AVX512) && !defined(SLM_HAVE_AVX2)
#error "the AVX-512 table starts from the AVX2 one; build both"
#endif
#if defined(SLM_HAVE_AVX512)
// The AVX-512 table needs F, BW, VL, DQ and VNNI (cpu_features() only reports them when the OS
// saves zmm and opmask state), plus everything the AVX2 table it starts from needs.
bool avx512_usable(const CpuFeatures& f) {
  return f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
}
#endif
}  // namespace

const KernelTable& ref_kernels() {
  static const KernelTable t = ref::make_table();
  return t;
}

std::vector<const KernelTable*> available_kernel_tables() {
  std::vector<const KernelTable*> tables{&ref_kernels()};
  [[maybe_unused]] const CpuFeatures& f = cpu_features();
#if defined(SLM_HAVE_AVX2)
  if (f.avx2 && f.fma && f.f16c) {
    static const KernelTable t = avx2::make_table();
    tables.push_back(&t);
  }
#endif
#if defined(SLM_HAVE_AVX512)
  if (avx512_usable(f)) {
    static const KernelTable t = avx512::make_table();
    tables.push_back(&t);
  }
#endif
  return tables;
}

const KernelTable& kernels() {
  static const KernelTable* chosen = [] {
    std::vector<const KernelTable*> tables = available_kernel_tables();
    const char* want = std::getenv("SLM_KERNELS");
    if (want && *want) {
      for (const KernelTable* t : tables)
        if (std::strcmp(t->isa, want) == 0) return t;
      std::fprintf(stderr, "slm: SLM_KERNELS=%s is not available on this CPU/build; using %s\n", want,
                   tables.back()->isa);
    }
    return tables.back();  // ordered from most portable to fastest
  }();
  return *chosen;
}

}  // namespace slm
