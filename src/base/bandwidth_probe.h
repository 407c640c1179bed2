// How close token generation runs to the machine's memory ceiling. Generating one token reads
// every weight once plus the keys and values of every earlier position, and on a CPU that read is
// the bound: tokens/s can not exceed (read bandwidth) / (bytes per token). `slm bench` prints
// both figures; the probe measures the bandwidth with the engine's own ThreadPool.
#pragma once

#include <cstddef>
#include <cstdint>

#include "slm/status.h"

namespace slm {

// Median read bandwidth in GB/s (1e9 bytes/s) of `n_threads` threads streaming a `bytes` buffer
// (each thread one contiguous slice, like a matmul's rows), over `passes` timed reads. The buffer
// is written once first so that its pages exist. For a DRAM figure, take `bytes` well above the
// last-level cache (kDefaultProbeBytes); a small buffer measures the caches instead.
inline constexpr size_t kDefaultProbeBytes = size_t{512} << 20;
inline constexpr int kDefaultProbePasses = 7;
Expected<double> measure_read_bandwidth(int n_threads, size_t bytes = kDefaultProbeBytes,
                                        int passes = kDefaultProbePasses);

// The memory roofline of a tg run: n_gen tokens generated one at a time from an empty context.
// Token i (0-based) attends to i + 1 positions, so the run reads on average (n_gen + 1) / 2
// positions of K and V per token. Sliding-window layers are counted as global (ModelInfo does not
// say which layers slide): exact while n_gen <= the window, an overestimate of the KV bytes above.
struct TgRoofline {
  double bytes_per_token = 0;  // weights + average KV read
  double achieved_gbps = 0;    // tokens_per_second * bytes_per_token / 1e9
  double ceiling_tps = 0;      // probe_gbps * 1e9 / bytes_per_token
  double fraction = 0;         // tokens_per_second / ceiling_tps (0 when probe_gbps is 0)
};
TgRoofline tg_roofline(size_t weight_bytes_per_token, size_t kv_bytes_per_position, int64_t n_gen,
                       double tokens_per_second, double probe_gbps);

}  // namespace slm
