#include <chrono>
#include <cstdio>
#include <random>
#include <vector>
#include <algorithm>
#include <sys/mman.h>
#include "kernels/kernels.h"
#include "kernels/panel.h"
#include "base/page_buffer.h"
#include "base/fp16.h"
#include <cstring>
namespace slm::avx512 { extern int g_pf_dist; extern int g_fixd; }
void syn_panel(const uint8_t* q, const uint16_t* d16, const int8_t* act, int64_t nb, float* y, int mode);
using namespace slm;
int main(int argc, char** argv) {
  const TensorType t = TensorType::Q4_0;
  if (getenv("FIXD")) slm::avx512::g_fixd = 1;
  if (getenv("PF")) slm::avx512::g_pf_dist = atoi(getenv("PF"));
  const int64_t rows = 8192 * 8, cols = 2048;
  const KernelTable& k = kernels();
  const PanelFormat& f = *resident_panel_format(t);
  const size_t rs = row_size(t, cols), pb = panel_bytes(f, cols);
  std::vector<uint8_t> w(rs * rows);
  std::mt19937 rng(1);
  { std::uniform_real_distribution<float> sc(-0.05f, 0.05f);
    for (auto& b : w) b = rng() & 0xFF;
    for (size_t off = 0; off < w.size(); off += sizeof(block_q4_0)) { uint16_t h = fp32_to_fp16(sc(rng)); memcpy(&w[off], &h, 2); } }
  const int64_t np = rows / 16;
  auto buf = PageBuffer::allocate(pb * np);
  bool huge = argc > 1;
  uint8_t* panels = buf->data();
  std::vector<uint8_t> plain;
  if (!huge) { plain.resize(pb * np); panels = plain.data(); }
  for (int64_t p = 0; p < np; ++p) pack_panel(f, t, w.data() + p * 16 * rs, rs, 16, cols, panels + p * pb);
  const TensorType at = type_traits(t).vec_dot_type;
  std::vector<uint8_t> a(row_size(at, cols));
  std::vector<float> x(cols, 0.5f);
  k.of(at).quantize_row(x.data(), a.data(), cols);
  std::vector<uint8_t> acts(gemm_acts_bytes(f, cols, 1));
  gemm_acts_prepare(t, a.data(), a.size(), cols, 1, 0, 1, acts.data());
  const GemmActs av = gemm_acts_view(f, acts.data(), cols, 1);
  std::vector<float> y(rows);
  std::vector<double> rp, rd;
  for (int it = 0; it < 9; ++it) {
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t p = 0; p < np; ++p) k.gemm_panel(f, panel_view(f, panels + p * pb, cols), av, 1, y.data() + p * 16, rows, 16);
    auto t1 = std::chrono::steady_clock::now();
    for (int64_t r = 0; r < rows; ++r) y[r] = k.of(t).vec_dot(cols, w.data() + r * rs, a.data());
    auto t2 = std::chrono::steady_clock::now();
    rp.push_back(pb * np / std::chrono::duration<double>(t1 - t0).count() / 1e9);
    rd.push_back(rs * rows / std::chrono::duration<double>(t2 - t1).count() / 1e9);
  }
  std::vector<double> rs2;
  for (int it = 0; it < 9; ++it) {
    auto t0 = std::chrono::steady_clock::now();
    const uint64_t* q = reinterpret_cast<const uint64_t*>(panels); uint64_t acc[8] = {};
    for (size_t i = 0; i < pb * np / 8; i += 8) for (int j = 0; j < 8; ++j) acc[j] += q[i + j];
    auto t1 = std::chrono::steady_clock::now();
    volatile uint64_t sink = acc[0] + acc[1] + acc[7]; (void)sink;
    rs2.push_back(pb * np / std::chrono::duration<double>(t1 - t0).count() / 1e9);
  }
  std::sort(rs2.begin(), rs2.end()); printf("sum %.1f GB/s\n", rs2[4]);
  for (int mode = 0; mode < 3; ++mode) {
    std::vector<double> rz;
    for (int it = 0; it < 7; ++it) {
      auto t0 = std::chrono::steady_clock::now();
      for (int64_t p = 0; p < np; ++p) { PanelView v = panel_view(f, panels + p * pb, cols); syn_panel(v.q, v.d16, av.q, v.n_blocks, y.data() + p * 16, mode); }
      auto t1 = std::chrono::steady_clock::now();
      rz.push_back(pb * np / std::chrono::duration<double>(t1 - t0).count() / 1e9);
    }
    std::sort(rz.begin(), rz.end()); printf("syn mode %d: %.1f GB/s\n", mode, rz[3]);
  }
  std::sort(rp.begin(), rp.end()); std::sort(rd.begin(), rd.end());
  printf("%s: resident panels %.1f GB/s, vec_dot rows %.1f GB/s (%.0f MB)\n", huge ? "huge" : "vector", rp[4], rd[4], pb * np / 1e6);
}
