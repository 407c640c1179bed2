// A decoder-only transformer as the engine runs it: hyperparameters (ModelConfig) and views of the
// weights inside the mmap (ModelWeights). Architectures fill both from a GGUF file (arch/registry.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/matmul.h"

namespace slm {

enum class RopeStyle { kNormal, kNeox };  // pairs (2i, 2i+1) vs (i, i + n_rot/2)
enum class FfnActivation { kSiLU, kGELU };  // gated: act(gate) * up
enum class NormKind { kRms, kLayer };       // RMSNorm (weight) or LayerNorm (weight and bias)

struct LayerConfig {
  bool sliding = false;       // local attention over the last `sliding_window` positions
  float rope_base = 10000.0f;
  float rope_freq_scale = 1.0f;
};

struct ModelConfig {
  std::string arch;
  std::string name;            // general.name, for display
  int64_t n_vocab = 0;
  int64_t n_embd = 0;          // C
  int64_t n_layer = 0;
  int64_t n_head = 0;          // query heads
  int64_t n_head_kv = 0;       // key/value heads (GQA when < n_head)
  int64_t head_dim = 0;        // per-head size of q and k
  int64_t head_dim_v = 0;      // per-head size of v
  int64_t n_ff = 0;            // FFN hidden size
  int64_t n_ctx_train = 0;
  int n_rot = 0;               // rotated dimensions per head
  RopeStyle rope_style = RopeStyle::kNormal;
  NormKind norm_kind = NormKind::kRms;  // of the block and output norms
  NormKind qk_norm_kind = NormKind::kRms;  // of the q/k head norms (LayerNorm: no bias)
  bool qk_norm_per_head = false;  // q/k norm weights are per head ([H*D], [Hkv*D]), not one [D]
  float norm_eps = 1e-5f;
  int64_t sliding_window = 0;  // 0: no layer is local
  std::vector<LayerConfig> layers;
  float q_scale = 1.0f;        // multiplies q before the scores (gemma3), else 1
  float kq_scale = 1.0f;       // multiplies the scores (1/sqrt(head_dim) for llama)
  float embd_scale = 1.0f;     // multiplies the token embeddings (gemma: sqrt(n_embd))
  float attn_softcap = 0.0f;   // > 0: scores = cap * tanh(scores / cap) before kq_scale (gemma2)
  float final_softcap = 0.0f;  // > 0: logits = cap * tanh(logits / cap) (gemma2)
  float rope_attn_factor = 1.0f;  // multiplies RoPE's cos and sin (phi3 LongRoPE's mscale)
  int64_t n_ctx_orig = 0;      // context the RoPE factors were trained for: a session with a longer
                               // context uses ModelWeights::rope_long, otherwise rope_short
  FfnActivation ffn_act = FfnActivation::kSiLU;
  bool tied_output = false;    // the LM head is the token embedding table
  std::vector<std::string> features;  // human-readable list for `slm info`
};

struct LayerWeights {
  const float* attn_norm = nullptr;       // [C]
  const float* attn_norm_b = nullptr;     // [C] (LayerNorm only)
  WeightMatrix wq, wk, wv, wo;            // [C, H*D], [C, Hkv*D], [C, Hkv*Dv], [H*Dv, C]
  WeightMatrix wqkv;                      // [C, H*D + Hkv*D + Hkv*Dv] fused q|k|v rows, used when
                                          // wq is empty (phi3)
  const float* bq = nullptr;              // [H*D] (optional) added right after the q projection
  const float* bk = nullptr;              // [Hkv*D] (optional)
  const float* bv = nullptr;              // [Hkv*Dv] (optional)
  const float* q_norm = nullptr;          // [D], or [H*D] when cfg.qk_norm_per_head (optional)
  const float* k_norm = nullptr;          // [D], or [Hkv*D] when cfg.qk_norm_per_head (optional)
  const float* post_attn_norm = nullptr;  // [C] (optional)
  const float* ffn_norm = nullptr;        // [C] (null: parallel residual, the FFN reads attn_norm's output)
  const float* ffn_norm_b = nullptr;      // [C] (LayerNorm only)
  WeightMatrix gate, up, down;            // [C, F], [C, F], [F, C]
  WeightMatrix gate_up;                   // [C, 2F] fused gate|up rows, used when gate is empty (phi3)
  const float* post_ffn_norm = nullptr;   // [C] (optional)
};

struct ModelWeights {
  WeightMatrix tok_embd;               // [C, V]
  const float* output_norm = nullptr;  // [C]
  const float* output_norm_b = nullptr;  // [C] (LayerNorm only)
  WeightMatrix output;                 // [C, V] (== tok_embd when tied)
  // RoPE frequency divisors, [n_rot/2] each, all optional: rope_freqs always applies (llama3
  // scaling); otherwise rope_long / rope_short by context length (LongRoPE, see n_ctx_orig).
  const float* rope_freqs = nullptr;
  const float* rope_long = nullptr;
  const float* rope_short = nullptr;
  std::vector<LayerWeights> layers;
};

}  // namespace slm
