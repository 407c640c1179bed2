// Real models against llama.cpp: next-token logits at every prompt position (mean KL divergence
// and top-1 agreement) and 32-token greedy continuations, from goldens made by
// tools/make_model_goldens.py with llama-cpp-python on the same GGUF files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "slm/slm.h"
#include "test_util.h"

namespace slm {
namespace {

using nlohmann::json;

struct Golden {
  json j;
  std::string model_file;
};

Golden load_golden(const std::string& name) {
  std::ifstream in(test::golden_dir() + "/models/" + name + ".json");
  Golden g;
  g.j = json::parse(in);
  g.model_file = g.j.at("file").get<std::string>();
  return g;
}

// log-softmax of a full logits row, in double.
std::vector<double> log_softmax(std::span<const float> logits) {
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
double kl_top_n(const json& pos, const std::vector<double>& logq) {
  const double lse = pos.at("lse").get<double>();
  double kl = 0.0, p_top = 0.0, q_top = 0.0;
  for (const json& e : pos.at("top")) {
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

int32_t argmax(std::span<const float> v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

void check_model(const std::string& name) {
  const Golden g = load_golden(name);
  SLM_REQUIRE_MODEL(g.model_file);
  auto model = Model::load(test::models_dir() + "/" + g.model_file);
  ASSERT_TRUE(model.ok()) << model.error();
  ContextParams cp;
  cp.n_ctx = g.j.at("n_ctx").get<int>();
  cp.n_threads = 2;
  auto session = Session::create(*model, cp);
  ASSERT_TRUE(session.ok()) << session.error();
  Session& s = **session;

  double kl_sum = 0.0;
  int64_t positions = 0, top1_agree = 0;
  int prompts = 0, greedy_identical = 0, tokenizer_agree = 0;
  for (const json& p : g.j.at("prompts")) {
    ++prompts;
    const std::vector<int32_t> tokens = p.at("tokens").get<std::vector<int32_t>>();
    const std::string text = p.at("text").get<std::string>();
    if ((*model)->tokenize(text, true, true) == tokens) ++tokenizer_agree;
    else ADD_FAILURE() << name << ": tokenization differs from llama.cpp for prompt " << prompts;

    // Logits at every prompt position.
    s.reset();
    const json& golden_pos = p.at("positions");
    Status st = s.eval(tokens, [&](int64_t i, std::span<const float> logits) {
      const json& gp = golden_pos.at(static_cast<size_t>(i));
      kl_sum += kl_top_n(gp, log_softmax(logits));
      top1_agree += argmax(logits) == gp.at("top")[0][0].get<int32_t>();
      ++positions;
    });
    ASSERT_TRUE(st.ok()) << st.message();

    // Greedy continuation, 32 tokens, not stopping at end-of-generation tokens (as the golden).
    const std::vector<int32_t> want = p.at("greedy").get<std::vector<int32_t>>();
    std::vector<int32_t> got;
    for (size_t k = 0; k < want.size(); ++k) {
      got.push_back(argmax(s.last_logits()));
      if (k + 1 < want.size()) {
        ASSERT_TRUE(s.eval(std::span<const int32_t>(&got.back(), 1)).ok());
      }
    }
    if (got == want) {
      ++greedy_identical;
      continue;
    }
    // Where the continuations part, llama.cpp must itself have been near a tie.
    const size_t k = static_cast<size_t>(std::mismatch(got.begin(), got.end(), want.begin()).first - got.begin());
    const json& step = p.at("greedy_steps").at(k);
    const double best = step.at("top")[0][1].get<double>();
    double ours = -INFINITY;
    for (const json& e : step.at("top"))
      if (e[0].get<int32_t>() == got[k]) ours = e[1].get<double>();
    EXPECT_LT(best - ours, 0.5) << name << " prompt " << prompts << ": greedy token " << k << " is " << got[k]
                                << ", llama.cpp chose " << want[k] << " with a logit gap of " << best - ours;
  }
  const double mean_kl = kl_sum / static_cast<double>(positions);
  const double top1 = static_cast<double>(top1_agree) / static_cast<double>(positions);
  std::printf("%s: %d prompts, %lld positions: mean KL %.5f nats, top-1 agreement %.2f%%, greedy identical %d/%d, "
              "tokenization identical %d/%d\n", name.c_str(), prompts, static_cast<long long>(positions), mean_kl,
              100.0 * top1, greedy_identical, prompts, tokenizer_agree, prompts);
  EXPECT_GE(prompts, 10);
  EXPECT_LT(mean_kl, 0.01);
  EXPECT_GE(top1, 0.97);
  EXPECT_GE(greedy_identical, (9 * prompts + 9) / 10) << "fewer than 90% identical greedy continuations";
}

TEST(ModelGolden, SmolLM2) { check_model("smollm2-135m-instruct"); }
TEST(ModelGolden, Gemma3) { check_model("gemma3-270m"); }

}  // namespace
}  // namespace slm
