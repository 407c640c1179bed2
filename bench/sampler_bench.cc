// Time per sample() at Gemma-3-sized (262144) and SmolLM-sized (49152) vocabularies, for
// greedy, the default chain (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8), top-p only,
// min-p only, and the default chain with a repeat penalty (which copies the logits).
// Budget: well under 0.2 ms per token at 262144.
#include <benchmark/benchmark.h>

#include <vector>

#include "sampling/rng.h"
#include "sampling/sampler.h"

namespace {

// Logit-like values: a broad bulk plus a few strong tokens, from our own generator.
std::vector<float> make_logits(size_t n) {
  slm::sampling::Rng rng(123);
  std::vector<float> v(n);
  for (auto& x : v) x = 2.5f * (rng.uniform() + rng.uniform() + rng.uniform() - 1.5f) * 2.0f;
  for (int i = 0; i < 8; ++i) v[rng.next() % n] = 12.0f + static_cast<float>(i);
  return v;
}

void run(benchmark::State& state, slm::SamplerParams p) {
  const auto n = static_cast<int32_t>(state.range(0));
  const auto logits = make_logits(static_cast<size_t>(n));
  slm::Sampler s(p, n);
  for (int i = 0; i < 64; ++i) s.accept(i * 7 % n);
  for (auto _ : state) benchmark::DoNotOptimize(s.sample(logits));
  state.SetItemsProcessed(state.iterations());
}

void BM_Greedy(benchmark::State& state) {
  slm::SamplerParams p;
  p.temperature = 0.0f;
  run(state, p);
}

void BM_DefaultChain(benchmark::State& state) { run(state, slm::SamplerParams{}); }

void BM_DefaultChainRepeatPenalty(benchmark::State& state) {
  slm::SamplerParams p;
  p.repeat_penalty = 1.1f;
  run(state, p);
}

void BM_TopPOnly(benchmark::State& state) {
  slm::SamplerParams p;
  p.top_k = 0;
  p.min_p = 0.0f;
  run(state, p);
}

void BM_MinPOnly(benchmark::State& state) {
  slm::SamplerParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  run(state, p);
}

void BM_NoFilters(benchmark::State& state) {
  slm::SamplerParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  run(state, p);
}

#define SLM_VOCABS ->Arg(49152)->Arg(262144)->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_Greedy) SLM_VOCABS;
BENCHMARK(BM_DefaultChain) SLM_VOCABS;
BENCHMARK(BM_DefaultChainRepeatPenalty) SLM_VOCABS;
BENCHMARK(BM_TopPOnly) SLM_VOCABS;
BENCHMARK(BM_MinPOnly) SLM_VOCABS;
BENCHMARK(BM_NoFilters) SLM_VOCABS;

}  // namespace
