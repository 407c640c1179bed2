// Sampling parameters (public API). The sampler applies, in llama.cpp's default order:
//   penalties (repeat, frequency, presence over the last repeat_last_n accepted tokens)
//   -> top-k -> top-p -> min-p -> temperature -> a draw from the softmax.
// Each stage can be switched off with the value noted beside its field.
#pragma once

#include <cstdint>

#include "slm/status.h"

namespace slm {

// Seed value meaning "pick a fresh random seed when the sampler is built". Every other value is
// a fixed seed: the same seed, parameters and inputs give the same tokens on every platform.
// The seed actually used is available from Sampler::seed(), so a random run can be replayed.
inline constexpr uint64_t kRandomSeed = ~uint64_t{0};

struct SamplerParams {
  float temperature = 0.8f;      // <= 0: greedy (argmax of the penalized logits, ties to lowest id)
  int32_t top_k = 40;            // <= 0: off
  float top_p = 0.95f;           // in (0, 1]; 1: off
  float min_p = 0.05f;           // in [0, 1]; 0: off
  float repeat_penalty = 1.0f;   // > 0; 1: off. Positive logits are divided by it, negative
                                 // (and zero) logits multiplied, as in llama.cpp
  int32_t repeat_last_n = 64;    // window of recent tokens for the penalties; 0 off, -1 all
  float frequency_penalty = 0.0f;  // subtracted once per occurrence in the window
  float presence_penalty = 0.0f;   // subtracted once if the token occurs in the window
  uint64_t seed = 0xFFFFFFFF;    // fixed seed (reproducible); kRandomSeed for a random one
};

// Checks every field; the message names the field, the allowed range and the value found.
Status validate(const SamplerParams& p);

}  // namespace slm
