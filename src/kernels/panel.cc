#include "kernels/panel.h"

#include <array>
#include <cassert>
#include <cstring>

#include "base/fp16.h"
#include "kernels/unaligned.h"

namespace slm {
namespace {

// w = d * (u - bias) + m for every type with a panel format; the per-type unpacking below follows
// the block layouts of kernels/types.h and kernels/ref/*.cc.
constexpr PanelFormat kLegacyBias8{32, 8, false};     // q4_0
constexpr PanelFormat kLegacyBias16{32, 16, false};   // q5_0
constexpr PanelFormat kLegacyBias128{32, 128, false}; // q8_0: u = q + 128
constexpr PanelFormat kWithMin{32, 0, true};          // q4_1, q5_1, q4_K, q5_K
constexpr PanelFormat kQ6K{16, 32, false};            // q6_K: 16-weight scales
// Resident: the file's binary16 scales, and 4-bit quants as nibbles.
constexpr PanelFormat kResidentQ4_0{32, 8, false, true, true};
constexpr PanelFormat kResidentQ4_1{32, 0, true, true, true};
constexpr PanelFormat kResidentQ8_0{32, 128, false, false, true};

float load_f16(const uint8_t* p) { return fp16_to_fp32(load_u16(p)); }

constexpr uint64_t kLowNibbles = 0x0F0F0F0F0F0F0F0FULL;

// Nibbles of qs[16] in element order: low nibbles are elements 0..15, high nibbles 16..31
// (eight bytes at a time: packing is a measurable share of a prompt batch).
void unpack_nibbles(const uint8_t* qs, uint8_t* u) {
  for (int h = 0; h < 2; ++h) {
    const uint64_t x = load_u64(qs + 8 * h);
    store_u64(u + 8 * h, x & kLowNibbles);
    store_u64(u + 16 + 8 * h, (x >> 4) & kLowNibbles);
  }
}
// Byte j of entry b is 16 when bit j of b is set: eight fifth bits spread over eight quants.
const std::array<uint64_t, 256>& fifth_bit_table() {
  static const std::array<uint64_t, 256> table = [] {
    std::array<uint64_t, 256> t{};
    for (int b = 0; b < 256; ++b)
      for (int j = 0; j < 8; ++j)
        if ((b >> j) & 1) t[static_cast<size_t>(b)] |= uint64_t{16} << (8 * j);
    return t;
  }();
  return table;
}
void add_fifth_bits(uint32_t qh, uint8_t* u) {
  const std::array<uint64_t, 256>& table = fifth_bit_table();
  for (int k = 0; k < 4; ++k) store_u64(u + 8 * k, load_u64(u + 8 * k) | table[(qh >> (8 * k)) & 0xFF]);
}

// q4_K / q5_K: scale and min of sub-block j (6 bits each, packed in 12 bytes).
void k4_scale_min(const uint8_t* s, int j, int& scale, int& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// Block b (of the panel format's size) of a row of type t: its unsigned quants u[B], d and m.
// k-quant scales are formed like the reference dequantization: d * scale, and m = -(dmin * min).
void unpack_block(TensorType t, const uint8_t* row, int64_t b, uint8_t* u, float& d, float& m) {
  m = 0;
  switch (t) {
    case TensorType::Q4_0: {
      const uint8_t* p = row + b * sizeof(block_q4_0);
      d = load_f16(p + offsetof(block_q4_0, d));
      unpack_nibbles(p + offsetof(block_q4_0, qs), u);
      return;
    }
    case TensorType::Q4_1: {
      const uint8_t* p = row + b * sizeof(block_q4_1);
      d = load_f16(p + offsetof(block_q4_1, d));
      m = load_f16(p + offsetof(block_q4_1, m));
      unpack_nibbles(p + offsetof(block_q4_1, qs), u);
      return;
    }
    case TensorType::Q5_0: {
      const uint8_t* p = row + b * sizeof(block_q5_0);
      d = load_f16(p + offsetof(block_q5_0, d));
      unpack_nibbles(p + offsetof(block_q5_0, qs), u);
      add_fifth_bits(load_u32(p + offsetof(block_q5_0, qh)), u);
      return;
    }
    case TensorType::Q5_1: {
      const uint8_t* p = row + b * sizeof(block_q5_1);
      d = load_f16(p + offsetof(block_q5_1, d));
      m = load_f16(p + offsetof(block_q5_1, m));
      unpack_nibbles(p + offsetof(block_q5_1, qs), u);
      add_fifth_bits(load_u32(p + offsetof(block_q5_1, qh)), u);
      return;
    }
    case TensorType::Q8_0: {
      const uint8_t* p = row + b * sizeof(block_q8_0);
      d = load_f16(p + offsetof(block_q8_0, d));
      for (int k = 0; k < 4; ++k) store_u64(u + 8 * k, load_u64(p + offsetof(block_q8_0, qs) + 8 * k) ^ 0x8080808080808080ULL);
      return;
    }
    case TensorType::Q4_K:
    case TensorType::Q5_K: {
      const bool five = t == TensorType::Q5_K;
      const size_t bs = five ? sizeof(block_q5_K) : sizeof(block_q4_K);
      const uint8_t* p = row + (b / 8) * bs;  // super-block of 8 sub-blocks of 32
      const int j = static_cast<int>(b % 8), c = j / 2, shift = 4 * (j % 2);
      const uint8_t* qs = p + (five ? offsetof(block_q5_K, qs) : offsetof(block_q4_K, qs));
      int scale = 0, min = 0;
      k4_scale_min(p + offsetof(block_q4_K, scales), j, scale, min);
      d = load_f16(p) * static_cast<float>(scale);
      m = -(load_f16(p + 2) * static_cast<float>(min));
      for (int l = 0; l < 32; ++l) {
        int q = (qs[32 * c + l] >> shift) & 15;
        if (five) q |= ((p[offsetof(block_q5_K, qh) + l] >> j) & 1) << 4;
        u[l] = static_cast<uint8_t>(q);
      }
      return;
    }
    case TensorType::Q6_K: {
      // Sub-block j (16 weights from element e0 = 16j) of a super-block: half h = e0 / 128 and
      // r0 = e0 % 128; its low nibbles are ql[64h + r0 % 64 + i] (shifted by 4 when r0 >= 64),
      // its high two bits qh[32h + r0 % 32 + i] >> 2 * (r0 / 32).
      const uint8_t* p = row + (b / 16) * sizeof(block_q6_K);  // 16 sub-blocks of 16
      const int j = static_cast<int>(b % 16), h = j / 8, r0 = (16 * j) % 128;
      d = load_f16(p + offsetof(block_q6_K, d)) * static_cast<float>(static_cast<int8_t>(p[offsetof(block_q6_K, scales) + j]));
      const uint8_t* ql = p + offsetof(block_q6_K, ql) + 64 * h + r0 % 64;
      const uint8_t* qh = p + offsetof(block_q6_K, qh) + 32 * h + r0 % 32;
      const int low_shift = 4 * (r0 / 64), high_shift = 2 * (r0 / 32);
      for (int i = 0; i < 16; ++i)
        u[i] = static_cast<uint8_t>(((ql[i] >> low_shift) & 15) | (((qh[i] >> high_shift) & 3) << 4));
      return;
    }
    default:
      assert(false && "type without a panel format");
  }
}

}  // namespace

const PanelFormat* panel_format(TensorType t) {
  switch (t) {
    case TensorType::Q4_0: return &kLegacyBias8;
    case TensorType::Q5_0: return &kLegacyBias16;
    case TensorType::Q8_0: return &kLegacyBias128;
    case TensorType::Q4_1:
    case TensorType::Q5_1:
    case TensorType::Q4_K:
    case TensorType::Q5_K: return &kWithMin;
    case TensorType::Q6_K: return &kQ6K;
    default: return nullptr;
  }
}

const PanelFormat* resident_panel_format(TensorType t) {
  switch (t) {
    case TensorType::Q4_0: return &kResidentQ4_0;
    case TensorType::Q4_1: return &kResidentQ4_1;
    case TensorType::Q8_0: return &kResidentQ8_0;
    default: return nullptr;
  }
}

namespace {
size_t quant_bytes(const PanelFormat& f, int64_t n_blocks) {  // q's share of a panel, a multiple of 64
  return static_cast<size_t>(n_blocks) * kPanelRows * static_cast<size_t>(f.nibbles ? f.block / 2 : f.block);
}
size_t scale_bytes(const PanelFormat& f) { return f.half_scales ? sizeof(uint16_t) : sizeof(float); }
}  // namespace

size_t panel_bytes(const PanelFormat& f, int64_t n_in) {
  const int64_t nb = n_in / f.block;
  return quant_bytes(f, nb) + static_cast<size_t>(nb) * kPanelRows * scale_bytes(f) * (f.has_min ? 2 : 1);
}

PanelView panel_view(const PanelFormat& f, const uint8_t* panel, int64_t n_in) {
  PanelView v;
  v.n_blocks = n_in / f.block;
  v.q = panel;
  const uint8_t* scales = panel + quant_bytes(f, v.n_blocks);
  const int64_t n_scales = v.n_blocks * kPanelRows;
  if (f.half_scales) {
    v.d16 = reinterpret_cast<const uint16_t*>(scales);
    if (f.has_min) v.m16 = v.d16 + n_scales;
  } else {
    v.d = reinterpret_cast<const float*>(scales);
    if (f.has_min) v.m = v.d + n_scales;
  }
  return v;
}

void pack_panel(const PanelFormat& f, TensorType t, const uint8_t* w, size_t row_bytes, int n_rows, int64_t n_in,
                uint8_t* panel) {
  assert(f.block == panel_format(t)->block && f.bias == panel_format(t)->bias);
  const PanelView v = panel_view(f, panel, n_in);
  auto* q = const_cast<uint8_t*>(v.q);
  const size_t block_bytes = static_cast<size_t>(f.nibbles ? f.block / 2 : f.block) * kPanelRows;
  uint8_t u[32];
  for (int r = 0; r < kPanelRows; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < v.n_blocks; ++b) {
      float db = 0, mb = 0;
      if (r < n_rows) unpack_block(t, row, b, u, db, mb);
      else std::memset(u, 0, sizeof u);
      uint8_t* qb = q + static_cast<size_t>(b) * block_bytes + 4 * r;
      if (f.nibbles) {  // groups 2s and 2s + 1 share the bytes of vector s
        for (int s = 0; s < f.block / 8; ++s)
          for (int k = 0; k < 4; ++k) qb[s * 4 * kPanelRows + k] = static_cast<uint8_t>(u[8 * s + k] | u[8 * s + 4 + k] << 4);
      } else {
        for (int s = 0; s < f.block / 4; ++s) std::memcpy(qb + s * 4 * kPanelRows, u + 4 * s, 4);
      }
      const int64_t i = b * kPanelRows + r;
      if (f.half_scales) {  // the file's own binary16 values: the round trip is exact
        const_cast<uint16_t*>(v.d16)[i] = fp32_to_fp16(db);
        if (v.m16) const_cast<uint16_t*>(v.m16)[i] = fp32_to_fp16(mb);
      } else {
        const_cast<float*>(v.d)[i] = db;
        if (v.m) const_cast<float*>(v.m)[i] = mb;
      }
    }
  }
}

size_t gemm_acts_bytes(const PanelFormat& f, int64_t n_in, int64_t T) {
  return static_cast<size_t>(T) * (static_cast<size_t>(n_in) + static_cast<size_t>(n_in / f.block) * sizeof(GemmSide));
}

GemmActs gemm_acts_view(const PanelFormat& f, const uint8_t* out, int64_t n_in, int64_t T) {
  GemmActs a;
  a.q = reinterpret_cast<const int8_t*>(out);
  a.q_stride = static_cast<size_t>(n_in);
  // GemmSide is 4-byte aligned; the quants take T * n_in bytes, a multiple of 16
  a.side = reinterpret_cast<const GemmSide*>(out + static_cast<size_t>(T) * static_cast<size_t>(n_in));
  a.side_stride = n_in / f.block;
  return a;
}

void gemm_acts_prepare(TensorType t, const uint8_t* xq, size_t row_bytes, int64_t n_in, int64_t T, int64_t t0,
                       int64_t t1, uint8_t* out) {
  const PanelFormat& f = *panel_format(t);
  const GemmActs a = gemm_acts_view(f, out, n_in, T);
  const TensorType at = type_traits(t).vec_dot_type;
  const int64_t nb = n_in / f.block;
  for (int64_t tok = t0; tok < t1; ++tok) {
    const uint8_t* x = xq + static_cast<size_t>(tok) * row_bytes;
    auto* q = const_cast<int8_t*>(a.q) + static_cast<size_t>(tok) * a.q_stride;
    auto* side = const_cast<GemmSide*>(a.side) + tok * a.side_stride;
    for (int64_t b = 0; b < nb; ++b) {
      const int8_t* qs = nullptr;
      GemmSide s;
      if (at == TensorType::Q8_0 || at == TensorType::Q8_1) {
        const size_t bs = at == TensorType::Q8_0 ? sizeof(block_q8_0) : sizeof(block_q8_1);
        const uint8_t* p = x + static_cast<size_t>(b) * bs;
        qs = reinterpret_cast<const int8_t*>(p + (at == TensorType::Q8_0 ? offsetof(block_q8_0, qs) : offsetof(block_q8_1, qs)));
        s.d = load_f16(p);
        if (at == TensorType::Q8_1) s.s = load_f16(p + offsetof(block_q8_1, s));  // vec_dot's m * s term
      } else {  // q8_K: a super-block of 256 holds 256 / B panel blocks
        assert(at == TensorType::Q8_K);
        const int per = QK_K / f.block;
        const uint8_t* p = x + static_cast<size_t>(b / per) * sizeof(block_q8_K);
        const int j = static_cast<int>(b % per);
        qs = reinterpret_cast<const int8_t*>(p + offsetof(block_q8_K, qs)) + j * f.block;
        s.d = load_f32(p + offsetof(block_q8_K, d));
      }
      int32_t sum = 0;
      for (int e = 0; e < f.block; ++e) sum += qs[e];
      s.corr = -f.bias * sum;
      if (f.has_min && at == TensorType::Q8_K) s.s = s.d * static_cast<float>(sum);
      std::memcpy(q + b * f.block, qs, static_cast<size_t>(f.block));
      side[b] = s;
    }
  }
}

}  // namespace slm
