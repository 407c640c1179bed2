#include "sampling/stages.h"

#include "sampling/simd.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace slm::sampling {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// Elements per step of the passes over the whole vocabulary: four 4-float vectors, a fixed
// number, so the summation order is the same on every machine.
constexpr size_t kStep = 16;

using simd::f4;
using simd::i4;

// True when any of x[0..kStep) is > t (or >= t when `inclusive`).
template <bool inclusive>
inline bool any_above(const float* x, float t) {
  const f4 tv = simd::splat(t);
  if constexpr (inclusive) {
    return simd::any((simd::load(x) >= tv) | (simd::load(x + 4) >= tv) |
                     (simd::load(x + 8) >= tv) | (simd::load(x + 12) >= tv));
  } else {
    return simd::any((simd::load(x) > tv) | (simd::load(x + 4) > tv) |
                     (simd::load(x + 8) > tv) | (simd::load(x + 12) > tv));
  }
}

// Gathers the candidates with logit >= t, in id order. Returns their count.
size_t gather_at_least(const float* x, size_t n, float t, Candidate* out) {
  size_t m = 0, i = 0;
  for (; i + kStep <= n; i += kStep) {
    if (!any_above<true>(x + i, t)) continue;
    for (size_t j = i; j < i + kStep; ++j)
      if (x[j] >= t) out[m++] = {x[j], static_cast<int32_t>(j)};
  }
  for (; i < n; ++i)
    if (x[i] >= t) out[m++] = {x[i], static_cast<int32_t>(i)};
  return m;
}

}  // namespace

float max_value(const float* x, size_t n) {
  f4 m0 = simd::splat(kNegInf), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    m0 = simd::max(simd::load(x + i), m0);
    m1 = simd::max(simd::load(x + i + 4), m1);
    m2 = simd::max(simd::load(x + i + 8), m2);
    m3 = simd::max(simd::load(x + i + 12), m3);
  }
  const f4 m = simd::max(simd::max(m0, m1), simd::max(m2, m3));
  float r = kNegInf;
  for (int j = 0; j < 4; ++j) r = m[j] > r ? m[j] : r;
  for (; i < n; ++i) r = x[i] > r ? x[i] : r;
  return r;
}

int32_t argmax(const float* x, size_t n) {
  const float m = max_value(x, n);
  const f4 mv = simd::splat(m);
  size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    if (!simd::any((simd::load(x + i) == mv) | (simd::load(x + i + 4) == mv) |
                   (simd::load(x + i + 8) == mv) | (simd::load(x + i + 12) == mv)))
      continue;
    break;
  }
  for (; i < n; ++i)
    if (x[i] == m) return static_cast<int32_t>(i);
  return 0;
}

float sum_exp(const float* x, size_t n, float m, float inv_temp) {
  const f4 mv = simd::splat(m), tv = simd::splat(inv_temp);
  f4 s0 = simd::splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    s0 += simd::fast_exp((simd::load(x + i) - mv) * tv);
    s1 += simd::fast_exp((simd::load(x + i + 4) - mv) * tv);
    s2 += simd::fast_exp((simd::load(x + i + 8) - mv) * tv);
    s3 += simd::fast_exp((simd::load(x + i + 12) - mv) * tv);
  }
  const f4 s = (s0 + s1) + (s2 + s3);
  float r = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < n; ++i) r += fast_exp((x[i] - m) * inv_temp);
  return r;
}

size_t top_k(const float* x, size_t n, size_t k, Candidate* out) {
  // A heap of the k best seen so far with the worst on top (better() as the heap order).
  // Scanning in id order, a later equal logit never beats an earlier one, so ">" is exact.
  for (size_t i = 0; i < k; ++i) out[i] = {x[i], static_cast<int32_t>(i)};
  std::make_heap(out, out + k, better);
  float worst = out[0].logit;
  auto offer = [&](size_t j) {
    std::pop_heap(out, out + k, better);
    out[k - 1] = {x[j], static_cast<int32_t>(j)};
    std::push_heap(out, out + k, better);
    worst = out[0].logit;
  };
  size_t i = k;
  for (; i + kStep <= n; i += kStep) {
    if (!any_above<false>(x + i, worst)) continue;
    for (size_t j = i; j < i + kStep; ++j)
      if (x[j] > worst) offer(j);
  }
  for (; i < n; ++i)
    if (x[i] > worst) offer(i);
  std::sort_heap(out, out + k, better);  // ascending in better() order: best first
  return k;
}

size_t top_p_sorted(const Candidate* c, size_t n, float p, float* w) {
  if (n <= 1 || p >= 1.0f) return n;
  const float top = c[0].logit;
  float total = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    w[i] = fast_exp(c[i].logit - top);
    total += w[i];
  }
  const float target = p * total;
  float cum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    cum += w[i];
    if (cum >= target) return i + 1;
  }
  return n;
}

size_t top_p_full(const float* x, size_t n, float p, Candidate* out) {
  const float m = max_value(x, n);
  if (!(m > kNegInf)) {  // every token masked
    out[0] = {x[0], 0};
    return 1;
  }
  const float total = sum_exp(x, n, m, 1.0f);
  const float target = p * total;
  // The tokens with logit >= t are a prefix of the sorted vocabulary; once their mass reaches
  // the target, the top-p prefix lies among them and only they need ordering. Try cheap, tight
  // thresholds first. The last one is provably enough: every token below t carries at most
  // exp(t - m) / total of the mass, so all of them together at most n * exp(t - m) / total,
  // which t = m + log((1 - p) * total / n) bounds by 1 - p. Its margin only absorbs rounding (and
  // the platform's log); a final pass over everything covers what rounding could still leave.
  const float bound =
      m + static_cast<float>(std::log((1.0 - p) * total / static_cast<double>(n))) - 0.01f;
  const float thresholds[] = {m - 4.0f, m - 8.0f, m - 16.0f, bound, kNegInf};
  float prev = INFINITY;
  for (const float t0 : thresholds) {
    const float t = t0 > bound ? t0 : bound;
    if (!(t < prev)) continue;  // no lower than the previous attempt
    prev = t;
    const size_t cnt = gather_at_least(x, n, t, out);
    if (t != kNegInf) {
      float mass = 0.0f;
      for (size_t i = 0; i < cnt; ++i) mass += fast_exp(out[i].logit - m);
      if (mass < target) continue;
    }
    // Order only as much of the survivors as needed, in doubling chunks.
    size_t done = 0;
    float cum = 0.0f;
    while (done < cnt) {
      const size_t chunk = std::min(cnt - done, std::max<size_t>(64, done));
      if (done + chunk < cnt) std::nth_element(out + done, out + done + chunk, out + cnt, better);
      std::sort(out + done, out + done + chunk, better);
      for (size_t i = done; i < done + chunk; ++i) {
        cum += fast_exp(out[i].logit - m);
        if (cum >= target) return i + 1;
      }
      done += chunk;
    }
    if (cnt == n) return n;  // rounding left the sum a hair short of p: keep everything
  }
  return n;  // not reached: the last threshold gathers everything
}

size_t min_p_sorted(const Candidate* c, size_t n, float min_p) {
  if (n <= 1 || min_p <= 0.0f) return n;
  const float top = c[0].logit;
  size_t kept = 1;
  while (kept < n && fast_exp(c[kept].logit - top) >= min_p) ++kept;
  return kept;
}

size_t min_p_full(const float* x, size_t n, float min_p, Candidate* out) {
  const float m = max_value(x, n);
  if (!(m > kNegInf)) {  // every token masked
    out[0] = {x[0], 0};
    return 1;
  }
  // A cheap logit pre-filter with a margin, then the exact test shared with min_p_sorted.
  const float t = m + static_cast<float>(std::log(static_cast<double>(min_p))) - 0.01f;
  const size_t cnt = gather_at_least(x, n, t, out);
  size_t kept = 0;
  for (size_t i = 0; i < cnt; ++i)
    if (fast_exp(out[i].logit - m) >= min_p) out[kept++] = out[i];
  return kept;
}

void softmax(const Candidate* c, size_t n, float temp, float* probs) {
  if (n == 0) return;
  float m = kNegInf;
  for (size_t i = 0; i < n; ++i) m = std::max(m, c[i].logit);
  const float inv_t = 1.0f / temp;
  float total = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    probs[i] = fast_exp((c[i].logit - m) * inv_t);
    total += probs[i];
  }
  for (size_t i = 0; i < n; ++i) probs[i] /= total;
}

int32_t draw(const Candidate* c, size_t n, float temp, float u, float* w) {
  float m = kNegInf;
  for (size_t i = 0; i < n; ++i) m = std::max(m, c[i].logit);
  if (!(m > kNegInf)) return c[0].id;  // nothing finite to weigh
  const float inv_t = 1.0f / temp;
  float total = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    w[i] = fast_exp((c[i].logit - m) * inv_t);
    total += w[i];
  }
  const float target = u * total;
  float cum = 0.0f;
  size_t last = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!(w[i] > 0.0f)) continue;
    cum += w[i];
    last = i;
    if (cum > target) return c[i].id;
  }
  return c[last].id;  // u * total rounded up to total
}

int32_t draw_full(const float* x, size_t n, float temp, float u, float* block_sums) {
  const float m = max_value(x, n);
  if (!(m > kNegInf)) return 0;
  const float inv_t = 1.0f / temp;
  const size_t nb = (n + kDrawBlock - 1) / kDrawBlock;
  float total = 0.0f;
  for (size_t b = 0; b < nb; ++b) {
    const size_t lo = b * kDrawBlock;
    block_sums[b] = sum_exp(x + lo, std::min(kDrawBlock, n - lo), m, inv_t);
    total += block_sums[b];
  }
  const float target = u * total;
  // Skip whole blocks, then walk tokens one by one from the block where the target falls.
  float cum = 0.0f;
  size_t b = 0;
  while (b + 1 < nb && cum + block_sums[b] <= target) cum += block_sums[b++];
  size_t last = 0;
  bool any = false;
  for (size_t i = b * kDrawBlock; i < n; ++i) {
    const float wi = fast_exp((x[i] - m) * inv_t);
    if (!(wi > 0.0f)) continue;
    cum += wi;
    last = i;
    any = true;
    if (cum > target) return static_cast<int32_t>(i);
  }
  if (any) return static_cast<int32_t>(last);
  // The target fell past every positive weight from block b on: take the last positive one.
  for (size_t i = b * kDrawBlock; i-- > 0;)
    if (fast_exp((x[i] - m) * inv_t) > 0.0f) return static_cast<int32_t>(i);
  return argmax(x, n);
}

}  // namespace slm::sampling
