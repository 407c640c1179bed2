#include <algorithm>
#include <functional>

#include "tokenizer/encoders.h"
#include "tokenizer/unicode.h"

namespace slm::tok {
namespace {

// Heap entries pack (rank, left index) so that the smallest value is the next merge: lowest
// rank first, leftmost on ties (as llama.cpp and Hugging Face order them).
inline uint64_t pack(int32_t rank, int32_t left) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(rank)) << 32) | static_cast<uint32_t>(left);
}

void merge_word(const Vocab& vocab, std::string_view word, std::vector<int32_t>& out, Workspace& ws) {
  if (vocab.ignore_merges) {
    if (int32_t id = vocab.find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  auto& sym = ws.symbols;
  sym.clear();
  for (uint32_t off = 0; off < word.size();) {
    const uint32_t len = static_cast<uint32_t>(
        std::min<size_t>(utf8_len(static_cast<uint8_t>(word[off])), word.size() - off));
    const int32_t idx = static_cast<int32_t>(sym.size());
    sym.push_back({off, len, idx - 1, off + len == word.size() ? -1 : idx + 1,
                   vocab.find_piece(word.substr(off, len))});
    off += len;
  }

  auto& heap = ws.heap_bpe;
  heap.clear();
  const auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t pl = sym[left].piece, pr = sym[right].piece;
    if (pl < 0 || pr < 0) return;
    if (const Vocab::Merge* m = vocab.find_merge(pl, pr)) {
      heap.push_back(pack(m->rank, left));
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
    }
  };
  for (int32_t i = 1; i < static_cast<int32_t>(sym.size()); ++i) try_add(i - 1, i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const uint64_t top = heap.back();
    heap.pop_back();
    const int32_t rank = static_cast<int32_t>(top >> 32);
    const int32_t left = static_cast<int32_t>(top & 0xFFFFFFFFu);
    Symbol& l = sym[left];
    if (l.len == 0 || l.next < 0) continue;
    Symbol& r = sym[l.next];
    // Stale entry: one side changed since it was queued. Re-check that this pair still merges
    // with this rank.
    const Vocab::Merge* m = (l.piece >= 0 && r.piece >= 0) ? vocab.find_merge(l.piece, r.piece) : nullptr;
    if (!m || m->rank != rank) continue;
    l.len += r.len;
    l.piece = m->result;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = left;
    try_add(l.prev, left);
    try_add(left, l.next);
  }

  for (int32_t i = 0; i >= 0 && !sym.empty(); i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.len == 0) continue;
    if (s.piece >= 0 && s.piece < vocab.n_vocab()) {
      out.push_back(s.piece);
      continue;
    }
    // Not a token: llama.cpp emits whichever single bytes of it are tokens.
    for (uint32_t k = 0; k < s.len; ++k)
      if (int32_t id = vocab.find(word.substr(s.start + k, 1)); id >= 0) out.push_back(id);
  }
}

}  // namespace

void bpe_encode(const Vocab& vocab, const RegexSplitter& splitter, std::string_view text,
                std::vector<int32_t>& out, Workspace& ws) {
  std::string clean;
  if (!is_clean_utf8(text)) {
    clean = sanitize_utf8(text);
    text = clean;
  }
  splitter.split(text, ws.words, ws.scratch);
  const ByteUnicode& bu = ByteUnicode::get();
  for (const auto& [off, len] : ws.words) {
    ws.buf.clear();
    for (uint32_t k = 0; k < len; ++k) ws.buf += bu.byte_to_utf8[static_cast<uint8_t>(text[off + k])];
    merge_word(vocab, ws.buf, out, ws);
  }
}

}  // namespace slm::tok
