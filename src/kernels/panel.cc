#include "kernels/panel.h"

#include <array>
#include <cassert>
#include <cstring>

#include "base/fp16.h"
#include "kernels/unaligned.h"

namespace slm {
namespace {

// The per-type unpacking below follows the block layouts of kernels/types.h and kernels/ref/*.cc.
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
    case TensorType::Q4_0: return &kPanelBias8;
    case TensorType::Q5_0: return &kPanelBias16;
    case TensorType::Q8_0: return &kPanelBias128;
    case TensorType::Q4_1:
    case TensorType::Q5_1:
    case TensorType::Q4_K:
    case TensorType::Q5_K: return &kPanelWithMin;
    case TensorType::Q6_K: return &kPanelQ6_K;
    default: return nullptr;
  }
}

const PanelFormat* resident_panel_format(TensorType t) {
  switch (t) {
    case TensorType::Q4_0: return &kResidentQ4_0;
    case TensorType::Q4_1: return &kResidentQ4_1;
    case TensorType::Q5_0: return &kResidentQ5_0;
    case TensorType::Q5_1: return &kResidentQ5_1;
    case TensorType::Q8_0: return &kResidentQ8_0;
    case TensorType::Q4_K: return &kResidentQ4_K;
    case TensorType::Q5_K: return &kResidentQ5_K;
    case TensorType::Q6_K: return &kResidentQ6_K;
    default: return nullptr;
  }
}

namespace {
void put_float(uint8_t* p, int r, float x) { std::memcpy(p + 4 * r, &x, sizeof x); }

// The resident formats take the file's bits as they are: binary16 d (and m) copied, nibbles
// regrouped with 64-bit masks and shifts, q8_0's bytes flipped to u = q + 128, k-quant scales
// widened to bytes: a few operations per 32 weights, since packing a 4 GB model at load must
// not take seconds. One row's share of one super-block (a block for q4_0, q4_1, q8_0) at a time.

// Row r's lane of nibble vector s (4 * r + 64 * s in a block's quants) from eight 4-bit quants,
// elements 8s .. 8s + 7 in the low nibbles of the bytes of x: byte k becomes element 8s + k |
// element 8s + 4 + k << 4.
void put_nibble_lane(uint8_t* q, int r, int s, uint64_t x) {
  const uint64_t lo = x & kLowNibbles;
  store_u32(q + 4 * r + 4 * kPanelRows * s, static_cast<uint32_t>(lo | (lo >> 28)));
}

// Row r's lane of a block's fifth-bit vector from `bits` (bit e: bit 4 of quant e, e < 32): bit i
// of byte k becomes bit 4i + k of `bits`, gathered with three shift-or-mask steps per byte.
void put_fifth_bit_lane(uint8_t* high, int r, uint32_t bits) {
  uint32_t lane = 0;
  for (int k = 0; k < 4; ++k) {
    uint32_t x = (bits >> k) & 0x11111111u;  // bit 4i + k at 4i
    x = (x | (x >> 3)) & 0x03030303u;
    x = (x | (x >> 6)) & 0x000F000Fu;
    x = (x | (x >> 12)) & 0xFFu;
    lane |= x << (8 * k);
  }
  store_u32(high + 4 * r, lane);
}

// Offsets of a legacy block's fields: d first, then m (types with a min), qh (5-bit types), qs.
struct LegacyFields {
  size_t m, qh, qs;
};
LegacyFields legacy_fields(TensorType t) {
  static_assert(offsetof(block_q4_0, d) == 0 && offsetof(block_q4_1, d) == 0 && offsetof(block_q5_0, d) == 0 &&
                offsetof(block_q5_1, d) == 0 && offsetof(block_q8_0, d) == 0);
  switch (t) {
    case TensorType::Q4_0: return {0, 0, offsetof(block_q4_0, qs)};
    case TensorType::Q4_1: return {offsetof(block_q4_1, m), 0, offsetof(block_q4_1, qs)};
    case TensorType::Q5_0: return {0, offsetof(block_q5_0, qh), offsetof(block_q5_0, qs)};
    case TensorType::Q5_1: return {offsetof(block_q5_1, m), offsetof(block_q5_1, qh), offsetof(block_q5_1, qs)};
    default: return {0, 0, offsetof(block_q8_0, qs)};
  }
}

void pack_legacy_row(const PanelFormat& f, TensorType t, const PanelView& v, uint8_t* sp, int r, const uint8_t* blk) {
  const LegacyFields at = legacy_fields(t);
  uint8_t* q = sp;  // one block per super-block, no header
  store_u16(q + v.d_offset + 2 * r, load_u16(blk));
  if (f.has_min) store_u16(q + v.m_offset + 2 * r, load_u16(blk + at.m));
  if (t == TensorType::Q8_0) {
    for (int s = 0; s < 8; ++s) store_u32(q + 4 * r + 64 * s, load_u32(blk + offsetof(block_q8_0, qs) + 4 * s) ^ 0x80808080u);
    return;
  }
  // qs bytes 8h..8h+7: low nibbles are elements 8h.., vector h; high ones 16 + 8h.., vector 2 + h.
  for (int h = 0; h < 2; ++h) {
    const uint64_t x = load_u64(blk + at.qs + 8 * h);
    put_nibble_lane(q, r, h, x);
    put_nibble_lane(q, r, 2 + h, x >> 4);
  }
  if (f.quants == PanelQuants::kFiveBits) put_fifth_bit_lane(q + 4 * 4 * kPanelRows, r, load_u32(blk + at.qh));
}

// q4_K / q5_K: sub-block j is chunk c = j / 2 of qs (32 bytes), its low nibbles for even j, else
// high; q5_K's fifth bit of its quant l is bit j of qh[l].
void pack_k4_row(TensorType t, const PanelView& v, uint8_t* sp, int r, const uint8_t* blk) {
  static_assert(offsetof(block_q4_K, d) == offsetof(block_q5_K, d) && offsetof(block_q4_K, dmin) == offsetof(block_q5_K, dmin) &&
                offsetof(block_q4_K, scales) == offsetof(block_q5_K, scales));
  const bool five = t == TensorType::Q5_K;
  store_u16(sp + 2 * r, load_u16(blk + offsetof(block_q4_K, d)));
  store_u16(sp + 2 * kPanelRows + 2 * r, load_u16(blk + offsetof(block_q4_K, dmin)));
  for (int j = 0; j < 8; ++j) {
    uint8_t* q = sp + v.header_bytes + static_cast<size_t>(j) * v.block_stride;
    int scale = 0, min = 0;
    k4_scale_min(blk + offsetof(block_q4_K, scales), j, scale, min);
    q[v.d_offset + static_cast<size_t>(r)] = static_cast<uint8_t>(scale);
    q[v.m_offset + static_cast<size_t>(r)] = static_cast<uint8_t>(min);
    const uint8_t* qs = blk + (five ? offsetof(block_q5_K, qs) : offsetof(block_q4_K, qs)) + 32 * (j / 2);
    for (int s = 0; s < 4; ++s) put_nibble_lane(q, r, s, load_u64(qs + 8 * s) >> (4 * (j % 2)));
    if (five) {
      uint32_t bits = 0;
      for (int l = 0; l < 32; ++l) bits |= static_cast<uint32_t>((blk[offsetof(block_q5_K, qh) + static_cast<size_t>(l)] >> j) & 1) << l;
      put_fifth_bit_lane(q + 4 * 4 * kPanelRows, r, bits);
    }
  }
}

// q6_K: sub-block j (16 weights from e0 = 16j) of a super-block: half h = j / 8 and r0 = e0 %
// 128; its low four bits are ql[64h + r0 % 64 + i] (shifted by 4 when r0 >= 64), its high two
// qh[32h + r0 % 32 + i] >> 2 * (r0 / 32); eight quants u (one per byte) at a time.
void pack_q6_K_row(const PanelView& v, uint8_t* sp, int r, const uint8_t* blk) {
  constexpr uint64_t kLowPairs = 0x0303030303030303ULL;
  store_u16(sp + 2 * r, load_u16(blk + offsetof(block_q6_K, d)));
  for (int j = 0; j < 16; ++j) {
    uint8_t* q = sp + v.header_bytes + static_cast<size_t>(j) * v.block_stride;
    q[v.d_offset + static_cast<size_t>(r)] = static_cast<uint8_t>(blk[offsetof(block_q6_K, scales) + static_cast<size_t>(j)]);
    const int h = j / 8, r0 = (16 * j) % 128;
    const uint8_t* ql = blk + offsetof(block_q6_K, ql) + 64 * h + r0 % 64;
    const uint8_t* qh = blk + offsetof(block_q6_K, qh) + 32 * h + r0 % 32;
    const int low_shift = 4 * (r0 / 64), high_shift = 2 * (r0 / 32);
    uint64_t u[2];  // elements 8c .. 8c + 7
    for (int c = 0; c < 2; ++c)
      u[c] = ((load_u64(ql + 8 * c) >> low_shift) & kLowNibbles) | (((load_u64(qh + 8 * c) >> high_shift) & kLowPairs) << 4);
    for (int c = 0; c < 2; ++c) put_nibble_lane(q, r, c, u[c]);
    // byte k of the high lane: bits 4, 5 of elements k, 4 + k, 8 + k, 12 + k at bits 0, 2, 4, 6
    const uint64_t h0 = (u[0] >> 4) & kLowPairs, h1 = (u[1] >> 4) & kLowPairs;
    const uint64_t pairs = (h0 | (h0 >> 30)) | ((h1 | (h1 >> 30)) << 4);
    store_u32(q + 2 * 4 * kPanelRows + 4 * r, static_cast<uint32_t>(pairs));
  }
}

void pack_resident(const PanelFormat& f, TensorType t, const uint8_t* w, size_t row_bytes, int n_rows, int64_t n_in,
                   uint8_t* panel) {
  const PanelView v = panel_view(f, panel, n_in);
  if (n_rows < kPanelRows) std::memset(panel, 0, panel_bytes(f, n_in));  // rows past the end: u = 0, d = m = 0
  const size_t bs = type_traits(t).type_size;  // the file's bytes of one super-block of a row
  for (int64_t s = 0; s < v.n_supers; ++s) {
    uint8_t* sp = const_cast<uint8_t*>(v.super(s));
    for (int r = 0; r < n_rows; ++r) {
      const uint8_t* blk = w + static_cast<size_t>(r) * row_bytes + static_cast<size_t>(s) * bs;
      if (t == TensorType::Q4_K || t == TensorType::Q5_K) pack_k4_row(t, v, sp, r, blk);
      else if (t == TensorType::Q6_K) pack_q6_K_row(v, sp, r, blk);
      else pack_legacy_row(f, t, v, sp, r, blk);
    }
  }
}
}  // namespace

size_t panel_bytes(const PanelFormat& f, int64_t n_in) {
  return static_cast<size_t>(n_in / f.super_elements()) * f.super_bytes();
}

PanelView panel_view(const PanelFormat& f, const uint8_t* panel, int64_t n_in) {
  PanelView v;
  v.base = panel;
  v.per_super = f.per_super;
  v.n_supers = n_in / f.super_elements();
  v.n_blocks = v.n_supers * f.per_super;
  v.super_stride = f.super_bytes();
  v.header_bytes = f.header_bytes();
  v.block_stride = f.block_bytes();
  v.d_offset = f.quant_bytes();
  v.m_offset = f.has_min ? f.quant_bytes() + f.scale_bytes() : 0;
  return v;
}

void pack_panel(const PanelFormat& f, TensorType t, const uint8_t* w, size_t row_bytes, int n_rows, int64_t n_in,
                uint8_t* panel) {
  assert(f.block == panel_format(t)->block && f.bias == panel_format(t)->bias);
  if (f.resident()) return pack_resident(f, t, w, row_bytes, n_rows, n_in, panel);
  const PanelView v = panel_view(f, panel, n_in);
  uint8_t u[32];
  for (int r = 0; r < kPanelRows; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < v.n_blocks; ++b) {
      float db = 0, mb = 0;
      if (r < n_rows) unpack_block(t, row, b, u, db, mb);
      else std::memset(u, 0, sizeof u);
      uint8_t* qb = const_cast<uint8_t*>(v.q(b)) + 4 * r;
      for (int s = 0; s < f.block / 4; ++s) std::memcpy(qb + s * 4 * kPanelRows, u + 4 * s, 4);
      put_float(const_cast<uint8_t*>(v.d(b)), r, db);
      if (f.has_min) put_float(const_cast<uint8_t*>(v.m(b)), r, mb);
    }
  }
}

void dequantize_panel_row(const PanelFormat& f, const PanelView& v, int r, float* y) {
  for (int64_t b = 0; b < v.n_blocks; ++b) {
    const float d = panel_d(f, v, b, r), m = panel_m(f, v, b, r);
    for (int e = 0; e < f.block; ++e) {
      const int u = panel_quant(f, v, b, r, e);
      y[b * f.block + e] = f.has_min ? static_cast<float>(u) * d + m : static_cast<float>(u - f.bias) * d;
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
