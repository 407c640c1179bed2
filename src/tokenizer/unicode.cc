#include "tokenizer/unicode.h"

namespace slm::tok {

uint32_t decode_utf8_lenient(std::string_view s, size_t& pos) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const uint8_t c = b(pos);
  if (c < 0x80) {
    pos += 1;
    return c;
  }
  if ((c & 0xE0) == 0xC0 && cont(pos + 1)) {
    const uint32_t r = ((c & 0x1Fu) << 6) | (b(pos + 1) & 0x3Fu);
    pos += 2;
    return r;
  }
  if ((c & 0xF0) == 0xE0 && cont(pos + 1) && cont(pos + 2)) {
    const uint32_t r = ((c & 0x0Fu) << 12) | ((b(pos + 1) & 0x3Fu) << 6) | (b(pos + 2) & 0x3Fu);
    pos += 3;
    return r;
  }
  if ((c & 0xF8) == 0xF0 && cont(pos + 1) && cont(pos + 2) && cont(pos + 3)) {
    const uint32_t r = ((c & 0x07u) << 18) | ((b(pos + 1) & 0x3Fu) << 12) |
                       ((b(pos + 2) & 0x3Fu) << 6) | (b(pos + 3) & 0x3Fu);
    pos += 4;
    return r;
  }
  pos += 1;
  return 0xFFFD;
}

bool is_clean_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    const size_t start = i;
    const uint32_t cpt = decode_utf8_lenient(s, i);
    const size_t n = i - start;
    // Reject substitutions and any sequence that would not re-encode to the same bytes
    // (overlong forms, surrogates, code points past U+10FFFF).
    const size_t want = cpt <= 0x7F ? 1 : cpt <= 0x7FF ? 2 : cpt <= 0xFFFF ? 3 : 4;
    if (n != want || (cpt >= 0xD800 && cpt <= 0xDFFF) || cpt > 0x10FFFF) return false;
    if (cpt == 0xFFFD && !(n == 3 && c == 0xEF)) return false;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cpt = decode_utf8_lenient(s, i);
    if ((cpt >= 0xD800 && cpt <= 0xDFFF) || cpt > 0x10FFFF) cpt = 0xFFFD;
    append_utf8(out, cpt);
  }
  return out;
}

size_t incomplete_utf8_tail(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t c = static_cast<uint8_t>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = 0;
    if ((c & 0xE0) == 0xC0) need = 2;
    else if ((c & 0xF0) == 0xE0) need = 3;
    else if ((c & 0xF8) == 0xF0) need = 4;
    return (need > back) ? back : 0;
  }
  return 0;
}

const ByteUnicode& ByteUnicode::get() {
  static const ByteUnicode table = [] {
    ByteUnicode t;
    t.cpt_to_byte.fill(-1);
    bool direct[256] = {};
    for (int c = 0x21; c <= 0x7E; ++c) direct[c] = true;
    for (int c = 0xA1; c <= 0xAC; ++c) direct[c] = true;
    for (int c = 0xAE; c <= 0xFF; ++c) direct[c] = true;
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cpt = direct[b] ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
      append_utf8(t.byte_to_utf8[b], cpt);
      t.cpt_to_byte[cpt] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return table;
}

}  // namespace slm::tok
