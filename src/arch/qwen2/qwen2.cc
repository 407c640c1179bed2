#include "arch/qwen2/qwen2.h"

#include <cmath>

namespace slm::qwen2 {

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  const ArchKeys keys(gguf, "qwen2");
  SLM_RETURN_IF_ERROR(load_common_config(gguf, keys, c));
  auto eps = keys.f32("attention.layer_norm_rms_epsilon");
  if (!eps) return eps.status();
  auto base = keys.f32_or("rope.freq_base", 10000.0f);
  if (!base) return base.status();
  if (keys.has("rope.scaling.type")) {
    auto type = gguf.get_string(keys.key("rope.scaling.type"));
    if (!type) return type.status();
    if (*type != "none")
      return Status::Error("qwen2 RoPE scaling '" + std::string(*type) + "' is not supported yet");
  }
  c->norm_eps = *eps;
  c->rope_style = RopeStyle::kNeox;  // llama.cpp rotates qwen2's (i, i + n_rot/2) pairs
  c->kq_scale = 1.0f / std::sqrt(static_cast<float>(c->head_dim));
  c->ffn_act = FfnActivation::kSiLU;
  for (LayerConfig& l : c->layers) l.rope_base = *base;
  if (c->n_head_kv != c->n_head)
    c->features.push_back("GQA " + std::to_string(c->n_head) + "/" + std::to_string(c->n_head_kv));
  c->features.push_back("RoPE base " + std::to_string(static_cast<long long>(*base)) + " (NEOX)");

  TensorLoader tl(gguf);
  load_common_tensors(tl, *c, w);
  for (int64_t il = 0; il < c->n_layer; ++il) {
    LayerWeights& l = w->layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.bq = tl.vector(p + "attn_q.bias", c->n_head * c->head_dim);
    l.bk = tl.vector(p + "attn_k.bias", c->n_head_kv * c->head_dim);
    l.bv = tl.vector(p + "attn_v.bias", c->n_head_kv * c->head_dim_v);
  }
  c->features.push_back("q/k/v biases");
  c->tied_output = w->output.data == w->tok_embd.data;
  if (c->tied_output) c->features.push_back("tied embeddings");
  return tl.status();
}

}  // namespace slm::qwen2
