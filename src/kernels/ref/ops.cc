// Scalar reference of the forward pass's float ops (kernels/ops.h states the contracts): the
// specification the SIMD tables are tested against. Their numerics follow ggml's CPU backend
// where that changes results (the norms sum in double; GELU goes through a binary16 table) so
// that slm agrees with llama.cpp token for token.
#include <array>
#include <cmath>

#include "base/fp16.h"
#include "kernels/ops.h"
#include "kernels/ref/ref.h"

namespace slm::ref {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float s = 1.0f / std::sqrt(mean + eps);
  if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * s) * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * s;
  }
}

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  // As ggml_norm: the sum is accumulated in double but rounded to float before dividing, the
  // centred values are kept in float and their squares summed in double, eps is added to the
  // variance in float; the weight and the bias are applied afterwards, one rounding each.
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = static_cast<float>(sum) / static_cast<float>(n);
  double var = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] - mean;  // x[i] is read before y[i] is written: x == y is allowed
    y[i] = d;
    var += static_cast<double>(d * d);
  }
  const float s = 1.0f / std::sqrt(static_cast<float>(var / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) {
    float v = y[i] * s;
    if (w) v *= w[i];
    if (b) v += b[i];
    y[i] = v;
  }
}

void scale(float* x, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void swiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

const uint16_t* gelu_fp16_table() {
  static const std::array<uint16_t, 65536> table = [] {
    std::array<uint16_t, 65536> t{};
    for (uint32_t i = 0; i < 65536; ++i)
      t[i] = fp32_to_fp16(ops::gelu_tanh(fp16_to_fp32(static_cast<uint16_t>(i))));
    return t;
  }();
  return table.data();
}

void geglu(float* gate, const float* up, int64_t n) {
  const uint16_t* table = gelu_fp16_table();
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    float v;
    if (g <= -10.0f) v = 0.0f;
    else if (g >= 10.0f) v = g;
    else v = fp16_to_fp32(table[fp32_to_fp16(g)]);
    gate[i] = v * up[i];
  }
}

}  // namespace slm::ref
