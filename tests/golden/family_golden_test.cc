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
  int64_t positions = 0, top1_agree = 0, top5_same = 0;
  int prompts = 0, greedy_identical = 0;
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
      bool same5 = true;
      for (size_t k = 0; k < 5; ++k) same5 &= ours[k] == gp.at("top")[k][0].get<int32_t>();
      top5_same += same5;
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
    if (exact) {
      EXPECT_EQ(got, want) << name << ": greedy continuation of prompt " << prompts << " differs";
    }
  }
  const double mean_kl = kl_sum / static_cast<double>(positions);
  const double top1 = static_cast<double>(top1_agree) / static_cast<double>(positions);
  std::printf("%s: logits std %.3f, %d prompts, %lld positions: max |diff| at the top-%d ids %.2e of the std, "
              "top-5 identical %lld/%lld, mean KL %.6f, top-1 %.2f%%, greedy identical %d/%d\n",
              name.c_str(), g.at("logits_std").get<double>(), prompts, static_cast<long long>(positions),
              g.at("top_n").get<int>(), max_rel_diff, static_cast<long long>(top5_same),
              static_cast<long long>(positions), mean_kl, 100.0 * top1, greedy_identical, prompts);
  if (exact) {
    EXPECT_LT(max_rel_diff, 1e-3);
    EXPECT_EQ(top5_same, positions);
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
  auto model = Model::load(test::models_dir() + "/families/qwen2-f32.gguf");
  ASSERT_TRUE(model.ok()) << model.error();
  const std::vector<std::string>& f = (*model)->info().features;
  for (const char* want : {"GQA 4/2", "q/k/v biases", "tied embeddings"})
    EXPECT_NE(std::find(f.begin(), f.end(), want), f.end()) << "missing feature " << want;
}

// A GGUF file of metadata keys only (no tensors): enough to reach an architecture's config checks.
class KeysOnlyGguf {
 public:
  KeysOnlyGguf& u32(const std::string& key, uint32_t v) { return add(key, 4, [&] { put(v); }); }
  KeysOnlyGguf& f32(const std::string& key, float v) { return add(key, 6, [&] { put(v); }); }
  KeysOnlyGguf& str(const std::string& key, const std::string& v) { return add(key, 8, [&] { put_str(v); }); }
  KeysOnlyGguf& strs(const std::string& key, const std::vector<std::string>& v) {
    return add(key, 9, [&] {
      put(uint32_t{8});
      put(static_cast<uint64_t>(v.size()));
      for (const std::string& e : v) put_str(e);
    });
  }
  void write(const std::string& path) const {
    std::string head = "GGUF";
    const auto raw = [&](const auto& v) { head.append(reinterpret_cast<const char*>(&v), sizeof v); };
    raw(uint32_t{3});       // version
    raw(uint64_t{0});       // tensors
    raw(uint64_t{n_keys_});
    std::ofstream(path, std::ios::binary) << head << body_;
  }

 private:
  template <typename F>
  KeysOnlyGguf& add(const std::string& key, uint32_t type, F value) {
    put_str(key);
    put(type);
    value();
    ++n_keys_;
    return *this;
  }
  template <typename T>
  void put(T v) { body_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void put_str(const std::string& s) {
    put(static_cast<uint64_t>(s.size()));
    body_ += s;
  }
  std::string body_;
  uint64_t n_keys_ = 0;
};

// A GGUF file whose only key is general.architecture = "mamba".
TEST(FamilyGolden, UnsupportedArchitecture) {
  const std::string path = ::testing::TempDir() + "/slm_mamba_test.gguf";
  KeysOnlyGguf().str("general.architecture", "mamba").write(path);
  auto model = Model::load(path);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().find("architecture 'mamba' is not supported"), std::string::npos) << model.error();
  std::remove(path.c_str());
}

// A stablelm file with YaRN RoPE scaling (which slm does not implement) is refused by name.
TEST(FamilyGolden, StableLmUnsupportedRopeScaling) {
  const std::string path = ::testing::TempDir() + "/slm_stablelm_yarn_test.gguf";
  KeysOnlyGguf()
      .str("general.architecture", "stablelm")
      .u32("stablelm.block_count", 2)
      .u32("stablelm.embedding_length", 256)
      .u32("stablelm.feed_forward_length", 512)
      .u32("stablelm.attention.head_count", 4)
      .u32("stablelm.rope.dimension_count", 16)
      .f32("stablelm.attention.layer_norm_epsilon", 1e-5f)
      .str("stablelm.rope.scaling.type", "yarn")
      .strs("tokenizer.ggml.tokens", {"a", "b"})
      .write(path);
  auto model = Model::load(path);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().find("stablelm RoPE scaling 'yarn' is not supported"), std::string::npos) << model.error();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace slm
