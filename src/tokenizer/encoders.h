// The two merge algorithms, over one piece of plain text (special tokens already split out).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/vocab.h"

namespace slm::tok {

// Per-call scratch buffers, reused across the words of one encode() call.
struct Symbol {
  uint32_t start;  // byte offset in the word
  uint32_t len;    // 0 once merged into its left neighbour
  int32_t prev, next;
  int32_t piece;   // BPE: piece id of the symbol's text (-1 when not a known piece)
};
struct Workspace {
  std::vector<Symbol> symbols;
  std::vector<std::pair<uint32_t, uint32_t>> words, scratch;
  std::string buf;
  std::vector<uint64_t> heap_bpe;  // packed (rank, left) for BPE
  struct SpmBigram {
    float score;
    int32_t left, right;
    uint32_t size;
  };
  std::vector<SpmBigram> heap_spm;
};

// Byte-level BPE: pre-tokenize, map bytes to GPT-2 unicode, merge by rank.
void bpe_encode(const Vocab& vocab, const RegexSplitter& splitter, std::string_view text,
                std::vector<int32_t>& out, Workspace& ws);

// SentencePiece BPE on text whose spaces are already escaped to U+2581: merge the best-scoring
// adjacent pair that forms a token, repeatedly; characters left unmatched fall back to bytes.
void spm_encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out, Workspace& ws);

}  // namespace slm::tok
