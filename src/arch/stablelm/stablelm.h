// stablelm: StableLM-3B-4E1T, StableLM-2-1.6B / Zephyr, StableLM-2-12B. llama's block with
// LayerNorms (weight and bias), NEOX RoPE over the first quarter of each head, optional q/k/v
// biases (StableLM 2 1.6B), and for StableLM-2-12B per-head q/k LayerNorms and a parallel residual
// (no ffn_norm: the FFN reads attn_norm's output). The forward pass is llama's.
#pragma once
#include "arch/registry.h"
namespace slm::stablelm {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
}  // namespace slm::stablelm
