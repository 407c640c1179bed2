// llama: SmolLM2, TinyLlama, Mistral, Llama 2/3 (pre-norm, RMSNorm, RoPE, GQA, SwiGLU).
#pragma once
#include "arch/registry.h"
namespace slm::llama {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
// Pre-norm attention and FFN blocks; also the forward pass of qwen2 and stablelm (a layer without
// ffn_norm feeds attn_norm's output to the FFN: a parallel residual).
void forward(ForwardPass& fp);
// The hyperparameters of llama's block (common config, RMSNorm eps, RoPE base and scaling,
// SwiGLU), shared by the families built on it; `style` is how the family's files rotate pairs.
Status load_config(const GgufFile& gguf, const ArchKeys& keys, RopeStyle style, ModelConfig* cfg);
// The optional rope_freqs tensor [n_rot/2] (Llama 3's frequency divisors).
void load_rope_freqs(TensorLoader& tl, ModelConfig* cfg, ModelWeights* w);
}  // namespace slm::llama
