// Comparing slm's logits with llama.cpp goldens that store, per position, llama.cpp's top-n
// (id, logit) pairs and the log-sum-exp of the full row. Shared by the model and family tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace slm::test {

// log-softmax of a full logits row, in double.
inline std::vector<double> log_softmax(std::span<const float> logits) {
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  const double lse = mx + std::log(sum);
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - lse;
  return out;
}

// KL(P_llama || Q_slm) over llama.cpp's top-n tokens plus one bucket for the rest of the
// vocabulary: the exact KL of that coarser partition, a lower bound of the full KL that misses
// only what happens inside the tail bucket (a few percent of the mass at most).
inline double kl_top_n(const nlohmann::json& pos, const std::vector<double>& logq) {
  const double lse = pos.at("lse").get<double>();
  double kl = 0.0, p_top = 0.0, q_top = 0.0;
  for (const nlohmann::json& e : pos.at("top")) {
    const int id = e[0].get<int>();
    const double logp = e[1].get<double>() - lse;
    const double p = std::exp(logp);
    kl += p * (logp - logq[static_cast<size_t>(id)]);
    p_top += p;
    q_top += std::exp(logq[static_cast<size_t>(id)]);
  }
  const double p_tail = std::max(0.0, 1.0 - p_top), q_tail = std::max(1e-300, 1.0 - q_top);
  if (p_tail > 1e-12) kl += p_tail * std::log(p_tail / q_tail);
  return kl;
}

// Index of the largest logit, ties to the lowest id.
inline int32_t argmax(std::span<const float> v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace slm::test
