#include "arch/phi3/phi3.h"

#include <cmath>
#include <cstdio>

namespace slm::phi3 {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// RoPE keys as llama.cpp reads them for phi3: the scaling type defaults to "linear", whose factor
// (when present) divides every position; "longrope" (what the 128k files mean, though their
// converter writes no type) adds nothing beyond the factor tables and the attention factor, which
// llama.cpp applies whatever the type. "yarn" would need YaRN's ramp, which slm does not have.
Status load_rope(const GgufFile& gguf, const ArchKeys& keys, ModelConfig* c) {
  auto base = keys.f32_or("rope.freq_base", 10000.0f);
  if (!base) return base.status();
  std::string type = "linear";
  if (keys.has("rope.scaling.type")) {
    auto t = gguf.get_string(keys.key("rope.scaling.type"));
    if (!t) return t.status();
    type = std::string(*t);
  }
  if (type != "none" && type != "linear" && type != "longrope")
    return Status::Error("phi3 RoPE scaling '" + type + "' is not supported");
  // The factor's older key is rope.scale_linear.
  const char* factor_key = keys.has("rope.scaling.factor") ? "rope.scaling.factor" : "rope.scale_linear";
  auto factor = keys.f32_or(factor_key, 0.0f);
  if (!factor) return factor.status();
  if (*factor < 0.0f) return Status::Error("key '" + keys.key(factor_key) + "' must not be negative");
  // A factor of 0 (or none) means no scaling, and type "none" never scales (llama-context.cpp).
  const float freq_scale = (*factor == 0.0f || type == "none") ? 1.0f : 1.0f / *factor;
  auto attn_factor = keys.f32_or("rope.scaling.attn_factor", 1.0f);
  if (!attn_factor) return attn_factor.status();
  if (!(*attn_factor > 0.0f))
    return Status::Error("key '" + keys.key("rope.scaling.attn_factor") + "' must be positive");
  // The context the short factors were trained for; absent or 0 means the training context.
  auto orig = keys.u32_or("rope.scaling.original_context_length", 0);
  if (!orig) return orig.status();
  c->n_ctx_orig = *orig != 0 ? *orig : c->n_ctx_train;
  c->rope_attn_factor = *attn_factor;
  c->rope_style = RopeStyle::kNeox;
  for (LayerConfig& l : c->layers) {
    l.rope_base = *base;
    l.rope_freq_scale = freq_scale;
  }
  c->features.push_back("RoPE base " + std::to_string(static_cast<long long>(*base)) + " (NEOX)");
  if (c->n_rot < c->head_dim)
    c->features.push_back("partial rotary " + std::to_string(c->n_rot) + "/" + std::to_string(c->head_dim));
  if (freq_scale != 1.0f) c->features.push_back("linear RoPE scaling x" + fmt("%g", 1.0 / freq_scale));
  if (c->rope_attn_factor != 1.0f) c->features.push_back("RoPE attn factor " + fmt("%.4f", c->rope_attn_factor));
  return Status::Ok();
}

// Attention projections: one fused [C, H*D + 2*Hkv*D] matrix (what the converter writes) or
// separate q/k/v, with optional biases as llama.cpp accepts them.
void load_attention(TensorLoader& tl, const ModelConfig& c, const std::string& p, LayerWeights* l) {
  const int64_t C = c.n_embd, nq = c.n_head * c.head_dim, nk = c.n_head_kv * c.head_dim, nv = c.n_head_kv * c.head_dim_v;
  if (tl.has(p + "attn_qkv.weight")) {
    l->wqkv = tl.matrix(p + "attn_qkv.weight", C, nq + nk + nv);
    if (tl.has(p + "attn_qkv.bias")) {  // one f32 vector q | k | v: views into its three parts
      const float* b = tl.vector(p + "attn_qkv.bias", nq + nk + nv);
      if (b) l->bq = b, l->bk = b + nq, l->bv = b + nq + nk;
    } else if (tl.has(p + "attn_q.bias") && tl.has(p + "attn_k.bias") && tl.has(p + "attn_v.bias")) {
      // llama.cpp adds separate biases to a fused product only when all three are present.
      l->bq = tl.vector(p + "attn_q.bias", nq);
      l->bk = tl.vector(p + "attn_k.bias", nk);
      l->bv = tl.vector(p + "attn_v.bias", nv);
    }
  } else {
    l->wq = tl.matrix(p + "attn_q.weight", C, nq);
    l->wk = tl.matrix(p + "attn_k.weight", C, nk);
    l->wv = tl.matrix(p + "attn_v.weight", C, nv);
    l->bq = tl.vector(p + "attn_q.bias", nq, /*optional=*/true);
    l->bk = tl.vector(p + "attn_k.bias", nk, /*optional=*/true);
    l->bv = tl.vector(p + "attn_v.bias", nv, /*optional=*/true);
  }
}

}  // namespace

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  const ArchKeys keys(gguf, "phi3");
  SLM_RETURN_IF_ERROR(load_common_config(gguf, keys, c));
  if (c->head_dim_v != c->head_dim)
    return Status::Error("phi3 needs equal key and value head sizes, got " + std::to_string(c->head_dim) + " and " +
                         std::to_string(c->head_dim_v));
  auto eps = keys.f32("attention.layer_norm_rms_epsilon");
  if (!eps) return eps.status();
  c->norm_eps = *eps;
  if (c->n_head_kv != c->n_head)
    c->features.push_back("GQA " + std::to_string(c->n_head) + "/" + std::to_string(c->n_head_kv));
  SLM_RETURN_IF_ERROR(load_rope(gguf, keys, c));
  // Phi-3-mini-4k's files carry a 2047-token window; llama.cpp reads it and turns it off
  // (models/phi3.cpp), so every layer attends to the whole context here too.
  auto window = keys.u32_or("attention.sliding_window", 0);
  if (!window) return window.status();
  if (*window > 0)
    c->features.push_back("sliding window " + std::to_string(*window) + " in metadata, not applied (as llama.cpp)");
  // llama.cpp scales q after RoPE and passes 1 as the score scale.
  c->q_scale = 1.0f / std::sqrt(static_cast<float>(c->head_dim));
  c->kq_scale = 1.0f;
  c->ffn_act = FfnActivation::kSiLU;

  TensorLoader tl(gguf);
  const int64_t C = c->n_embd;
  w->tok_embd = tl.matrix("token_embd.weight", C, c->n_vocab);
  w->output_norm = tl.vector("output_norm.weight", C);
  w->output = tl.has("output.weight") ? tl.matrix("output.weight", C, c->n_vocab) : w->tok_embd;
  w->layers.resize(static_cast<size_t>(c->n_layer));
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerWeights& l = w->layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.attn_norm = tl.vector(p + "attn_norm.weight", C);
    load_attention(tl, *c, p, &l);
    l.wo = tl.matrix(p + "attn_output.weight", c->n_head * c->head_dim_v, C);
    l.ffn_norm = tl.vector(p + "ffn_norm.weight", C);
    l.gate_up = tl.matrix(p + "ffn_up.weight", C, 2 * c->n_ff);  // rows gate | up
    l.down = tl.matrix(p + "ffn_down.weight", c->n_ff, C);
  }
  // LongRoPE tables, one copy for all layers, each optional (llama.cpp falls back to no factors).
  w->rope_long = tl.vector("rope_factors_long.weight", c->n_rot / 2, /*optional=*/true);
  w->rope_short = tl.vector("rope_factors_short.weight", c->n_rot / 2, /*optional=*/true);
  if (w->rope_long || w->rope_short)
    c->features.push_back("LongRoPE factors: long above context " + std::to_string(c->n_ctx_orig) + ", short up to it");
  const bool fused_qkv = !w->layers.empty() && w->layers[0].wqkv.data;
  c->features.push_back(fused_qkv ? "fused qkv and gate|up, SwiGLU" : "separate q/k/v, fused gate|up, SwiGLU");
  c->tied_output = w->output.data == w->tok_embd.data;
  if (c->tied_output) c->features.push_back("tied embeddings");
  return tl.status();
}

}  // namespace slm::phi3
