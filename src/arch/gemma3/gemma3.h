// gemma3: Gemma 3 text models (sliding-window local layers with their own RoPE base, global
// layers every sixth, q/k RMS norms, pre- and post-norms around attention and FFN, GeGLU,
// embeddings scaled by sqrt(n_embd), tied LM head).
#pragma once
#include "arch/registry.h"
namespace slm::gemma3 {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
void forward(ForwardPass& fp);
}  // namespace slm::gemma3
