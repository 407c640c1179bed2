// k-quant kernels (q2_K..q6_K weights, q8_K activations): every kernel table against the scalar
// reference, and the reference against independent definitions of the formats:
//  - dequantize vs gguf-py's dequantization (tests/golden/kernels/<type>.bin, written by
//    tools/make_kernel_goldens.py from random blocks with sane scales);
//  - quantize_row_q8_K vs a hand-worked block and vs the golden (ggml's definition in numpy);
//  - vec_dot vs the double-precision dot of the dequantized rows;
//  - SIMD vs reference on odd block counts and unaligned buffers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "base/fp16.h"
#include "kernels/kernels.h"
#include "kernels/types.h"
#include "test_util.h"

namespace slm {
namespace {

struct KType {
  const char* name;
  TensorType type;
  std::vector<size_t> f16_scale_offsets;  // d / dmin fields inside a block
};

const std::vector<KType>& weight_types() {
  static const std::vector<KType> t = {
      {"q2_K", TensorType::Q2_K, {offsetof(block_q2_K, d), offsetof(block_q2_K, dmin)}},
      {"q3_K", TensorType::Q3_K, {offsetof(block_q3_K, d)}},
      {"q4_K", TensorType::Q4_K, {offsetof(block_q4_K, d), offsetof(block_q4_K, dmin)}},
      {"q5_K", TensorType::Q5_K, {offsetof(block_q5_K, d), offsetof(block_q5_K, dmin)}},
      {"q6_K", TensorType::Q6_K, {offsetof(block_q6_K, d)}},
  };
  return t;
}

// A byte buffer whose data starts `offset` bytes past a 64-byte boundary.
class OffsetBuffer {
 public:
  OffsetBuffer(size_t bytes, size_t offset) : storage_(bytes + 128), offset_(offset) {
    const auto addr = reinterpret_cast<uintptr_t>(storage_.data());
    base_ = static_cast<size_t>((64 - addr % 64) % 64);
  }
  uint8_t* data() { return storage_.data() + base_ + offset_; }

 private:
  std::vector<uint8_t> storage_;
  size_t base_ = 0, offset_;
};

// Random blocks: random bytes, with the f16 scale fields set to finite values of either sign.
std::vector<uint8_t> random_blocks(const KType& kt, int64_t nblocks, std::mt19937& rng) {
  const size_t ts = type_traits(kt.type).type_size;
  std::vector<uint8_t> data(ts * nblocks);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> mag(-4.0f, -1.0f);
  for (auto& b : data) b = static_cast<uint8_t>(byte(rng));
  for (int64_t i = 0; i < nblocks; ++i) {
    for (size_t off : kt.f16_scale_offsets) {
      const float v = std::pow(10.0f, mag(rng)) * (byte(rng) & 1 ? -1.0f : 1.0f);
      const uint16_t h = fp32_to_fp16(v);
      std::memcpy(&data[i * ts + off], &h, sizeof h);
    }
  }
  return data;
}

std::vector<float> random_floats(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = nd(rng);
  return x;
}

std::vector<uint8_t> quantize_q8_K(const KernelTable& t, const std::vector<float>& x) {
  std::vector<uint8_t> q(row_size(TensorType::Q8_K, static_cast<int64_t>(x.size())));
  t.of(TensorType::Q8_K).quantize_row(x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

std::vector<float> dequantize(const KernelTable& t, TensorType type, const uint8_t* data, int64_t n) {
  std::vector<float> y(n);
  t.of(type).dequantize_row(data, y.data(), n);
  return y;
}

// Float equality up to one unit in the last place (same sign), or both zero.
bool within_1ulp(float a, float b) {
  if (a == b) return true;
  if (std::isnan(a) || std::isnan(b) || std::signbit(a) != std::signbit(b)) return false;
  const int64_t ia = fp32_to_bits(std::fabs(a)), ib = fp32_to_bits(std::fabs(b));
  return std::llabs(ia - ib) <= 1;
}

// ---- golden files (format documented in tools/make_kernel_goldens.py) -------------------------

struct Golden {
  uint32_t type_id = 0, n = 0;
  std::vector<float> input;  // empty when the data are random blocks
  std::vector<uint8_t> data;
  std::vector<float> deq;
};

bool load_golden(const std::string& name, Golden& g, std::string& err) {
  const std::string path = test::golden_dir() + "/kernels/" + name + ".bin";
  const std::string s = test::read_file(path);
  if (s.size() < 24 || s.compare(0, 8, "SLMKGLD1") != 0) {
    err = "missing or malformed golden " + path + " (regenerate with tools/make_kernel_goldens.py)";
    return false;
  }
  uint32_t hdr[4];
  std::memcpy(hdr, s.data() + 8, sizeof hdr);
  g.type_id = hdr[0];
  g.n = hdr[1];
  const size_t n_input = hdr[2], n_data = hdr[3];
  if (s.size() != 24 + 4 * n_input + n_data + 4 * size_t{g.n}) {
    err = "golden " + path + " has the wrong size";
    return false;
  }
  const char* p = s.data() + 24;
  g.input.resize(n_input);
  if (n_input) std::memcpy(g.input.data(), p, 4 * n_input);
  p += 4 * n_input;
  g.data.assign(p, p + n_data);
  p += n_data;
  g.deq.resize(g.n);
  std::memcpy(g.deq.data(), p, 4 * size_t{g.n});
  return true;
}

// ---- every table has every k-quant kernel ------------------------------------------------------

TEST(KQuantKernels, TablesAreComplete) {
  for (const KernelTable* t : available_kernel_tables()) {
    std::printf("kernel table: %s\n", t->isa);
    SCOPED_TRACE(t->isa);
    for (const KType& kt : weight_types()) {
      EXPECT_NE(t->of(kt.type).dequantize_row, nullptr) << kt.name;
      EXPECT_NE(t->of(kt.type).vec_dot, nullptr) << kt.name;
      EXPECT_EQ(type_traits(kt.type).vec_dot_type, TensorType::Q8_K) << kt.name;
    }
    EXPECT_NE(t->of(TensorType::Q8_K).dequantize_row, nullptr);
    EXPECT_NE(t->of(TensorType::Q8_K).quantize_row, nullptr);
  }
}

// ---- a. dequantize vs gguf-py ----------------------------------------------------------------

class KQuantGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(KQuantGolden, DequantizeMatchesGgufPy) {
  Golden g;
  std::string err;
  ASSERT_TRUE(load_golden(GetParam(), g, err)) << err;
  const TensorType type = static_cast<TensorType>(g.type_id);
  ASSERT_EQ(g.data.size(), row_size(type, g.n));
  for (const KernelTable* t : available_kernel_tables()) {
    for (size_t offset : {0, 1, 3}) {
      SCOPED_TRACE(std::string(t->isa) + " offset " + std::to_string(offset));
      OffsetBuffer buf(g.data.size(), offset);
      std::memcpy(buf.data(), g.data.data(), g.data.size());
      const std::vector<float> y = dequantize(*t, type, buf.data(), g.n);
      int bad = 0;
      for (uint32_t e = 0; e < g.n && bad < 5; ++e)
        if (!within_1ulp(y[e], g.deq[e])) {
          ++bad;
          ADD_FAILURE() << GetParam() << " element " << e << ": got " << y[e] << ", gguf-py " << g.deq[e];
        }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, KQuantGolden,
                         ::testing::Values("q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "q8_K"));

// ---- b. quantize_row_q8_K --------------------------------------------------------------------

TEST(KQuantQ8K, QuantizeMatchesGolden) {
  Golden g;
  std::string err;
  ASSERT_TRUE(load_golden("q8_K", g, err)) << err;
  ASSERT_EQ(g.input.size(), g.n);
  for (const KernelTable* t : available_kernel_tables()) {
    SCOPED_TRACE(t->isa);
    const std::vector<uint8_t> q = quantize_q8_K(*t, g.input);
    ASSERT_EQ(q.size(), g.data.size());
    for (size_t i = 0; i < q.size(); ++i) ASSERT_EQ(q[i], g.data[i]) << "byte " << i;
  }
}

// Worked by hand: the largest magnitude is -127/64 (first), so iscale = -127 / (-127/64) = 64
// exactly and every product below is exact; .5 cases round to even.
TEST(KQuantQ8K, HandCheckedBlock) {
  std::vector<float> x(2 * QK_K, 0.0f);
  const float xs[] = {-127.0f / 64, 1.0f, 0.5f / 64, 1.5f / 64, 2.5f / 64, -0.5f / 64, -1.5f / 64,
                      127.0f / 64,  -0.25f, 3.0f / 64};
  const int8_t want[] = {-127, 64, 0, 2, 2, 0, -2, 127, -16, 3};
  for (size_t i = 0; i < std::size(xs); ++i) x[i] = xs[i];
  x[20] = 10.0f / 64;  // second group of 16
  // block 1: positive maximum first, so iscale = -64 and the signs flip
  x[QK_K + 0] = 127.0f / 64;
  x[QK_K + 1] = -127.0f / 64;
  x[QK_K + 2] = 1.0f;
  for (const KernelTable* t : available_kernel_tables()) {
    SCOPED_TRACE(t->isa);
    const std::vector<uint8_t> raw = quantize_q8_K(*t, x);
    block_q8_K b[2];
    std::memcpy(b, raw.data(), sizeof b);
    EXPECT_EQ(b[0].d, 1.0f / 64);
    for (size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(b[0].qs[i], want[i]) << "element " << i;
    EXPECT_EQ(b[0].qs[20], 10);
    EXPECT_EQ(b[0].bsums[0], -127 + 64 + 0 + 2 + 2 + 0 - 2 + 127 - 16 + 3);
    EXPECT_EQ(b[0].bsums[1], 10);
    for (int j = 2; j < 16; ++j) EXPECT_EQ(b[0].bsums[j], 0);
    EXPECT_EQ(b[1].d, -1.0f / 64);
    EXPECT_EQ(b[1].qs[0], -127);
    EXPECT_EQ(b[1].qs[1], 127);
    EXPECT_EQ(b[1].qs[2], -64);
    EXPECT_EQ(b[1].bsums[0], -64);
  }
}

TEST(KQuantQ8K, ZeroBlockIsAllZero) {
  std::vector<float> x(QK_K, 0.0f);
  for (const KernelTable* t : available_kernel_tables()) {
    SCOPED_TRACE(t->isa);
    std::vector<uint8_t> q(sizeof(block_q8_K), 0xAB);
    t->of(TensorType::Q8_K).quantize_row(x.data(), q.data(), QK_K);
    for (size_t i = 0; i < q.size(); ++i) ASSERT_EQ(q[i], 0) << "byte " << i;
  }
}

TEST(KQuantQ8K, RoundTripIsClose) {
  std::mt19937 rng(7);
  const int64_t n = 7 * QK_K;
  std::vector<float> x = random_floats(n, rng);
  for (int64_t i = QK_K; i < 2 * QK_K; ++i) x[i] *= 1e-3f;  // a block of small values
  for (const KernelTable* t : available_kernel_tables()) {
    SCOPED_TRACE(t->isa);
    const std::vector<uint8_t> q = quantize_q8_K(*t, x);
    const std::vector<float> y = dequantize(*t, TensorType::Q8_K, q.data(), n);
    EXPECT_EQ(q, quantize_q8_K(ref_kernels(), x));  // every table quantizes bit for bit like ref
    for (int64_t b = 0; b < n / QK_K; ++b) {
      float amax = 0;
      for (int e = 0; e < QK_K; ++e) amax = std::max(amax, std::fabs(x[b * QK_K + e]));
      const float half_step = amax / 127 / 2;
      for (int e = 0; e < QK_K; ++e) {
        const int64_t i = b * QK_K + e;
        ASSERT_LE(std::fabs(y[i] - x[i]), half_step * 1.001f) << "element " << i;
      }
    }
  }
}

// ---- c/d. dot products -------------------------------------------------------------------------

struct DotCase {
  std::vector<uint8_t> w, a;
  double exact = 0;  // dequantize(w) . dequantize(a) in double
  double scale = 0;  // sum |w_i * a_i|
};

DotCase make_dot_case(const KType& kt, int64_t nb, std::mt19937& rng) {
  DotCase c;
  const int64_t n = nb * QK_K;
  c.w = random_blocks(kt, nb, rng);
  c.a = quantize_q8_K(ref_kernels(), random_floats(n, rng));
  const std::vector<float> wf = dequantize(ref_kernels(), kt.type, c.w.data(), n);
  const std::vector<float> af = dequantize(ref_kernels(), TensorType::Q8_K, c.a.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    c.exact += static_cast<double>(wf[i]) * af[i];
    c.scale += std::fabs(static_cast<double>(wf[i]) * af[i]);
  }
  return c;
}

class KQuantDot : public ::testing::TestWithParam<size_t> {
 protected:
  const KType& kt() const { return weight_types()[GetParam()]; }
};

// c. Every table's vec_dot equals the reference's (up to float summation order) on odd block
// counts and on buffers that start 0..3 bytes past an aligned address.
TEST_P(KQuantDot, TablesMatchReference) {
  std::mt19937 rng(100 + static_cast<unsigned>(GetParam()));
  for (int64_t nb : {1, 2, 3, 5, 9, 17}) {
    const DotCase c = make_dot_case(kt(), nb, rng);
    const int64_t n = nb * QK_K;
    const float want = ref_kernels().of(kt().type).vec_dot(n, c.w.data(), c.a.data());
    for (const KernelTable* t : available_kernel_tables()) {
      for (size_t ow : {0, 1, 2, 3}) {
        const size_t oa = (ow * 3 + 1) % 4;
        SCOPED_TRACE(std::string(t->isa) + " " + kt().name + " nb=" + std::to_string(nb) +
                     " offsets " + std::to_string(ow) + "," + std::to_string(oa));
        OffsetBuffer wb(c.w.size(), ow), ab(c.a.size(), oa);
        std::memcpy(wb.data(), c.w.data(), c.w.size());
        std::memcpy(ab.data(), c.a.data(), c.a.size());
        const float got = t->of(kt().type).vec_dot(n, wb.data(), ab.data());
        EXPECT_NEAR(got, want, 1e-5 * c.scale);
      }
    }
  }
}

// c. Every table's dequantize equals the reference's on random blocks (unaligned, too).
TEST_P(KQuantDot, DequantizeMatchesReference) {
  std::mt19937 rng(200 + static_cast<unsigned>(GetParam()));
  const int64_t nb = 5, n = nb * QK_K;
  const std::vector<uint8_t> w = random_blocks(kt(), nb, rng);
  const std::vector<float> want = dequantize(ref_kernels(), kt().type, w.data(), n);
  for (const KernelTable* t : available_kernel_tables()) {
    for (size_t off : {0, 1, 2, 3}) {
      SCOPED_TRACE(std::string(t->isa) + " " + kt().name + " offset " + std::to_string(off));
      OffsetBuffer buf(w.size(), off);
      std::memcpy(buf.data(), w.data(), w.size());
      std::vector<float> got(n + 1, 12345.0f);
      t->of(kt().type).dequantize_row(buf.data(), got.data(), n);
      EXPECT_EQ(got[n], 12345.0f) << "wrote past the row";
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(got[i], want[i]) << "element " << i;
    }
  }
}

// d. vec_dot computes the dot of the dequantized rows: ties the integer kernels to the format.
TEST_P(KQuantDot, MatchesDequantizedDot) {
  std::mt19937 rng(300 + static_cast<unsigned>(GetParam()));
  for (int64_t nb : {1, 4, 7}) {
    const DotCase c = make_dot_case(kt(), nb, rng);
    for (const KernelTable* t : available_kernel_tables()) {
      SCOPED_TRACE(std::string(t->isa) + " " + kt().name + " nb=" + std::to_string(nb));
      const float got = t->of(kt().type).vec_dot(nb * QK_K, c.w.data(), c.a.data());
      EXPECT_NEAR(got, c.exact, 1e-5 * c.scale);
    }
  }
}

// q8_K blocks with d = 1 and quants quant(i) (i: element of the row), bsums to match. Quants
// may be -128, which quantize_row_q8_K never makes: the kernels must still be exact.
std::vector<uint8_t> q8_K_blocks(int64_t n, int (*quant)(int64_t)) {
  std::vector<uint8_t> out(row_size(TensorType::Q8_K, n));
  for (int64_t b = 0; b < n / QK_K; ++b) {
    block_q8_K blk{};
    blk.d = 1.0f;
    for (int e = 0; e < QK_K; ++e) blk.qs[e] = static_cast<int8_t>(quant(b * QK_K + e));
    for (int g = 0; g < QK_K / 16; ++g) {
      int sum = 0;
      for (int e = 0; e < 16; ++e) sum += blk.qs[16 * g + e];
      blk.bsums[g] = static_cast<int16_t>(sum);
    }
    std::memcpy(out.data() + b * sizeof blk, &blk, sizeof blk);
  }
  return out;
}

// The largest magnitudes each format allows (all quant bits set or clear, extreme scales) against
// activations at the ends of the int8 range must not overflow any integer intermediate (in
// particular the 16-bit ones: pairs of products, and products of 4-sums with scales); vec_dot_x4
// must still equal vec_dot bit for bit.
TEST_P(KQuantDot, ExtremeValues) {
  const size_t ts = type_traits(kt().type).type_size;
  int (*const patterns[])(int64_t) = {
      [](int64_t i) { return i % 3 == 0 ? -127 : 127; },
      [](int64_t) { return 127; },
      [](int64_t) { return -128; },
      [](int64_t i) { return i % 2 ? 127 : -128; },
  };
  for (int64_t nb : {1, 3}) {
    const int64_t n = nb * QK_K;
    for (uint8_t fill : {0x00, 0xFF, 0x80, 0x7F, 0x55, 0xAA}) {
      std::vector<uint8_t> w(ts * nb, fill);
      for (int64_t i = 0; i < nb; ++i)
        for (size_t off : kt().f16_scale_offsets) {
          const uint16_t h = fp32_to_fp16(0.5f);
          std::memcpy(&w[i * ts + off], &h, sizeof h);
        }
      const std::vector<float> wf = dequantize(ref_kernels(), kt().type, w.data(), n);
      for (size_t p = 0; p < std::size(patterns); ++p) {
        const std::vector<uint8_t> a = q8_K_blocks(n, patterns[p]);
        const std::vector<float> af = dequantize(ref_kernels(), TensorType::Q8_K, a.data(), n);
        double exact = 0, scale = 0;
        for (int64_t i = 0; i < n; ++i) {
          exact += static_cast<double>(wf[i]) * af[i];
          scale += std::fabs(static_cast<double>(wf[i]) * af[i]);
        }
        const std::vector<uint8_t> other = q8_K_blocks(n, [](int64_t i) { return static_cast<int>(i % 256) - 128; });
        std::vector<uint8_t> a4;
        for (int r = 0; r < 4; ++r) a4.insert(a4.end(), (r == 1 ? other : a).begin(), (r == 1 ? other : a).end());
        for (const KernelTable* t : available_kernel_tables()) {
          SCOPED_TRACE(std::string(t->isa) + " " + kt().name + " blocks " + std::to_string(nb) + " fill " +
                       std::to_string(fill) + " activations " + std::to_string(p));
          const TypeKernels& tk = t->of(kt().type);
          const float got = tk.vec_dot(n, w.data(), a.data());
          EXPECT_NEAR(got, exact, 1e-5 * scale + 1e-6);
          if (tk.vec_dot_x4) {
            float out[4];
            tk.vec_dot_x4(n, w.data(), a4.data(), a.size(), out);
            for (int r = 0; r < 4; ++r) {
              const float want = tk.vec_dot(n, w.data(), a4.data() + r * a.size());
              EXPECT_EQ(std::memcmp(&out[r], &want, sizeof want), 0) << "row " << r << ": " << out[r] << " vs " << want;
            }
          }
        }
      }
    }
  }
}

// e. vec_dot_x4 (where a table has one) gives, for each of the four activation rows, exactly the
// bits vec_dot gives for that row alone: results must not depend on how tokens are batched.
// Rows are a_stride bytes apart (more than a row, not a multiple of anything), buffers unaligned.
TEST_P(KQuantDot, X4MatchesVecDotBitForBit) {
  std::mt19937 rng(400 + static_cast<unsigned>(GetParam()));
  int tested = 0;
  for (int64_t nb : {1, 2, 3, 5, 9}) {
    const int64_t n = nb * QK_K;
    const std::vector<uint8_t> w = random_blocks(kt(), nb, rng);
    const size_t row = row_size(TensorType::Q8_K, n);
    for (size_t extra : {size_t{0}, size_t{13}}) {
      const size_t a_stride = row + extra;
      std::vector<uint8_t> a(4 * a_stride, 0xCD);
      for (int k = 0; k < 4; ++k) {
        std::vector<float> x = random_floats(n, rng);
        if (k == 2)  // a row on a very different scale: its d must not leak into the others
          for (float& v : x) v *= 1e3f;
        const std::vector<uint8_t> q = quantize_q8_K(ref_kernels(), x);
        std::memcpy(a.data() + k * a_stride, q.data(), row);
      }
      for (const KernelTable* t : available_kernel_tables()) {
        const TypeKernels& tk = t->of(kt().type);
        if (!tk.vec_dot_x4) continue;
        for (size_t ow : {0, 1, 3}) {
          const size_t oa = (ow * 5 + 2) % 4;
          SCOPED_TRACE(std::string(t->isa) + " " + kt().name + " nb=" + std::to_string(nb) + " stride+" +
                       std::to_string(extra) + " offsets " + std::to_string(ow) + "," + std::to_string(oa));
          OffsetBuffer wb(w.size(), ow), ab(a.size(), oa);
          std::memcpy(wb.data(), w.data(), w.size());
          std::memcpy(ab.data(), a.data(), a.size());
          float out[4] = {-1.0f, -2.0f, -3.0f, -4.0f};
          tk.vec_dot_x4(n, wb.data(), ab.data(), a_stride, out);
          for (int k = 0; k < 4; ++k) {
            const float want = tk.vec_dot(n, wb.data(), ab.data() + k * a_stride);
            EXPECT_EQ(std::memcmp(&out[k], &want, sizeof want), 0)
                << "row " << k << ": x4 " << out[k] << " vs vec_dot " << want;
          }
          ++tested;
        }
      }
    }
  }
  if (tested == 0) GTEST_SKIP() << "no table has vec_dot_x4 for " << kt().name;
}

INSTANTIATE_TEST_SUITE_P(Types, KQuantDot, ::testing::Range<size_t>(0, 5),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(weight_types()[info.param].name);
                         });

}  // namespace
}  // namespace slm
