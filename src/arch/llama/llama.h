// llama: SmolLM2, TinyLlama, Mistral, Llama 2/3 (pre-norm, RMSNorm, RoPE, GQA, SwiGLU).
#pragma once
#include "arch/registry.h"
namespace slm::llama {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
void forward(ForwardPass& fp);
}  // namespace slm::llama
