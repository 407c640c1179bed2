// UTF-8 helpers and the GPT-2 byte <-> unicode mapping used by byte-level BPE vocabularies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"

namespace slm::tok {

// Length of the UTF-8 sequence that `lead` starts, judged from its high nibble alone (1 for
// stray continuation bytes), the way llama.cpp splits text into characters.
inline size_t utf8_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

using ::slm::append_utf8;  // base/utf8.h

// Decodes one code point at `pos` (advancing it), leniently like llama.cpp: a byte that does not
// start a well-formed sequence yields U+FFFD and advances by one.
uint32_t decode_utf8_lenient(std::string_view s, size_t& pos);

// True when `s` decodes without any U+FFFD substitution under decode_utf8_lenient and re-encodes to
// the same bytes (so it can be passed through unchanged).
bool is_clean_utf8(std::string_view s);

// Replaces malformed bytes by U+FFFD (EF BF BD), one per byte, as llama.cpp's BPE path does.
std::string sanitize_utf8(std::string_view s);

// Number of bytes at the end of `s` that form an incomplete (but so far valid) UTF-8 sequence:
// these may still be completed by more bytes.
size_t incomplete_utf8_tail(std::string_view s);

// GPT-2's reversible byte -> printable-unicode mapping.
struct ByteUnicode {
  std::array<std::string, 256> byte_to_utf8;  // 1 or 2 bytes of UTF-8 each
  std::array<int16_t, 324> cpt_to_byte;      // code point (< 324) -> byte, -1 if none
  static const ByteUnicode& get();
};

}  // namespace slm::tok
