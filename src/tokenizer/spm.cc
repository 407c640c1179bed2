#include <algorithm>

#include "tokenizer/encoders.h"
#include "tokenizer/unicode.h"

namespace slm::tok {
namespace {

// Max-heap order: higher score first, then the leftmost pair.
struct SpmLess {
  bool operator()(const Workspace::SpmBigram& a, const Workspace::SpmBigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void spm_encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out, Workspace& ws) {
  auto& sym = ws.symbols;
  sym.clear();
  for (uint32_t off = 0; off < text.size();) {
    const uint32_t len = static_cast<uint32_t>(
        std::min<size_t>(utf8_len(static_cast<uint8_t>(text[off])), text.size() - off));
    const int32_t idx = static_cast<int32_t>(sym.size());
    sym.push_back({off, len, idx - 1, off + len == text.size() ? -1 : idx + 1, -1});
    off += len;
  }

  auto& heap = ws.heap_spm;
  heap.clear();
  const auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const uint32_t size = sym[left].len + sym[right].len;
    const int32_t id = vocab.find(text.substr(sym[left].start, size));
    if (id < 0) return;
    heap.push_back({vocab.score[id], left, right, size});
    std::push_heap(heap.begin(), heap.end(), SpmLess());
  };
  for (int32_t i = 1; i < static_cast<int32_t>(sym.size()); ++i) try_add(i - 1, i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), SpmLess());
    const Workspace::SpmBigram b = heap.back();
    heap.pop_back();
    Symbol& l = sym[b.left];
    Symbol& r = sym[b.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.size) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int32_t i = 0; i >= 0 && !sym.empty(); i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.len == 0) continue;
    const std::string_view piece = text.substr(s.start, s.len);
    if (int32_t id = vocab.find(piece); id >= 0) {
      out.push_back(id);
      continue;
    }
    // Only single characters can be left without a token (merges always form tokens): emit
    // their bytes as byte tokens, or <unk> when the vocabulary has no byte token.
    for (char c : piece) {
      const int32_t id = vocab.byte_token[static_cast<uint8_t>(c)];
      if (id >= 0) out.push_back(id);
      else if (vocab.unk >= 0) out.push_back(vocab.unk);
    }
  }
}

}  // namespace slm::tok
