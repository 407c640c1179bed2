// The float ops of the forward pass (src/kernels/ops.h), one row at a time on one thread, at the
// widths of the models we run: 576 (SmolLM2-135M), 640 (Gemma-3-270M), 2048 and 4096 (larger
// models' n_embd, or FFN / context rows). bytes_per_second counts the floats each call reads and
// writes (the weight rows included), so rows that fit in L1 show the op's compute speed.
// The attention core is in attention_bench.cc, linked into the same binary:
//
//   ops_bench [--benchmark_filter=RmsNorm] [--benchmark_min_time=0.1s]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/ops.h"

namespace slm {
namespace {

// Normal(0, scale) values from a fixed seed.
std::vector<float> random_floats(int64_t n, float scale = 1.0f, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

void set_bytes(benchmark::State& state, int64_t floats_per_call) {
  state.SetBytesProcessed(state.iterations() * floats_per_call * static_cast<int64_t>(sizeof(float)));
}

void BM_RmsNorm(benchmark::State& state) {  // reads x and w, writes y
  const int64_t n = state.range(0);
  const auto x = random_floats(n), w = random_floats(n, 1.0f, 2);
  std::vector<float> y(static_cast<size_t>(n));
  for (auto _ : state) {
    ops::rms_norm(x.data(), w.data(), y.data(), n, 1e-6f);
    benchmark::DoNotOptimize(y.data());
  }
  set_bytes(state, 3 * n);
}

void BM_LayerNorm(benchmark::State& state) {  // reads x, w and b, writes y
  const int64_t n = state.range(0);
  const auto x = random_floats(n), w = random_floats(n, 1.0f, 2), b = random_floats(n, 1.0f, 3);
  std::vector<float> y(static_cast<size_t>(n));
  for (auto _ : state) {
    ops::layer_norm(x.data(), w.data(), b.data(), y.data(), n, 1e-5f);
    benchmark::DoNotOptimize(y.data());
  }
  set_bytes(state, 4 * n);
}

void BM_Softmax(benchmark::State& state) {  // in place: reads and writes x
  const int64_t n = state.range(0);
  auto x = random_floats(n, 3.0f);  // attention-score-like spread; a softmax of a softmax stays in [0, 1]
  for (auto _ : state) {
    ops::softmax(x.data(), n);
    benchmark::DoNotOptimize(x.data());
  }
  set_bytes(state, 2 * n);
}

// swiglu / geglu work in place on gate, and repeating them would drive gate towards zero (and
// through subnormals), so every iteration first restores gate from a copy. The time and the bytes
// include that copy: read gate0, write gate, then the op reads gate and up and writes gate.
template <void (*Act)(float*, const float*, int64_t)>
void BM_GatedAct(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto gate0 = random_floats(n), up = random_floats(n, 1.0f, 2);
  std::vector<float> gate(static_cast<size_t>(n));
  for (auto _ : state) {
    std::copy(gate0.begin(), gate0.end(), gate.begin());
    Act(gate.data(), up.data(), n);
    benchmark::DoNotOptimize(gate.data());
  }
  set_bytes(state, 5 * n);
}

// RoPE of one token: the (cos, sin) table for its position (rope_cache, once per token), then
// every q and k head rotated in place (a rotation: repeating it keeps the values' size).
// Args: head dim (= n_rot), heads (q + k), neox pairing. Bytes: the heads read and written.
void BM_Rope(benchmark::State& state) {
  const int n_rot = static_cast<int>(state.range(0));
  const int64_t heads = state.range(1);
  const bool neox = state.range(2) != 0;
  auto x = random_floats(heads * n_rot);
  std::vector<float> cs(static_cast<size_t>(n_rot));
  int64_t pos = 0;
  for (auto _ : state) {
    ops::rope_cache(cs.data(), pos++ % 4096, n_rot, 10000.0f, 1.0f, nullptr);
    for (int64_t h = 0; h < heads; ++h) ops::rope(x.data() + h * n_rot, cs.data(), n_rot, neox);
    benchmark::DoNotOptimize(x.data());
  }
  set_bytes(state, 2 * heads * n_rot);
}

// The cos/sin table alone (powers and cos/sin per rotated pair), per position.
void BM_RopeCache(benchmark::State& state) {
  const int n_rot = static_cast<int>(state.range(0));
  std::vector<float> cs(static_cast<size_t>(n_rot));
  int64_t pos = 0;
  for (auto _ : state) {
    ops::rope_cache(cs.data(), pos++ % 4096, n_rot, 10000.0f, 1.0f, nullptr);
    benchmark::DoNotOptimize(cs.data());
  }
  set_bytes(state, n_rot);
}

#define SLM_WIDTHS ->Arg(576)->Arg(640)->Arg(2048)->Arg(4096)
BENCHMARK(BM_RmsNorm) SLM_WIDTHS;
BENCHMARK(BM_LayerNorm) SLM_WIDTHS;
BENCHMARK(BM_Softmax) SLM_WIDTHS;
BENCHMARK(BM_GatedAct<ops::swiglu>)->Name("BM_Swiglu") SLM_WIDTHS;
BENCHMARK(BM_GatedAct<ops::geglu>)->Name("BM_Geglu") SLM_WIDTHS;
// SmolLM2-135M: 9 q + 3 k heads of 64, pairs (2i, 2i+1); Gemma-3-270M: 4 q + 1 k heads of 256, neox.
BENCHMARK(BM_Rope)->ArgNames({"dim", "heads", "neox"})->Args({64, 12, 0})->Args({256, 5, 1});
BENCHMARK(BM_RopeCache)->ArgName("dim")->Arg(64)->Arg(256);

}  // namespace
}  // namespace slm
