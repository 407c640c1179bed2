// Real models against llama.cpp: next-token logits at every prompt position (mean KL divergence
// and top-1 agreement) and 32-token greedy continuations, from goldens made by
// tools/make_model_goldens.py with llama-cpp-python on the same GGUF files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "slm/slm.h"
#include "logits_compare.h"
#include "test_util.h"

namespace slm {
namespace {

using nlohmann::json;
using test::argmax;
using test::kl_top_n;
using test::log_softmax;

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



// A logit gap below this is a near tie: float noise may flip the choice (the definition).
constexpr double kNearTie = 0.5;
// A free-running continuation compounds float noise over its steps, so its first divergence is
// held to a wider gap. Measured on Gemma 3 270M over the golden prompts: changing only the float
// rounding of the dot products (AVX2 against AVX-512 vec_dot, the same integer sums) moves the
// logits by up to 2.07 (mean KL 0.0052), and prompt batches on packed panels against one-token
// vec_dot by up to 3.4 (mean KL 0.0068; llama.cpp against itself: 0.0047). One of its 14
// continuations then parts from llama.cpp's at a gap of 1.40.
constexpr double kDivergenceGap = 1.5;


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
  int64_t decisive = 0, decisive_agree = 0;  // prompt positions where llama.cpp's top-2 gap >= 0.5
  int64_t forced = 0, forced_agree = 0;      // teacher-forced greedy steps with a gap >= 0.5
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
      const bool agree = argmax(logits) == gp.at("top")[0][0].get<int32_t>();
      top1_agree += agree;
      ++positions;
      if (gp.at("top")[0][1].get<double>() - gp.at("top")[1][1].get<double>() >= kNearTie) {
        ++decisive;
        decisive_agree += agree;
      }
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
    // Teacher forcing: feed llama.cpp's greedy tokens and compare every step where its choice
    // was clear, so one early near-tie does not hide the rest of the continuation.
    s.reset();
    ASSERT_TRUE(s.eval(tokens).ok());
    for (size_t k = 0; k < want.size(); ++k) {
      const json& top = p.at("greedy_steps").at(k).at("top");
      if (top[0][1].get<double>() - top[1][1].get<double>() >= kNearTie) {
        ++forced;
        forced_agree += argmax(s.last_logits()) == want[k];
      }
      if (k + 1 < want.size()) {
        ASSERT_TRUE(s.eval(std::span<const int32_t>(&want[k], 1)).ok());
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
    EXPECT_LT(best - ours, kDivergenceGap) << name << " prompt " << prompts << ": greedy token " << k << " is " << got[k]
                                << ", llama.cpp chose " << want[k] << " with a logit gap of " << best - ours;
  }
  const double mean_kl = kl_sum / static_cast<double>(positions);
  const double top1 = static_cast<double>(top1_agree) / static_cast<double>(positions);
  const double decisive_top1 = static_cast<double>(decisive_agree) / static_cast<double>(decisive);
  const double forced_top1 = static_cast<double>(forced_agree) / static_cast<double>(forced);
  std::printf("%s: %d prompts, %lld positions: mean KL %.5f nats, top-1 agreement %.2f%% (%.2f%% of %lld decisive "
              "positions), greedy identical %d/%d, teacher-forced decisive steps %.2f%% of %lld, tokenization "
              "identical %d/%d\n", name.c_str(), prompts, static_cast<long long>(positions), mean_kl, 100.0 * top1,
              100.0 * decisive_top1, static_cast<long long>(decisive), greedy_identical, prompts, 100.0 * forced_top1,
              static_cast<long long>(forced), tokenizer_agree, prompts);
  EXPECT_GE(prompts, 10);
  EXPECT_EQ(tokenizer_agree, prompts);
  // The bound on the logits.
  EXPECT_LT(mean_kl, 0.01);
  // Wherever llama.cpp's choice is clear (top-2 gap >= 0.5), slm must make the same one: at the
  // prompt positions, and at every step of llama.cpp's greedy continuation fed back to slm.
  EXPECT_GE(decisive_top1, 0.995);
  EXPECT_GE(forced_top1, 0.99);
  // Raw top-1 agreement and the count of identical free-running continuations are dominated by
  // near ties. The issue asked for >= 97% and >= 90%, but llama.cpp does not reach that against
  // itself when only its batch size changes (tests/golden/models/NAME.noise.json, measured by
  // tools/measure_llamacpp_noise.py on the same file and machine: 4/14 and 6/14 identical).
  // We hold slm's top-1 to within 3 points of llama.cpp's own; the continuations are held by
  // the divergence rule above (every divergence starts at a gap < 1.5) and the teacher-forced
  // check, and their identical count is printed for the record.
  const json noise = json::parse(std::ifstream(test::golden_dir() + "/models/" + name + ".noise.json"));
  std::printf("%s: llama.cpp against itself (%s): mean KL %.5f, top-1 %.2f%%, greedy identical %d/%d\n", name.c_str(),
              noise.at("compared").get<std::string>().c_str(), noise.at("mean_kl").get<double>(),
              100.0 * noise.at("top1").get<double>(), noise.at("greedy_identical").get<int>(), prompts);
  EXPECT_GE(top1, noise.at("top1").get<double>() - 0.03);
}

TEST(ModelGolden, SmolLM2) { check_model("smollm2-135m-instruct"); }
TEST(ModelGolden, Gemma3) { check_model("gemma3-270m"); }

}  // namespace
}  // namespace slm
