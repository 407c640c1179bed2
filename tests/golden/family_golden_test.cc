// Model families against llama.cpp on small random-weight GGUF files (tools/make_family_models.py
// writes the files into the model cache's families/ folder and, with --goldens, the goldens in
// tests/golden/families/). F32 files must match llama.cpp's logits closely; quantized files are
// held to the real-model bounds (mean KL, top-1 agreement).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "slm/slm.h"
#include "logits_compare.h"
#include "test_util.h"

namespace slm {
namespace {

using nlohmann::json;
using test::kl_top_n;
using test::log_softmax;

// Skips when the generated file is absent (they live in the cache, not in the repository).
#define SLM_REQUIRE_FAMILY_MODEL(filename)                                                            \
  do {                                                                                                \
    const std::string _p = ::slm::test::models_dir() + "/" + (filename);                             \
    if (!std::filesystem::exists(_p))                                                                 \
      GTEST_SKIP() << "family test model not found: " << _p                                           \
                   << " (run python3 tools/make_family_models.py, or tools/setup.sh --all-models)"; \
  } while (0)



// Top-k ids by descending logit, ties to the lowest id (as the goldens).
std::vector<int32_t> top_k(std::span<const float> v, size_t k) {
  std::vector<int32_t> ids(v.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), [&](int32_t a, int32_t b) {
    return v[static_cast<size_t>(a)] > v[static_cast<size_t>(b)] ||
           (v[static_cast<size_t>(a)] == v[static_cast<size_t>(b)] && a < b);
  });
  ids.resize(k);
  return ids;
}

// With F32 weights slm may differ from llama.cpp by up to kMaxRelDiff of the logits' std (summation
// order, ggml's exp approximation). Two candidates closer than twice that are a tie that either
// engine may break either way; the order checks below accept a swap only inside such a tie.
constexpr double kMaxRelDiff = 1e-3;
constexpr double kTieRel = 2 * kMaxRelDiff;

// True when ours (top-5 ids) orders like the golden's top list, up to swaps inside ties.
bool same_top5(const std::vector<int32_t>& ours, const json& top, double tie) {
  for (size_t k = 0; k < ours.size(); ++k) {
    if (ours[k] == top[k][0].get<int32_t>()) continue;
    const double want = top[k][1].get<double>();
    bool tied = false;
    for (const json& e : top)
      if (e[0].get<int32_t>() == ours[k]) tied = std::abs(e[1].get<double>() - want) <= tie;
    if (!tied) return false;
  }
  return true;
}

void check_family(const std::string& name, bool exact) {
  const json g = json::parse(std::ifstream(test::golden_dir() + "/families/" + name + ".json"));
  const std::string file = g.at("file").get<std::string>();
  SLM_REQUIRE_FAMILY_MODEL(file);
  auto model = Model::load(test::models_dir() + "/" + file);
  ASSERT_TRUE(model.ok()) << model.error();
  ContextParams cp;
  cp.n_ctx = g.at("n_ctx").get<int>();
  cp.n_threads = 2;
  auto session = Session::create(*model, cp);
  ASSERT_TRUE(session.ok()) << session.error();
  Session& s = **session;

  double kl_sum = 0.0, max_rel_diff = 0.0;
  int64_t positions = 0, top1_agree = 0, top5_same = 0, top5_tie_swaps = 0;
  int prompts = 0, greedy_identical = 0, greedy_tie_divergences = 0;
  for (const json& p : g.at("prompts")) {
    ++prompts;
    const std::vector<int32_t> tokens = p.at("tokens").get<std::vector<int32_t>>();
    EXPECT_EQ((*model)->tokenize(p.at("text").get<std::string>(), true, true), tokens)
        << name << ": tokenization differs from llama.cpp for prompt " << prompts;
    s.reset();
    const json& golden_pos = p.at("positions");
    Status st = s.eval(tokens, [&](int64_t i, std::span<const float> logits) {
      const json& gp = golden_pos.at(static_cast<size_t>(i));
      const double sd = gp.at("std").get<double>();
      for (const json& e : gp.at("top"))
        max_rel_diff = std::max(max_rel_diff, std::abs(logits[e[0].get<size_t>()] - e[1].get<double>()) / sd);
      kl_sum += kl_top_n(gp, log_softmax(logits));
      const std::vector<int32_t> ours = top_k(logits, 5);
      top1_agree += ours[0] == gp.at("top")[0][0].get<int32_t>();
      bool identical = true;
      for (size_t k = 0; k < 5; ++k) identical &= ours[k] == gp.at("top")[k][0].get<int32_t>();
      top5_same += identical;
      top5_tie_swaps += !identical && same_top5(ours, gp.at("top"), kTieRel * sd);
      ++positions;
    });
    ASSERT_TRUE(st.ok()) << st.message();

    const std::vector<int32_t> want = p.at("greedy").get<std::vector<int32_t>>();
    std::vector<int32_t> got;
    for (size_t k = 0; k < want.size(); ++k) {
      got.push_back(top_k(s.last_logits(), 1)[0]);
      if (k + 1 < want.size()) {
        ASSERT_TRUE(s.eval(std::span<const int32_t>(&got.back(), 1)).ok());
      }
    }
    greedy_identical += got == want;
    if (got != want) {
      // The first differing step must be a tie in llama.cpp's logits (later steps follow from it).
      const size_t k = static_cast<size_t>(std::mismatch(got.begin(), got.end(), want.begin()).first - got.begin());
      const double gap = p.at("greedy_gap").at(k).get<double>();
      const bool tie = gap <= kTieRel * g.at("logits_std").get<double>();
      greedy_tie_divergences += tie;
      if (exact) {
        EXPECT_TRUE(tie) << name << ": greedy continuation of prompt " << prompts << " differs at step " << k
                         << " where llama.cpp's top-2 gap is " << gap;
      }
    }
  }
  const double mean_kl = kl_sum / static_cast<double>(positions);
  const double top1 = static_cast<double>(top1_agree) / static_cast<double>(positions);
  std::printf("%s: logits std %.3f, %d prompts, %lld positions: max |diff| at the top-%d ids %.2e of the std, "
              "top-5 identical %lld/%lld (+%lld swaps inside ties), mean KL %.6f, top-1 %.2f%%, greedy identical %d/%d "
              "(+%d diverging at a tie)\n",
              name.c_str(), g.at("logits_std").get<double>(), prompts, static_cast<long long>(positions),
              g.at("top_n").get<int>(), max_rel_diff, static_cast<long long>(top5_same),
              static_cast<long long>(positions), static_cast<long long>(top5_tie_swaps), mean_kl, 100.0 * top1,
              greedy_identical, prompts, greedy_tie_divergences);
  if (exact) {
    EXPECT_LT(max_rel_diff, kMaxRelDiff);
    EXPECT_EQ(top5_same + top5_tie_swaps, positions);
  } else {
    EXPECT_LT(mean_kl, 0.01);
    EXPECT_GE(top1, 0.9);
  }
}

TEST(FamilyGolden, LlamaF32) { check_family("llama-f32", true); }
TEST(FamilyGolden, LlamaQ8_0) { check_family("llama-q8_0", false); }
TEST(FamilyGolden, LlamaQ4_K) { check_family("llama-q4_k", false); }
TEST(FamilyGolden, Qwen2F32) { check_family("qwen2-f32", true); }
TEST(FamilyGolden, Qwen2Q8_0) { check_family("qwen2-q8_0", false); }
TEST(FamilyGolden, Qwen2Q4_K) { check_family("qwen2-q4_k", false); }

TEST(FamilyGolden, StableLmF32) { check_family("stablelm-f32", true); }
TEST(FamilyGolden, StableLmQ8_0) { check_family("stablelm-q8_0", false); }
TEST(FamilyGolden, StableLmQ4_K) { check_family("stablelm-q4_k", false); }
TEST(FamilyGolden, StableLm2F32) { check_family("stablelm2-f32", true); }
TEST(FamilyGolden, StableLm2Q8_0) { check_family("stablelm2-q8_0", false); }
TEST(FamilyGolden, StableLm2Q4_K) { check_family("stablelm2-q4_k", false); }
TEST(FamilyGolden, StableLm12bF32) { check_family("stablelm12b-f32", true); }
TEST(FamilyGolden, StableLm12bQ8_0) { check_family("stablelm12b-q8_0", false); }
TEST(FamilyGolden, StableLm12bQ4_K) { check_family("stablelm12b-q4_k", false); }

// The features `slm info` lists for a family's F32 file: every one of `want`, none of `absent`.
void check_features(const std::string& file, std::initializer_list<const char*> want,
                    std::initializer_list<const char*> absent = {}) {
  auto model = Model::load(test::models_dir() + "/" + file);
  ASSERT_TRUE(model.ok()) << model.error();
  const std::vector<std::string>& f = (*model)->info().features;
  for (const char* w : want) EXPECT_NE(std::find(f.begin(), f.end(), w), f.end()) << file << ": missing feature " << w;
  for (const char* a : absent) EXPECT_EQ(std::find(f.begin(), f.end(), a), f.end()) << file << ": unexpected feature " << a;
}

TEST(FamilyGolden, GemmaF32) { check_family("gemma-f32", true); }
TEST(FamilyGolden, GemmaQ8_0) { check_family("gemma-q8_0", false); }
TEST(FamilyGolden, GemmaQ4_K) { check_family("gemma-q4_k", false); }
TEST(FamilyGolden, Gemma2F32) { check_family("gemma2-f32", true); }
TEST(FamilyGolden, Gemma2Q8_0) { check_family("gemma2-q8_0", false); }
TEST(FamilyGolden, Gemma2Q4_K) { check_family("gemma2-q4_k", false); }

TEST(FamilyGolden, GemmaFeatures) {
  SLM_REQUIRE_FAMILY_MODEL("families/gemma-f32.gguf");
  check_features("families/gemma-f32.gguf", {"MQA", "head size 256", "RoPE base 10000 (NEOX)", "GeGLU",
                                             "embedding scale sqrt(n_embd)", "tied embeddings"});
}

TEST(FamilyGolden, Gemma2Features) {
  SLM_REQUIRE_FAMILY_MODEL("families/gemma2-f32.gguf");
  check_features("families/gemma2-f32.gguf",
                 {"GQA 4/2", "head size 256", "attention soft-cap 50", "final soft-cap 30",
                  "sliding window 16 on every other layer", "pre+post norms", "embedding scale sqrt(n_embd)",
                  "tied embeddings"});
}

TEST(FamilyGolden, MistralF32) { check_family("mistral-f32", true); }
TEST(FamilyGolden, MistralQ8_0) { check_family("mistral-q8_0", false); }
TEST(FamilyGolden, MistralQ4_K) { check_family("mistral-q4_k", false); }
TEST(FamilyGolden, Llama3F32) { check_family("llama3-f32", true); }
TEST(FamilyGolden, Llama3Q8_0) { check_family("llama3-q8_0", false); }
TEST(FamilyGolden, Llama3Q4_K) { check_family("llama3-q4_k", false); }

TEST(FamilyGolden, MistralFeatures) {
  SLM_REQUIRE_FAMILY_MODEL("families/mistral-f32.gguf");
  check_features("families/mistral-f32.gguf", {"GQA 8/2", "RoPE base 1000000"});
  auto model = Model::load(test::models_dir() + "/families/mistral-f32.gguf");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->info().n_vocab, 32768);
}

TEST(FamilyGolden, Llama3Features) {
  SLM_REQUIRE_FAMILY_MODEL("families/llama3-f32.gguf");
  check_features("families/llama3-f32.gguf",
                  {"GQA 4/1", "RoPE base 500000", "RoPE frequency factors (llama3 scaling)", "tied embeddings"});
}

// Mistral v0.1's window: llama.cpp ignores the key, slm applies it. The file has mistral-f32's
// weights plus a 12-token window, so its logits must equal llama.cpp's (no window) at the first 12
// positions and differ after them.
TEST(FamilyGolden, MistralSlidingWindow) {
  const json id = json::parse(std::ifstream(test::golden_dir() + "/families/mistral-swa-f32.json"));
  SLM_REQUIRE_FAMILY_MODEL(id.at("file").get<std::string>());
  const json g = json::parse(std::ifstream(test::golden_dir() + "/families/" + id.at("golden").get<std::string>() + ".json"));
  auto model = Model::load(test::models_dir() + "/" + id.at("file").get<std::string>());
  ASSERT_TRUE(model.ok()) << model.error();
  check_features(id.at("file").get<std::string>(), {"sliding window 12"});
  ContextParams cp;
  cp.n_ctx = g.at("n_ctx").get<int>();
  auto session = Session::create(*model, cp);
  ASSERT_TRUE(session.ok()) << session.error();
  constexpr int64_t kWindow = 12;
  double inside = 0.0, outside = 0.0;  // max |diff| / std before and after the window fills
  int64_t n_outside = 0;
  for (const json& p : g.at("prompts")) {
    (*session)->reset();
    const json& gp = p.at("positions");
    Status st = (*session)->eval(p.at("tokens").get<std::vector<int32_t>>(), [&](int64_t i, std::span<const float> logits) {
      const json& pos = gp.at(static_cast<size_t>(i));
      double d = 0.0;
      for (const json& e : pos.at("top"))
        d = std::max(d, std::abs(logits[e[0].get<size_t>()] - e[1].get<double>()) / pos.at("std").get<double>());
      if (i < kWindow) inside = std::max(inside, d);
      else outside = std::max(outside, d), ++n_outside;
    });
    ASSERT_TRUE(st.ok()) << st.message();
  }
  std::printf("mistral-swa: max |diff|/std %.2e inside the window, %.2e after it (%lld positions)\n", inside, outside,
              static_cast<long long>(n_outside));
  EXPECT_LT(inside, 1e-3);
  ASSERT_GT(n_outside, 0);
  EXPECT_GT(outside, 1e-2);
}

TEST(FamilyGolden, StableLmFeatures) {
  SLM_REQUIRE_FAMILY_MODEL("families/stablelm-f32.gguf");
  check_features("families/stablelm-f32.gguf", {"LayerNorm with bias", "partial rotary 16/64 (25%)", "RoPE base 10000 (NEOX)"},
                 {"q/k/v biases", "per-head q/k LayerNorms", "parallel residual (no ffn_norm)", "GQA 4/4"});
  SLM_REQUIRE_FAMILY_MODEL("families/stablelm2-f32.gguf");
  check_features("families/stablelm2-f32.gguf", {"LayerNorm with bias", "partial rotary 16/64 (25%)", "q/k/v biases"});
  SLM_REQUIRE_FAMILY_MODEL("families/stablelm12b-f32.gguf");
  check_features("families/stablelm12b-f32.gguf",
                 {"GQA 4/2", "LayerNorm with bias", "partial rotary 16/64 (25%)", "per-head q/k LayerNorms",
                  "parallel residual (no ffn_norm)"},
                 {"q/k/v biases"});
}

TEST(FamilyGolden, Qwen2Features) {
  SLM_REQUIRE_FAMILY_MODEL("families/qwen2-f32.gguf");
  check_features("families/qwen2-f32.gguf", {"GQA 4/2", "q/k/v biases", "tied embeddings"});
}

TEST(FamilyGolden, Phi3F32) { check_family("phi3-f32", true); }
TEST(FamilyGolden, Phi3Q8_0) { check_family("phi3-q8_0", false); }
TEST(FamilyGolden, Phi3Q4_K) { check_family("phi3-q4_k", false); }
// n_ctx 512 > original_context_length 256: LongRoPE's long factors.
TEST(FamilyGolden, Phi3_128kF32) { check_family("phi3-128k-f32", true); }
TEST(FamilyGolden, Phi3_128kQ8_0) { check_family("phi3-128k-q8_0", false); }
TEST(FamilyGolden, Phi3_128kQ4_K) { check_family("phi3-128k-q4_k", false); }
// The same file at n_ctx 256 <= 256: the short factors.
TEST(FamilyGolden, Phi3_128kF32ShortFactors) { check_family("phi3-128k-f32-ctx256", true); }

TEST(FamilyGolden, Phi3Features) {
  SLM_REQUIRE_FAMILY_MODEL("families/phi3-f32.gguf");
  check_features("families/phi3-f32.gguf", {"RoPE base 10000 (NEOX)", "fused qkv and gate|up, SwiGLU",
                                             "sliding window 16 in metadata, not applied (as llama.cpp)"});
  SLM_REQUIRE_FAMILY_MODEL("families/phi3-128k-f32.gguf");
  check_features("families/phi3-128k-f32.gguf",
                  {"GQA 4/2", "RoPE attn factor 1.1902", "LongRoPE factors: long above context 256, short up to it"});
}

// A GGUF file with only the given keys and no tensors: strings, u32, f32 and string arrays.
class TinyGguf {
 public:
  TinyGguf& str(const std::string& key, const std::string& v) { return kv(key, 8, [&] { s(v); }); }
  TinyGguf& u32(const std::string& key, uint32_t v) { return kv(key, 4, [&] { put(v); }); }
  TinyGguf& f32(const std::string& key, float v) { return kv(key, 6, [&] { put(v); }); }
  TinyGguf& strs(const std::string& key, const std::vector<std::string>& v) {
    return kv(key, 9, [&] {
      put(uint32_t{8});
      put(uint64_t{v.size()});
      for (const std::string& e : v) s(e);
    });
  }
  void write(const std::string& path) const {
    std::ofstream out(path, std::ios::binary);
    out.write("GGUF", 4);
    const uint32_t version = 3;
    const uint64_t n_tensors = 0;
    out.write(reinterpret_cast<const char*>(&version), 4);
    out.write(reinterpret_cast<const char*>(&n_tensors), 8);
    out.write(reinterpret_cast<const char*>(&n_keys_), 8);
    out.write(body_.data(), static_cast<std::streamsize>(body_.size()));
  }

 private:
  template <typename T>
  void put(T v) { body_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void s(const std::string& v) {
    put(uint64_t{v.size()});
    body_ += v;
  }
  template <typename F>
  TinyGguf& kv(const std::string& key, uint32_t type, F value) {
    s(key);
    put(type);
    value();
    ++n_keys_;
    return *this;
  }
  std::string body_;
  uint64_t n_keys_ = 0;
};

std::string load_error(const TinyGguf& g, const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  g.write(path);
  auto model = Model::load(path);
  std::remove(path.c_str());
  return model.ok() ? "(loaded)" : model.error();
}

TEST(FamilyGolden, UnsupportedArchitecture) {
  const std::string e = load_error(TinyGguf().str("general.architecture", "mamba"), "slm_mamba_test.gguf");
  EXPECT_NE(e.find("architecture 'mamba' is not supported"), std::string::npos) << e;
}

// phi3 with YaRN scaling (llama.cpp would apply YaRN's ramp, which slm does not have).
TEST(FamilyGolden, Phi3UnsupportedRopeScaling) {
  TinyGguf g;
  g.str("general.architecture", "phi3")
      .u32("phi3.block_count", 1)
      .u32("phi3.embedding_length", 64)
      .u32("phi3.feed_forward_length", 128)
      .u32("phi3.attention.head_count", 2)
      .f32("phi3.attention.layer_norm_rms_epsilon", 1e-5f)
      .str("phi3.rope.scaling.type", "yarn")
      .strs("tokenizer.ggml.tokens", {"a", "b"});
  const std::string e = load_error(g, "slm_phi3_yarn_test.gguf");
  EXPECT_NE(e.find("phi3 RoPE scaling 'yarn' is not supported"), std::string::npos) << e;
}

TEST(FamilyGolden, StableLmUnsupportedRopeScaling) {
  const std::string e = load_error(TinyGguf()
      .str("general.architecture", "stablelm")
      .u32("stablelm.block_count", 2)
      .u32("stablelm.embedding_length", 256)
      .u32("stablelm.feed_forward_length", 512)
      .u32("stablelm.attention.head_count", 4)
      .u32("stablelm.rope.dimension_count", 16)
      .f32("stablelm.attention.layer_norm_epsilon", 1e-5f)
      .str("stablelm.rope.scaling.type", "yarn")
      .strs("tokenizer.ggml.tokens", {"a", "b"}),
                                    "slm_stablelm_yarn_test.gguf");
  EXPECT_NE(e.find("stablelm RoPE scaling 'yarn' is not supported"), std::string::npos) << e;
}

// The keys a gemma / gemma2 file needs before its tensors are read; tests add the one to refuse.
TinyGguf tiny_gemma(const std::string& arch, uint32_t value_length = 256) {
  TinyGguf g;
  g.str("general.architecture", arch)
      .u32(arch + ".block_count", 1)
      .u32(arch + ".embedding_length", 256)
      .u32(arch + ".feed_forward_length", 512)
      .u32(arch + ".attention.head_count", 1)
      .u32(arch + ".attention.key_length", 256)
      .u32(arch + ".attention.value_length", value_length)
      .f32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f)
      .strs("tokenizer.ggml.tokens", {"a", "b"});
  return g;
}

TEST(FamilyGolden, GemmaUnsupportedVariants) {
  std::string e = load_error(tiny_gemma("gemma2").str("gemma2.rope.scaling.type", "yarn"), "slm_gemma2_yarn.gguf");
  EXPECT_NE(e.find("gemma2 RoPE scaling 'yarn' is not supported"), std::string::npos) << e;
  e = load_error(tiny_gemma("gemma2").f32("gemma2.final_logit_softcapping", 0.0f), "slm_gemma2_nocap.gguf");
  EXPECT_NE(e.find("key 'gemma2.final_logit_softcapping' must be positive"), std::string::npos) << e;
  e = load_error(tiny_gemma("gemma", 128), "slm_gemma_kv.gguf");
  EXPECT_NE(e.find("gemma attention.key_length 256 != attention.value_length 128 is not supported"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace slm
