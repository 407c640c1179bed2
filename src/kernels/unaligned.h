// Loads and stores of plain values at any byte address (block fields in a mapped file are not
// aligned). memcpy of a fixed size compiles to one move; the kernels of every ISA share these.
#pragma once

#include <cstdint>
#include <cstring>

namespace slm {

template <typename T>
inline T load_unaligned(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint16_t load_u16(const uint8_t* p) { return load_unaligned<uint16_t>(p); }
inline uint32_t load_u32(const uint8_t* p) { return load_unaligned<uint32_t>(p); }
inline uint64_t load_u64(const uint8_t* p) { return load_unaligned<uint64_t>(p); }
inline int32_t load_i32(const int8_t* p) { return load_unaligned<int32_t>(p); }
inline float load_f32(const uint8_t* p) { return load_unaligned<float>(p); }
inline void store_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, sizeof v); }
inline void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof v); }
inline void store_u64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, sizeof v); }

}  // namespace slm
