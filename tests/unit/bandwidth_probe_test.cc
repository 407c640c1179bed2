// The memory bandwidth probe and the tg roofline arithmetic of `slm bench`.
#include <gtest/gtest.h>

#include <cmath>

#include "base/bandwidth_probe.h"

namespace slm {
namespace {

TEST(BandwidthProbe, SmallBufferGivesAPositiveFiniteFigure) {
  for (int threads : {1, 2, 3}) {
    // 1 MiB + 64 bytes: slices that are not multiples of the split grain still add up.
    auto gbps = measure_read_bandwidth(threads, (size_t{1} << 20) + 64, 3);
    ASSERT_TRUE(gbps.ok()) << gbps.error();
    EXPECT_TRUE(std::isfinite(*gbps)) << threads;
    EXPECT_GT(*gbps, 0.0) << threads;
  }
}

TEST(BandwidthProbe, RejectsBadArgumentsByName) {
  auto no_threads = measure_read_bandwidth(0, 1 << 20, 3);
  ASSERT_FALSE(no_threads.ok());
  EXPECT_EQ(no_threads.error(), "bandwidth probe: thread count must be >= 1, got 0");
  auto no_bytes = measure_read_bandwidth(1, 0, 3);
  ASSERT_FALSE(no_bytes.ok());
  EXPECT_EQ(no_bytes.error(), "bandwidth probe: buffer must be at least 64 bytes, got 0");
  auto no_passes = measure_read_bandwidth(1, 1 << 20, 0);
  ASSERT_FALSE(no_passes.ok());
  EXPECT_EQ(no_passes.error(), "bandwidth probe: passes must be >= 1, got 0");
}

TEST(TgRoofline, WeightsPlusAverageKvRead) {
  // 9 tokens from an empty context attend to 1..9 positions: 5 on average, so 1000 + 5 * 10 bytes.
  const TgRoofline r = tg_roofline(1000, 10, 9, 100.0, 1.05e-3);
  EXPECT_DOUBLE_EQ(r.bytes_per_token, 1050.0);
  EXPECT_DOUBLE_EQ(r.achieved_gbps, 100.0 * 1050.0 / 1e9);
  EXPECT_NEAR(r.ceiling_tps, 1000.0, 1e-9);  // 1.05e6 bytes/s / 1050 bytes
  EXPECT_NEAR(r.fraction, 0.1, 1e-12);
  // One token reads one position; GB/s is meaningful without a probe, the ceiling is not.
  const TgRoofline one = tg_roofline(1000, 10, 1, 50.0, 0.0);
  EXPECT_DOUBLE_EQ(one.bytes_per_token, 1010.0);
  EXPECT_DOUBLE_EQ(one.achieved_gbps, 50.0 * 1010.0 / 1e9);
  EXPECT_EQ(one.ceiling_tps, 0.0);
  EXPECT_EQ(one.fraction, 0.0);
}

}  // namespace
}  // namespace slm
