// Scalar reference of the packed-panel product (kernels/panel.h): the specification the SIMD
// versions match bit for bit. Per weight row r and token t, blocks in order:
//   acc = fma(float(corr + sum_k u * a), d * da, acc), then acc = fma(m, sa, acc) with a min.
#include <cmath>

#include "kernels/ref/ref.h"

namespace slm::ref {

void gemm_panel(const PanelFormat& f, const PanelView& w, const GemmActs& a, int64_t T, float* y, int64_t y_stride,
                int n_rows) {
  for (int64_t t = 0; t < T; ++t) {
    const int8_t* aq = a.q + static_cast<size_t>(t) * a.q_stride;
    const GemmSide* side = a.side + t * a.side_stride;
    for (int r = 0; r < n_rows; ++r) {
      float acc = 0.0f;
      for (int64_t b = 0; b < w.n_blocks; ++b) {
        int32_t dot = side[b].corr;
        for (int e = 0; e < f.block; ++e) dot += panel_quant(f, w, b, r, e) * aq[b * f.block + e];
        const float scale = panel_d(f, w, b, r) * side[b].d;
        acc = std::fma(static_cast<float>(dot), scale, acc);
        if (f.has_min) acc = std::fma(panel_m(f, w, b, r), side[b].s, acc);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

}  // namespace slm::ref
