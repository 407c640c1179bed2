#include "arch/gemma3/gemma3.h"

#include <cmath>

namespace slm::gemma3 {
namespace {
// Gemma 3 interleaves five local layers with one global layer; the local layers use RoPE base
// 10000 (the metadata's freq_base is the global layers'). These are fixed by the architecture,
// not stored in GGUF files.
constexpr int kGlobalEvery = 6;
constexpr float kLocalRopeBase = 10000.0f;
}  // namespace

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  const ArchKeys keys(gguf, "gemma3");
  SLM_RETURN_IF_ERROR(load_common_config(gguf, keys, c));
  auto eps = keys.f32("attention.layer_norm_rms_epsilon");
  if (!eps) return eps.status();
  auto base = keys.f32_or("rope.freq_base", 1000000.0f);
  if (!base) return base.status();
  auto window = keys.u32("attention.sliding_window");
  if (!window) return window.status();
  float global_scale = 1.0f;
  if (keys.has("rope.scaling.type")) {
    auto type = gguf.get_string(keys.key("rope.scaling.type"));
    if (!type) return type.status();
    if (*type == "linear") {
      auto factor = keys.f32("rope.scaling.factor");
      if (!factor) return factor.status();
      if (!(*factor > 0.0f)) return Status::Error("key '" + keys.key("rope.scaling.factor") + "' must be positive");
      global_scale = 1.0f / *factor;
    } else if (*type != "none") {
      return Status::Error("gemma3 RoPE scaling '" + std::string(*type) + "' is not supported");
    }
  }
  c->norm_eps = *eps;
  c->rope_style = RopeStyle::kNeox;
  c->sliding_window = *window;
  c->q_scale = 1.0f / std::sqrt(static_cast<float>(c->head_dim));
  c->kq_scale = 1.0f;
  c->embd_scale = std::sqrt(static_cast<float>(c->n_embd));
  c->ffn_act = FfnActivation::kGELU;
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerConfig& l = c->layers[static_cast<size_t>(il)];
    l.sliding = (il % kGlobalEvery) != kGlobalEvery - 1;
    l.rope_base = l.sliding ? kLocalRopeBase : *base;
    l.rope_freq_scale = l.sliding ? 1.0f : global_scale;
  }
  if (c->n_head_kv != c->n_head)
    c->features.push_back("GQA " + std::to_string(c->n_head) + "/" + std::to_string(c->n_head_kv));
  c->features.push_back("sliding window " + std::to_string(c->sliding_window) + " on 5 of every 6 layers");
  c->features.push_back("RoPE base " + std::to_string(static_cast<long long>(*base)) + " global / 10000 local");
  if (global_scale != 1.0f) c->features.push_back("linear RoPE scaling x" + std::to_string(1.0f / global_scale));
  c->features.push_back("q/k norms, pre+post norms, GeGLU, embedding scale sqrt(n_embd)");

  TensorLoader tl(gguf);
  load_common_tensors(tl, *c, w);
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerWeights& l = w->layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.q_norm = tl.vector(p + "attn_q_norm.weight", c->head_dim);
    l.k_norm = tl.vector(p + "attn_k_norm.weight", c->head_dim);
    l.post_attn_norm = tl.vector(p + "post_attention_norm.weight", c->n_embd);
    l.post_ffn_norm = tl.vector(p + "post_ffw_norm.weight", c->n_embd);
  }
  c->tied_output = w->output.data == w->tok_embd.data;
  if (c->tied_output) c->features.push_back("tied embeddings");
  return tl.status();
}

void forward(ForwardPass& fp) {
  const ModelConfig& c = fp.cfg;
  Workspace& ws = fp.ws;
  blocks::embed_tokens(fp);
  for (int il = 0; il < c.n_layer; ++il) {
    const LayerWeights& lw = fp.w.layers[static_cast<size_t>(il)];
    blocks::norm_rows(fp, ws.x.data(), lw.attn_norm, lw.attn_norm_b, ws.xn.data(), c.n_embd);
    blocks::attention(fp, il, ws.xn.data(), ws.tmp.data());
    blocks::rms_norm_rows(fp, ws.tmp.data(), lw.post_attn_norm, ws.tmp.data(), c.n_embd);
    blocks::add_residual(fp, ws.x.data(), ws.tmp.data());
    blocks::norm_rows(fp, ws.x.data(), lw.ffn_norm, lw.ffn_norm_b, ws.xn.data(), c.n_embd);
    blocks::gated_ffn(fp, lw, ws.xn.data(), ws.tmp.data());
    blocks::rms_norm_rows(fp, ws.tmp.data(), lw.post_ffn_norm, ws.tmp.data(), c.n_embd);
    blocks::add_residual(fp, ws.x.data(), ws.tmp.data());
  }
  blocks::lm_head(fp);
}

}  // namespace slm::gemma3
