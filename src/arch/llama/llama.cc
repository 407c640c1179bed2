#include "arch/llama/llama.h"

#include <cmath>

namespace slm::llama {

Status load_config(const GgufFile& gguf, const ArchKeys& keys, RopeStyle style, ModelConfig* c) {
  SLM_RETURN_IF_ERROR(load_common_config(gguf, keys, c));
  auto eps = keys.f32("attention.layer_norm_rms_epsilon");
  if (!eps) return eps.status();
  auto base = keys.f32_or("rope.freq_base", 10000.0f);
  if (!base) return base.status();
  // Llama 3's "llama3" scaling is not a key: its converter stores the per-frequency divisors as
  // the rope_freqs tensor (read by load_rope_freqs). Linear scaling divides every position.
  auto scale = linear_rope_scale(gguf, keys, c->arch);
  if (!scale) return scale.status();
  const float freq_scale = *scale;
  // Mistral v0.1 was trained with a 4096-token window. llama.cpp ignores the key (and its
  // converter does not write it); a file that carries it gets the window on every layer.
  auto window = keys.u32_or("attention.sliding_window", 0);
  if (!window) return window.status();
  c->sliding_window = *window;
  c->norm_eps = *eps;
  c->rope_style = style;
  c->kq_scale = 1.0f / std::sqrt(static_cast<float>(c->head_dim));
  c->ffn_act = FfnActivation::kSiLU;
  for (LayerConfig& l : c->layers) {
    l.rope_base = *base;
    l.rope_freq_scale = freq_scale;
    l.sliding = c->sliding_window > 0;
  }
  if (c->n_head_kv != c->n_head)
    c->features.push_back("GQA " + std::to_string(c->n_head) + "/" + std::to_string(c->n_head_kv));
  c->features.push_back("RoPE base " + std::to_string(static_cast<long long>(*base)) +
                        (style == RopeStyle::kNeox ? " (NEOX)" : ""));
  if (freq_scale != 1.0f) c->features.push_back("linear RoPE scaling x" + std::to_string(1.0f / freq_scale));
  if (c->sliding_window > 0) c->features.push_back("sliding window " + std::to_string(c->sliding_window));
  return Status::Ok();
}

void load_rope_freqs(TensorLoader& tl, ModelConfig* c, ModelWeights* w) {
  w->rope_freqs = tl.vector("rope_freqs.weight", c->n_rot / 2, /*optional=*/true);
  if (w->rope_freqs) c->features.push_back("RoPE frequency factors (llama3 scaling)");
}

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  // GGUF llama files store q/k permuted so that adjacent pairs rotate.
  SLM_RETURN_IF_ERROR(load_config(gguf, ArchKeys(gguf, "llama"), RopeStyle::kNormal, c));
  TensorLoader tl(gguf);
  load_common_tensors(tl, *c, w);
  load_rope_freqs(tl, c, w);
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
    blocks::add_residual(fp, ws.x.data(), ws.tmp.data());
    // Without ffn_norm (stablelm 2 12B's parallel residual) the FFN reads attn_norm's output,
    // still in ws.xn: attention leaves its input alone.
    if (lw.ffn_norm) blocks::norm_rows(fp, ws.x.data(), lw.ffn_norm, lw.ffn_norm_b, ws.xn.data(), c.n_embd);
    blocks::gated_ffn(fp, lw, ws.xn.data(), ws.tmp.data());
    blocks::add_residual(fp, ws.x.data(), ws.tmp.data());
  }
  blocks::lm_head(fp);
}

}  // namespace slm::llama
