// Thread pool, stop-string filter and the float ops of the forward pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cmath>
#include <numeric>
#include <vector>

#include "base/fp16.h"
#include "base/thread_pool.h"
#include "kernels/ops.h"
#include "runtime/stop_strings.h"

namespace slm {
namespace {

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 64, 1000}) {
      for (int64_t grain : {1, 3, 8, 2000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for(n, grain, [&](int64_t b, int64_t e, int ti) {
          ASSERT_GE(ti, 0);
          ASSERT_LT(ti, threads);
          if (e < n) {
            EXPECT_EQ((e - b) % grain, 0) << "interior ranges are multiples of the grain";
          }
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST(ThreadPool, BalancedParallelForCoversEveryIndexOnceInWholeChunks) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 64, 1000}) {
      for (int64_t grain : {1, 3, 8, 2000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for_balanced(n, grain, [&](int64_t b, int64_t e, int ti) {
          ASSERT_GE(ti, 0);
          ASSERT_LT(ti, threads);
          ASSERT_EQ(b % grain, 0) << "chunks start on the grain";
          ASSERT_EQ(e, std::min(b + grain, n)) << "one chunk per call";
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST(ThreadPool, BalancedParallelForLetsTheOthersTakeASlowThreadsChunks) {
  // Thread 0 stalls on its first chunk (until thread 1 has done 39, or 10 s); thread 1 finishes
  // its own range and then takes what is left of thread 0's, so thread 0 runs only that one.
  ThreadPool pool(2);
  std::vector<std::atomic<int>> by_thread(2);
  pool.parallel_for_balanced(40, 1, [&](int64_t, int64_t, int ti) {
    if (ti == 0 && by_thread[0].load() == 0) {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (by_thread[1].load() < 39 && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    by_thread[static_cast<size_t>(ti)]++;
  });
  EXPECT_EQ(by_thread[0].load(), 1);
  EXPECT_EQ(by_thread[1].load(), 39);
}

TEST(ThreadPool, ManyShortJobsAllRunOnEveryThread) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  for (int job = 0; job < 20000; ++job) pool.run([&](int ti) { total += ti + 1; });
  EXPECT_EQ(total.load(), 20000 * (1 + 2 + 3));
}

TEST(StopStrings, CutsAtTheFirstStopAndHoldsBackPrefixes) {
  StopStringFilter f({"</s>", "\n\n"});
  auto a = f.push("Hello <");
  EXPECT_EQ(a.text, "Hello ");
  EXPECT_FALSE(a.matched);
  auto b = f.push("/");
  EXPECT_EQ(b.text, "");
  auto c = f.push("x> and\n");
  EXPECT_EQ(c.text, "</x> and");
  auto d = f.push("\nrest");
  EXPECT_TRUE(d.matched);
  EXPECT_EQ(d.text, "");
}

TEST(StopStrings, ReleasesHeldTextAtFinishAndPassesThroughWithoutStops) {
  StopStringFilter f({"STOP"});
  EXPECT_EQ(f.push("abc ST").text, "abc ");
  EXPECT_EQ(f.finish(), "ST");
  StopStringFilter none({});
  EXPECT_EQ(none.push("anything").text, "anything");
}

TEST(StopStrings, EarliestOfSeveralMatchesWins) {
  StopStringFilter f({"world", "lo w"});
  auto s = f.push("hello world");
  EXPECT_TRUE(s.matched);
  EXPECT_EQ(s.text, "hel");
}

TEST(Ops, RmsNormMatchesDefinition) {
  std::vector<float> x = {1.0f, -2.0f, 3.0f, 0.5f, -0.25f}, w = {1.0f, 2.0f, 0.5f, 1.0f, -1.0f}, y(5);
  ops::rms_norm(x.data(), w.data(), y.data(), 5, 1e-5f);
  double ms = 0;
  for (float v : x) ms += v * v;
  ms /= 5;
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i], x[i] / std::sqrt(ms + 1e-5) * w[i], 1e-6);
}

TEST(Ops, LayerNormMatchesDefinition) {
  std::vector<float> x = {1.0f, -2.0f, 3.0f, 0.5f, -0.25f}, w = {1.0f, 2.0f, 0.5f, 1.0f, -1.0f};
  std::vector<float> b = {0.1f, 0.0f, -0.3f, 2.0f, 0.5f}, y(5);
  ops::layer_norm(x.data(), w.data(), b.data(), y.data(), 5, 1e-5f);
  double mean = 0, var = 0;
  for (float v : x) mean += v;
  mean /= 5;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= 5;
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i], (x[i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i], 1e-6) << i;
  // Without weight and bias: zero mean, unit variance (less eps).
  ops::layer_norm(x.data(), nullptr, nullptr, y.data(), 5, 0.0f);
  EXPECT_NEAR(std::accumulate(y.begin(), y.end(), 0.0), 0.0, 1e-6);
  EXPECT_NEAR(std::inner_product(y.begin(), y.end(), y.begin(), 0.0) / 5, 1.0, 1e-6);
  // In place gives the same values bit for bit.
  std::vector<float> z = x;
  ops::layer_norm(x.data(), w.data(), b.data(), y.data(), 5, 1e-5f);
  ops::layer_norm(z.data(), w.data(), b.data(), z.data(), 5, 1e-5f);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(z[i], y[i]) << i;
}

TEST(Ops, LayerNormRoundsLikeGgml) {
  // ggml_norm rounds the mean to float before centring: on values far from zero the centred
  // values (and so the output) follow that float mean, not the exact one.
  std::vector<float> x(7), y(7);
  for (int i = 0; i < 7; ++i) x[i] = 1000.0f + 0.001f * static_cast<float>(i * i);
  ops::layer_norm(x.data(), nullptr, nullptr, y.data(), 7, 1e-5f);
  double sum = 0;
  for (float v : x) sum += v;
  const float mean = static_cast<float>(sum) / 7.0f;
  double var = 0;
  for (float v : x) var += static_cast<double>((v - mean) * (v - mean));
  const float s = 1.0f / std::sqrt(static_cast<float>(var / 7) + 1e-5f);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(y[i], (x[i] - mean) * s) << i;
}

TEST(Ops, SoftmaxSumsToOneAndKeepsOrder) {
  std::vector<float> x = {1.0f, 3.0f, -2.0f, 3.0f, 0.0f};
  ops::softmax(x.data(), 5);
  EXPECT_NEAR(std::accumulate(x.begin(), x.end(), 0.0), 1.0, 1e-6);
  EXPECT_NEAR(x[1], std::exp(3.0) / (std::exp(1.0) + 2 * std::exp(3.0) + std::exp(-2.0) + 1.0), 1e-6);
  EXPECT_FLOAT_EQ(x[1], x[3]);
}

TEST(Ops, RopeRotatesPairsByPositionTimesFrequency) {
  const int n_rot = 8;
  std::vector<float> cs(n_rot);
  ops::rope_cache(cs.data(), 3, n_rot, 10000.0f, 1.0f, nullptr);
  for (int i = 0; i < n_rot / 2; ++i) {
    const double theta = 3.0 * std::pow(10000.0, -2.0 * i / n_rot);
    EXPECT_NEAR(cs[2 * i], std::cos(theta), 1e-5);
    EXPECT_NEAR(cs[2 * i + 1], std::sin(theta), 1e-5);
  }
  // Normal style rotates (x0, x1); neox style rotates (x0, x4).
  std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8}, b = a;
  ops::rope(a.data(), cs.data(), n_rot, false);
  ops::rope(b.data(), cs.data(), n_rot, true);
  EXPECT_NEAR(a[0], 1 * cs[0] - 2 * cs[1], 1e-6);
  EXPECT_NEAR(a[1], 1 * cs[1] + 2 * cs[0], 1e-6);
  EXPECT_NEAR(b[0], 1 * cs[0] - 5 * cs[1], 1e-6);
  EXPECT_NEAR(b[4], 1 * cs[1] + 5 * cs[0], 1e-6);
  // Rotation keeps the norm of each pair.
  EXPECT_NEAR(a[2] * a[2] + a[3] * a[3], 3 * 3 + 4 * 4, 1e-4);
}

TEST(Ops, GegluUsesBinary16GeluLikeLlamaCpp) {
  std::vector<float> g = {-11.0f, -1.0f, 0.0f, 0.7f, 2.5f, 12.0f}, up(6, 2.0f);
  std::vector<float> want(6);
  for (size_t i = 0; i < g.size(); ++i) {
    const float x = g[i];
    const float gelu = x <= -10 ? 0.0f : x >= 10 ? x : fp16_to_fp32(fp32_to_fp16(ops::gelu_tanh(fp16_to_fp32(fp32_to_fp16(x)))));
    want[i] = gelu * 2.0f;
  }
  ops::geglu(g.data(), up.data(), 6);
  for (size_t i = 0; i < g.size(); ++i) EXPECT_FLOAT_EQ(g[i], want[i]) << i;
  EXPECT_NEAR(ops::gelu_tanh(1.0f), 0.841192f, 1e-5);
}

TEST(Ops, SwigluIsSiluTimesUp) {
  std::vector<float> g = {-3.0f, 0.0f, 1.5f}, up = {2.0f, 5.0f, -1.0f};
  ops::swiglu(g.data(), up.data(), 3);
  EXPECT_NEAR(g[0], -3.0 / (1 + std::exp(3.0)) * 2.0, 1e-6);
  EXPECT_NEAR(g[1], 0.0, 1e-7);
  EXPECT_NEAR(g[2], 1.5 / (1 + std::exp(-1.5)) * -1.0, 1e-6);
}

}  // namespace
}  // namespace slm
