// gemma2: Gemma 2 (2B, 9B, 27B). Gemma 1's configuration plus attention-score soft-capping
// (attn_logit_softcapping, 50), final-logit soft-capping (final_logit_softcapping, 30), RMS
// post-norms after attention and FFN, and sliding-window attention on every other layer (the even
// ones) with global attention in between. The block is Gemma 3's without q/k norms, so the forward
// pass is gemma3::forward (the shared attention block skips absent q/k norms).
#pragma once
#include "arch/registry.h"
namespace slm::gemma2 {
Status load(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
}  // namespace slm::gemma2
