#include "arch/gemma3/gemma3.h"

#include "arch/gemma/gemma.h"

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
  gemma::Rope rope;  // the global layers'; linear scaling applies to them only
  SLM_RETURN_IF_ERROR(gemma::load_config(gguf, keys, 1000000.0f, c, &rope));
  auto window = keys.u32("attention.sliding_window");
  if (!window) return window.status();
  c->sliding_window = *window;
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerConfig& l = c->layers[static_cast<size_t>(il)];
    l.sliding = (il % kGlobalEvery) != kGlobalEvery - 1;
    l.rope_base = l.sliding ? kLocalRopeBase : rope.base;
    l.rope_freq_scale = l.sliding ? 1.0f : rope.freq_scale;
  }
  c->features.push_back("sliding window " + std::to_string(c->sliding_window) + " on 5 of every 6 layers");
  c->features.push_back("RoPE base " + gemma::number(rope.base) + " global / 10000 local");
  if (rope.freq_scale != 1.0f) c->features.push_back("linear RoPE scaling x" + gemma::number(1.0f / rope.freq_scale));
  c->features.push_back("q/k norms");
  c->features.push_back("pre+post norms");

  TensorLoader tl(gguf);
  SLM_RETURN_IF_ERROR(gemma::load_tensors(tl, /*separate_output=*/true, c, w));
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerWeights& l = w->layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.q_norm = tl.vector(p + "attn_q_norm.weight", c->head_dim);
    l.k_norm = tl.vector(p + "attn_k_norm.weight", c->head_dim);
    l.post_attn_norm = tl.vector(p + "post_attention_norm.weight", c->n_embd);
    l.post_ffn_norm = tl.vector(p + "post_ffw_norm.weight", c->n_embd);
  }
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
