#include "kernels/matmul.h"

#include <cstdlib>
#include <string_view>
#include <vector>

#include "kernels/kernels.h"

namespace slm {
namespace {
// Rows of W handled together: their bytes stay in L1 while every activation row streams past,
// so each weight byte is read from memory once per matmul whatever T is.
constexpr int64_t kRowBlock = 8;
// Activation rows per pass over a row block: keeps the converted activations of the pass in L2.
constexpr int64_t kTokenBlock = 64;
// Batches of at least this many tokens multiply packed panels (kernels/panel.h) when the kernel
// table has a panel product: packing a panel costs about as much as multiplying it by a few
// tokens, and every token of the batch reuses it.
constexpr int64_t kPanelMinTokens = 16;

// The panel format w is multiplied in for T tokens, or null for the dot kernels: its resident
// panels for any T, else panels packed on the fly for batches of kPanelMinTokens or more.
const PanelFormat* panels_for(const WeightMatrix& w, int64_t T) {
  if (kernels().gemm_panel == nullptr || !panels_enabled()) return nullptr;
  if (w.panels) return resident_panel_format(w.type);
  return T >= kPanelMinTokens ? panel_format(w.type) : nullptr;
}

// The panel path's activations follow the converted rows, 64-byte aligned.
size_t converted_bytes(TensorType w_type, int64_t n_in, int64_t T) {
  const size_t b = row_size(type_traits(w_type).vec_dot_type, n_in) * static_cast<size_t>(T);
  return (b + 63) / 64 * 64;
}

// Rows [r0, r1) (r0 a multiple of kPanelRows) of y = W . xq with the panel product in format f:
// W's resident panels, or panels the thread packs one at a time (into a buffer of its own, grown
// once to the largest panel); each panel is multiplied by every token.
void panel_rows(const PanelFormat& f, const WeightMatrix& w, const uint8_t* xq, int64_t T, float* y,
                int64_t y_stride, int64_t r0, int64_t r1) {
  const GemmActs acts = gemm_acts_view(f, xq + converted_bytes(w.type, w.n_in, T), w.n_in, T);
  const size_t bytes = panel_bytes(f, w.n_in);
  thread_local std::vector<uint8_t> packed;  // [panel_bytes]: one panel packed on the fly
  if (!w.panels && packed.size() < bytes) packed.resize(bytes);
  for (int64_t r = r0; r < r1; r += kPanelRows) {
    const int n_rows = static_cast<int>(r1 - r < kPanelRows ? r1 - r : kPanelRows);
    const uint8_t* panel = packed.data();
    if (w.panels) panel = w.panels + static_cast<size_t>(r / kPanelRows) * bytes;
    else pack_panel(f, w.type, w.data + static_cast<size_t>(r) * w.row_bytes, w.row_bytes, n_rows, w.n_in, packed.data());
    kernels().gemm_panel(f, panel_view(f, panel, w.n_in), acts, T, y + r, y_stride, n_rows);
  }
}

// Rows [r0, r1) of y = W . xq with the dot kernels: blocks of kRowBlock rows, each against
// kTokenBlock tokens at a time, four tokens per vec_dot_x4 where the table has it. (Four weight
// rows per call against one token, interleaved for more FMA chains in flight, was faster on
// weights in cache but 1.2-2x slower end to end on generation, where weights stream from memory.)
void dot_rows(const WeightMatrix& w, const uint8_t* xq, int64_t T, float* y, int64_t y_stride, int64_t r0,
              int64_t r1) {
  const VecDotFn dot = kernels().of(w.type).vec_dot;
  const VecDotX4Fn dot4 = kernels().of(w.type).vec_dot_x4;
  const size_t act_row = row_size(type_traits(w.type).vec_dot_type, w.n_in);
  auto row = [&](int64_t r) { return w.data + static_cast<size_t>(r) * w.row_bytes; };
  auto act = [&](int64_t t) { return xq + static_cast<size_t>(t) * act_row; };
  for (int64_t rb = r0; rb < r1; rb += kRowBlock) {
    const int64_t re = rb + kRowBlock < r1 ? rb + kRowBlock : r1;
    for (int64_t tb = 0; tb < T; tb += kTokenBlock) {
      const int64_t te = tb + kTokenBlock < T ? tb + kTokenBlock : T;
      const int64_t t4 = dot4 ? tb + (te - tb) / 4 * 4 : tb;  // [tb, t4): vec_dot_x4
      float out[4];
      for (int64_t r = rb; r < re; ++r)
        for (int64_t t = tb; t < t4; t += 4) {
          dot4(w.n_in, row(r), act(t), act_row, out);
          for (int k = 0; k < 4; ++k) y[(t + k) * y_stride + r] = out[k];
        }
      for (int64_t r = rb; r < re; ++r)
        for (int64_t t = t4; t < te; ++t) y[t * y_stride + r] = dot(w.n_in, row(r), act(t));
    }
  }
}

// Rows per unit of work handed to a thread: a multiple of kRowBlock and kPanelRows. 64 rows of a
// 576-wide q4 matrix are 23 KiB, about a microsecond of streaming: small enough that threads end
// together, large enough that taking one costs nothing next to it.
constexpr int64_t kChunkRows = 64;

// Rows [r0, r1) of one product.
void product_rows(const MatmulOut& o, const uint8_t* xq, int64_t T, int64_t r0, int64_t r1) {
  if (const PanelFormat* f = panels_for(*o.w, T)) panel_rows(*f, *o.w, xq, T, o.y, o.y_stride, r0, r1);
  else dot_rows(*o.w, xq, T, o.y, o.y_stride, r0, r1);
}
}  // namespace

bool panels_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("SLM_PANELS");
    return e == nullptr || std::string_view(e) != "0";
  }();
  return on;
}

bool same_activations(const WeightMatrix& a, const WeightMatrix& b, int64_t T) {
  if (type_traits(a.type).vec_dot_type != type_traits(b.type).vec_dot_type) return false;
  const PanelFormat* fa = panels_for(a, T);
  const PanelFormat* fb = panels_for(b, T);
  if (!fa || !fb) return fa == fb;
  return fa->block == fb->block && fa->bias == fb->bias && fa->has_min == fb->has_min;
}

size_t activation_bytes(TensorType w_type, int64_t n_in, int64_t T) {
  const PanelFormat* f = panel_format(w_type);
  return converted_bytes(w_type, n_in, T) + (f ? gemm_acts_bytes(*f, n_in, T) : 0);
}

void convert_activations(const WeightMatrix& w, const float* x, int64_t T, uint8_t* xq, ThreadPool& pool) {
  const TensorType w_type = w.type;
  const int64_t n_in = w.n_in;
  const TensorType at = type_traits(w_type).vec_dot_type;
  const QuantizeRowFn quantize = kernels().of(at).quantize_row;
  const size_t row_bytes = row_size(at, n_in);
  const bool panels = panels_for(w, T) != nullptr;
  uint8_t* gemm_acts = xq + converted_bytes(w_type, n_in, T);
  pool.parallel_for(T, 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) quantize(x + t * n_in, xq + static_cast<size_t>(t) * row_bytes, n_in);
    if (panels) gemm_acts_prepare(w_type, xq, row_bytes, n_in, T, t0, t1, gemm_acts);
  });
}

void matmul_converted(const WeightMatrix& w, const uint8_t* xq, int64_t T, float* y, int64_t y_stride, ThreadPool& pool) {
  const MatmulOut o{&w, y, y_stride};
  matmul_converted_many(std::span<const MatmulOut>(&o, 1), xq, T, pool);
}

void matmul_converted_many(std::span<const MatmulOut> outs, const uint8_t* xq, int64_t T, ThreadPool& pool) {
  // The products' rows as one list of chunks (product 0's first), balanced over the threads.
  int64_t n_chunks = 0;
  for (const MatmulOut& o : outs) n_chunks += (o.w->n_out + kChunkRows - 1) / kChunkRows;
  pool.parallel_for_balanced(n_chunks, 1, [&](int64_t c, int64_t, int) {
    for (const MatmulOut& o : outs) {
      const int64_t nc = (o.w->n_out + kChunkRows - 1) / kChunkRows;
      if (c < nc) {
        const int64_t r0 = c * kChunkRows;
        product_rows(o, xq, T, r0, r0 + kChunkRows < o.w->n_out ? r0 + kChunkRows : o.w->n_out);
        return;
      }
      c -= nc;
    }
  });
}

void matmul(const WeightMatrix& w, const float* x, int64_t T, float* y, ThreadPool& pool, uint8_t* scratch) {
  convert_activations(w, x, T, scratch, pool);
  matmul_converted(w, scratch, T, y, w.n_out, pool);
}

void dequantize_row(const WeightMatrix& w, int64_t row, float* y) {
  if (w.panels) {  // the file's pages of a packed matrix were released: read the panel
    const PanelFormat& f = *resident_panel_format(w.type);
    const uint8_t* panel = w.panels + static_cast<size_t>(row / kPanelRows) * panel_bytes(f, w.n_in);
    dequantize_panel_row(f, panel_view(f, panel, w.n_in), static_cast<int>(row % kPanelRows), y);
    return;
  }
  kernels().of(w.type).dequantize_row(w.data + static_cast<size_t>(row) * w.row_bytes, y, w.n_in);
}

}  // namespace slm
