#include "arch/qwen2/qwen2.h"

#include "arch/llama/llama.h"

namespace slm::qwen2 {

Status load(const GgufFile& gguf, ModelConfig* c, ModelWeights* w) {
  // llama.cpp rotates qwen2's (i, i + n_rot/2) pairs.
  SLM_RETURN_IF_ERROR(llama::load_config(gguf, ArchKeys(gguf, "qwen2"), RopeStyle::kNeox, c));
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
