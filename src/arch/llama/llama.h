// llama: SmolLM2, TinyLlama, Mistral, Llama 2/3 (pre-norm, RMSNorm, RoPE, GQA, SwiGLU).
#pragma once
#include "arch/registry.h"
namespace slm::llama {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
void forward(ForwardPass& fp);
// The hyperparameters of llama's block (common config, RMSNorm eps, RoPE base and scaling,
// SwiGLU), shared by the families built on it; `style` is how the family's files rotate pairs.
Status load_config(const GgufFile& gguf, const ArchKeys& keys, RopeStyle style, ModelConfig* cfg);
}  // namespace slm::llama
