// The token sampler: a fixed chain of small stages (src/sampling/stages.h), in llama.cpp's
// default order:
//   penalties -> top-k -> top-p -> min-p -> temperature -> draw from the softmax.
// Greedy (temperature <= 0) is the argmax of the penalized logits, ties to the lowest id.
//
// Reproducible: a fixed seed gives the same token sequence on every platform, compiler and
// thread count (own PRNG and bits->float conversion, own exp, fixed summation orders, and a
// total order on candidates). Cheap: every buffer is sized in the constructor; sample() does not
// allocate, never sorts the whole vocabulary and copies the logits only when a penalty applies.
// Not thread-safe: one Sampler per sequence.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sampling/rng.h"
#include "sampling/stages.h"
#include "slm/sampler_params.h"

namespace slm {

class Sampler {
 public:
  // p must pass validate() (checked); n_vocab > 0.
  explicit Sampler(const SamplerParams& p, int32_t n_vocab);

  // Forgets the history and reseeds with seed(): after reset() the same inputs give the same
  // tokens again.
  void reset();

  // Records a token for the penalties (prompt tokens too). 0 <= token < n_vocab.
  void accept(int32_t token);

  // Picks the next token from logits (n_vocab of them; finite or -inf). Does not modify them.
  int32_t sample(std::span<const float> logits);

  // Applies the penalties for the current history to logits in place: the values the rest of
  // the chain (and greedy) works on. For tests and diagnostics.
  void penalize(std::span<float> logits) const;

  const SamplerParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }
  // The seed in use: params().seed, or the one drawn when that was kRandomSeed.
  uint64_t seed() const { return seed_; }

 private:
  bool penalties_active() const;
  void apply_penalties(float* logits) const;

  SamplerParams params_;
  int32_t n_vocab_;
  uint64_t seed_;
  sampling::Rng rng_;

  // Penalty history: a ring of the last repeat_last_n tokens (unused for -1: whole history),
  // per-token counts over it, and the distinct tokens with a non-zero count.
  std::vector<int32_t> ring_;
  size_t ring_pos_ = 0;
  size_t ring_len_ = 0;
  std::vector<int32_t> counts_;
  std::vector<int32_t> distinct_;

  // Scratch, sized once.
  std::vector<float> work_;                  // penalized copy of the logits
  std::vector<sampling::Candidate> cand_;    // candidate list
  std::vector<float> weights_;               // per-candidate weights
  std::vector<float> block_sums_;            // for draws over the whole vocabulary
};

}  // namespace slm
