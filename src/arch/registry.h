// The architecture registry: one line per architecture in registry.cc. An architecture is its
// config and tensor list (`load`) and a forward pass built from arch/blocks (`forward`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "arch/blocks/forward_pass.h"
#include "arch/model.h"
#include "arch/tensor_loader.h"
#include "formats/gguf.h"

namespace slm {

struct Architecture {
  std::string_view name;  // general.architecture
  Status (*load)(const GgufFile& gguf, ModelConfig* cfg, ModelWeights* w);
  void (*forward)(ForwardPass& fp);
};

// nullptr when the architecture is not supported.
const Architecture* find_architecture(std::string_view name);
std::vector<std::string_view> supported_architectures();

// Shared by architectures: reads "<arch>.<suffix>" keys.
class ArchKeys {
 public:
  ArchKeys(const GgufFile& gguf, std::string arch) : gguf_(gguf), arch_(std::move(arch)) {}
  Expected<uint32_t> u32(std::string_view suffix) const { return gguf_.get_u32(key(suffix)); }
  Expected<uint32_t> u32_or(std::string_view suffix, uint32_t d) const { return gguf_.get_u32_or(key(suffix), d); }
  Expected<float> f32(std::string_view suffix) const { return gguf_.get_f32(key(suffix)); }
  Expected<float> f32_or(std::string_view suffix, float d) const { return gguf_.get_f32_or(key(suffix), d); }
  bool has(std::string_view suffix) const { return gguf_.has(key(suffix)); }
  std::string key(std::string_view suffix) const { return arch_ + "." + std::string(suffix); }

 private:
  const GgufFile& gguf_;
  std::string arch_;
};

// Reads the hyperparameters every decoder has (block count, widths, heads, head sizes, context,
// vocabulary size from the token list) into cfg; architecture-specific keys are read by each one.
Status load_common_config(const GgufFile& gguf, const ArchKeys& keys, ModelConfig* cfg);
// The RoPE position scale that "<arch>.rope.scaling.type" asks for: 1 when the key is absent or
// "none", 1/factor for "linear"; any other type is refused with a message naming it.
Expected<float> linear_rope_scale(const GgufFile& gguf, const ArchKeys& keys, const std::string& arch);
// The standard per-layer tensors (blk.N.attn_q/k/v/output or a fused attn_qkv, attn_norm,
// ffn_gate/up/down, ffn_norm) plus token_embd, output_norm and output (tied to token_embd when
// absent).
void load_common_tensors(TensorLoader& tl, const ModelConfig& cfg, ModelWeights* w);

}  // namespace slm
