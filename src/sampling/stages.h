// The sampler's stages as free functions on plain arrays, so each can be tested on its own.
// A candidate list is "sorted" when it is in better() order: higher logit first, equal logits
// by lower id. That is a strict total order, so every sorted list is unique whatever sorting
// algorithm produced it, which keeps the sampler reproducible across standard libraries.
//
// All exponentials go through fast_exp (our own, plain IEEE float arithmetic) rather than the
// platform's expf, and all sums run in a fixed order, for the same reason.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace slm::sampling {

struct Candidate {
  float logit;
  int32_t id;
};

inline bool better(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// exp(x) for x <= 0 (relative error about 2e-7; positive x is taken as 0); 0 for x < -87 and
// for -inf. Branch-free; src/sampling/simd.h has the same on four lanes.
inline float fast_exp(float x) {
  constexpr float kLo = -87.0f;
  const float xc = x < kLo ? kLo : (x > 0.0f ? 0.0f : x);
  // x = n*ln2 + r, |r| <= ln2/2; n rounded to nearest with the 1.5*2^23 trick.
  constexpr float kShift = 12582912.0f;
  const float t = xc * 1.44269504088896341f + kShift;
  const float n = t - kShift;
  const int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kShift);
  float r = xc - n * 0.693145751953125f;  // ln2, high part (exact in n*hi for |n| < 2^9)
  r = r - n * 1.4286068202862268e-06f;     // ln2, low part
  // Taylor series of exp(r) to degree 6, Horner form (truncation error < 1.3e-7 relative).
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const float scale = std::bit_cast<float>((ni + 127) << 23);
  const float y = p * scale;
  return x < kLo ? 0.0f : y;
}

// Largest value (NaNs ignored; -inf when n == 0 or all are -inf/NaN).
float max_value(const float* x, size_t n);

// Index of the largest value, ties to the lowest index; 0 when nothing compares.
int32_t argmax(const float* x, size_t n);

// Sum of fast_exp((x[i] - m) * inv_temp) in a fixed (platform-independent) order.
float sum_exp(const float* x, size_t n, float m, float inv_temp);

// Top-k over the whole vocabulary by a streaming heap (no full sort). Writes the k best to out,
// sorted. 0 < k < n. Returns k.
size_t top_k(const float* logits, size_t n, size_t k, Candidate* out);

// Top-p on a sorted list: keeps the shortest prefix whose softmax mass (over the list) reaches
// p, at least one. Returns the kept count. w: scratch of n floats.
size_t top_p_sorted(const Candidate* c, size_t n, float p, float* w);

// Top-p over the whole vocabulary without sorting it: a logit threshold whose survivors are
// checked to hold at least mass p pre-filters (tight thresholds first, then one that provably
// suffices), and only the survivors are ordered, in growing chunks. Writes the kept
// candidates, sorted, to out (capacity n). Returns the kept count. 0 < p < 1.
size_t top_p_full(const float* logits, size_t n, float p, Candidate* out);

// Min-p on a sorted list: keeps candidates whose probability is at least min_p times the top
// one's (computed as fast_exp(logit - top) >= min_p). Returns the kept count (>= 1).
size_t min_p_sorted(const Candidate* c, size_t n, float min_p);

// Min-p over the whole vocabulary; out gets the survivors in id order. Returns their count.
size_t min_p_full(const float* logits, size_t n, float min_p, Candidate* out);

// Softmax of logits / temp over a list into probs (for tests and diagnostics).
void softmax(const Candidate* c, size_t n, float temp, float* probs);

// Draws from softmax(logit / temp) over the list with uniform u in [0, 1): the first candidate
// whose running weight exceeds u * total. w: scratch of n floats.
int32_t draw(const Candidate* c, size_t n, float temp, float u, float* w);

// The same over the whole vocabulary in id order. block_sums: scratch of
// n / kDrawBlock + 1 floats.
inline constexpr size_t kDrawBlock = 256;
int32_t draw_full(const float* logits, size_t n, float temp, float u, float* block_sums);

}  // namespace slm::sampling
