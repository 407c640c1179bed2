#include "base/bandwidth_probe.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/page_buffer.h"
#include "base/thread_pool.h"

namespace slm {
namespace {

constexpr int64_t kGrain = 4096;  // words per split unit: slices start on 32 KiB boundaries

// Sum of n words (n a multiple of 8) with eight independent accumulators, which the compiler turns
// into wide vector loads and adds: the loop is bound by the loads, not by one add chain.
uint64_t sum_words(const uint64_t* p, int64_t n) {
  uint64_t acc[8] = {};
  for (int64_t i = 0; i < n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += p[i + j];
  uint64_t s = 0;
  for (uint64_t a : acc) s += a;
  return s;
}

}  // namespace

Expected<double> measure_read_bandwidth(int n_threads, size_t bytes, int passes) {
  if (n_threads < 1) return Status::Error("bandwidth probe: thread count must be >= 1, got " + std::to_string(n_threads));
  if (bytes < 64) return Status::Error("bandwidth probe: buffer must be at least 64 bytes, got " + std::to_string(bytes));
  if (passes < 1) return Status::Error("bandwidth probe: passes must be >= 1, got " + std::to_string(passes));
  const int64_t n_words = static_cast<int64_t>(bytes / 64 * 8);  // whole 64-byte lines
  // In 2 MiB pages, like the resident weight panels (base/page_buffer.h): the ceiling is what the
  // machine's memory can deliver, not what 4 KiB page walks leave of it.
  auto pages = PageBuffer::allocate(static_cast<size_t>(n_words) * sizeof(uint64_t), PageBuffer::Pages::kHuge, "the bandwidth probe");
  if (!pages) return pages.status();
  auto* buf = reinterpret_cast<uint64_t*>(pages->data());
  ThreadPool pool(n_threads);
  // Every thread writes the slice it will read, so its pages exist (and sit near that thread).
  pool.parallel_for(n_words, kGrain, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) buf[static_cast<size_t>(i)] = static_cast<uint64_t>(i);
  });
  std::vector<uint64_t> sums(static_cast<size_t>(n_threads));
  std::vector<double> gbps;
  for (int pass = 0; pass < passes; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallel_for(n_words, kGrain, [&](int64_t b, int64_t e, int ti) {
      sums[static_cast<size_t>(ti)] = sum_words(buf + b, e - b);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The sums must be used or the reads could be dropped: word i holds i, so they add up to
    // n(n-1)/2 (n is even).
    uint64_t total = 0;
    for (uint64_t x : sums) total += x;
    const auto n = static_cast<uint64_t>(n_words);
    if (total != n / 2 * (n - 1))
      return Status::Error("bandwidth probe: wrong checksum (memory or threading fault)");
    gbps.push_back(static_cast<double>(n_words) * 8 / s / 1e9);
    std::fill(sums.begin(), sums.end(), 0);
  }
  std::sort(gbps.begin(), gbps.end());
  return gbps[gbps.size() / 2];
}

TgRoofline tg_roofline(size_t weight_bytes_per_token, size_t kv_bytes_per_position, int64_t n_gen,
                       double tokens_per_second, double probe_gbps) {
  TgRoofline r;
  const double avg_positions = n_gen > 0 ? 0.5 * static_cast<double>(n_gen + 1) : 0.0;
  r.bytes_per_token = static_cast<double>(weight_bytes_per_token) + static_cast<double>(kv_bytes_per_position) * avg_positions;
  r.achieved_gbps = tokens_per_second * r.bytes_per_token / 1e9;
  if (probe_gbps > 0 && r.bytes_per_token > 0) {
    r.ceiling_tps = probe_gbps * 1e9 / r.bytes_per_token;
    r.fraction = tokens_per_second / r.ceiling_tps;
  }
  return r;
}

}  // namespace slm
