// The float ops of the kernel table (KernelTable::ops, contracts in kernels/ops.h): every table
// this CPU can run (available_kernel_tables()) against the scalar reference (ref_kernels()),
// on every length 1..67 and wider rows, at float offsets that misalign the rows:
//  - geglu, scale, add: bit-identical, including geglu at every binary16 rounding boundary
//    (each binary16 value, each halfway point between neighbours and one float either side),
//    at the +-10 clamps, on inf and large values; nan gives nan;
//  - swiglu: within 4 FLT_EPSILON relative (a polynomial exp) from 1e-6 to 1e30 in magnitude,
//    inf and nan where the reference has them;
//  - rms_norm, layer_norm: within 2 ulp (their double sums are reassociated), or within 1e-6 of
//    the row's largest output where layer_norm's centring cancels;
//  - swiglu: the same bits in every SIMD table;
//  - F16C's binary16 rounding equals fp32_to_fp16 (the index geglu's SIMD kernels use).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "base/cpu_features.h"
#include "base/fp16.h"
#include "kernels/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace slm {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

// Row lengths: every tail 1..67, and model widths with odd tails.
std::vector<int64_t> lengths() {
  std::vector<int64_t> n;
  for (int64_t i = 1; i <= 67; ++i) n.push_back(i);
  for (int64_t i : {576, 640, 1023, 2048 + 5}) n.push_back(i);
  return n;
}

// n floats starting `offset` floats past a 64-byte boundary (offset 0..15), so that SIMD loads
// see every misalignment. The floats around the row hold a sentinel: a kernel that reads past
// the row gets it into its result, one that writes past the row overwrites it.
constexpr float kSentinel = 1234.5f;
class Row {
 public:
  Row(int64_t n, int offset) : storage_(static_cast<size_t>(n) + 64, kSentinel), n_(n) {
    const auto base = reinterpret_cast<uintptr_t>(storage_.data());
    pad_ = 16 + ((64 - base % 64) % 64) / sizeof(float) + static_cast<size_t>(offset);
  }
  float* data() { return storage_.data() + pad_; }
  float& operator[](int64_t i) { return data()[i]; }
  // Whether the 8 floats either side of the row still hold the sentinel.
  bool margins_intact() const {
    for (size_t i = 1; i <= 8; ++i)
      if (storage_[pad_ - i] != kSentinel || storage_[pad_ + static_cast<size_t>(n_) + i - 1] != kSentinel) return false;
    return true;
  }

 private:
  std::vector<float> storage_;
  int64_t n_ = 0;
  size_t pad_ = 0;
};

Row row_of(const std::vector<float>& v, int offset) {
  Row r(static_cast<int64_t>(v.size()), offset);
  std::memcpy(r.data(), v.data(), v.size() * sizeof(float));
  return r;
}

// Normal values whose scale changes every 16 elements (10^-2 .. 10^1), like activations.
std::vector<float> random_floats(std::mt19937& rng, int64_t n) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> exponent(-2.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  float s = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 16 == 0) s = std::pow(10.0f, exponent(rng));
    x[static_cast<size_t>(i)] = normal(rng) * s;
  }
  return x;
}

uint32_t bits(float f) { return fp32_to_bits(f); }

// Distance in units in the last place: the number of floats between a and b (+0 == -0).
int64_t ulp_distance(float a, float b) {
  auto ordered = [](float f) {
    const uint32_t u = bits(f);
    return (u & 0x80000000u) ? -static_cast<int64_t>(u & 0x7fffffffu) : static_cast<int64_t>(u);
  };
  const int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

// The tables other than the reference (empty on a CPU without SIMD tables: nothing to compare).
std::vector<const KernelTable*> simd_tables() {
  std::vector<const KernelTable*> t;
  for (const KernelTable* k : available_kernel_tables())
    if (k != &ref_kernels()) t.push_back(k);
  return t;
}

// Runs an in-place gated activation of `k` and of the reference on (gate, up) and returns both.
struct Pair {
  std::vector<float> ref, got;
};
Pair run_gated(void (*OpKernels::*op)(float*, const float*, int64_t), const KernelTable& k, const std::vector<float>& g,
               const std::vector<float>& up, int offset) {
  const int64_t n = static_cast<int64_t>(g.size());
  Row rg = row_of(g, offset), ru = row_of(up, (offset + 5) % 16);
  Row kg = row_of(g, offset), ku = row_of(up, (offset + 5) % 16);
  (ref_kernels().ops.*op)(rg.data(), ru.data(), n);
  (k.ops.*op)(kg.data(), ku.data(), n);
  EXPECT_TRUE(kg.margins_intact()) << k.isa << ": wrote outside the row, n=" << n;
  Pair p;
  p.ref.assign(rg.data(), rg.data() + n);
  p.got.assign(kg.data(), kg.data() + n);
  return p;
}

void expect_bit_identical(const Pair& p, const std::string& what) {
  for (size_t i = 0; i < p.ref.size(); ++i) {
    if (std::isnan(p.ref[i])) {
      ASSERT_TRUE(std::isnan(p.got[i])) << what << " i=" << i;
      continue;
    }
    ASSERT_EQ(bits(p.got[i]), bits(p.ref[i])) << what << " i=" << i << " got " << p.got[i] << " want " << p.ref[i];
  }
}

TEST(OpKernels, EveryTableSetsEveryOp) {
  for (const KernelTable* k : available_kernel_tables()) {
    SCOPED_TRACE(k->isa);
    EXPECT_NE(k->ops.rms_norm, nullptr);
    EXPECT_NE(k->ops.layer_norm, nullptr);
    EXPECT_NE(k->ops.scale, nullptr);
    EXPECT_NE(k->ops.add, nullptr);
    EXPECT_NE(k->ops.swiglu, nullptr);
    EXPECT_NE(k->ops.geglu, nullptr);
  }
}

// ---- geglu ---------------------------------------------------------------------------------------

TEST(OpKernels, GegluMatchesReferenceBitForBitOnRandomRows) {
  std::mt19937 rng(11);
  for (const KernelTable* k : simd_tables()) {
    for (int64_t n : lengths()) {
      for (int offset : {0, 1, 3, 7}) {
        std::vector<float> g = random_floats(rng, n), up = random_floats(rng, n);
        for (auto& v : g) v *= 3.0f;  // reach the +-10 clamps now and then
        expect_bit_identical(run_gated(&OpKernels::geglu, *k, g, up, offset),
                             std::string(k->isa) + " n=" + std::to_string(n) + " offset=" + std::to_string(offset));
      }
    }
  }
}

// Every float where the binary16 rounding changes or ties: each binary16 value, the midpoint to
// its successor (a float: 11 significant bits plus one) and the float on either side of it.
std::vector<float> binary16_boundaries() {
  std::vector<float> v;
  for (uint32_t h = 0; h < 0x7c00; ++h) {  // finite non-negative binary16 values
    const float a = fp16_to_fp32(static_cast<uint16_t>(h));
    const float b = h + 1 < 0x7c00 ? fp16_to_fp32(static_cast<uint16_t>(h + 1)) : 65520.0f;
    const float mid = a + (b - a) * 0.5f;  // exact
    for (float x : {a, std::nextafter(mid, 0.0f), mid, std::nextafter(mid, kInf)}) {
      v.push_back(x);
      v.push_back(-x);
    }
  }
  return v;
}

TEST(OpKernels, GegluMatchesReferenceAtEveryBinary16RoundingBoundary) {
  std::vector<float> g = binary16_boundaries();
  for (float x : {-10.0f, 10.0f, std::nextafter(-10.0f, 0.0f), std::nextafter(10.0f, 0.0f), std::nextafter(10.0f, kInf),
                  std::nextafter(-10.0f, -kInf), 65504.0f, 65520.0f, 1e30f, -1e30f, kInf, -kInf,
                  std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min()})
    g.push_back(x);
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> ones(g.size(), 1.0f), up(g.size());
  for (auto& x : up) x = u(rng);
  for (const KernelTable* k : simd_tables()) {
    expect_bit_identical(run_gated(&OpKernels::geglu, *k, g, ones, 1), std::string(k->isa) + " up=1");
    expect_bit_identical(run_gated(&OpKernels::geglu, *k, g, up, 2), std::string(k->isa) + " random up");
  }
}

TEST(OpKernels, GegluGivesNanForNan) {
  std::vector<float> g = {kNan, -kNan, 1.0f, kNan, 0.5f, -3.0f, kNan, 2.0f, kNan}, up(g.size(), 1.5f);
  for (const KernelTable* k : available_kernel_tables()) {
    const Pair p = run_gated(&OpKernels::geglu, *k, g, up, 0);
    for (size_t i = 0; i < g.size(); ++i) EXPECT_EQ(std::isnan(p.got[i]), std::isnan(g[i])) << k->isa << " i=" << i;
  }
}

#if defined(__x86_64__)
// 8 floats to binary16 with F16C, round to nearest even (what the SIMD geglu kernels do).
__attribute__((target("avx,f16c"))) void f16c_convert(const float* x, uint16_t* h) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h),
                   _mm256_cvtps_ph(_mm256_loadu_ps(x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// Compares F16C with fp32_to_fp16 on floats; nan is excluded (F16C keeps the payload).
void expect_f16c_matches(const std::vector<float>& x) {
  for (size_t i = 0; i + 8 <= x.size(); i += 8) {
    uint16_t h[8];
    f16c_convert(&x[i], h);
    for (size_t j = 0; j < 8; ++j)
      ASSERT_EQ(h[j], fp32_to_fp16(x[i + j])) << "x=" << x[i + j] << " bits=0x" << std::hex << bits(x[i + j]);
  }
}

TEST(OpKernels, F16cRoundsLikeFp32ToFp16) {
  if (!cpu_features().f16c) GTEST_SKIP() << "no F16C on this CPU";
  std::vector<float> x = binary16_boundaries();
  // And a sweep through every finite float bit pattern with a prime stride (both signs).
  for (uint64_t u = 0; u < 0x7f800000u; u += 997) {
    x.push_back(fp32_from_bits(static_cast<uint32_t>(u)));
    x.push_back(fp32_from_bits(static_cast<uint32_t>(u) | 0x80000000u));
  }
  x.resize(x.size() / 8 * 8);
  expect_f16c_matches(x);
}

// Every one of the 2^32 - 2^24 non-nan floats (a minute or so; run with
// --gtest_also_run_disabled_tests --gtest_filter='*AllFloats*').
TEST(OpKernels, DISABLED_F16cRoundsLikeFp32ToFp16OnAllFloats) {
  if (!cpu_features().f16c) GTEST_SKIP() << "no F16C on this CPU";
  std::vector<float> x(1 << 20);
  for (uint64_t start = 0; start < (uint64_t{1} << 32); start += x.size()) {
    size_t m = 0;
    for (uint64_t u = start; u < start + x.size(); ++u)
      if ((u & 0x7fffffffu) <= 0x7f800000u) x[m++] = fp32_from_bits(static_cast<uint32_t>(u));
    std::vector<float> chunk(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(m / 8 * 8));
    expect_f16c_matches(chunk);
    if (HasFatalFailure()) return;
  }
}
#endif

// ---- swiglu --------------------------------------------------------------------------------------

// |got - want| <= 4 FLT_EPSILON |want| (4 ulp relative: between 2 and 4 ulp of want), plus one
// denorm_min for results that round in the subnormal range; nan and inf exactly where want has them.
// (The AVX2 swiglu measured 2.2 FLT_EPSILON at worst over 2.8M values from 1e-6 to 1e2.)
void expect_within_4_eps(const Pair& p, const std::string& what) {
  constexpr float kEps = std::numeric_limits<float>::epsilon();
  for (size_t i = 0; i < p.ref.size(); ++i) {
    const float want = p.ref[i], got = p.got[i];
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << what << " i=" << i << " got " << got;
      continue;
    }
    if (std::isinf(want)) {
      ASSERT_EQ(got, want) << what << " i=" << i;
      continue;
    }
    ASSERT_LE(std::fabs(got - want), 4 * kEps * std::fabs(want) + std::numeric_limits<float>::denorm_min())
        << what << " i=" << i << " got " << got << " want " << want;
  }
}

TEST(OpKernels, SwigluWithinFourEpsOfReference) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> log_mag(-6.0f, 30.0f);
  std::bernoulli_distribution neg(0.5);
  for (const KernelTable* k : simd_tables()) {
    for (int64_t n : lengths()) {
      for (int offset : {0, 5}) {
        std::vector<float> g = random_floats(rng, n), up = random_floats(rng, n);
        // Every fourth value from 1e-6 to 1e30 in magnitude: exp(-g) from 1 to overflow / zero.
        for (size_t i = 0; i < g.size(); i += 4) g[i] = (neg(rng) ? -1.0f : 1.0f) * std::pow(10.0f, log_mag(rng));
        expect_within_4_eps(run_gated(&OpKernels::swiglu, *k, g, up, offset),
                            std::string(k->isa) + " n=" + std::to_string(n));
      }
    }
  }
}

TEST(OpKernels, SwigluWithinFourEpsAcrossTheExpRange) {
  // Dense sweep of g over [-100, 100], where exp(-g) goes from overflow to below 2^-24, and the
  // edges: zeros, exp's overflow threshold (88.72) and subnormal range, infinities, nan.
  std::vector<float> g;
  for (float x = -100.0f; x <= 100.0f; x += 0.001953125f) g.push_back(x);
  for (float x : {0.0f, -0.0f, 88.72f, -88.72f, 88.7228f, -88.7228f, 87.5f, -87.5f, 89.0f, -89.0f, 103.0f, -103.0f,
                  1e-30f, -1e-30f, 1e30f, -1e30f, kInf, -kInf, kNan, std::numeric_limits<float>::denorm_min()})
    g.push_back(x);
  std::mt19937 rng(22);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::vector<float> up(g.size());
  for (auto& x : up) x = u(rng);
  for (const KernelTable* k : simd_tables()) expect_within_4_eps(run_gated(&OpKernels::swiglu, *k, g, up, 3), k->isa);
}

// The AVX2 and AVX-512 swiglu round every step the same way: results do not depend on the table.
TEST(OpKernels, SwigluIsTheSameInEverySimdTable) {
  const std::vector<const KernelTable*> tables = simd_tables();
  if (tables.size() < 2) GTEST_SKIP() << "fewer than two SIMD tables on this CPU";
  std::vector<float> g;
  for (float x = -100.0f; x <= 100.0f; x += 0.0078125f) g.push_back(x);
  for (float x : {88.72f, -88.72f, 88.7228f, -88.7228f, 89.0f, -89.0f, 1e30f, -1e30f, kInf, -kInf}) g.push_back(x);
  const std::vector<float> up(g.size(), 0.75f);
  const Pair first = run_gated(&OpKernels::swiglu, *tables[0], g, up, 1);
  for (size_t t = 1; t < tables.size(); ++t) {
    Pair p = run_gated(&OpKernels::swiglu, *tables[t], g, up, 1);
    p.ref = first.got;
    expect_bit_identical(p, std::string(tables[t]->isa) + " vs " + tables[0]->isa);
  }
}

// ---- norms ---------------------------------------------------------------------------------------

// Within max_ulp, or within 1e-6 of the largest |output| (cancellation in layer_norm's centring).
void expect_close_rows(const float* want, const float* got, int64_t n, const std::string& what) {
  float scale = 0.0f;
  for (int64_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(want[i]));
  for (int64_t i = 0; i < n; ++i) {
    if (ulp_distance(got[i], want[i]) <= 2) continue;
    ASSERT_LE(std::fabs(got[i] - want[i]), 1e-6f * scale) << what << " i=" << i << " got " << got[i] << " want "
                                                           << want[i];
  }
}

TEST(OpKernels, RmsNormMatchesReference) {
  std::mt19937 rng(31);
  for (const KernelTable* k : simd_tables()) {
    for (int64_t n : lengths()) {
      for (int offset : {0, 1, 6}) {
        const std::vector<float> x = random_floats(rng, n), w = random_floats(rng, n);
        for (bool weighted : {true, false}) {
          const std::string what = std::string(k->isa) + " n=" + std::to_string(n) + (weighted ? " w" : "");
          Row rx = row_of(x, offset), rw = row_of(w, (offset + 3) % 16), ry(n, (offset + 9) % 16), ky(n, offset);
          ref_kernels().ops.rms_norm(rx.data(), weighted ? rw.data() : nullptr, ry.data(), n, 1e-6f);
          k->ops.rms_norm(rx.data(), weighted ? rw.data() : nullptr, ky.data(), n, 1e-6f);
          expect_close_rows(ry.data(), ky.data(), n, what);
          ASSERT_TRUE(ky.margins_intact()) << what << ": wrote outside the row";
          // In place (x == y) gives the same result.
          Row kx = row_of(x, offset);
          k->ops.rms_norm(kx.data(), weighted ? rw.data() : nullptr, kx.data(), n, 1e-6f);
          for (int64_t i = 0; i < n; ++i) ASSERT_EQ(bits(kx[i]), bits(ky[i])) << what << " in place i=" << i;
        }
      }
    }
  }
}

TEST(OpKernels, LayerNormMatchesReference) {
  std::mt19937 rng(32);
  for (const KernelTable* k : simd_tables()) {
    for (int64_t n : lengths()) {
      for (int offset : {0, 2, 7}) {
        std::vector<float> x = random_floats(rng, n);
        for (auto& v : x) v += 0.5f;  // a mean away from zero
        const std::vector<float> w = random_floats(rng, n), b = random_floats(rng, n);
        for (int mode = 0; mode < 3; ++mode) {  // weight and bias, weight only, neither
          const float* pw = mode < 2 ? w.data() : nullptr;
          const float* pb = mode == 0 ? b.data() : nullptr;
          const std::string what = std::string(k->isa) + " n=" + std::to_string(n) + " mode=" + std::to_string(mode);
          Row rx = row_of(x, offset), ry(n, (offset + 9) % 16), ky(n, offset);
          ref_kernels().ops.layer_norm(rx.data(), pw, pb, ry.data(), n, 1e-5f);
          k->ops.layer_norm(rx.data(), pw, pb, ky.data(), n, 1e-5f);
          expect_close_rows(ry.data(), ky.data(), n, what);
          ASSERT_TRUE(ky.margins_intact()) << what << ": wrote outside the row";
          Row kx = row_of(x, offset);
          k->ops.layer_norm(kx.data(), pw, pb, kx.data(), n, 1e-5f);
          for (int64_t i = 0; i < n; ++i) ASSERT_EQ(bits(kx[i]), bits(ky[i])) << what << " in place i=" << i;
        }
      }
    }
  }
}

// Rows where summing in float instead of double moves the mean by many ulp: one large value and
// many small ones (the small ones vanish next to the large one in a float sum). Every table,
// the reference included, against the spec written out here.
TEST(OpKernels, NormsSumInDouble) {
  const int64_t n = 2048 + 3;
  // rms_norm: squares 1e6 and 0.01 (below half an ulp of 1e6: lost one by one in a float sum,
  // 20.5 in all); the mean of the squares from a double sum, rounded to float; y = x * s.
  std::vector<float> xr(static_cast<size_t>(n), 0.1f);
  xr[0] = 1e3f;
  double sq = 0.0;
  for (float v : xr) sq += static_cast<double>(v * v);
  const float s_rms = 1.0f / std::sqrt(static_cast<float>(sq / static_cast<double>(n)) + 1e-6f);
  // layer_norm: 3e7 and ones (a float sum drops the ones); mean = float(double sum) / n;
  // y = (x - mean) * s with s from the double sum of the squared float differences.
  std::vector<float> xl(static_cast<size_t>(n), 1.0f);
  xl[0] = 3e7f;
  double sum = 0.0;
  for (float v : xl) sum += v;
  const float mean = static_cast<float>(sum) / static_cast<float>(n);
  double var = 0.0;
  for (float v : xl) var += static_cast<double>((v - mean) * (v - mean));
  const float s_ln = 1.0f / std::sqrt(static_cast<float>(var / static_cast<double>(n)) + 1e-5f);
  for (const KernelTable* k : available_kernel_tables()) {
    std::vector<float> y(static_cast<size_t>(n));
    k->ops.rms_norm(xr.data(), nullptr, y.data(), n, 1e-6f);
    for (int64_t i = 0; i < n; ++i) ASSERT_LE(ulp_distance(y[i], xr[i] * s_rms), 2) << k->isa << " rms_norm i=" << i;
    k->ops.layer_norm(xl.data(), nullptr, nullptr, y.data(), n, 1e-5f);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_LE(ulp_distance(y[i], (xl[i] - mean) * s_ln), 2) << k->isa << " layer_norm i=" << i;
  }
}

// ---- scale, add ----------------------------------------------------------------------------------

TEST(OpKernels, ScaleAndAddMatchReferenceBitForBit) {
  std::mt19937 rng(41);
  for (const KernelTable* k : simd_tables()) {
    for (int64_t n : lengths()) {
      const std::vector<float> x = random_floats(rng, n), y = random_floats(rng, n);
      const std::string what = std::string(k->isa) + " n=" + std::to_string(n);
      Row rs = row_of(x, 1), ks = row_of(x, 1);
      ref_kernels().ops.scale(rs.data(), n, 0.125f + 0.3f);
      k->ops.scale(ks.data(), n, 0.125f + 0.3f);
      Row ra = row_of(y, 3), ka = row_of(y, 3), xa = row_of(x, 6);
      ref_kernels().ops.add(ra.data(), xa.data(), n);
      k->ops.add(ka.data(), xa.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(bits(ks[i]), bits(rs[i])) << what << " scale i=" << i;
        ASSERT_EQ(bits(ka[i]), bits(ra[i])) << what << " add i=" << i;
      }
      ASSERT_TRUE(ks.margins_intact() && ka.margins_intact()) << what << ": wrote outside the row";
    }
  }
}

}  // namespace
}  // namespace slm
