#include "runtime/resident_panels.h"

#include <algorithm>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "kernels/panel.h"

namespace slm {
namespace {

// File bytes packed between two releases of the pages they came from: bounds how far resident
// memory rises above the model's size during load.
constexpr size_t kReleaseSlice = size_t{8} << 20;

struct Job {
  WeightMatrix* w;
  const PanelFormat* f;
  size_t offset;  // of the matrix's first panel in the buffer
};

size_t panels_bytes(const WeightMatrix& w, const PanelFormat& f) {
  const int64_t n_panels = (w.n_out + kPanelRows - 1) / kPanelRows;
  return static_cast<size_t>(n_panels) * panel_bytes(f, w.n_in);
}

}  // namespace

Expected<PageBuffer> pack_resident_panels(ModelWeights& w, const GgufFile& file) {
  if (kernels().gemm_panel == nullptr || !panels_enabled()) return PageBuffer{};
  // Every matrix with a resident format, each distinct tensor once (layout: 64-byte aligned).
  std::vector<Job> jobs;
  std::unordered_map<const uint8_t*, size_t> packed;  // tensor data -> index in jobs
  std::vector<WeightMatrix*> copies;                  // matrices that share an earlier one's data
  size_t total = 0;
  auto add = [&](WeightMatrix& m) {
    const PanelFormat* f = m.data ? resident_panel_format(m.type) : nullptr;
    if (!f || m.n_in % f->super_elements() != 0 || m.n_out <= 0) return;
    if (packed.count(m.data)) {
      copies.push_back(&m);
      return;
    }
    packed[m.data] = jobs.size();
    jobs.push_back({&m, f, total});
    total += (panels_bytes(m, *f) + 63) / 64 * 64;
  };
  for (LayerWeights& l : w.layers)
    for (WeightMatrix* m : {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.gate, &l.up, &l.gate_up, &l.down}) add(*m);
  add(w.output);
  // The embedding too: looked up row by row, from the panels (a tied one shares the LM head's),
  // where reading the released file would map 64 KiB around every row looked up.
  add(w.tok_embd);
  if (jobs.empty()) return PageBuffer{};

  auto buffer = PageBuffer::allocate(total, PageBuffer::Pages::kHuge, "packed weights");
  if (!buffer) return buffer.status();
  ThreadPool pool(static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 64u)));
  for (const Job& j : jobs) {
    const WeightMatrix& m = *j.w;
    const PanelFormat& f = *j.f;
    uint8_t* out = buffer->data() + j.offset;
    const size_t pb = panel_bytes(f, m.n_in), src_panel = kPanelRows * m.row_bytes;
    const int64_t n_panels = (m.n_out + kPanelRows - 1) / kPanelRows;
    const int64_t per_slice = std::max<int64_t>(1, static_cast<int64_t>(kReleaseSlice / src_panel));
    for (int64_t p0 = 0; p0 < n_panels; p0 += per_slice) {
      const int64_t p1 = std::min(n_panels, p0 + per_slice);
      // balanced: the first touch of each page of the buffer (the kernel zeroing it) is most of
      // the cost, and it falls unevenly
      pool.parallel_for_balanced(p1 - p0, 4, [&](int64_t b, int64_t e, int) {
        for (int64_t p = p0 + b; p < p0 + e; ++p) {
          const int rows = static_cast<int>(std::min<int64_t>(kPanelRows, m.n_out - p * kPanelRows));
          pack_panel(f, m.type, m.data + static_cast<size_t>(p) * src_panel, m.row_bytes, rows, m.n_in,
                     out + static_cast<size_t>(p) * pb);
        }
      });
      // everything packed so far (whole pages only, so pages shared with the next slice stay)
      file.release(m.data, static_cast<size_t>(std::min(m.n_out, p1 * kPanelRows)) * m.row_bytes);
    }
    j.w->panels = out;
  }
  for (WeightMatrix* c : copies) c->panels = jobs[packed[c->data]].w->panels;
  return buffer;
}

}  // namespace slm
