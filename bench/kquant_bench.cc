// The k-quants' activation quantizer (f32 -> q8_K), one thread, per kernel table. Linked into
// kernels_bench (it has the main); registered at static initialization and run beside the
// others (the k-quant dot products are in dot_bench.cc):
//
//   kernels_bench --benchmark_filter=quantize/
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/types.h"

namespace slm {
namespace {

// q8_K activation quantization (once per matvec; should be negligible next to it).
void quantize_q8_K(benchmark::State& state, const KernelTable* k, int64_t n) {
  std::mt19937 rng(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  std::vector<uint8_t> q(row_size(TensorType::Q8_K, n));
  for (auto _ : state) {
    k->of(TensorType::Q8_K).quantize_row(x.data(), q.data(), n);
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  state.counters["elems/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

const bool registered = [] {
  for (const KernelTable* k : available_kernel_tables()) {
    if (k->of(TensorType::Q8_K).quantize_row == nullptr) continue;
    const std::string name = std::string("quantize/") + k->isa + "/q8_K/4096";
    benchmark::RegisterBenchmark(name.c_str(), quantize_q8_K, k, int64_t{4096})->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
}  // namespace slm
