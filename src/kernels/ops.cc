#include "kernels/ops.h"

#include <cmath>

#include "kernels/kernels.h"

namespace slm::ops {

// The norms, scale, add and the gated activations run the kernel table's version for this CPU
// (the scalar specification is kernels/ref/ops.cc).
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  kernels().ops.rms_norm(x, w, y, n, eps);
}

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  kernels().ops.layer_norm(x, w, b, y, n, eps);
}

void scale(float* x, int64_t n, float s) { kernels().ops.scale(x, n, s); }

void add(float* y, const float* x, int64_t n) { kernels().ops.add(y, x, n); }

void swiglu(float* gate, const float* up, int64_t n) { kernels().ops.swiglu(gate, up, n); }

float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  constexpr float kCoef = 0.044715f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoef * x * x)));
}

void geglu(float* gate, const float* up, int64_t n) { kernels().ops.geglu(gate, up, n); }

void softmax(float* x, int64_t n) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - mx);
    x[i] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void rope_cache(float* cos_sin, int64_t pos, int n_rot, float base, float freq_scale, const float* freq_factors) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_rot));
  float theta = static_cast<float>(pos);
  for (int i = 0; i < n_rot / 2; ++i) {
    const float ff = freq_factors ? freq_factors[i] : 1.0f;
    const float t = freq_scale * (theta / ff);
    cos_sin[2 * i] = std::cos(t);
    cos_sin[2 * i + 1] = std::sin(t);
    theta *= theta_scale;
  }
}

void rope(float* x, const float* cos_sin, int n_rot, bool neox) {
  const int half = n_rot / 2;
  for (int i = 0; i < half; ++i) {
    const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
    float* a = neox ? &x[i] : &x[2 * i];
    float* b = neox ? &x[i + half] : &x[2 * i + 1];
    const float x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x0 * s + x1 * c;
  }
}

}  // namespace slm::ops
