// Attention's f32 row kernels (dot_rows, axpy_rows) and slm::attend:
//  - the reference kernels agree with a double-precision computation; every other kernel table
//    this CPU can run matches the reference within float reassociation (dot_rows) or bit for bit
//    when the products are exact, as attention's binary16 operands make them (axpy_rows), on odd
//    lengths, tails and strides, writing nothing outside their outputs;
//  - dot_rows is bit-identical to the same table's f32 vec_dot, so that
//  - attend, with any thread count and any table, equals a plain per-(token, head) attention bit
//    for bit (the same arithmetic in the same order), for GQA, sliding windows, soft-capping,
//    more heads per kv group than one work item holds, and batches that start past position 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "arch/blocks/attend.h"
#include "base/fp16.h"
#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"

namespace slm {
namespace {

constexpr float kSentinel = -12345.0f;  // fills memory a kernel must not write

std::vector<float> random_floats(std::mt19937& rng, size_t n, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

// Rounds every value to the nearest binary16, as the kv cache and the probabilities are.
void round_to_f16(std::vector<float>& x) {
  for (float& v : x) v = fp16_to_fp32(fp32_to_fp16(v));
}

// ---- dot_rows --------------------------------------------------------------------------------

TEST(AttentionKernels, DotRowsMatchesReference) {
  std::mt19937 rng(7);
  for (const KernelTable* k : available_kernel_tables()) {
    for (int64_t n : {1, 3, 8, 15, 16, 64, 67, 80, 256}) {
      for (int64_t m : {1, 2, 3, 5, 8, 9, 16, 17}) {
        for (int64_t nq : {1, 2, 3, 4, 5, 9}) {
          SCOPED_TRACE(std::string(k->isa) + " n=" + std::to_string(n) + " m=" + std::to_string(m) +
                       " nq=" + std::to_string(nq));
          const int64_t xs = n + 3, qs = n + 1, os = m + 2;  // strides wider than the rows
          const std::vector<float> x = random_floats(rng, static_cast<size_t>(m * xs));
          const std::vector<float> q = random_floats(rng, static_cast<size_t>(nq * qs));
          std::vector<float> got(static_cast<size_t>(nq * os), kSentinel), want = got;
          k->dot_rows(n, m, x.data(), xs, nq, q.data(), qs, got.data(), os);
          ref_kernels().dot_rows(n, m, x.data(), xs, nq, q.data(), qs, want.data(), os);
          const VecDotFn dot = k->of(TensorType::F32).vec_dot;
          for (int64_t r = 0; r < nq; ++r) {
            for (int64_t j = 0; j < os; ++j) {
              const size_t o = static_cast<size_t>(r * os + j);
              if (j >= m) {
                EXPECT_EQ(got[o], kSentinel) << "wrote past the row at r=" << r << " j=" << j;
                continue;
              }
              double exact = 0.0, magnitude = 0.0;
              for (int64_t i = 0; i < n; ++i) {
                const double p = static_cast<double>(x[static_cast<size_t>(j * xs + i)]) * q[static_cast<size_t>(r * qs + i)];
                exact += p;
                magnitude += std::fabs(p);
              }
              const double tol = 1e-6 * magnitude + 1e-30;
              EXPECT_NEAR(want[o], exact, tol) << "reference at r=" << r << " j=" << j;
              EXPECT_NEAR(got[o], want[o], 2 * tol) << "r=" << r << " j=" << j;
              const float own = dot(n, x.data() + j * xs, q.data() + r * qs);
              EXPECT_EQ(fp32_to_bits(got[o]), fp32_to_bits(own)) << "not the table's vec_dot at r=" << r << " j=" << j;
            }
          }
        }
      }
    }
  }
}

// ---- axpy_rows -------------------------------------------------------------------------------

TEST(AttentionKernels, AxpyRowsMatchesReference) {
  std::mt19937 rng(11);
  for (const KernelTable* k : available_kernel_tables()) {
    for (bool binary16 : {true, false}) {
      for (int64_t n : {1, 7, 8, 9, 24, 63, 64, 65, 100, 256}) {
        for (int64_t m : {0, 1, 2, 5, 16, 17}) {
          SCOPED_TRACE(std::string(k->isa) + (binary16 ? " f16 values" : " any values") + " n=" + std::to_string(n) +
                       " m=" + std::to_string(m));
          const int64_t xs = n + 5;
          std::vector<float> x = random_floats(rng, static_cast<size_t>(std::max<int64_t>(m, 1) * xs));
          std::vector<float> p = random_floats(rng, static_cast<size_t>(std::max<int64_t>(m, 1)), 0.3f);
          if (binary16) {
            round_to_f16(x);
            round_to_f16(p);
          }
          std::vector<float> y0 = random_floats(rng, static_cast<size_t>(n + 4));
          for (size_t i = static_cast<size_t>(n); i < y0.size(); ++i) y0[i] = kSentinel;
          std::vector<float> got = y0, want = y0;
          k->axpy_rows(n, m, p.data(), x.data(), xs, got.data());
          ref_kernels().axpy_rows(n, m, p.data(), x.data(), xs, want.data());
          for (size_t i = 0; i < y0.size(); ++i) {
            if (i >= static_cast<size_t>(n)) {
              EXPECT_EQ(got[i], kSentinel) << "wrote past the row at " << i;
              continue;
            }
            double exact = y0[i], magnitude = std::fabs(y0[i]);
            for (int64_t j = 0; j < m; ++j) {
              const double t = static_cast<double>(p[static_cast<size_t>(j)]) * x[static_cast<size_t>(j * xs) + i];
              exact += t;
              magnitude += std::fabs(t);
            }
            const double tol = 1e-6 * magnitude + 1e-30;
            EXPECT_NEAR(want[i], exact, tol) << "reference at " << i;
            // Exact products: fused or not, each add rounds the same sum in the same order.
            if (binary16) EXPECT_EQ(fp32_to_bits(got[i]), fp32_to_bits(want[i])) << "at " << i;
            else EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
          }
        }
      }
    }
  }
}

// ---- attend ----------------------------------------------------------------------------------

struct Case {
  int64_t H, Hkv, D, Dv, T, pos0, window;
  float softcap, kq_scale;
};

std::string describe(const Case& c) {
  return "H=" + std::to_string(c.H) + " Hkv=" + std::to_string(c.Hkv) + " D=" + std::to_string(c.D) +
         " Dv=" + std::to_string(c.Dv) + " T=" + std::to_string(c.T) + " pos0=" + std::to_string(c.pos0) +
         " window=" + std::to_string(c.window) + " softcap=" + std::to_string(c.softcap) +
         " kq_scale=" + std::to_string(c.kq_scale);
}

// Attention one (token, head) at a time: the binary16-rounded query's dot with each visible key
// (the table's f32 vec_dot of the two rows widened from binary16), cap, scale, softmax, binary16
// probabilities, then values added one key at a time.
std::vector<float> plain_attention(const Case& c, const KernelTable& kt, const std::vector<float>& q,
                                   const std::vector<uint16_t>& kc, const std::vector<uint16_t>& vc) {
  const int64_t G = c.H / c.Hkv;
  std::vector<float> out(static_cast<size_t>(c.T * c.H * c.Dv));
  std::vector<uint16_t> q16(static_cast<size_t>(c.D));
  std::vector<float> qf(static_cast<size_t>(c.D)), kf(static_cast<size_t>(c.D));
  for (int64_t t = 0; t < c.T; ++t) {
    const int64_t pos = c.pos0 + t;
    const int64_t j0 = c.window > 0 ? std::max<int64_t>(0, pos - c.window + 1) : 0, n = pos - j0 + 1;
    for (int64_t h = 0; h < c.H; ++h) {
      const int64_t g = h / G;
      kt.of(TensorType::F16).quantize_row(q.data() + (t * c.H + h) * c.D, q16.data(), c.D);
      for (int64_t i = 0; i < c.D; ++i) qf[static_cast<size_t>(i)] = fp16_to_fp32(q16[static_cast<size_t>(i)]);
      std::vector<float> s(static_cast<size_t>(n));
      for (int64_t j = 0; j < n; ++j) {
        const uint16_t* k = kc.data() + ((j0 + j) * c.Hkv + g) * c.D;
        for (int64_t i = 0; i < c.D; ++i) kf[static_cast<size_t>(i)] = fp16_to_fp32(k[i]);
        s[static_cast<size_t>(j)] = kt.of(TensorType::F32).vec_dot(c.D, kf.data(), qf.data());
      }
      if (c.softcap > 0.0f)
        for (float& v : s) v = c.softcap * std::tanh(v * (1.0f / c.softcap));
      if (c.kq_scale != 1.0f) ops::scale(s.data(), n, c.kq_scale);
      ops::softmax(s.data(), n);
      float* o = out.data() + (t * c.H + h) * c.Dv;
      for (int64_t j = 0; j < n; ++j) {
        const float p = fp16_to_fp32(fp32_to_fp16(s[static_cast<size_t>(j)]));
        const uint16_t* v = vc.data() + ((j0 + j) * c.Hkv + g) * c.Dv;
        for (int64_t d = 0; d < c.Dv; ++d) {
          const float prod = p * fp16_to_fp32(v[d]);
          o[d] += prod;
        }
      }
    }
  }
  return out;
}

TEST(Attend, MatchesPlainAttention) {
  const Case cases[] = {
      {4, 1, 256, 256, 9, 0, 0, 0.0f, 1.0f},      // gemma3-like: one kv group of 4 heads
      {4, 1, 256, 256, 1, 37, 0, 0.0f, 1.0f},     // its generation step
      {9, 3, 64, 64, 23, 5, 0, 0.0f, 0.125f},     // SmolLM2-like GQA, blocks of 5 tokens
      {9, 3, 64, 64, 1, 50, 0, 0.0f, 0.125f},
      {8, 2, 40, 24, 19, 3, 6, 0.0f, 0.2f},       // sliding window, D and Dv with tails
      {8, 2, 40, 24, 2, 30, 6, 0.0f, 0.2f},
      {4, 2, 16, 16, 17, 0, 0, 5.0f, 0.25f},      // soft-capped scores (gemma2)
      {3, 3, 12, 20, 6, 2, 4, 5.0f, 0.3f},        // one head per group, window and cap
      {20, 1, 8, 8, 5, 4, 0, 0.0f, 0.4f},         // more heads per group than one item holds
      {20, 1, 8, 8, 1, 9, 3, 0.0f, 0.4f},
  };
  std::mt19937 rng(3);
  for (const Case& c : cases) {
    const int64_t N = c.pos0 + c.T + 3;  // cache rows beyond the batch stay unread
    std::vector<float> q = random_floats(rng, static_cast<size_t>(c.T * c.H * c.D), 0.6f);
    std::vector<uint16_t> kc(static_cast<size_t>(N * c.Hkv * c.D)), vc(static_cast<size_t>(N * c.Hkv * c.Dv));
    for (uint16_t& v : kc) v = fp32_to_fp16(std::normal_distribution<float>(0.0f, 1.0f)(rng));
    for (uint16_t& v : vc) v = fp32_to_fp16(std::normal_distribution<float>(0.0f, 1.0f)(rng));
    for (const KernelTable* k : available_kernel_tables()) {
      const std::vector<float> want = plain_attention(c, *k, q, kc, vc);
      for (int threads : {1, 2, 3}) {
        SCOPED_TRACE(std::string(k->isa) + " threads=" + std::to_string(threads) + " " + describe(c));
        ThreadPool pool(threads);
        AttendScratch scratch;
        scratch.allocate(N, c.D, c.Dv, threads);
        std::vector<float> got(want.size(), kSentinel);
        AttendArgs a;
        a.T = c.T;
        a.pos0 = c.pos0;
        a.H = c.H;
        a.Hkv = c.Hkv;
        a.D = c.D;
        a.Dv = c.Dv;
        a.window = c.window;
        a.softcap = c.softcap;
        a.kq_scale = c.kq_scale;
        a.q = q.data();
        a.k = kc.data();
        a.v = vc.data();
        a.out = got.data();
        a.kernels = k;
        attend(a, scratch, pool);
        int reported = 0;
        for (size_t i = 0; i < want.size(); ++i) {
          if (fp32_to_bits(got[i]) != fp32_to_bits(want[i]) && reported++ < 5)
            ADD_FAILURE() << "token " << i / static_cast<size_t>(c.H * c.Dv) << " head "
                          << i / static_cast<size_t>(c.Dv) % static_cast<size_t>(c.H) << " element "
                          << i % static_cast<size_t>(c.Dv) << ": " << got[i] << ", want " << want[i];
        }
      }
    }
  }
}

}  // namespace
}  // namespace slm
