// phi3: Phi-3-mini (4k and 128k), Phi-3.5-mini, Phi-4-mini (pre-norm, RMSNorm, NEOX RoPE, fused
// q|k|v and gate|up projections, SwiGLU, q scaled by 1/sqrt(head_dim) before the scores; the
// 128k variants add LongRoPE frequency factors and an attention factor). The forward pass is
// llama's: the shared blocks split the fused projections.
#pragma once
#include "arch/registry.h"
namespace slm::phi3 {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
}  // namespace slm::phi3
