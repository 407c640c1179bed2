// The attention core of the forward pass (blocks::attend: scores, softmax, weighted values against
// the binary16 KV cache), one layer on one thread, for one generated token and for a 64-token
// batch at the end of a 512- and a 4096-position context, with two GQA shapes:
//   SmolLM2-135M: 9 query heads over 3 KV heads of 64;  Gemma-3-270M: 4 over 1 of 256.
// bytes_per_second: the KV cache the call must read (K and V of every position some token sees,
// each once; the heads of a group re-read it from cache). FLOP/s: 2 * (D + Dv) per (token, head,
// position) for the q.k dot products and the weighted sum of values.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>

#include "arch/blocks/forward_pass.h"
#include "base/fp16.h"

namespace slm {
namespace {

struct AttnShape {
  int64_t n_head, n_head_kv, head_dim;
};
constexpr AttnShape kSmolLM2{9, 3, 64};
constexpr AttnShape kGemma3{4, 1, 256};

void BM_Attend(benchmark::State& state, AttnShape shape) {
  const int64_t N = state.range(0), T = state.range(1);
  ModelConfig c;  // one global layer; attend() reads nothing else of the model
  c.n_layer = 1;
  c.n_head = shape.n_head;
  c.n_head_kv = shape.n_head_kv;
  c.head_dim = c.head_dim_v = shape.head_dim;
  c.n_rot = static_cast<int>(shape.head_dim);
  c.kq_scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  c.layers.resize(1);
  const ModelWeights w;
  KvCache kv;
  if (!kv.allocate(c, N).ok()) {
    state.SkipWithError("cannot allocate the KV cache");
    return;
  }
  Workspace ws;
  ws.allocate(c, w, T, N, 1);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto [cache, row] : {std::pair{kv.k(0), kv.k_row}, std::pair{kv.v(0), kv.v_row}})
    for (int64_t i = 0; i < N * row; ++i) cache[i] = fp32_to_fp16(normal(rng));
  for (float& q : ws.q) q = normal(rng);
  ThreadPool pool(1);
  ForwardPass fp{c, w, kv, ws, pool, nullptr, T, N - T, T, nullptr};  // the last T positions

  for (auto _ : state) {
    blocks::attend(fp, 0);
    benchmark::DoNotOptimize(ws.attn.data());
  }
  const int64_t D = shape.head_dim, seen = N;  // the last token sees every position
  state.SetBytesProcessed(state.iterations() * seen * kv.k_row * 2 * static_cast<int64_t>(sizeof(uint16_t)));
  int64_t pairs = 0;  // (token, position) pairs: token t at position N - T + t sees N - T + t + 1
  for (int64_t t = 0; t < T; ++t) pairs += N - T + t + 1;
  state.counters["FLOP/s"] =
      benchmark::Counter(static_cast<double>(pairs * shape.n_head * 2 * (D + D)), benchmark::Counter::kIsIterationInvariantRate);
}

#define SLM_ATTN_ARGS \
  ->ArgNames({"ctx", "tokens"})->Args({512, 1})->Args({4096, 1})->Args({512, 64})->Args({4096, 64}) \
  ->Unit(benchmark::kMicrosecond)
BENCHMARK_CAPTURE(BM_Attend, smollm2_h9_kv3_d64, kSmolLM2) SLM_ATTN_ARGS;
BENCHMARK_CAPTURE(BM_Attend, gemma3_h4_kv1_d256, kGemma3) SLM_ATTN_ARGS;

}  // namespace
}  // namespace slm
