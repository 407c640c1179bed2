// qwen2: Qwen2 / Qwen2.5 (llama's block with q/k/v projection biases, NEOX RoPE, usually tied
// embeddings). The forward pass is llama's: the shared attention block applies the biases.
#pragma once
#include "arch/registry.h"
namespace slm::qwen2 {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
}  // namespace slm::qwen2
