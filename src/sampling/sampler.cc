#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

namespace slm {
namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Status bad(const char* field, const char* rule, double value) {
  return Status::Error(std::string("sampler: ") + field + " must be " + rule + ", got " + num(value));
}

uint64_t random_seed() {
  std::random_device rd;
  uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return s == kRandomSeed ? 0 : s;
}

}  // namespace

Status validate(const SamplerParams& p) {
  if (!std::isfinite(p.temperature))
    return bad("temperature", "finite (<= 0 means greedy)", p.temperature);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f))
    return bad("top_p", "in (0, 1] (1 turns it off)", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f))
    return bad("min_p", "in [0, 1] (0 turns it off)", p.min_p);
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty))
    return bad("repeat_penalty", "finite and > 0 (1 turns it off)", p.repeat_penalty);
  if (p.repeat_last_n < -1)
    return bad("repeat_last_n", ">= -1 (0 off, -1 whole history)", p.repeat_last_n);
  if (!std::isfinite(p.frequency_penalty))
    return bad("frequency_penalty", "finite", p.frequency_penalty);
  if (!std::isfinite(p.presence_penalty))
    return bad("presence_penalty", "finite", p.presence_penalty);
  return Status::Ok();
}

Sampler::Sampler(const SamplerParams& p, int32_t n_vocab)
    : params_(p), n_vocab_(n_vocab), seed_(p.seed == kRandomSeed ? random_seed() : p.seed) {
  SLM_CHECK(validate(p).ok());
  SLM_CHECK(n_vocab > 0);
  const size_t n = static_cast<size_t>(n_vocab);
  if (params_.repeat_last_n > 0) ring_.resize(static_cast<size_t>(params_.repeat_last_n));
  if (params_.repeat_last_n != 0) {
    counts_.assign(n, 0);
    distinct_.reserve(std::min<size_t>(n, params_.repeat_last_n > 0 ? ring_.size() : 4096));
  }
  work_.resize(n);
  cand_.resize(n);
  weights_.resize(n);
  block_sums_.resize(n / sampling::kDrawBlock + 1);
  reset();
}

void Sampler::reset() {
  rng_.seed_with(seed_);
  for (int32_t t : distinct_) counts_[static_cast<size_t>(t)] = 0;
  distinct_.clear();
  ring_pos_ = ring_len_ = 0;
}

void Sampler::accept(int32_t token) {
  SLM_CHECK(token >= 0 && token < n_vocab_);
  if (params_.repeat_last_n == 0) return;
  if (params_.repeat_last_n > 0) {
    if (ring_len_ == ring_.size()) {  // window full: the oldest token leaves it
      const int32_t old = ring_[ring_pos_];
      if (--counts_[static_cast<size_t>(old)] == 0) {
        auto it = std::find(distinct_.begin(), distinct_.end(), old);
        *it = distinct_.back();
        distinct_.pop_back();
      }
    } else {
      ++ring_len_;
    }
    ring_[ring_pos_] = token;
    ring_pos_ = (ring_pos_ + 1) % ring_.size();
  }
  if (counts_[static_cast<size_t>(token)]++ == 0) distinct_.push_back(token);
}

bool Sampler::penalties_active() const {
  return !distinct_.empty() &&
         (params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
          params_.presence_penalty != 0.0f);
}

void Sampler::apply_penalties(float* logits) const {
  const float rp = params_.repeat_penalty;
  for (int32_t t : distinct_) {
    float& l = logits[t];
    const int32_t c = counts_[static_cast<size_t>(t)];
    if (rp != 1.0f) l = l <= 0.0f ? l * rp : l / rp;
    l -= static_cast<float>(c) * params_.frequency_penalty + params_.presence_penalty;
  }
}

void Sampler::penalize(std::span<float> logits) const {
  SLM_CHECK(logits.size() == static_cast<size_t>(n_vocab_));
  if (penalties_active()) apply_penalties(logits.data());
}

int32_t Sampler::sample(std::span<const float> logits) {
  SLM_CHECK(logits.size() == static_cast<size_t>(n_vocab_));
  const size_t n = logits.size();
  const float* x = logits.data();
  if (penalties_active()) {
    std::copy(logits.begin(), logits.end(), work_.begin());
    apply_penalties(work_.data());
    x = work_.data();
  }
  if (params_.temperature <= 0.0f) return sampling::argmax(x, n);

  const float u = rng_.uniform();
  const size_t k = params_.top_k > 0 ? static_cast<size_t>(params_.top_k) : n;
  const float top_p = params_.top_p;
  const float min_p = params_.min_p;
  sampling::Candidate* c = cand_.data();
  size_t m;
  if (k < n) {
    m = sampling::top_k(x, n, k, c);
    if (top_p < 1.0f) m = sampling::top_p_sorted(c, m, top_p, weights_.data());
    if (min_p > 0.0f) m = sampling::min_p_sorted(c, m, min_p);
  } else if (top_p < 1.0f) {
    m = sampling::top_p_full(x, n, top_p, c);
    if (min_p > 0.0f) m = sampling::min_p_sorted(c, m, min_p);
  } else if (min_p > 0.0f) {
    m = sampling::min_p_full(x, n, min_p, c);
  } else {
    return sampling::draw_full(x, n, params_.temperature, u, block_sums_.data());
  }
  return sampling::draw(c, m, params_.temperature, u, weights_.data());
}

}  // namespace slm
