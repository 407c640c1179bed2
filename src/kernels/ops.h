// Element-wise and row-wise float operations of the forward pass. The norms, scale, add and the
// gated activations dispatch through the kernel table (kernels().ops; the scalar specification is
// kernels/ref/ops.cc); softmax and RoPE are plain C++ here. Their numerics follow ggml's CPU
// backend where that changes results (the norms sum in double; GELU goes through a binary16
// table) so that slm agrees with llama.cpp token for token.
#pragma once

#include <cstdint>

namespace slm::ops {

// y[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]   (w may be null: no weight)
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
// y[i] = (x[i] - mean) / sqrt(var + eps) * w[i] + b[i]   (w, b may be null; x == y allowed), with
// ggml_norm's roundings (mean in float from a double sum, variance summed in double)
void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps);

// In place: x[i] = x[i] * s
void scale(float* x, int64_t n, float s);
// In place: y[i] += x[i]
void add(float* y, const float* x, int64_t n);

// In place over gate: gate[i] = silu(gate[i]) * up[i]
void swiglu(float* gate, const float* up, int64_t n);
// In place over gate: gate[i] = gelu_tanh(gate[i]) * up[i], GELU evaluated like ggml (binary16 table)
void geglu(float* gate, const float* up, int64_t n);
float gelu_tanh(float x);  // the exact formula, in float

// Softmax in place over n values; returns nothing. Sums in double like ggml.
void softmax(float* x, int64_t n);

// Rotary embedding of one head (head_dim values, the first n_rot rotated).
//   neox == false: pairs (x[2i], x[2i+1]) (GGUF llama layout)
//   neox == true:  pairs (x[i], x[i + n_rot/2])
// cos_sin holds n_rot/2 (cos, sin) pairs for the position (see rope_cache).
void rope(float* x, const float* cos_sin, int n_rot, bool neox);
// cos/sin for one position: theta_i = freq_scale * pos * base^(-2i/n_rot), with the power built
// by repeated multiplication in float as ggml does. freq_factors (may be null) divide theta_i.
void rope_cache(float* cos_sin, int64_t pos, int n_rot, float base, float freq_scale, const float* freq_factors);

}  // namespace slm::ops
