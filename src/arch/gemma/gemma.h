// gemma: Gemma 1 (2B with multi-query attention, 7B), and the hyperparameters and tensor rules
// Gemma 2 and Gemma 3 build on. Gemma 1's block is llama's (pre-norm, RMSNorm, one residual per
// sub-block), so its forward pass is llama::forward; what makes it Gemma is all configuration:
// NEOX RoPE, GeGLU, embeddings scaled by sqrt(n_embd), q scaled by 1/sqrt(head_dim) before the
// scores, head size 256 from attention.key_length (16 x 256 = 4096 != n_embd 3072 on 7B) and an LM
// head that is always the token embedding table. Norm weights are stored with the +1 of Gemma's
// RMSNorm already added by the converter, so they are read as they are.
#pragma once
#include "arch/registry.h"
namespace slm::gemma {

Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);

struct Rope {
  float base = 10000.0f;
  float freq_scale = 1.0f;  // 1 / linear scaling factor
};
// The hyperparameters every Gemma generation shares: the common config, RMSNorm eps, RoPE base
// ("rope.freq_base", else default_base) and linear scaling (the only kind accepted), NEOX pairs,
// GeGLU, embedding scale sqrt(n_embd), q scale 1/sqrt(head_dim) with kq_scale 1, and that RoPE on
// every layer (returned in *rope for generations whose local layers differ). Adds the feature
// strings for heads ("MQA", "GQA h/kv"), head size, GeGLU and the embedding scale.
Status load_config(const GgufFile& gguf, const ArchKeys& keys, float default_base, ModelConfig* cfg, Rope* rope);
// load_common_tensors with Gemma's LM head: token_embd. Gemma 1 and 2 files have no output.weight
// (llama.cpp refuses one: `separate_output` false); Gemma 3 may carry one.
Status load_tensors(TensorLoader& tl, bool separate_output, ModelConfig* cfg, ModelWeights* w);
// "50", "0.5": a float as the feature strings print it.
std::string number(float v);

}  // namespace slm::gemma
