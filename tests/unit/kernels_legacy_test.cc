// Kernels for the float types (f32, f16, bf16) and the legacy 32-element block formats
// (q4_0, q4_1, q5_0, q5_1, q8_0, q8_1):
//  - the reference dequantizes the committed goldens (written by gguf-py, see
//    tools/make_kernel_goldens.py) to exactly gguf-py's floats, and quantizes to its bytes;
//  - every other kernel table this CPU can run (available_kernel_tables()) matches the
//    reference: bit-exact for dequantize and quantize, within float reassociation for dot
//    products, on odd lengths and unaligned pointers;
//  - dot products agree with "dequantize both rows, multiply in double", tying them to the format.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../test_util.h"
#include "base/fp16.h"
#include "kernels/kernels.h"
#include "kernels/types.h"

namespace slm {
namespace {

// ---- helpers ---------------------------------------------------------------------------------

const TensorType kFloatTypes[] = {TensorType::F32, TensorType::F16, TensorType::BF16};
const TensorType kLegacyWeightTypes[] = {TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1,
                                         TensorType::Q8_0};
const TensorType kLegacyTypes[] = {TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0,
                                   TensorType::Q5_1, TensorType::Q8_0, TensorType::Q8_1};

std::string name_of(TensorType t) { return std::string(type_name(static_cast<uint32_t>(t))); }

uint32_t bits(float f) { return fp32_to_bits(f); }

// A byte buffer whose data() is `offset` bytes past a 64-byte aligned address, so kernels see
// deliberately misaligned pointers.
class Buffer {
 public:
  Buffer(size_t size, size_t offset) : storage_(size + 64 + offset), offset_(offset) {
    const auto base = reinterpret_cast<uintptr_t>(storage_.data());
    pad_ = (64 - base % 64) % 64 + offset_;
  }
  uint8_t* data() { return storage_.data() + pad_; }
  const uint8_t* data() const { return storage_.data() + pad_; }

 private:
  std::vector<uint8_t> storage_;
  size_t offset_ = 0, pad_ = 0;
};

// Floats whose magnitude varies per 32-block, like activations.
std::vector<float> random_floats(std::mt19937& rng, int64_t n, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> exponent(-2.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  float block_scale = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (i % QK == 0) block_scale = scale * std::pow(10.0f, exponent(rng));
    x[static_cast<size_t>(i)] = normal(rng) * block_scale;
  }
  return x;
}

// Random bytes for n elements of a legacy weight type, with finite sane f16 scales (d, and m for
// the _1 types) written over each block's scale fields. Quants are all bit patterns, including
// q8_0's -128.
std::vector<uint8_t> random_blocks(std::mt19937& rng, TensorType t, int64_t n) {
  const TypeTraits& tr = type_traits(t);
  std::vector<uint8_t> data(row_size(t, n));
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : data) b = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> exponent(-4.0f, -1.0f);
  std::bernoulli_distribution negative(0.5);
  const bool has_min = t == TensorType::Q4_1 || t == TensorType::Q5_1;
  for (int64_t i = 0; i < n / tr.block_size; ++i) {
    uint8_t* block = data.data() + i * tr.type_size;
    const uint16_t d = fp32_to_fp16(std::pow(10.0f, exponent(rng)) * (negative(rng) ? -1.0f : 1.0f));
    std::memcpy(block, &d, 2);
    if (has_min) {
      const uint16_t m = fp32_to_fp16(std::pow(10.0f, exponent(rng) + 1.0f) * (negative(rng) ? -1.0f : 1.0f));
      std::memcpy(block + 2, &m, 2);
    }
  }
  return data;
}

std::vector<float> dequantize(const KernelTable& k, TensorType t, const void* data, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n) + 1);
  k.of(t).dequantize_row(data, y.data(), n);
  y.pop_back();
  return y;
}

std::vector<uint8_t> quantize(const KernelTable& k, TensorType t, const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> y(row_size(t, n));
  k.of(t).quantize_row(x.data(), y.data(), n);
  return y;
}

// Expects two float arrays to be bit-identical (so -0.0, inf and nan payloads count).
void expect_same_floats(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (bits(got[i]) != bits(want[i]) && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << " (0x" << std::hex << bits(got[i])
                    << "), want " << want[i] << " (0x" << bits(want[i]) << std::dec << ")";
  }
}

void expect_same_bytes(const uint8_t* got, const uint8_t* want, size_t n, const std::string& what) {
  int reported = 0;
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i] && reported++ < 5)
      ADD_FAILURE() << what << ": byte " << i << " is " << int(got[i]) << ", want " << int(want[i]);
  }
}

// ---- golden files ------------------------------------------------------------------------------

struct Golden {
  uint32_t type_id = 0;
  int64_t n = 0;
  std::vector<float> input;  // empty or n floats that `data` was quantized from
  std::vector<uint8_t> data;
  std::vector<float> deq;
};

bool load_golden(const std::string& name, Golden* g, std::string* error) {
  const std::string path = test::golden_dir() + "/kernels/" + name + ".bin";
  const std::string s = test::read_file(path);
  if (s.size() < 24 || s.compare(0, 8, "SLMKGLD1") != 0) {
    *error = "missing or bad golden file " + path;
    return false;
  }
  uint32_t h[4];
  std::memcpy(h, s.data() + 8, sizeof h);
  g->type_id = h[0];
  g->n = h[1];
  const size_t n_input = h[2], n_data = h[3];
  const size_t want = 24 + 4 * n_input + n_data + 4 * static_cast<size_t>(g->n);
  if (s.size() != want) {
    *error = path + ": size " + std::to_string(s.size()) + ", header says " + std::to_string(want);
    return false;
  }
  const char* p = s.data() + 24;
  g->input.resize(n_input);
  std::memcpy(g->input.data(), p, 4 * n_input);
  p += 4 * n_input;
  g->data.assign(p, p + n_data);
  p += n_data;
  g->deq.resize(static_cast<size_t>(g->n));
  std::memcpy(g->deq.data(), p, 4 * g->deq.size());
  return true;
}

class GoldenTest : public ::testing::TestWithParam<TensorType> {};

TEST_P(GoldenTest, DequantizeMatchesGgufPy) {
  const TensorType t = GetParam();
  Golden g;
  std::string error;
  ASSERT_TRUE(load_golden(name_of(t), &g, &error)) << error;
  ASSERT_EQ(g.type_id, static_cast<uint32_t>(t));
  ASSERT_EQ(g.data.size(), row_size(t, g.n));
  for (const KernelTable* k : available_kernel_tables()) {
    ASSERT_NE(k->of(t).dequantize_row, nullptr) << k->isa;
    for (size_t offset = 0; offset < 4; ++offset) {
      Buffer buf(g.data.size(), offset);
      std::memcpy(buf.data(), g.data.data(), g.data.size());
      expect_same_floats(dequantize(*k, t, buf.data(), g.n), g.deq,
                         std::string(k->isa) + " " + name_of(t) + " offset " + std::to_string(offset));
    }
  }
}

// The activation types' quantizers (and f16/bf16 conversion) give gguf-py's bytes, including
// round-half-away-from-zero cases and f16/bf16 rounding and overflow edges.
class GoldenQuantizeTest : public ::testing::TestWithParam<TensorType> {};

TEST_P(GoldenQuantizeTest, QuantizeMatchesGgufPy) {
  const TensorType t = GetParam();
  ASSERT_NE(ref_kernels().of(t).quantize_row, nullptr);
  Golden g;
  std::string error;
  ASSERT_TRUE(load_golden(name_of(t), &g, &error)) << error;
  ASSERT_EQ(g.input.size(), static_cast<size_t>(g.n)) << "golden has no inputs";
  for (const KernelTable* k : available_kernel_tables()) {
    const std::vector<uint8_t> y = quantize(*k, t, g.input);
    ASSERT_EQ(y.size(), g.data.size());
    expect_same_bytes(y.data(), g.data.data(), y.size(), std::string(k->isa) + " " + name_of(t));
  }
}

INSTANTIATE_TEST_SUITE_P(Legacy, GoldenTest,
                         ::testing::Values(TensorType::F32, TensorType::F16, TensorType::BF16, TensorType::Q4_0,
                                           TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                                           TensorType::Q8_1),
                         [](const ::testing::TestParamInfo<TensorType>& info) { return name_of(info.param); });
INSTANTIATE_TEST_SUITE_P(Legacy, GoldenQuantizeTest,
                         ::testing::Values(TensorType::F32, TensorType::F16, TensorType::BF16, TensorType::Q8_0,
                                           TensorType::Q8_1),
                         [](const ::testing::TestParamInfo<TensorType>& info) { return name_of(info.param); });

// ---- hand-computed q8_0 / q8_1 ---------------------------------------------------------------

// Block 0 has amax 127 (d = 1, 1/d = 1), block 1 is block 0 / 4 (d = 0.25, 1/d = 4): the
// quants are roundf of the inputs, ties away from zero; s = d * sum(q).
TEST(LegacyKernels, QuantizeQ8HandComputed) {
  std::vector<float> x(64, 0.0f);
  const float head[] = {127.0f, -3.5f, 2.5f, 0.49f, -0.5f, 1.5f, -126.5f, 0.5f};
  const int8_t want_q[] = {127, -4, 3, 0, -1, 2, -127, 1};
  for (int j = 0; j < 8; ++j) {
    x[j] = head[j];
    x[32 + j] = head[j] / 4.0f;
  }
  const int sum = 127 - 4 + 3 + 0 - 1 + 2 - 127 + 1;  // = 1
  for (const KernelTable* k : available_kernel_tables()) {
    SCOPED_TRACE(k->isa);
    const std::vector<uint8_t> y0 = quantize(*k, TensorType::Q8_0, x);
    const std::vector<uint8_t> y1 = quantize(*k, TensorType::Q8_1, x);
    for (int b = 0; b < 2; ++b) {
      block_q8_0 q0;
      block_q8_1 q1;
      std::memcpy(&q0, y0.data() + b * sizeof q0, sizeof q0);
      std::memcpy(&q1, y1.data() + b * sizeof q1, sizeof q1);
      const float d = b == 0 ? 1.0f : 0.25f;
      EXPECT_EQ(q0.d, fp32_to_fp16(d));
      EXPECT_EQ(q1.d, fp32_to_fp16(d));
      EXPECT_EQ(q1.s, fp32_to_fp16(d * static_cast<float>(sum)));
      for (int j = 0; j < QK; ++j) {
        const int want = j < 8 ? want_q[j] : 0;
        EXPECT_EQ(q0.qs[j], want) << "block " << b << " element " << j;
        EXPECT_EQ(q1.qs[j], want) << "block " << b << " element " << j;
      }
    }
  }
  // an all-zero block: d = 0 and zero quants
  const std::vector<float> zeros(32, 0.0f);
  for (const KernelTable* k : available_kernel_tables()) {
    const std::vector<uint8_t> y = quantize(*k, TensorType::Q8_1, zeros);
    for (uint8_t b : y) EXPECT_EQ(b, 0) << k->isa;
  }
}

// q8_1's s uses the f32 d, not the f16-rounded one: pick d whose f16 rounding is visible.
TEST(LegacyKernels, Q8_1SumUsesUnroundedScale) {
  std::vector<float> x(32, 0.0f);
  x[0] = 100.0f;  // d = 100/127 (not an f16), q[0] = 127
  x[1] = 100.0f;  // q[1] = 127
  const float d = 100.0f / 127.0f;
  for (const KernelTable* k : available_kernel_tables()) {
    const std::vector<uint8_t> y = quantize(*k, TensorType::Q8_1, x);
    block_q8_1 q;
    std::memcpy(&q, y.data(), sizeof q);
    EXPECT_EQ(q.s, fp32_to_fp16(254.0f * d)) << k->isa;
    EXPECT_EQ(q.d, fp32_to_fp16(d)) << k->isa;
  }
}

// ---- SIMD tables vs the reference ------------------------------------------------------------

// Sum of |w_i * a_i| (the scale for dot-product tolerances), from dequantized rows, plus the
// |m * s| terms of the _1 types.
double abs_dot_scale(TensorType wt, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a, int64_t n) {
  const TensorType at = type_traits(wt).vec_dot_type;
  const std::vector<float> wf = dequantize(ref_kernels(), wt, w.data(), n);
  const std::vector<float> af = dequantize(ref_kernels(), at, a.data(), n);
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(wf[i]) * af[i]);
  if (at == TensorType::Q8_1) {
    const size_t wsize = type_traits(wt).type_size;
    for (int64_t b = 0; b < n / QK; ++b) {
      uint16_t m, sa;
      std::memcpy(&m, w.data() + b * wsize + 2, 2);
      std::memcpy(&sa, a.data() + b * sizeof(block_q8_1) + 2, 2);
      s += std::fabs(static_cast<double>(fp16_to_fp32(m)) * fp16_to_fp32(sa));
    }
  }
  return s;
}

float vec_dot_at(const KernelTable& k, TensorType wt, const std::vector<uint8_t>& w, size_t w_off,
                 const std::vector<uint8_t>& a, size_t a_off, int64_t n) {
  Buffer wb(w.size(), w_off), ab(a.size(), a_off);
  if (!w.empty()) std::memcpy(wb.data(), w.data(), w.size());
  if (!a.empty()) std::memcpy(ab.data(), a.data(), a.size());
  return k.of(wt).vec_dot(n, wb.data(), ab.data());
}

TEST(LegacyKernels, FloatTypesMatchReference) {
  std::mt19937 rng(42);
  const KernelTable& ref = ref_kernels();
  for (const KernelTable* k : available_kernel_tables()) {
    for (TensorType t : kFloatTypes) {
      for (int64_t n = 0; n <= 70; ++n) {
        SCOPED_TRACE(std::string(k->isa) + " " + name_of(t) + " n=" + std::to_string(n));
        const std::vector<float> x = random_floats(rng, n);
        const std::vector<float> y = random_floats(rng, n);
        // quantize from misaligned input (whole floats off a 32-byte boundary)
        for (size_t off = 0; off < 4; ++off) {
          std::vector<float> xs(x.size() + off);
          std::copy(x.begin(), x.end(), xs.begin() + static_cast<std::ptrdiff_t>(off));
          std::vector<uint8_t> got(row_size(t, n) + 1), want(row_size(t, n) + 1);
          k->of(t).quantize_row(xs.data() + off, got.data() + (off & 1), n);
          ref.of(t).quantize_row(x.data(), want.data(), n);
          expect_same_bytes(got.data() + (off & 1), want.data(), row_size(t, n), "quantize off " + std::to_string(off));
        }
        const std::vector<uint8_t> wq = quantize(ref, t, x), aq = quantize(ref, t, y);
        for (size_t off = 0; off < 4; ++off) {
          Buffer b(wq.size(), off);
          if (!wq.empty()) std::memcpy(b.data(), wq.data(), wq.size());
          expect_same_floats(dequantize(*k, t, b.data(), n), dequantize(ref, t, wq.data(), n),
                             "dequantize off " + std::to_string(off));
        }
        const double scale = abs_dot_scale(t, wq, aq, n);
        const float want = ref.of(t).vec_dot(n, wq.data(), aq.data());
        for (size_t wo = 0; wo < 4; ++wo) {
          const float got = vec_dot_at(*k, t, wq, wo, aq, 3 - wo, n);
          EXPECT_NEAR(got, want, 1e-5 * scale + 1e-30) << "offsets " << wo << "," << 3 - wo;
        }
      }
    }
  }
}

TEST(LegacyKernels, QuantizedTypesMatchReference) {
  std::mt19937 rng(7);
  const KernelTable& ref = ref_kernels();
  const int64_t block_counts[] = {1, 2, 3, 7, 33, 64};
  for (const KernelTable* k : available_kernel_tables()) {
    for (int64_t nb : block_counts) {
      const int64_t n = nb * QK;
      // dequantize: every legacy type from random blocks
      for (TensorType t : kLegacyTypes) {
        SCOPED_TRACE(std::string(k->isa) + " " + name_of(t) + " blocks=" + std::to_string(nb));
        const std::vector<uint8_t> data = random_blocks(rng, t, n);
        for (size_t off = 0; off < 4; ++off) {
          Buffer b(data.size(), off);
          std::memcpy(b.data(), data.data(), data.size());
          expect_same_floats(dequantize(*k, t, b.data(), n), dequantize(ref, t, data.data(), n),
                             "dequantize off " + std::to_string(off));
        }
      }
      // quantize: the activation types, misaligned output
      for (TensorType t : {TensorType::Q8_0, TensorType::Q8_1}) {
        SCOPED_TRACE(std::string(k->isa) + " " + name_of(t) + " blocks=" + std::to_string(nb));
        const std::vector<float> x = random_floats(rng, n);
        const std::vector<uint8_t> want = quantize(ref, t, x);
        for (size_t off = 0; off < 4; ++off) {
          Buffer b(want.size(), off);
          k->of(t).quantize_row(x.data(), b.data(), n);
          expect_same_bytes(b.data(), want.data(), want.size(), "quantize off " + std::to_string(off));
        }
      }
      // dot products
      for (TensorType wt : kLegacyWeightTypes) {
        SCOPED_TRACE(std::string(k->isa) + " " + name_of(wt) + " blocks=" + std::to_string(nb));
        ASSERT_NE(k->of(wt).vec_dot, nullptr);
        const TensorType at = type_traits(wt).vec_dot_type;
        const std::vector<uint8_t> w = random_blocks(rng, wt, n);
        const std::vector<uint8_t> a = quantize(ref, at, random_floats(rng, n));
        const double scale = abs_dot_scale(wt, w, a, n);
        const float want = ref.of(wt).vec_dot(n, w.data(), a.data());
        for (size_t wo = 0; wo < 4; ++wo) {
          for (size_t ao : {size_t{0}, size_t{1}, size_t{3}}) {
            const float got = vec_dot_at(*k, wt, w, wo, a, ao, n);
            EXPECT_NEAR(got, want, 1e-5 * scale + 1e-30) << "offsets " << wo << "," << ao;
          }
        }
      }
    }
  }
}

// ---- dot products vs the formats ---------------------------------------------------------------

// vec_dot(w, quantize(a)) == sum_i deq(w)_i * deq(quantize(a))_i, computed in double. The only
// slack is float rounding, plus, for the _1 types, the f16 rounding of s = d * sum(q) (half an
// f16 ulp, 2^-11 relative, of each block's s times |m|).
TEST(LegacyKernels, DotMatchesDequantizedDot) {
  std::mt19937 rng(1234);
  for (const KernelTable* k : available_kernel_tables()) {
    for (TensorType wt : kLegacyWeightTypes) {
      for (int64_t nb : {1, 5, 31}) {
        SCOPED_TRACE(std::string(k->isa) + " " + name_of(wt) + " blocks=" + std::to_string(nb));
        const int64_t n = nb * QK;
        const TensorType at = type_traits(wt).vec_dot_type;
        const std::vector<uint8_t> w = random_blocks(rng, wt, n);
        const std::vector<float> af = random_floats(rng, n);
        const std::vector<uint8_t> a = quantize(*k, at, af);
        const std::vector<float> wd = dequantize(ref_kernels(), wt, w.data(), n);
        const std::vector<float> ad = dequantize(ref_kernels(), at, a.data(), n);
        double exact = 0.0, scale = 0.0, s_slack = 0.0, exact_float_a = 0.0, quant_slack = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          exact += static_cast<double>(wd[i]) * ad[i];
          scale += std::fabs(static_cast<double>(wd[i]) * ad[i]);
          exact_float_a += static_cast<double>(wd[i]) * af[i];
        }
        for (int64_t b = 0; b < nb; ++b) {
          uint16_t dh;
          std::memcpy(&dh, a.data() + b * type_traits(at).type_size, 2);
          const double da = fp16_to_fp32(dh);
          double wabs = 0.0, qsum = 0.0;
          for (int j = 0; j < QK; ++j) {
            wabs += std::fabs(wd[b * QK + j]);
            qsum += ad[b * QK + j];  // d * q, so qsum = d * sum(q)
          }
          // quantizing a: |error| <= d/2 per element, and d itself carries f16 rounding
          quant_slack += wabs * (da * 0.5 + da * 128 * std::ldexp(1.0, -11));
          if (at == TensorType::Q8_1) {
            uint16_t mh;
            std::memcpy(&mh, w.data() + b * type_traits(wt).type_size + 2, 2);
            // s was rounded from the f32 d while the dequantized qsum uses the f16 d: allow the
            // f16 rounding of both
            s_slack += std::fabs(fp16_to_fp32(mh)) * std::fabs(qsum) * std::ldexp(1.0, -10) + 1e-30;
          }
        }
        const float got = k->of(wt).vec_dot(n, w.data(), a.data());
        EXPECT_NEAR(got, exact, 1e-5 * scale + s_slack + 1e-30);
        // and against the unquantized activations, within the q8 quantization error
        EXPECT_NEAR(got, exact_float_a, quant_slack + s_slack + 1e-5 * scale + 1e-30);
      }
    }
  }
}

// A small exactly computable case per weight type: every weight 1, every activation 127
// -> dot = 127 * n.
TEST(LegacyKernels, DotSimpleExactCase) {
  for (const KernelTable* k : available_kernel_tables()) {
    for (TensorType wt : kLegacyWeightTypes) {
      SCOPED_TRACE(std::string(k->isa) + " " + name_of(wt));
      const int64_t n = 3 * QK;
      const TypeTraits& tr = type_traits(wt);
      std::vector<uint8_t> w(row_size(wt, n), 0);
      for (int64_t b = 0; b < n / QK; ++b) {
        uint8_t* blk = w.data() + b * tr.type_size;
        const uint16_t one = fp32_to_fp16(1.0f), zero = fp32_to_fp16(0.0f);
        std::memcpy(blk, &one, 2);
        switch (wt) {
          case TensorType::Q4_0: std::memset(blk + 2, 0x99, 16); break;  // q = 9 -> 9 - 8 = 1
          case TensorType::Q4_1: std::memcpy(blk + 2, &zero, 2); std::memset(blk + 4, 0x11, 16); break;
          case TensorType::Q5_0: std::memset(blk + 2, 0xFF, 4); std::memset(blk + 6, 0x11, 16); break;  // 17 - 16
          case TensorType::Q5_1: std::memcpy(blk + 2, &zero, 2); std::memset(blk + 4, 0, 4); std::memset(blk + 8, 0x11, 16); break;
          case TensorType::Q8_0: std::memset(blk + 2, 1, 32); break;
          default: FAIL();
        }
      }
      const std::vector<float> wd = dequantize(*k, wt, w.data(), n);
      for (float v : wd) ASSERT_EQ(v, 1.0f);
      // activations 127: d = 1 exactly, q = 127
      const std::vector<uint8_t> a = quantize(*k, tr.vec_dot_type, std::vector<float>(n, 127.0f));
      EXPECT_EQ(k->of(wt).vec_dot(n, w.data(), a.data()), 127.0f * n);
    }
  }
}

// ---- four-token dot products -------------------------------------------------------------------

// vec_dot_x4(w, a, stride)[k] must be vec_dot(w, a + k * stride) bit for bit (so logits do not
// depend on how tokens are batched), for every table and type that has one, on unaligned
// pointers and with padding between the activation rows.
TEST(LegacyKernels, DotX4MatchesVecDotBitwise) {
  std::mt19937 rng(99);
  const int64_t block_counts[] = {1, 2, 3, 7, 18, 48};
  int checked = 0;
  for (const KernelTable* k : available_kernel_tables()) {
    for (TensorType wt : kLegacyWeightTypes) {
      const VecDotX4Fn dot4 = k->of(wt).vec_dot_x4;
      if (dot4 == nullptr) continue;
      const VecDotFn dot = k->of(wt).vec_dot;
      ASSERT_NE(dot, nullptr) << k->isa << " " << name_of(wt);
      const TensorType at = type_traits(wt).vec_dot_type;
      for (int64_t nb : block_counts) {
        const int64_t n = nb * QK;
        const std::vector<uint8_t> w = random_blocks(rng, wt, n);
        const size_t arow = row_size(at, n);
        for (size_t pad : {size_t{0}, size_t{5}, size_t{64}}) {
          const size_t stride = arow + pad;
          SCOPED_TRACE(std::string(k->isa) + " " + name_of(wt) + " blocks=" + std::to_string(nb) +
                       " stride=" + std::to_string(stride));
          // four rows of different magnitudes; the padding holds garbage
          std::vector<uint8_t> a(4 * stride, 0xA5);
          for (int r = 0; r < 4; ++r) {
            const std::vector<uint8_t> q = quantize(*k, at, random_floats(rng, n, std::pow(4.0f, static_cast<float>(r - 1))));
            std::memcpy(a.data() + r * stride, q.data(), q.size());
          }
          for (size_t wo : {size_t{0}, size_t{1}, size_t{3}}) {
            const size_t ao = (wo + 2) % 4;
            Buffer wb(w.size(), wo), ab(a.size(), ao);
            std::memcpy(wb.data(), w.data(), w.size());
            std::memcpy(ab.data(), a.data(), a.size());
            float got[4 + 1];
            got[4] = -1.0f;  // canary: exactly four outputs are written
            dot4(n, wb.data(), ab.data(), stride, got);
            EXPECT_EQ(got[4], -1.0f);
            for (int r = 0; r < 4; ++r) {
              const float want = dot(n, wb.data(), ab.data() + r * stride);
              EXPECT_EQ(std::memcmp(&got[r], &want, sizeof want), 0)
                  << "row " << r << " offsets " << wo << "," << ao << ": got " << got[r] << " (0x" << std::hex
                  << bits(got[r]) << "), want " << want << " (0x" << bits(want) << std::dec << ")";
            }
            ++checked;
          }
        }
      }
    }
  }
  std::printf("vec_dot_x4 cases checked: %d\n", checked);
}

// ---- extreme values ----------------------------------------------------------------------------

// Activation blocks (q8_0 or q8_1) with d = 1 and every quant from `quant(i)` (i: element of the
// row); q8_1's s = d * sum(q) is exact in f16 for these sums.
std::vector<uint8_t> activation_blocks(TensorType at, int64_t n, int (*quant)(int64_t)) {
  const size_t bs = type_traits(at).type_size;
  std::vector<uint8_t> a(row_size(at, n));
  const uint16_t one = fp32_to_fp16(1.0f);
  for (int64_t b = 0; b < n / QK; ++b) {
    uint8_t* blk = a.data() + b * bs;
    std::memcpy(blk, &one, 2);
    int sum = 0;
    int8_t* qs = reinterpret_cast<int8_t*>(blk + bs - QK);
    for (int j = 0; j < QK; ++j) sum += qs[j] = static_cast<int8_t>(quant(b * QK + j));
    if (at == TensorType::Q8_1) {
      const uint16_t s = fp32_to_fp16(static_cast<float>(sum));
      std::memcpy(blk + 2, &s, 2);
    }
  }
  return a;
}

// Every weight quant at the ends of its range (all nibbles 15 or 0, fifth bits all set or clear,
// q8_0's -128 and 127) against activations at the ends of theirs: no integer intermediate may
// saturate or wrap. Exact reference: the dot of the dequantized rows in double. vec_dot_x4 is
// checked against vec_dot on the same rows, bit for bit.
//
// Activations from quantize_row_q8_* stay within +-127; the AVX2 kernels rely on that (they move
// the weights' signs onto the activations), the other tables are exact for any int8, -128 too.
TEST(LegacyKernels, DotExtremeValues) {
  int (*const patterns[])(int64_t) = {
      [](int64_t) { return 127; },
      [](int64_t) { return -127; },
      [](int64_t i) { return i % 2 ? 127 : -127; },
      [](int64_t i) { return i % 3 ? -127 : 127; },
      [](int64_t) { return -128; },
      [](int64_t i) { return i % 2 ? 127 : -128; },
  };
  const uint8_t fills[] = {0x00, 0xFF, 0x80, 0x7F, 0x0F, 0xF0};
  int checked = 0;
  for (const KernelTable* k : available_kernel_tables()) {
    const bool any_int8 = std::string(k->isa) != "avx2";
    for (TensorType wt : kLegacyWeightTypes) {
      const TypeTraits& tr = type_traits(wt);
      const bool has_min = wt == TensorType::Q4_1 || wt == TensorType::Q5_1;
      for (int64_t nb : {1, 3, 4, 5, 8}) {
        const int64_t n = nb * QK;
        for (uint8_t fill : fills) {
          std::vector<uint8_t> w(row_size(wt, n), fill);
          for (int64_t b = 0; b < nb; ++b) {  // finite scales over the fill: d = 0.5 (m = -0.25)
            const uint16_t d = fp32_to_fp16(0.5f), m = fp32_to_fp16(-0.25f);
            std::memcpy(w.data() + b * tr.type_size, &d, 2);
            if (has_min) std::memcpy(w.data() + b * tr.type_size + 2, &m, 2);
          }
          const std::vector<float> wd = dequantize(ref_kernels(), wt, w.data(), n);
          for (size_t p = 0; p < std::size(patterns); ++p) {
            if (p >= 4 && !any_int8) continue;  // -128 activations: outside the AVX2 kernels' contract
            SCOPED_TRACE(std::string(k->isa) + " " + name_of(wt) + " blocks=" + std::to_string(nb) + " fill=" +
                         std::to_string(fill) + " activations=" + std::to_string(p));
            const std::vector<uint8_t> a = activation_blocks(tr.vec_dot_type, n, patterns[p]);
            const std::vector<float> ad = dequantize(ref_kernels(), tr.vec_dot_type, a.data(), n);
            double exact = 0.0, scale = 0.0;
            for (int64_t i = 0; i < n; ++i) {
              exact += static_cast<double>(wd[i]) * ad[i];
              scale += std::fabs(static_cast<double>(wd[i]) * ad[i]);
            }
            const float got = k->of(wt).vec_dot(n, w.data(), a.data());
            EXPECT_NEAR(got, exact, 1e-5 * scale + 1e-6);
            if (const VecDotX4Fn dot4 = k->of(wt).vec_dot_x4) {
              // the same row four times, and a row of other values in slot 2
              const size_t ar = a.size();
              std::vector<uint8_t> a4(4 * ar);
              for (int r = 0; r < 4; ++r) std::memcpy(a4.data() + r * ar, a.data(), ar);
              const std::vector<uint8_t> other = activation_blocks(tr.vec_dot_type, n, [](int64_t i) { return static_cast<int>(i % 255) - 127; });
              std::memcpy(a4.data() + 2 * ar, other.data(), ar);
              float out[4];
              dot4(n, w.data(), a4.data(), ar, out);
              for (int r = 0; r < 4; ++r) {
                const float want = k->of(wt).vec_dot(n, w.data(), a4.data() + r * ar);
                EXPECT_EQ(std::memcmp(&out[r], &want, sizeof want), 0) << "row " << r << ": " << out[r] << " vs " << want;
              }
            }
            ++checked;
          }
        }
      }
    }
  }
  std::printf("extreme-value cases checked: %d\n", checked);
}

TEST(LegacyKernels, TablesAreComplete) {
  for (const KernelTable* k : available_kernel_tables()) {
    std::printf("kernel table: %s\n", k->isa);
    for (TensorType t : kFloatTypes) {
      EXPECT_NE(k->of(t).dequantize_row, nullptr) << k->isa << " " << name_of(t);
      EXPECT_NE(k->of(t).quantize_row, nullptr) << k->isa << " " << name_of(t);
      EXPECT_NE(k->of(t).vec_dot, nullptr) << k->isa << " " << name_of(t);
    }
    for (TensorType t : kLegacyTypes) EXPECT_NE(k->of(t).dequantize_row, nullptr) << k->isa << " " << name_of(t);
    for (TensorType t : kLegacyWeightTypes) EXPECT_NE(k->of(t).vec_dot, nullptr) << k->isa << " " << name_of(t);
    EXPECT_NE(k->of(TensorType::Q8_0).quantize_row, nullptr) << k->isa;
    EXPECT_NE(k->of(TensorType::Q8_1).quantize_row, nullptr) << k->isa;
  }
}

}  // namespace
}  // namespace slm
