#include "arch/stablelm/stablelm.h"

#include <cmath>

namespace slm::stablelm {
namespace {

Status load_config(const GgufFile& gguf, const ArchKeys& keys, ModelConfig* c) {
  SLM_RETURN_IF_ERROR(load_common_config(gguf, keys, c));
  auto eps = keys.f32("attention.layer_norm_epsilon");
  if (!eps) return eps.status();
  auto base = keys.f32_or("rope.freq_base", 10000.0f);
  if (!base) return base.status();
  if (keys.has("rope.scaling.type")) {
    auto type = gguf.get_string(keys.key("rope.scaling.type"));
    if (!type) return type.status();
    if (*type != "none") return Status::Error("stablelm RoPE scaling '" + std::string(*type) + "' is not supported");
  }
  // llama.cpp's stablelm graph needs equal q/k and v head sizes; the converter writes neither key.
  if (c->head_dim_v != c->head_dim)
    return Status::Error("stablelm key_length " + std::to_string(c->head_dim) + " and value_length " +
                         std::to_string(c->head_dim_v) + " must be equal");
  // The converter's stablelm.use_parallel_residual key is not read (llama.cpp does not either):
  // a layer without ffn_norm is what makes the residual parallel.
  c->norm_kind = NormKind::kLayer;
  c->norm_eps = *eps;
  c->qk_norm_kind = NormKind::kLayer;  // StableLM-2-12B's q/k norms: LayerNorm, weight only
  c->qk_norm_per_head = true;          // one weight vector per head, [D, H]
  c->rope_style = RopeStyle::kNeox;
  c->kq_scale = 1.0f / std::sqrt(static_cast<float>(c->head_dim));
  c->ffn_act = FfnActivation::kSiLU;
  for (LayerConfig& l : c->layers) l.rope_base = *base;
  if (c->n_head_kv != c->n_head)
    c->features.push_back("GQA " + std::to_string(c->n_head) + "/" + std::to_string(c->n_head_kv));
  c->features.push_back("LayerNorm with bias");
  c->features.push_back("RoPE base " + std::to_string(static_cast<long long>(*base)) + " (NEOX)");
  if (c->n_rot < c->head_dim)
    c->features.push_back("partial rotary " + std::to_string(c->n_rot) + "/" + std::to_string(c->head_dim) + " (" +
                          std::to_string(std::lround(100.0 * c->n_rot / static_cast<double>(c->head_dim))) + "%)");
  return Status::Ok();
}

}  // namespace

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  SLM_RETURN_IF_ERROR(load_config(gguf, ArchKeys(gguf, "stablelm"), c));
  const int64_t C = c->n_embd, F = c->n_ff, D = c->head_dim;
  const int64_t q_out = c->n_head * D, kv_out = c->n_head_kv * D;
  TensorLoader tl(gguf);
  // The converter writes separate q/k/v; a fused attn_qkv (which llama.cpp would also take) is refused
  // rather than read without a reference to check it against.
  if (tl.has("blk.0.attn_qkv.weight")) return Status::Error("stablelm fused attn_qkv tensors are not supported");
  w->tok_embd = tl.matrix("token_embd.weight", C, c->n_vocab);
  w->output_norm = tl.vector("output_norm.weight", C);
  w->output_norm_b = tl.vector("output_norm.bias", C);
  w->output = tl.matrix("output.weight", C, c->n_vocab);  // never tied
  w->layers.resize(static_cast<size_t>(c->n_layer));
  bool biases = false, qk_norms = false, parallel = false;
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerWeights& l = w->layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.attn_norm = tl.vector(p + "attn_norm.weight", C);
    l.attn_norm_b = tl.vector(p + "attn_norm.bias", C);
    l.wq = tl.matrix(p + "attn_q.weight", C, q_out);
    l.wk = tl.matrix(p + "attn_k.weight", C, kv_out);
    l.wv = tl.matrix(p + "attn_v.weight", C, kv_out);
    l.bq = tl.vector(p + "attn_q.bias", q_out, /*optional=*/true);  // StableLM 2 1.6B
    l.bk = tl.vector(p + "attn_k.bias", kv_out, true);
    l.bv = tl.vector(p + "attn_v.bias", kv_out, true);
    l.q_norm = tl.table(p + "attn_q_norm.weight", D, c->n_head, true);  // StableLM 2 12B
    l.k_norm = tl.table(p + "attn_k_norm.weight", D, c->n_head_kv, true);
    l.wo = tl.matrix(p + "attn_output.weight", q_out, C);
    l.ffn_norm = tl.vector(p + "ffn_norm.weight", C, true);  // absent: parallel residual (12B)
    l.ffn_norm_b = tl.vector(p + "ffn_norm.bias", C, true);
    l.gate = tl.matrix(p + "ffn_gate.weight", C, F);
    l.up = tl.matrix(p + "ffn_up.weight", C, F);
    l.down = tl.matrix(p + "ffn_down.weight", F, C);
    biases |= l.bq || l.bk || l.bv;
    qk_norms |= l.q_norm || l.k_norm;
    parallel |= !l.ffn_norm;
  }
  if (biases) c->features.push_back("q/k/v biases");
  if (qk_norms) c->features.push_back("per-head q/k LayerNorms");
  if (parallel) c->features.push_back("parallel residual (no ffn_norm)");
  return tl.status();
}

}  // namespace slm::stablelm
