// The core of self-attention: scores of the queries against the binary16 key cache, softmax, and
// the probability-weighted sum of the cached values, with GQA, causal and sliding-window limits
// and score soft-capping. blocks::attention (forward_pass.h) projects, ropes and caches, then calls
// this.
//
// Numerics follow llama.cpp's CPU path: a score is the dot product of the binary16-rounded query
// with the binary16 key, the softmax is the exact two-pass one over the whole score row (sums in
// double), and the probabilities are rounded to binary16 before they multiply the values.
//
// Work is split in items of one kv group, a block of consecutive query tokens and some of the
// group's heads (rows = tokens x heads), so that each cached key and value row is converted to
// f32 once per item and then used by all of the item's rows.
//
// Shape legend: T = query tokens, H / Hkv = query / key-value heads, G = H / Hkv, D / Dv = head
// sizes of q,k / v, N = context length, P = threads, R = kAttendRows.
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/kernels.h"

namespace slm {

// Most query rows (tokens x heads) one work item holds: bounds the scratch below; 16 rows convert
// each key and value once for 16 uses, enough that conversion no longer shows in profiles.
inline constexpr int64_t kAttendRows = 16;
// Keys (and values) converted to f32 at a time: a chunk of 16 rows of 256 floats is 16 KiB, so
// it stays in L1 while every row of the item uses it.
inline constexpr int64_t kAttendChunk = 16;

// Per-thread scratch of attend, sized once for the model and context.
struct AttendScratch {
  int64_t n_ctx = 0, head_dim = 0, head_dim_v = 0;
  std::vector<float> scores;  // [P][R][N] score, then probability, rows of one item
  std::vector<float> q;       // [P][R][D] the item's queries, rounded to binary16, in f32
  std::vector<float> kv;      // [P][kAttendChunk][max(D, Dv)] a chunk of keys or values in f32
  std::vector<uint16_t> h16;  // [P][max(D, 64)] binary16 staging for the roundings
  void allocate(int64_t n_ctx, int64_t head_dim, int64_t head_dim_v, int n_threads);
  size_t bytes() const;
};

struct AttendArgs {
  int64_t T = 0, pos0 = 0;  // the queries are positions pos0 .. pos0 + T - 1
  int64_t H = 0, Hkv = 0, D = 0, Dv = 0;
  int64_t window = 0;      // > 0: position p sees p - window + 1 .. p; 0: it sees 0 .. p
  float softcap = 0.0f;    // > 0: score = softcap * tanh(score / softcap), before kq_scale
  float kq_scale = 1.0f;   // multiplies the (capped) scores
  const float* q = nullptr;      // [T][H*D] roped and scaled queries
  const uint16_t* k = nullptr;   // [>= pos0 + T][Hkv*D] binary16 key cache
  const uint16_t* v = nullptr;   // [>= pos0 + T][Hkv*Dv] binary16 value cache
  float* out = nullptr;          // [T][H*Dv]; head h of token t reads kv group h / G
  const KernelTable* kernels = nullptr;  // null: kernels() (tests pass each table)
};

// out = softmax(scores) . values for every (token, head). Needs pos0 + T <= scratch.n_ctx,
// D <= scratch.head_dim, Dv <= scratch.head_dim_v and a scratch allocated for pool.size() threads.
void attend(const AttendArgs& a, AttendScratch& scratch, ThreadPool& pool);

}  // namespace slm
