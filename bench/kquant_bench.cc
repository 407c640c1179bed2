// Matrix-vector benchmarks for the k-quant weight types (q2_K .. q6_K against q8_K activations),
// one thread, per kernel table. Linked into kernels_bench (it has the main); the benchmarks are
// registered at static initialization and run beside the others:
//
//   kernels_bench --benchmark_filter=matvec/avx2/q4_K
//
// Reports GB/s of weight bytes read. Weights are random bytes with sane f16 scales (the kernels'
// speed does not depend on the values); the activation row is a quantized random row.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/fp16.h"
#include "kernels/kernels.h"
#include "kernels/types.h"

namespace slm {
namespace {

struct KWeight {
  TensorType type;
  std::vector<size_t> f16_offsets;  // d / dmin inside a block
};

const std::vector<KWeight>& kquant_types() {
  static const std::vector<KWeight> t = {
      {TensorType::Q2_K, {offsetof(block_q2_K, d), offsetof(block_q2_K, dmin)}},
      {TensorType::Q3_K, {offsetof(block_q3_K, d)}},
      {TensorType::Q4_K, {offsetof(block_q4_K, d), offsetof(block_q4_K, dmin)}},
      {TensorType::Q5_K, {offsetof(block_q5_K, d), offsetof(block_q5_K, dmin)}},
      {TensorType::Q6_K, {offsetof(block_q6_K, d)}},
  };
  return t;
}

struct Shape {
  int64_t rows, cols;
};
// Gemma 3 270M's shapes (640 wide, 2048 FFN) and a large one that does not fit in cache.
const Shape kShapes[] = {{640, 768}, {2048, 768}, {640, 2048}, {4096, 4096}};

void kquant_matvec(benchmark::State& state, const KernelTable* k, KWeight wt, Shape shape) {
  std::mt19937 rng(1);
  const size_t ts = type_traits(wt.type).type_size;
  const size_t rs = row_size(wt.type, shape.cols);
  std::vector<uint8_t> w(rs * static_cast<size_t>(shape.rows));
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : w) b = static_cast<uint8_t>(byte(rng));
  const uint16_t scale = fp32_to_fp16(0.01f);
  for (size_t off = 0; off < w.size(); off += ts)
    for (size_t f : wt.f16_offsets) std::memcpy(&w[off + f], &scale, sizeof scale);

  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(shape.cols));
  for (float& v : x) v = normal(rng);
  std::vector<uint8_t> a(row_size(TensorType::Q8_K, shape.cols));
  k->of(TensorType::Q8_K).quantize_row(x.data(), a.data(), shape.cols);

  std::vector<float> y(static_cast<size_t>(shape.rows));
  const VecDotFn dot = k->of(wt.type).vec_dot;
  for (auto _ : state) {
    for (int64_t r = 0; r < shape.rows; ++r) y[r] = dot(shape.cols, w.data() + r * rs, a.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(w.size()) / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

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
    for (const KWeight& wt : kquant_types()) {
      if (k->of(wt.type).vec_dot == nullptr) continue;
      for (Shape s : kShapes) {
        const std::string name = std::string("matvec/") + k->isa + "/" + std::string(type_traits(wt.type).name) +
                                 "/" + std::to_string(s.rows) + "x" + std::to_string(s.cols);
        benchmark::RegisterBenchmark(name.c_str(), kquant_matvec, k, wt, s)->Unit(benchmark::kMicrosecond);
      }
    }
    const std::string name = std::string("quantize/") + k->isa + "/q8_K/4096";
    benchmark::RegisterBenchmark(name.c_str(), quantize_q8_K, k, int64_t{4096})->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
}  // namespace slm
