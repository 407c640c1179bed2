// The state one forward pass works on, and the shared blocks every architecture's forward pass is
// built from (embedding, norms, attention with GQA / sliding window / q-k norms, gated FFN, LM head).
//
// Shape legend: T = tokens in this batch, C = n_embd, H / Hkv = query / key-value heads,
// D / Dv = head sizes of q,k / v, F = FFN hidden size, V = vocabulary, N = context length.
#pragma once

#include <cstdint>
#include <vector>

#include "arch/blocks/attend.h"
#include "arch/model.h"
#include "base/page_buffer.h"
#include "base/thread_pool.h"
#include "slm/status.h"

namespace slm {

// Key/value cache, binary16 like llama.cpp's default so attention sees the same rounded values.
// One small-page mapping, never cleared: a position's rows are written before attention reads
// them, so pages become resident as the context fills, not when the session is created (a
// 4096-token cache holding a 512-token prompt keeps an eighth of it resident).
struct KvCache {
  int64_t n_ctx = 0;
  int64_t n_layer = 0;
  int64_t k_row = 0;  // Hkv*D values per position
  int64_t v_row = 0;  // Hkv*Dv values per position
  PageBuffer memory;  // [L][N][Hkv*D] keys, then [L][N][Hkv*Dv] values
  uint16_t* k(int64_t layer) const { return rows() + layer * n_ctx * k_row; }  // [N][Hkv*D]
  uint16_t* v(int64_t layer) const { return rows() + n_layer * n_ctx * k_row + layer * n_ctx * v_row; }  // [N][Hkv*Dv]
  Status allocate(const ModelConfig& cfg, int64_t n_ctx);
  size_t bytes() const { return memory.size(); }

 private:
  uint16_t* rows() const { return reinterpret_cast<uint16_t*>(memory.data()); }
};

// Activation buffers, sized once for the largest batch; no allocation happens per token.
struct Workspace {
  int64_t max_tokens = 0;
  std::vector<float> x;     // [T][C] residual stream
  std::vector<float> xn;    // [T][C] normed input of the current block
  std::vector<float> tmp;   // [T][C] block output before the residual add
  std::vector<float> q;     // [T][H*D]
  std::vector<float> k;     // [T][Hkv*D]
  std::vector<float> v;     // [T][Hkv*Dv]
  std::vector<float> attn;  // [T][H*Dv]
  std::vector<float> gate;  // [T][F]
  std::vector<float> up;    // [T][F]
  std::vector<float> qkv;      // [T][H*D + Hkv*D + Hkv*Dv] fused projection output (empty unless fused)
  std::vector<float> gate_up;  // [T][2F] fused gate|up output (empty unless fused)
  std::vector<uint8_t> act_q;      // [T][...] activations converted for the dot kernels
  AttendScratch attend;            // per-thread scores, queries and converted keys/values (attend.h)
  std::vector<float> rope_cs;      // [threads][n_rot] (cos, sin) pairs
  void allocate(const ModelConfig& cfg, const ModelWeights& w, int64_t max_tokens, int64_t n_ctx, int n_threads);
  size_t bytes() const;
};

struct ForwardPass {
  const ModelConfig& cfg;
  const ModelWeights& w;
  KvCache& kv;
  Workspace& ws;
  ThreadPool& pool;
  const int32_t* tokens;   // [T], each < V (checked by the caller)
  int64_t n_tokens;        // T <= ws.max_tokens
  int64_t pos0;            // position of tokens[0]; pos0 + T <= kv.n_ctx
  int64_t first_logit;     // logits are computed for rows [first_logit, T)
  float* logits;           // [T - first_logit][V]
};

namespace blocks {

// ws.x[t] = embedding(tokens[t]) * cfg.embd_scale
void embed_tokens(ForwardPass& fp);
// out[t] = norm(in[t]) * w (+ b), t < T, rows of n values (in == out allowed); RMSNorm or
// LayerNorm by cfg.norm_kind (b is LayerNorm's bias, may be null)
void norm_rows(ForwardPass& fp, const float* in, const float* w, const float* b, float* out, int64_t n);
// the same, always RMSNorm without bias (gemma's post-norms)
void rms_norm_rows(ForwardPass& fp, const float* in, const float* w, float* out, int64_t n);
// y[t] += x[t] over T rows of C values
void add_residual(ForwardPass& fp, float* y, const float* x);
// out = self-attention of layer il over xn (ws.xn layout), writing this batch's keys and values
// to the cache. Fused qkv, q/k/v biases, q/k norms (shared or per head, RMS or LayerNorm), RoPE
// frequency factors, score soft-capping and the layer's sliding window apply when the model has them.
void attention(ForwardPass& fp, int il, const float* xn, float* out);
// The core of attention(): ws.attn[t] = softmax(scores) * V for every head, where the scores are
// ws.q[t] (after RoPE and q scaling) against layer il's cached keys at the positions token t sees
// (0 .. pos0 + t, or its sliding window), soft-capped and scaled as the model says. Reads only
// cfg, kv and ws (not the weights): bench/attention_bench.cc times it alone. The work is
// slm::attend's (attend.h), with ws.attend as its scratch.
void attend(ForwardPass& fp, int il);
// out = down(act(gate(xn)) * up(xn)), gate and up from one fused matrix when lw.gate is empty
void gated_ffn(ForwardPass& fp, const LayerWeights& lw, const float* xn, float* out);
// fp.logits = output(norm(ws.x[t], output_norm)) for t >= first_logit, soft-capped when
// cfg.final_softcap > 0
void lm_head(ForwardPass& fp);

}  // namespace blocks
}  // namespace slm
