#include "arch/gemma/gemma.h"

#include <cmath>
#include <cstdio>

namespace slm::gemma {

std::string number(float v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15f)  // RoPE bases: "1000000", not "1e+06"
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

Status load_config(const GgufFile& gguf, const ArchKeys& keys, float default_base, ModelConfig* c, Rope* rope) {
  SLM_RETURN_IF_ERROR(load_common_config(gguf, keys, c));
  auto eps = keys.f32("attention.layer_norm_rms_epsilon");
  if (!eps) return eps.status();
  auto base = keys.f32_or("rope.freq_base", default_base);  // Gemma 1 and 2 converters omit it
  if (!base) return base.status();
  auto scale = linear_rope_scale(gguf, keys, c->arch);
  if (!scale) return scale.status();
  rope->base = *base;
  rope->freq_scale = *scale;
  c->norm_eps = *eps;
  c->rope_style = RopeStyle::kNeox;
  // llama.cpp scales q after RoPE and passes kq_scale 1 to the attention.
  c->q_scale = 1.0f / std::sqrt(static_cast<float>(c->head_dim));
  c->kq_scale = 1.0f;
  c->embd_scale = std::sqrt(static_cast<float>(c->n_embd));
  c->ffn_act = FfnActivation::kGELU;
  for (LayerConfig& l : c->layers) {
    l.rope_base = rope->base;
    l.rope_freq_scale = rope->freq_scale;
  }
  if (c->n_head_kv == 1 && c->n_head > 1) c->features.push_back("MQA");
  else if (c->n_head_kv != c->n_head)
    c->features.push_back("GQA " + std::to_string(c->n_head) + "/" + std::to_string(c->n_head_kv));
  c->features.push_back("head size " + std::to_string(c->head_dim));
  c->features.push_back("GeGLU");
  c->features.push_back("embedding scale sqrt(n_embd)");
  return Status::Ok();
}

Status load_tensors(TensorLoader& tl, bool separate_output, ModelConfig* c, ModelWeights* w) {
  if (!separate_output && tl.has("output.weight"))
    return Status::Error(c->arch + " has no output.weight tensor (its LM head is token_embd), but this file has one");
  load_common_tensors(tl, *c, w);
  c->tied_output = w->output.data == w->tok_embd.data;
  return tl.status();
}

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  Rope rope;
  SLM_RETURN_IF_ERROR(load_config(gguf, ArchKeys(gguf, "gemma"), 10000.0f, c, &rope));
  // llama.cpp's gemma graph sizes q heads by the value length; every Gemma 1 has both 256.
  if (c->head_dim != c->head_dim_v)
    return Status::Error("gemma attention.key_length " + std::to_string(c->head_dim) +
                         " != attention.value_length " + std::to_string(c->head_dim_v) + " is not supported");
  c->features.push_back("RoPE base " + number(rope.base) + " (NEOX)");
  if (rope.freq_scale != 1.0f) c->features.push_back("linear RoPE scaling x" + number(1.0f / rope.freq_scale));
  TensorLoader tl(gguf);
  SLM_RETURN_IF_ERROR(load_tensors(tl, /*separate_output=*/false, c, w));
  c->features.push_back("tied embeddings");
  return Status::Ok();
}

}  // namespace slm::gemma
