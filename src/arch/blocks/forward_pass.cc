#include "arch/blocks/forward_pass.h"

#include <cassert>
#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace slm {

Status KvCache::allocate(const ModelConfig& cfg, int64_t ctx) {
  n_ctx = ctx;
  n_layer = cfg.n_layer;
  k_row = cfg.n_head_kv * cfg.head_dim;
  v_row = cfg.n_head_kv * cfg.head_dim_v;
  const size_t values = static_cast<size_t>(n_layer * ctx * (k_row + v_row));
  auto m = PageBuffer::allocate(values * sizeof(uint16_t), PageBuffer::Pages::kSmall, "the KV cache");
  if (!m) return m.status();
  memory = std::move(*m);
  return Status::Ok();
}

namespace {
size_t max_activation_bytes(const ModelWeights& w, int64_t T) {
  size_t m = activation_bytes(w.output.type, w.output.n_in, T);
  for (const LayerWeights& l : w.layers)
    for (const WeightMatrix* mat : {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.gate, &l.up, &l.gate_up, &l.down})
      if (mat->data) m = std::max(m, activation_bytes(mat->type, mat->n_in, T));
  return m;
}
}  // namespace

void Workspace::allocate(const ModelConfig& c, const ModelWeights& w, int64_t T, int64_t n_ctx, int n_threads) {
  max_tokens = T;
  const auto sz = [](int64_t a, int64_t b) { return static_cast<size_t>(a * b); };
  x.assign(sz(T, c.n_embd), 0.0f);
  xn.assign(sz(T, c.n_embd), 0.0f);
  tmp.assign(sz(T, c.n_embd), 0.0f);
  q.assign(sz(T, c.n_head * c.head_dim), 0.0f);
  k.assign(sz(T, c.n_head_kv * c.head_dim), 0.0f);
  v.assign(sz(T, c.n_head_kv * c.head_dim_v), 0.0f);
  attn.assign(sz(T, c.n_head * c.head_dim_v), 0.0f);
  gate.assign(sz(T, c.n_ff), 0.0f);
  up.assign(sz(T, c.n_ff), 0.0f);
  bool fused_qkv = false, fused_gate_up = false;
  for (const LayerWeights& l : w.layers) {
    fused_qkv |= l.wq.data == nullptr;
    fused_gate_up |= l.gate.data == nullptr;
  }
  qkv.assign(fused_qkv ? sz(T, c.n_head * c.head_dim + c.n_head_kv * (c.head_dim + c.head_dim_v)) : 0, 0.0f);
  gate_up.assign(fused_gate_up ? sz(T, 2 * c.n_ff) : 0, 0.0f);
  act_q.assign(max_activation_bytes(w, T), 0);
  attend.allocate(n_ctx, c.head_dim, c.head_dim_v, n_threads);
  rope_cs.assign(sz(n_threads, std::max(c.n_rot, 2)), 0.0f);
}

size_t Workspace::bytes() const {
  size_t b = 0;
  for (const std::vector<float>* f : {&x, &xn, &tmp, &q, &k, &v, &attn, &gate, &up, &qkv, &gate_up, &rope_cs})
    b += f->size() * sizeof(float);
  return b + act_q.size() + attend.bytes();
}

namespace blocks {
namespace {

// Multiplies the same input by several weight matrices, converting the input once per distinct
// activation layout (q/k/v and gate/up usually share one) and running the products that share
// it as one parallel job.
void project(ForwardPass& fp, const float* x, std::initializer_list<std::pair<const WeightMatrix*, float*>> outs) {
  const int64_t T = fp.n_tokens;
  MatmulOut group[3];  // products sharing one conversion (project never takes more than three)
  size_t n = 0;
  assert(outs.size() <= 3);
  auto flush = [&] {
    if (n == 0) return;
    convert_activations(*group[0].w, x, T, fp.ws.act_q.data(), fp.pool);
    matmul_converted_many(std::span<const MatmulOut>(group, n), fp.ws.act_q.data(), T, fp.pool);
    n = 0;
  };
  for (const auto& [w, y] : outs) {
    if (n > 0 && !same_activations(*group[0].w, *w, T)) flush();
    group[n++] = MatmulOut{w, y, w->n_out};
  }
  flush();
}

// Normalizes head h (D values, in place) with the q or k norm: RMSNorm or LayerNorm without bias,
// one weight for every head or head h's own D weights.
void head_norm(const ModelConfig& c, const float* w, int64_t h, float* x) {
  const float* wh = c.qk_norm_per_head ? w + h * c.head_dim : w;
  if (c.qk_norm_kind == NormKind::kLayer) ops::layer_norm(x, wh, nullptr, x, c.head_dim, c.norm_eps);
  else ops::rms_norm(x, wh, x, c.head_dim, c.norm_eps);
}

}  // namespace

void embed_tokens(ForwardPass& fp) {
  const int64_t C = fp.cfg.n_embd;
  fp.pool.parallel_for(fp.n_tokens, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) {
      float* row = fp.ws.x.data() + t * C;
      dequantize_row(fp.w.tok_embd, fp.tokens[t], row);
      if (fp.cfg.embd_scale != 1.0f) ops::scale(row, C, fp.cfg.embd_scale);
    }
  });
}

void norm_rows(ForwardPass& fp, const float* in, const float* w, const float* b, float* out, int64_t n) {
  if (fp.cfg.norm_kind == NormKind::kRms) {
    rms_norm_rows(fp, in, w, out, n);
    return;
  }
  fp.pool.parallel_for(fp.n_tokens, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) ops::layer_norm(in + t * n, w, b, out + t * n, n, fp.cfg.norm_eps);
  });
}

void rms_norm_rows(ForwardPass& fp, const float* in, const float* w, float* out, int64_t n) {
  fp.pool.parallel_for(fp.n_tokens, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) ops::rms_norm(in + t * n, w, out + t * n, n, fp.cfg.norm_eps);
  });
}

void add_residual(ForwardPass& fp, float* y, const float* x) {
  ops::add(y, x, fp.n_tokens * fp.cfg.n_embd);
}

void attention(ForwardPass& fp, int il, const float* xn, float* out) {
  const ModelConfig& c = fp.cfg;
  const LayerConfig& lc = c.layers[static_cast<size_t>(il)];
  const LayerWeights& lw = fp.w.layers[static_cast<size_t>(il)];
  Workspace& ws = fp.ws;
  const int64_t T = fp.n_tokens, H = c.n_head, Hkv = c.n_head_kv, D = c.head_dim, Dv = c.head_dim_v;
  const int64_t q_row = H * D, k_row = Hkv * D, v_row = Hkv * Dv;

  if (lw.wq.data) {
    project(fp, xn, {{&lw.wq, ws.q.data()}, {&lw.wk, ws.k.data()}, {&lw.wv, ws.v.data()}});
  } else {
    // One fused product, then its rows split into q | k | v.
    project(fp, xn, {{&lw.wqkv, ws.qkv.data()}});
    const int64_t qkv_row = q_row + k_row + v_row;
    fp.pool.parallel_for(T, 1, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t) {
        const float* r = ws.qkv.data() + t * qkv_row;
        std::copy(r, r + q_row, ws.q.data() + t * q_row);
        std::copy(r + q_row, r + q_row + k_row, ws.k.data() + t * k_row);
        std::copy(r + q_row + k_row, r + qkv_row, ws.v.data() + t * v_row);
      }
    });
  }

  // Per token: q/k/v biases, q/k head norms, rotary embedding, q scaling, then keys and values into the cache.
  const bool neox = c.rope_style == RopeStyle::kNeox;
  // Frequency divisors as llama.cpp picks them: the model's fixed table, else LongRoPE's long
  // factors when this context exceeds the trained one, else its short factors (or none).
  const float* freq_factors = fp.w.rope_freqs;
  if (!freq_factors) freq_factors = fp.w.rope_long && fp.kv.n_ctx > c.n_ctx_orig ? fp.w.rope_long : fp.w.rope_short;
  const QuantizeRowFn to_f16 = kernels().of(TensorType::F16).quantize_row;
  uint16_t* kc = fp.kv.k(il);
  uint16_t* vc = fp.kv.v(il);
  fp.pool.parallel_for(T, 1, [&](int64_t t0, int64_t t1, int ti) {
    float* cs = ws.rope_cs.data() + static_cast<size_t>(ti) * static_cast<size_t>(std::max(c.n_rot, 2));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t pos = fp.pos0 + t;
      ops::rope_cache(cs, pos, c.n_rot, lc.rope_base, lc.rope_freq_scale, freq_factors);
      if (c.rope_attn_factor != 1.0f) ops::scale(cs, c.n_rot, c.rope_attn_factor);
      float* q = ws.q.data() + t * q_row;
      float* k = ws.k.data() + t * k_row;
      if (lw.bq) ops::add(q, lw.bq, q_row);
      if (lw.bk) ops::add(k, lw.bk, k_row);
      if (lw.bv) ops::add(ws.v.data() + t * v_row, lw.bv, v_row);
      for (int64_t h = 0; h < H; ++h) {
        float* qh = q + h * D;
        if (lw.q_norm) head_norm(c, lw.q_norm, h, qh);
        ops::rope(qh, cs, c.n_rot, neox);
        if (c.q_scale != 1.0f) ops::scale(qh, D, c.q_scale);
      }
      for (int64_t h = 0; h < Hkv; ++h) {
        float* kh = k + h * D;
        if (lw.k_norm) head_norm(c, lw.k_norm, h, kh);
        ops::rope(kh, cs, c.n_rot, neox);
      }
      to_f16(k, kc + pos * k_row, k_row);
      to_f16(ws.v.data() + t * v_row, vc + pos * v_row, v_row);
    }
  });

  attend(fp, il);
  project(fp, ws.attn.data(), {{&lw.wo, out}});
}

void attend(ForwardPass& fp, int il) {
  const ModelConfig& c = fp.cfg;
  const LayerConfig& lc = c.layers[static_cast<size_t>(il)];
  AttendArgs args;
  args.T = fp.n_tokens;
  args.pos0 = fp.pos0;
  args.H = c.n_head;
  args.Hkv = c.n_head_kv;
  args.D = c.head_dim;
  args.Dv = c.head_dim_v;
  args.window = lc.sliding ? c.sliding_window : 0;
  args.softcap = c.attn_softcap;
  args.kq_scale = c.kq_scale;
  args.q = fp.ws.q.data();
  args.k = fp.kv.k(il);
  args.v = fp.kv.v(il);
  args.out = fp.ws.attn.data();
  slm::attend(args, fp.ws.attend, fp.pool);  // work items, kernels: attend.cc
}

void gated_ffn(ForwardPass& fp, const LayerWeights& lw, const float* xn, float* out) {
  Workspace& ws = fp.ws;
  const int64_t F = fp.cfg.n_ff;
  const bool fused = lw.gate.data == nullptr;
  if (fused) project(fp, xn, {{&lw.gate_up, ws.gate_up.data()}});
  else project(fp, xn, {{&lw.gate, ws.gate.data()}, {&lw.up, ws.up.data()}});
  fp.pool.parallel_for(fp.n_tokens, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) {
      // Fused rows are [gate | up]; the activated product goes to ws.gate for the down projection.
      float* g = fused ? ws.gate_up.data() + t * 2 * F : ws.gate.data() + t * F;
      const float* u = fused ? g + F : ws.up.data() + t * F;
      if (fp.cfg.ffn_act == FfnActivation::kGELU) ops::geglu(g, u, F);
      else ops::swiglu(g, u, F);
      if (fused) std::copy(g, g + F, ws.gate.data() + t * F);
    }
  });
  project(fp, ws.gate.data(), {{&lw.down, out}});
}

void lm_head(ForwardPass& fp) {
  const int64_t C = fp.cfg.n_embd, first = fp.first_logit, rows = fp.n_tokens - first;
  if (rows <= 0) return;
  float* xn = fp.ws.xn.data();
  for (int64_t t = 0; t < rows; ++t) {
    const float* x = fp.ws.x.data() + (first + t) * C;
    if (fp.cfg.norm_kind == NormKind::kRms) ops::rms_norm(x, fp.w.output_norm, xn + t * C, C, fp.cfg.norm_eps);
    else ops::layer_norm(x, fp.w.output_norm, fp.w.output_norm_b, xn + t * C, C, fp.cfg.norm_eps);
  }
  convert_activations(fp.w.output, xn, rows, fp.ws.act_q.data(), fp.pool);
  matmul_converted(fp.w.output, fp.ws.act_q.data(), rows, fp.logits, fp.cfg.n_vocab, fp.pool);
  const float cap = fp.cfg.final_softcap;
  if (cap > 0.0f) {
    const int64_t V = fp.cfg.n_vocab;
    fp.pool.parallel_for(rows, 1, [&](int64_t t0, int64_t t1, int) {
      const float inv = 1.0f / cap;
      for (float* l = fp.logits + t0 * V; l < fp.logits + t1 * V; ++l) *l = cap * std::tanh(*l * inv);
    });
  }
}

}  // namespace blocks
}  // namespace slm
