#include "arch/blocks/attend.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace slm {

void AttendScratch::allocate(int64_t ctx, int64_t d, int64_t dv, int n_threads) {
  n_ctx = ctx;
  head_dim = d;
  head_dim_v = dv;
  const auto P = static_cast<size_t>(n_threads);
  scores.assign(P * static_cast<size_t>(kAttendRows * ctx), 0.0f);
  q.assign(P * static_cast<size_t>(kAttendRows * d), 0.0f);
  kv.assign(P * static_cast<size_t>(kAttendChunk * std::max(d, dv)), 0.0f);
  h16.assign(P * static_cast<size_t>(std::max<int64_t>(d, 64)), 0);
}

size_t AttendScratch::bytes() const {
  return (scores.size() + q.size() + kv.size()) * sizeof(float) + h16.size() * sizeof(uint16_t);
}

namespace {

// The work items of one call and what each covers (see attend.h).
struct Split {
  int64_t G = 1;         // heads per kv group
  int64_t tokens = 1;    // query tokens per block
  int64_t blocks = 1;    // ceil(T / tokens)
  int64_t parts = 1;     // pieces a group's heads are cut into
  int64_t items() const { return blocks * parts; }  // per kv group
};

// Blocks of kAttendRows / G tokens (one token when G >= kAttendRows) with all of a group's heads,
// unless that leaves fewer items than threads (generation: T = 1, and Hkv may be 1): then the
// heads of a group are cut into parts, each part converting the keys and values for itself.
Split choose_split(const AttendArgs& a, int n_threads) {
  Split s;
  s.G = a.H / a.Hkv;
  s.tokens = std::clamp<int64_t>(kAttendRows / s.G, 1, a.T);
  s.blocks = (a.T + s.tokens - 1) / s.tokens;
  s.parts = (s.G + kAttendRows - 1) / kAttendRows;  // at most kAttendRows heads per part
  while (s.parts < s.G && a.Hkv * s.blocks * s.parts < n_threads) ++s.parts;
  return s;
}

struct Item {
  int64_t g, t0, t1, h0, h1;  // kv group, tokens [t0, t1), heads [h0, h1) of group g
};

// Item i, heaviest first: later tokens see more keys, so blocks are handed out from the last one
// and the threads, taking items as they finish, end together.
Item item_at(const AttendArgs& a, const Split& s, int64_t i) {
  const int64_t per_block = a.Hkv * s.parts;
  const int64_t b = s.blocks - 1 - i / per_block;
  const int64_t g = i % per_block / s.parts, part = i % s.parts;
  Item it;
  it.g = g;
  it.t0 = b * s.tokens;
  it.t1 = std::min(a.T, it.t0 + s.tokens);
  it.h0 = g * s.G + part * s.G / s.parts;
  it.h1 = g * s.G + (part + 1) * s.G / s.parts;
  return it;
}

void attend_item(const AttendArgs& a, const Item& it, AttendScratch& s, int ti) {
  const KernelTable& kt = a.kernels ? *a.kernels : kernels();
  const QuantizeRowFn to_f16 = kt.of(TensorType::F16).quantize_row;
  const DequantizeRowFn from_f16 = kt.of(TensorType::F16).dequantize_row;
  const DotRowsFn dot_rows = kt.dot_rows;
  const AxpyRowsFn axpy_rows = kt.axpy_rows;
  const int64_t D = a.D, Dv = a.Dv, N = s.n_ctx, nh = it.h1 - it.h0;
  const int64_t k_row = a.Hkv * D, v_row = a.Hkv * Dv;
  const auto tsz = static_cast<size_t>(ti);
  float* scores = s.scores.data() + tsz * static_cast<size_t>(kAttendRows * N);
  float* qs = s.q.data() + tsz * static_cast<size_t>(kAttendRows * s.head_dim);
  float* kv = s.kv.data() + tsz * static_cast<size_t>(kAttendChunk * std::max(s.head_dim, s.head_dim_v));
  uint16_t* h16 = s.h16.data() + tsz * static_cast<size_t>(std::max<int64_t>(s.head_dim, 64));

  // Token t sees keys [lo(t), hi(t)); the item as a whole [jlo, jend). Row r = (t - t0) * nh +
  // (h - h0) keeps key j's score at scores[r * N + j - jlo].
  const auto lo = [&](int64_t t) { return a.window > 0 ? std::max<int64_t>(0, a.pos0 + t - a.window + 1) : 0; };
  const auto hi = [&](int64_t t) { return a.pos0 + t + 1; };
  const int64_t jlo = lo(it.t0), jend = hi(it.t1 - 1);
  const auto row = [&](int64_t t, int64_t h) { return (t - it.t0) * nh + (h - it.h0); };

  // Queries rounded to binary16 (the scores are f16 q . f16 k, as in llama.cpp), kept in f32.
  for (int64_t t = it.t0; t < it.t1; ++t)
    for (int64_t h = it.h0; h < it.h1; ++h) {
      to_f16(a.q + t * a.H * D + h * D, h16, D);
      from_f16(h16, qs + row(t, h) * D, D);
    }

  // Scores, a chunk of keys at a time: each key converted once, then dotted with the heads of
  // every token that sees it.
  for (int64_t c0 = jlo; c0 < jend; c0 += kAttendChunk) {
    const int64_t c1 = std::min(c0 + kAttendChunk, jend);
    for (int64_t j = c0; j < c1; ++j) from_f16(a.k + j * k_row + it.g * D, kv + (j - c0) * D, D);
    for (int64_t t = it.t0; t < it.t1; ++t) {
      const int64_t ja = std::max(c0, lo(t)), jb = std::min(c1, hi(t));
      if (ja >= jb) continue;
      const int64_t r = row(t, it.h0);  // the token's heads are rows r .. r + nh - 1
      dot_rows(D, jb - ja, kv + (ja - c0) * D, D, nh, qs + r * D, D, scores + r * N + (ja - jlo), N);
    }
  }

  // Soft-capping, scaling, softmax, then the probabilities rounded to binary16 (llama.cpp
  // multiplies values by binary16 probabilities).
  for (int64_t t = it.t0; t < it.t1; ++t) {
    const int64_t n = hi(t) - lo(t);
    for (int64_t h = it.h0; h < it.h1; ++h) {
      float* p = scores + row(t, h) * N + (lo(t) - jlo);
      if (a.softcap > 0.0f) {  // as ggml: scale by 1/cap, tanh, scale by cap
        const float inv = 1.0f / a.softcap;
        for (int64_t j = 0; j < n; ++j) p[j] = a.softcap * std::tanh(p[j] * inv);
      }
      if (a.kq_scale != 1.0f) ops::scale(p, n, a.kq_scale);
      ops::softmax(p, n);
      for (int64_t j = 0; j < n; j += 64) {
        const int64_t m = std::min<int64_t>(64, n - j);
        to_f16(p + j, h16, m);
        from_f16(h16, p + j, m);
      }
    }
  }

  // Weighted values, a chunk at a time: each value row converted once, then added to every row
  // whose token sees it, in key order.
  for (int64_t t = it.t0; t < it.t1; ++t)
    for (int64_t h = it.h0; h < it.h1; ++h) std::fill_n(a.out + t * a.H * Dv + h * Dv, Dv, 0.0f);
  for (int64_t c0 = jlo; c0 < jend; c0 += kAttendChunk) {
    const int64_t c1 = std::min(c0 + kAttendChunk, jend);
    for (int64_t j = c0; j < c1; ++j) from_f16(a.v + j * v_row + it.g * Dv, kv + (j - c0) * Dv, Dv);
    for (int64_t t = it.t0; t < it.t1; ++t) {
      const int64_t ja = std::max(c0, lo(t)), jb = std::min(c1, hi(t));
      if (ja >= jb) continue;
      for (int64_t h = it.h0; h < it.h1; ++h)
        axpy_rows(Dv, jb - ja, scores + row(t, h) * N + (ja - jlo), kv + (ja - c0) * Dv, Dv,
                  a.out + t * a.H * Dv + h * Dv);
    }
  }
}

}  // namespace

void attend(const AttendArgs& a, AttendScratch& scratch, ThreadPool& pool) {
  if (a.T <= 0) return;
  const Split s = choose_split(a, pool.size());
  const int64_t n_items = a.Hkv * s.items();
  if (n_items == 1 || pool.size() == 1) {
    for (int64_t i = 0; i < n_items; ++i) attend_item(a, item_at(a, s, i), scratch, 0);
    return;
  }
  // Thread ti starts with item ti (with as many items as threads, as in generation, a thread that
  // wakes late must still find its own), then threads take the next item as they finish one
  // (items differ in cost, and a shared core may slow one thread down).
  const int64_t P = pool.size();
  std::atomic<int64_t> next{P};
  pool.run([&](int ti) {
    for (int64_t i = ti; i < n_items; i = next.fetch_add(1, std::memory_order_relaxed))
      attend_item(a, item_at(a, s, i), scratch, ti);
  });
}

}  // namespace slm
