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
  float norm_eps = 1e-5f;
  int64_t sliding_window = 0;  // 0: no layer is local
  std::vector<LayerConfig> layers;
  float q_scale = 1.0f;        // multiplies q before the scores (gemma3), else 1
  float kq_scale = 1.0f;       // multiplies the scores (1/sqrt(head_dim) for llama)
  float embd_scale = 1.0f;     // multiplies the token embeddings (gemma: sqrt(n_embd))
  FfnActivation ffn_act = FfnActivation::kSiLU;
  bool tied_output = false;    // the LM head is the token embedding table
  std::vector<std::string> features;  // human-readable list for `slm info`
};

struct LayerWeights {
  const float* attn_norm = nullptr;       // [C]
  WeightMatrix wq, wk, wv, wo;            // [C, H*D], [C, Hkv*D], [C, Hkv*Dv], [H*Dv, C]
  const float* bq = nullptr;              // [H*D] (optional) added right after the q projection
  const float* bk = nullptr;              // [Hkv*D] (optional)
  const float* bv = nullptr;              // [Hkv*Dv] (optional)
  const float* q_norm = nullptr;          // [D] (optional)
  const float* k_norm = nullptr;          // [D] (optional)
  const float* post_attn_norm = nullptr;  // [C] (optional)
  const float* ffn_norm = nullptr;        // [C]
  WeightMatrix gate, up, down;            // [C, F], [C, F], [F, C]
  const float* post_ffn_norm = nullptr;   // [C] (optional)
};

struct ModelWeights {
  WeightMatrix tok_embd;               // [C, V]
  const float* output_norm = nullptr;  // [C]
  WeightMatrix output;                 // [C, V] (== tok_embd when tied)
  std::vector<LayerWeights> layers;
};

}  // namespace slm
