// Prompt-processing matmuls per weight type and kernel table, one thread: 64 tokens per weight
// row with vec_dot and, where the table has it, vec_dot_x4, and on packed panels, in GFLOP/s. The dot kernels alone
// (x1 and x4, every type, GB/s of weights) are in dot_bench.cc, the q8_K quantizer in
// kquant_bench.cc; all are linked into this binary:
//
//   kernels_bench [--benchmark_filter=avx512/q4_0]
//
// To benchmark another type, add it to kWeightTypes; its columns are rounded up to a multiple
// of its block size (576 becomes 768 for the 256-element k-quants).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/panel.h"
#include "kernels/types.h"

namespace slm {
namespace {

const TensorType kWeightTypes[] = {
    TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0,
    TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
    TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K,
};

struct Shape {
  int64_t rows, cols;
};

std::vector<float> random_floats(std::mt19937& rng, int64_t n) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

// A row of type t: quantized random floats where the table can quantize t, else random bytes
// (every bit pattern is a valid block; speed does not depend on the values).
std::vector<uint8_t> make_rows(const KernelTable& k, TensorType t, int64_t rows, int64_t cols, std::mt19937& rng) {
  const size_t rs = row_size(t, cols);
  std::vector<uint8_t> data(rs * static_cast<size_t>(rows));
  if (k.of(t).quantize_row != nullptr) {
    for (int64_t r = 0; r < rows; ++r) k.of(t).quantize_row(random_floats(rng, cols).data(), data.data() + r * rs, cols);
  } else {
    std::uniform_int_distribution<int> byte(0, 255);
    for (uint8_t& b : data) b = static_cast<uint8_t>(byte(rng));
  }
  return data;
}

// Prompt-processing matmul: a rows x cols weight matrix times T activation rows (already
// converted), walked like matmul_converted (8 weight rows at a time, every token per row), with
// one vec_dot per (row, token) or vec_dot_x4 per four tokens. Reports GFLOP/s (2 * rows * cols * T).
void matmul_tokens(benchmark::State& state, const KernelTable* k, TensorType t, Shape shape, int64_t T, bool x4) {
  std::mt19937 rng(1);
  const TensorType at = type_traits(t).vec_dot_type;
  const std::vector<uint8_t> w = make_rows(*k, t, shape.rows, shape.cols, rng);
  const size_t ars = row_size(at, shape.cols);
  std::vector<uint8_t> a(ars * static_cast<size_t>(T));
  for (int64_t i = 0; i < T; ++i) k->of(at).quantize_row(random_floats(rng, shape.cols).data(), a.data() + i * ars, shape.cols);
  std::vector<float> y(static_cast<size_t>(shape.rows * T));
  const size_t rs = row_size(t, shape.cols);
  const VecDotFn dot = k->of(t).vec_dot;
  const VecDotX4Fn dot4 = x4 ? k->of(t).vec_dot_x4 : nullptr;
  for (auto _ : state) {
    for (int64_t r = 0; r < shape.rows; ++r) {
      const uint8_t* wr = w.data() + r * rs;
      int64_t i = 0;
      if (dot4) {
        float out[4];
        for (; i + 4 <= T; i += 4) {
          dot4(shape.cols, wr, a.data() + i * ars, ars, out);
          for (int j = 0; j < 4; ++j) y[(i + j) * shape.rows + r] = out[j];
        }
      }
      for (; i < T; ++i) y[i * shape.rows + r] = dot(shape.cols, wr, a.data() + i * ars);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(shape.rows * shape.cols * T) / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// T rows of random activations converted for weight type t, and the panel product's view of them
// (prepared once, outside the timed loop, as matmul does per call).
struct PanelActs {
  std::vector<uint8_t> bytes;
  GemmActs view;
};
PanelActs panel_acts(const KernelTable& k, TensorType t, const PanelFormat& f, int64_t cols, int64_t T,
                     std::mt19937& rng) {
  const TensorType at = type_traits(t).vec_dot_type;
  const size_t ars = row_size(at, cols);
  std::vector<uint8_t> a(ars * static_cast<size_t>(T));
  for (int64_t i = 0; i < T; ++i) k.of(at).quantize_row(random_floats(rng, cols).data(), a.data() + i * ars, cols);
  PanelActs p;
  p.bytes.resize(gemm_acts_bytes(f, cols, T));
  gemm_acts_prepare(t, a.data(), ars, cols, T, 0, T, p.bytes.data());
  p.view = gemm_acts_view(f, p.bytes.data(), cols, T);
  return p;
}

// The same product on packed panels (kernels/panel.h), as matmul runs batches of 16 tokens and
// more: prepare the activations once, then per panel of 16 rows pack and multiply by all T
// tokens. Packing is in the time. GFLOP/s as above.
void matmul_panels(benchmark::State& state, const KernelTable* k, TensorType t, Shape shape, int64_t T) {
  std::mt19937 rng(1);
  const PanelFormat& f = *panel_format(t);
  const std::vector<uint8_t> w = make_rows(*k, t, shape.rows, shape.cols, rng);
  const size_t rs = row_size(t, shape.cols);
  const PanelActs acts = panel_acts(*k, t, f, shape.cols, T, rng);
  const GemmActs& av = acts.view;
  std::vector<uint8_t> panel(panel_bytes(f, shape.cols));
  std::vector<float> y(static_cast<size_t>(shape.rows * T));
  for (auto _ : state) {
    for (int64_t r = 0; r < shape.rows; r += kPanelRows) {
      const int n = static_cast<int>(std::min<int64_t>(kPanelRows, shape.rows - r));
      pack_panel(f, t, w.data() + r * rs, rs, n, shape.cols, panel.data());
      k->gemm_panel(f, panel_view(f, panel.data(), shape.cols), av, T, y.data() + r, shape.rows, n);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(shape.rows * shape.cols * T) / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// The product on resident panels (packed once, as at model load) for T tokens; T = 1 is token
// generation, to compare with dot/<isa>/<type>/x1 on the same shape. Bytes/s counts the panels
// (as many bytes as the file's rows), GFLOP/s as above.
void matmul_resident(benchmark::State& state, const KernelTable* k, TensorType t, Shape shape, int64_t T) {
  std::mt19937 rng(1);
  const PanelFormat& f = *resident_panel_format(t);
  const std::vector<uint8_t> w = make_rows(*k, t, shape.rows, shape.cols, rng);
  const size_t rs = row_size(t, shape.cols), pb = panel_bytes(f, shape.cols);
  const int64_t n_panels = (shape.rows + kPanelRows - 1) / kPanelRows;
  std::vector<uint8_t> panels(pb * static_cast<size_t>(n_panels));
  for (int64_t p = 0; p < n_panels; ++p) {
    const int n = static_cast<int>(std::min<int64_t>(kPanelRows, shape.rows - p * kPanelRows));
    pack_panel(f, t, w.data() + p * kPanelRows * rs, rs, n, shape.cols, panels.data() + p * pb);
  }
  const PanelActs acts = panel_acts(*k, t, f, shape.cols, T, rng);
  const GemmActs& av = acts.view;
  std::vector<float> y(static_cast<size_t>(shape.rows * T));
  for (auto _ : state) {
    for (int64_t p = 0; p < n_panels; ++p) {
      const int n = static_cast<int>(std::min<int64_t>(kPanelRows, shape.rows - p * kPanelRows));
      k->gemm_panel(f, panel_view(f, panels.data() + p * pb, shape.cols), av, T, y.data() + p * kPanelRows, shape.rows, n);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(panels.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(shape.rows * shape.cols * T) / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void register_all() {
  for (const KernelTable* k : available_kernel_tables()) {
    for (TensorType t : kWeightTypes) {
      const TypeTraits& tr = type_traits(t);
      if (k->of(t).vec_dot == nullptr || k->of(tr.vec_dot_type).quantize_row == nullptr) continue;
      // prompt processing: 1536x576 (an FFN up projection at SmolLM2's width) over 64 tokens
      const Shape pp{1536, (576 + tr.block_size - 1) / tr.block_size * tr.block_size};
      const int64_t T = 64;
      for (bool x4 : {false, true}) {
        if (x4 && k->of(t).vec_dot_x4 == nullptr) continue;
        const std::string name = std::string("matmul/") + k->isa + "/" + std::string(tr.name) + "/" +
                                 std::to_string(pp.rows) + "x" + std::to_string(pp.cols) + "x" + std::to_string(T) +
                                 (x4 ? "/x4" : "/x1");
        benchmark::RegisterBenchmark(name.c_str(), matmul_tokens, k, t, pp, T, x4)->Unit(benchmark::kMicrosecond);
      }
      if (k->gemm_panel != nullptr && panel_format(t) != nullptr) {
        const std::string name = std::string("matmul/") + k->isa + "/" + std::string(tr.name) + "/" +
                                 std::to_string(pp.rows) + "x" + std::to_string(pp.cols) + "x" + std::to_string(T) +
                                 "/panels";
        benchmark::RegisterBenchmark(name.c_str(), matmul_panels, k, t, pp, T)->Unit(benchmark::kMicrosecond);
      }
      if (k->gemm_panel != nullptr && resident_panel_format(t) != nullptr) {
        // generation (one token) at the dot benchmarks' shapes, and a prompt batch
        for (auto [shape, tokens] : {std::pair{Shape{1536, pp.cols}, int64_t{1}}, std::pair{Shape{8192, 2048}, int64_t{1}},
                                     std::pair{pp, T}}) {
          const std::string name = std::string("matmul/") + k->isa + "/" + std::string(tr.name) + "/" +
                                   std::to_string(shape.rows) + "x" + std::to_string(shape.cols) + "x" +
                                   std::to_string(tokens) + "/resident";
          benchmark::RegisterBenchmark(name.c_str(), matmul_resident, k, t, shape, tokens)->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
}

}  // namespace
}  // namespace slm

int main(int argc, char** argv) {
  slm::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
