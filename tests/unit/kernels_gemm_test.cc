// Packed weight panels (kernels/panel.h) and the prompt-processing product built on them:
//  - a packed panel holds the same weights as the file: d * (u - bias) + m == dequantize_row,
//    for every type with a panel format, full and partial panels;
//  - every kernel table's gemm_panel equals the scalar reference bit for bit, for every tile
//    width (1..8 tokens and more), partial panels and both block sizes;
//  - the panel product equals vec_dot up to float rounding (the same integer dots, scaled and
//    summed in another order), which ties it to the formats' definition;
//  - matmul takes the panel path for large batches and gives vec_dot's results there too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/fp16.h"
#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "kernels/panel.h"
#include "kernels/types.h"

namespace slm {
namespace {

const TensorType kPanelTypes[] = {TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1,
                                  TensorType::Q8_0, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K};

std::string name_of(TensorType t) { return std::string(type_name(static_cast<uint32_t>(t))); }

// Every (type, format) pair: each type's on-the-fly format and, where it has one, its resident one.
struct Packing {
  TensorType type;
  const PanelFormat* format;
  std::string name() const { return name_of(type) + (format->resident() ? " resident" : ""); }
};
std::vector<Packing> all_packings() {
  std::vector<Packing> p;
  for (TensorType t : kPanelTypes) {
    p.push_back({t, panel_format(t)});
    if (const PanelFormat* r = resident_panel_format(t)) p.push_back({t, r});
  }
  return p;
}

TEST(Panel, ResidentFormatsReadTheFilesBytes) {
  for (TensorType t : kPanelTypes) {
    const PanelFormat* f = resident_panel_format(t);
    ASSERT_NE(f, nullptr) << name_of(t);
    const int64_t n = 3 * QK_K;  // 24 blocks of 32, 3 super-blocks
    if (t == TensorType::Q4_K || t == TensorType::Q5_K)  // 6-bit scales and mins as bytes: 4 more per super-block
      EXPECT_EQ(panel_bytes(*f, n), kPanelRows * (row_size(t, n) + 3 * 4)) << name_of(t);
    else
      EXPECT_EQ(panel_bytes(*f, n), kPanelRows * row_size(t, n)) << name_of(t);
    // the activations are converted once for either kind of panel
    EXPECT_EQ(f->block, panel_format(t)->block);
    EXPECT_EQ(f->bias, panel_format(t)->bias);
    EXPECT_EQ(f->has_min, panel_format(t)->has_min);
  }
}

// Offsets of the f16 scale fields in a block of t (random bytes there could be NaN or huge).
std::vector<size_t> f16_fields(TensorType t) {
  switch (t) {
    case TensorType::Q4_0: case TensorType::Q5_0: case TensorType::Q8_0: return {0};
    case TensorType::Q4_1: case TensorType::Q5_1: case TensorType::Q4_K: case TensorType::Q5_K: return {0, 2};
    case TensorType::Q6_K: return {offsetof(block_q6_K, d)};
    default: return {};
  }
}

// rows x n weights of type t: random bytes (every quant pattern) with scales in [-0.05, 0.05].
std::vector<uint8_t> random_rows(TensorType t, int64_t rows, int64_t n, std::mt19937& rng) {
  const TypeTraits& tr = type_traits(t);
  std::vector<uint8_t> w(row_size(t, n) * static_cast<size_t>(rows));
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : w) b = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
  for (size_t off = 0; off < w.size(); off += tr.type_size)
    for (size_t f : f16_fields(t)) {
      const uint16_t h = fp32_to_fp16(scale(rng));
      std::memcpy(&w[off + f], &h, sizeof h);
    }
  return w;
}

std::vector<float> random_floats(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

// Activation rows converted for t (its vec_dot_type) by the reference quantizer.
std::vector<uint8_t> convert(TensorType t, const std::vector<float>& x, int64_t n, int64_t T) {
  const TensorType at = type_traits(t).vec_dot_type;
  const size_t rb = row_size(at, n);
  std::vector<uint8_t> xq(rb * static_cast<size_t>(T));
  for (int64_t i = 0; i < T; ++i) ref_kernels().of(at).quantize_row(x.data() + i * n, xq.data() + i * rb, n);
  return xq;
}

TEST(Panel, HoldsTheSameWeightsAsTheFile) {
  std::mt19937 rng(7);
  for (const Packing& p : all_packings()) {
    const TensorType t = p.type;
    const PanelFormat& f = *p.format;
    const int64_t n = 2 * QK_K;
    for (int rows : {16, 5, 1}) {
      const auto w = random_rows(t, rows, n, rng);
      std::vector<uint8_t> panel(panel_bytes(f, n));
      pack_panel(f, t, w.data(), row_size(t, n), rows, n, panel.data());
      const PanelView v = panel_view(f, panel.data(), n);
      std::vector<float> ref(static_cast<size_t>(n));
      std::vector<float> lookup(static_cast<size_t>(n));
      for (int r = 0; r < kPanelRows; ++r) {
        if (r < rows) {
          ref_kernels().of(t).dequantize_row(w.data() + r * row_size(t, n), ref.data(), n);
          dequantize_panel_row(f, v, r, lookup.data());  // the embedding lookup of a packed matrix
          for (int64_t e = 0; e < n; ++e)
            ASSERT_EQ(lookup[static_cast<size_t>(e)], ref[static_cast<size_t>(e)]) << p.name() << " row " << r << " e " << e;
        }
        for (int64_t e = 0; e < n; ++e) {
          const int64_t b = e / f.block;
          const int u = panel_quant(f, v, b, r, static_cast<int>(e % f.block));
          const float d = panel_d(f, v, b, r), m = panel_m(f, v, b, r);
          if (r >= rows) {
            ASSERT_EQ(u, 0);
            ASSERT_EQ(d, 0.0f);
            ASSERT_EQ(m, 0.0f);
            continue;
          }
          // ref: (q - bias) * d for the bias types, q * d + m with a min
          const float got = f.has_min ? static_cast<float>(u) * d + m : static_cast<float>(u - f.bias) * d;
          ASSERT_EQ(got, ref[static_cast<size_t>(e)]) << p.name() << " rows " << rows << " row " << r << " e " << e;
        }
      }
    }
  }
}

// The panel product of `rows` rows and T tokens through table k.
std::vector<float> panel_product(const KernelTable& k, const Packing& p, const std::vector<uint8_t>& w, int rows,
                                 const std::vector<uint8_t>& xq, int64_t n, int64_t T) {
  const TensorType t = p.type;
  const PanelFormat& f = *p.format;
  std::vector<uint8_t> panel(panel_bytes(f, n));
  pack_panel(f, t, w.data(), row_size(t, n), rows, n, panel.data());
  std::vector<uint8_t> acts(gemm_acts_bytes(f, n, T));
  const size_t rb = row_size(type_traits(t).vec_dot_type, n);
  gemm_acts_prepare(t, xq.data(), rb, n, T, 0, T, acts.data());
  const int64_t stride = rows + 3;  // outputs land at y[t * stride + r]; the rest stays NaN
  std::vector<float> y(static_cast<size_t>(T * stride), std::nanf(""));
  k.gemm_panel(f, panel_view(f, panel.data(), n), gemm_acts_view(f, acts.data(), n, T), T, y.data(), stride, rows);
  return y;
}

TEST(Panel, EveryIsaMatchesTheReferenceBitForBit) {
  std::mt19937 rng(11);
  for (const KernelTable* k : available_kernel_tables()) {
    if (!k->gemm_panel) continue;
    for (const Packing& p : all_packings()) {
      for (int64_t n : {int64_t{QK_K}, int64_t{3 * QK_K}}) {
        for (int rows : {16, 13, 1}) {
          for (int64_t T : {1, 2, 3, 5, 7, 8, 9, 16, 21}) {
            const auto w = random_rows(p.type, rows, n, rng);
            const auto xq = convert(p.type, random_floats(n * T, rng), n, T);
            const auto want = panel_product(ref_kernels(), p, w, rows, xq, n, T);
            const auto got = panel_product(*k, p, w, rows, xq, n, T);
            for (size_t i = 0; i < want.size(); ++i) {
              if (std::isnan(want[i])) {  // not an output
                ASSERT_TRUE(std::isnan(got[i])) << k->isa << " wrote past the panel, " << p.name();
                continue;
              }
              ASSERT_EQ(fp32_to_bits(got[i]), fp32_to_bits(want[i]))
                  << k->isa << " " << p.name() << " n " << n << " rows " << rows << " T " << T << " at " << i;
            }
          }
        }
      }
    }
  }
}

TEST(Panel, ResidentSubBlockScalesGiveTheOnTheFlyProducts) {
  // q4_K, q5_K and q6_K resident panels form d = d_super * scale (and m) in the kernel; those
  // products are exact, so every table's product equals the on-the-fly format's bit for bit.
  std::mt19937 rng(23);
  for (const KernelTable* k : available_kernel_tables()) {
    if (!k->gemm_panel) continue;
    for (TensorType t : {TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K}) {
      const int64_t n = 2 * QK_K;
      for (int64_t T : {1, 3, 9}) {
        const auto w = random_rows(t, 11, n, rng);
        const auto xq = convert(t, random_floats(n * T, rng), n, T);
        const auto fly = panel_product(*k, {t, panel_format(t)}, w, 11, xq, n, T);
        const auto resident = panel_product(*k, {t, resident_panel_format(t)}, w, 11, xq, n, T);
        for (size_t i = 0; i < fly.size(); ++i) {
          if (std::isnan(fly[i])) continue;  // not an output
          ASSERT_EQ(fp32_to_bits(resident[i]), fp32_to_bits(fly[i])) << k->isa << " " << name_of(t) << " T " << T << " at " << i;
        }
      }
    }
  }
}

TEST(Panel, AgreesWithVecDot) {
  std::mt19937 rng(13);
  for (const Packing& p : all_packings()) {
    const TensorType t = p.type;
    const int64_t n = 4 * QK_K, T = 5;
    const int rows = 16;
    const auto w = random_rows(t, rows, n, rng);
    const auto xq = convert(t, random_floats(n * T, rng), n, T);
    const auto y = panel_product(ref_kernels(), p, w, rows, xq, n, T);
    const size_t rb = row_size(type_traits(t).vec_dot_type, n);
    for (int64_t i = 0; i < T; ++i) {
      for (int r = 0; r < rows; ++r) {
        const float dot = ref_kernels().of(t).vec_dot(n, w.data() + r * row_size(t, n), xq.data() + i * rb);
        // the same exact integer dots; only the float scaling and summation order differ
        EXPECT_NEAR(y[static_cast<size_t>(i * (rows + 3) + r)], dot, 1e-4f * (1.0f + std::fabs(dot)))
            << p.name() << " token " << i << " row " << r;
      }
    }
  }
}

TEST(Panel, MatmulTakesThePanelPathForBatches) {
  // 37 rows (two full panels and a partial one), 40 tokens, two threads: the same results as
  // one vec_dot per row and token, up to float rounding.
  std::mt19937 rng(17);
  ThreadPool pool(2);
  for (TensorType t : kPanelTypes) {
    const int64_t n = t == TensorType::Q4_1 ? 576 : QK_K, n_out = 37, T = 40;
    const auto wbytes = random_rows(t, n_out, n, rng);
    const WeightMatrix w{wbytes.data(), t, n, n_out, row_size(t, n)};
    const auto x = random_floats(n * T, rng);
    std::vector<uint8_t> scratch(activation_bytes(t, n, T));
    std::vector<float> y(static_cast<size_t>(T * n_out));
    matmul(w, x.data(), T, y.data(), pool, scratch.data());
    const auto xq = convert(t, x, n, T);
    const size_t rb = row_size(type_traits(t).vec_dot_type, n);
    for (int64_t i = 0; i < T; ++i)
      for (int64_t r = 0; r < n_out; ++r) {
        const float dot = kernels().of(t).vec_dot(n, wbytes.data() + r * w.row_bytes, xq.data() + i * rb);
        ASSERT_NEAR(y[static_cast<size_t>(i * n_out + r)], dot, 1e-4f * (1.0f + std::fabs(dot)))
            << name_of(t) << " token " << i << " row " << r;
      }
  }
}

TEST(Panel, MatmulMultipliesResidentPanelsForEveryBatchSize) {
  // 37 rows packed as resident panels the way the model loader packs them (panel p at
  // p * panel_bytes), then multiplied by 1, 5 and 40 tokens on two threads: every token's outputs
  // are the same bits whatever the batch (one kernel for all T), and equal vec_dot up to rounding.
  std::mt19937 rng(19);
  ThreadPool pool(2);
  for (TensorType t : kPanelTypes) {
    const PanelFormat& f = *resident_panel_format(t);
    const int64_t n = f.per_super > 1 ? 3 * QK_K : 576, n_out = 37, T = 40;
    const auto wbytes = random_rows(t, n_out, n, rng);
    const size_t rb = row_size(t, n), pb = panel_bytes(f, n);
    std::vector<uint8_t> panels(pb * 3);
    for (int p = 0; p < 3; ++p)
      pack_panel(f, t, wbytes.data() + p * kPanelRows * rb, rb, std::min<int>(kPanelRows, n_out - p * kPanelRows), n,
                 panels.data() + p * pb);
    WeightMatrix w{wbytes.data(), t, n, n_out, rb};
    w.panels = panels.data();
    const auto x = random_floats(n * T, rng);
    std::vector<uint8_t> scratch(activation_bytes(t, n, T));
    std::vector<float> all(static_cast<size_t>(T * n_out));
    matmul(w, x.data(), T, all.data(), pool, scratch.data());
    for (int64_t batch : {1, 5}) {
      std::vector<float> y(static_cast<size_t>(batch * n_out));
      matmul(w, x.data(), batch, y.data(), pool, scratch.data());
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_EQ(fp32_to_bits(y[i]), fp32_to_bits(all[i])) << name_of(t) << " batch " << batch << " at " << i;
    }
    const auto xq = convert(t, x, n, T);
    const size_t ab = row_size(type_traits(t).vec_dot_type, n);
    for (int64_t i = 0; i < T; ++i)
      for (int64_t r = 0; r < n_out; ++r) {
        const float dot = kernels().of(t).vec_dot(n, wbytes.data() + r * rb, xq.data() + i * ab);
        // 48 blocks of 16 (q6_K) summed in another order than vec_dot's super-blocks: 2e-4
        ASSERT_NEAR(all[static_cast<size_t>(i * n_out + r)], dot, 2e-4f * (1.0f + std::fabs(dot)))
            << name_of(t) << " token " << i << " row " << r;
      }
  }
}

}  // namespace
}  // namespace slm
