#include "arch/registry.h"

#include <array>

#include "arch/gemma/gemma.h"
#include "arch/gemma2/gemma2.h"
#include "arch/gemma3/gemma3.h"
#include "arch/llama/llama.h"
#include "arch/phi3/phi3.h"
#include "arch/qwen2/qwen2.h"
#include "arch/stablelm/stablelm.h"

namespace slm {
namespace {

constexpr std::array kArchitectures = {
    Architecture{"llama", llama::load, llama::forward},
    Architecture{"gemma", gemma::load, llama::forward},      // llama's block, Gemma's configuration
    Architecture{"gemma2", gemma2::load, gemma3::forward},   // gemma3's block without q/k norms
    Architecture{"gemma3", gemma3::load, gemma3::forward},
    Architecture{"qwen2", qwen2::load, llama::forward},  // llama's block plus q/k/v biases
    Architecture{"stablelm", stablelm::load, llama::forward},  // llama's block with LayerNorms, partial NEOX RoPE
    Architecture{"phi3", phi3::load, llama::forward},    // llama's block, fused projections
};

}  // namespace

const Architecture* find_architecture(std::string_view name) {
  for (const Architecture& a : kArchitectures)
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<std::string_view> supported_architectures() {
  std::vector<std::string_view> names;
  for (const Architecture& a : kArchitectures) names.push_back(a.name);
  return names;
}

#define SLM_ASSIGN_OR_RETURN(lhs, expr) \
  do {                                  \
    auto _v = (expr);                   \
    if (!_v) return _v.status();        \
    lhs = *_v;                          \
  } while (0)

Status load_common_config(const GgufFile& gguf, const ArchKeys& keys, ModelConfig* c) {
  SLM_ASSIGN_OR_RETURN(c->n_layer, keys.u32("block_count"));
  SLM_ASSIGN_OR_RETURN(c->n_embd, keys.u32("embedding_length"));
  SLM_ASSIGN_OR_RETURN(c->n_ff, keys.u32("feed_forward_length"));
  SLM_ASSIGN_OR_RETURN(c->n_head, keys.u32("attention.head_count"));
  SLM_ASSIGN_OR_RETURN(c->n_head_kv, keys.u32_or("attention.head_count_kv", static_cast<uint32_t>(c->n_head)));
  SLM_ASSIGN_OR_RETURN(c->n_ctx_train, keys.u32_or("context_length", 2048));
  if (c->n_layer <= 0 || c->n_embd <= 0 || c->n_ff <= 0 || c->n_head <= 0 || c->n_head_kv <= 0)
    return Status::Error("hyperparameters must be positive (block_count, embedding_length, feed_forward_length, head counts)");
  if (c->n_head % c->n_head_kv != 0)
    return Status::Error("attention.head_count " + std::to_string(c->n_head) + " is not a multiple of head_count_kv " +
                         std::to_string(c->n_head_kv));
  const uint32_t default_head = static_cast<uint32_t>(c->n_embd / c->n_head);
  SLM_ASSIGN_OR_RETURN(c->head_dim, keys.u32_or("attention.key_length", default_head));
  SLM_ASSIGN_OR_RETURN(c->head_dim_v, keys.u32_or("attention.value_length", default_head));
  uint32_t n_rot = 0;
  SLM_ASSIGN_OR_RETURN(n_rot, keys.u32_or("rope.dimension_count", static_cast<uint32_t>(c->head_dim)));
  c->n_rot = static_cast<int>(n_rot);
  if (c->head_dim <= 0 || c->head_dim_v <= 0 || c->n_rot <= 0 || c->n_rot > c->head_dim || c->n_rot % 2 != 0)
    return Status::Error("rope.dimension_count " + std::to_string(c->n_rot) + " must be even and at most the head size " +
                         std::to_string(c->head_dim));
  auto tokens = gguf.get_array("tokenizer.ggml.tokens", GgufType::STRING);
  if (!tokens) return tokens.status();
  c->n_vocab = static_cast<int64_t>((*tokens)->arr.size());
  if (c->n_vocab <= 0) return Status::Error("key 'tokenizer.ggml.tokens' is empty");
  if (auto name = gguf.get_string("general.name")) c->name = std::string(*name);
  c->layers.assign(static_cast<size_t>(c->n_layer), LayerConfig{});
  return Status::Ok();
}

Expected<float> linear_rope_scale(const GgufFile& gguf, const ArchKeys& keys, const std::string& arch) {
  if (!keys.has("rope.scaling.type")) return 1.0f;
  auto type = gguf.get_string(keys.key("rope.scaling.type"));
  if (!type) return type.status();
  if (*type == "none") return 1.0f;
  if (*type != "linear") return Status::Error(arch + " RoPE scaling '" + std::string(*type) + "' is not supported");
  auto factor = keys.f32("rope.scaling.factor");
  if (!factor) return factor.status();
  if (!(*factor > 0.0f)) return Status::Error("key '" + keys.key("rope.scaling.factor") + "' must be positive");
  return 1.0f / *factor;
}

void load_common_tensors(TensorLoader& tl, const ModelConfig& c, ModelWeights* w) {
  const int64_t C = c.n_embd;
  w->tok_embd = tl.matrix("token_embd.weight", C, c.n_vocab);
  w->output_norm = tl.vector("output_norm.weight", C);
  w->output = tl.has("output.weight") ? tl.matrix("output.weight", C, c.n_vocab) : w->tok_embd;
  w->layers.resize(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    LayerWeights& l = w->layers[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.attn_norm = tl.vector(p + "attn_norm.weight", C);
    if (tl.has(p + "attn_qkv.weight")) {  // fused: rows q | k | v
      l.wqkv = tl.matrix(p + "attn_qkv.weight", C, c.n_head * c.head_dim + c.n_head_kv * (c.head_dim + c.head_dim_v));
    } else {
      l.wq = tl.matrix(p + "attn_q.weight", C, c.n_head * c.head_dim);
      l.wk = tl.matrix(p + "attn_k.weight", C, c.n_head_kv * c.head_dim);
      l.wv = tl.matrix(p + "attn_v.weight", C, c.n_head_kv * c.head_dim_v);
    }
    l.wo = tl.matrix(p + "attn_output.weight", c.n_head * c.head_dim_v, C);
    l.ffn_norm = tl.vector(p + "ffn_norm.weight", C);
    l.gate = tl.matrix(p + "ffn_gate.weight", C, c.n_ff);
    l.up = tl.matrix(p + "ffn_up.weight", C, c.n_ff);
    l.down = tl.matrix(p + "ffn_down.weight", c.n_ff, C);
  }
}

}  // namespace slm
