#include "arch/gemma2/gemma2.h"

#include <cmath>

#include "arch/gemma/gemma.h"

namespace slm::gemma2 {
namespace {

// llama.cpp's defaults for keys Gemma 2 files may lack (its converter writes all three).
constexpr uint32_t kDefaultWindow = 4096;
constexpr float kDefaultAttnSoftcap = 50.0f;
constexpr float kDefaultFinalSoftcap = 30.0f;
constexpr uint32_t kDefaultPattern = 2;  // one local layer, then one global
// llama.cpp recognizes Gemma 2 27B by its depth; that model scales q by 1/sqrt(n_embd / n_head)
// (query_pre_attn_scalar 144) instead of 1/sqrt(head_dim).
constexpr int64_t k27bLayers = 46;

// Which layers are local, as llama.cpp's load_swa_pattern: a per-layer bool array, else a period
// n (key or default 2) making layer il local when il % n < n - 1 (n = 0: every layer local).
Status read_sliding_layers(const GgufFile& gguf, const ArchKeys& keys, ModelConfig* c, uint32_t* period) {
  const std::string key = keys.key("attention.sliding_window_pattern");
  const GgufValue* v = gguf.find(key);
  if (v && v->type == GgufType::ARRAY) {
    auto arr = gguf.get_array(key, GgufType::BOOL);
    if (!arr) return arr.status();
    if (static_cast<int64_t>((*arr)->arr.size()) != c->n_layer)
      return Status::Error("key '" + key + "' has " + std::to_string((*arr)->arr.size()) + " entries, expected " +
                           std::to_string(c->n_layer) + " (one per layer)");
    for (int64_t il = 0; il < c->n_layer; ++il) c->layers[static_cast<size_t>(il)].sliding = (*arr)->arr[static_cast<size_t>(il)].u != 0;
    *period = 0;  // given per layer
    return Status::Ok();
  }
  auto n = keys.u32_or("attention.sliding_window_pattern", kDefaultPattern);
  if (!n) return n.status();
  for (int64_t il = 0; il < c->n_layer; ++il)
    c->layers[static_cast<size_t>(il)].sliding = *n == 0 || il % *n < *n - 1;
  *period = *n;
  return Status::Ok();
}

}  // namespace

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  const ArchKeys keys(gguf, "gemma2");
  gemma::Rope rope;
  SLM_RETURN_IF_ERROR(gemma::load_config(gguf, keys, 10000.0f, c, &rope));
  auto window = keys.u32_or("attention.sliding_window", kDefaultWindow);
  if (!window) return window.status();
  if (*window == 0) return Status::Error("key '" + keys.key("attention.sliding_window") + "' must be positive");
  auto attn_cap = keys.f32_or("attn_logit_softcapping", kDefaultAttnSoftcap);
  if (!attn_cap) return attn_cap.status();
  auto final_cap = keys.f32_or("final_logit_softcapping", kDefaultFinalSoftcap);
  if (!final_cap) return final_cap.status();
  // llama.cpp always soft-caps Gemma 2 and divides by the caps: a zero cap is not a model.
  if (!(*attn_cap > 0.0f)) return Status::Error("key '" + keys.key("attn_logit_softcapping") + "' must be positive");
  if (!(*final_cap > 0.0f)) return Status::Error("key '" + keys.key("final_logit_softcapping") + "' must be positive");
  // Local layers take rope.freq_base_swa when present (never written for Gemma 2), and the linear
  // scaling applies to both kinds.
  auto swa_base = keys.f32_or("rope.freq_base_swa", rope.base);
  if (!swa_base) return swa_base.status();
  uint32_t period = 0;
  SLM_RETURN_IF_ERROR(read_sliding_layers(gguf, keys, c, &period));

  c->sliding_window = *window;
  c->attn_softcap = *attn_cap;
  c->final_softcap = *final_cap;
  const bool is_27b = c->n_layer == k27bLayers;
  c->q_scale = 1.0f / std::sqrt(static_cast<float>(is_27b ? c->n_embd / c->n_head : c->head_dim));
  int64_t n_local = 0;
  for (LayerConfig& l : c->layers) {
    if (l.sliding) l.rope_base = *swa_base;
    n_local += l.sliding;
  }

  c->features.push_back("RoPE base " + gemma::number(rope.base) + " (NEOX)" +
                        (*swa_base != rope.base ? ", " + gemma::number(*swa_base) + " local" : ""));
  if (rope.freq_scale != 1.0f) c->features.push_back("linear RoPE scaling x" + gemma::number(1.0f / rope.freq_scale));
  if (is_27b) c->features.push_back("query scale 1/sqrt(n_embd/n_head) (27B)");
  c->features.push_back("attention soft-cap " + gemma::number(c->attn_softcap));
  c->features.push_back("final soft-cap " + gemma::number(c->final_softcap));
  const std::string sw = "sliding window " + std::to_string(c->sliding_window);
  if (period == 2) c->features.push_back(sw + " on every other layer");
  else if (n_local > 0)
    c->features.push_back(sw + " on " + std::to_string(n_local) + " of " + std::to_string(c->n_layer) + " layers");
  c->features.push_back("pre+post norms");

  TensorLoader tl(gguf);
  SLM_RETURN_IF_ERROR(gemma::load_tensors(tl, /*separate_output=*/false, c, w));
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerWeights& l = w->layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.post_attn_norm = tl.vector(p + "post_attention_norm.weight", c->n_embd);
    l.post_ffn_norm = tl.vector(p + "post_ffw_norm.weight", c->n_embd);
  }
  c->features.push_back("tied embeddings");
  return tl.status();
}

}  // namespace slm::gemma2
