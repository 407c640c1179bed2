// The immutable vocabulary read from a GGUF file's tokenizer.* metadata: token texts, scores and
// attributes, the special-token ids and flags, and (for BPE) the merge table. Everything is copied
// out of the GGUF mapping, so a Vocab does not depend on the GgufFile staying open.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "slm/status.h"

namespace slm {
class GgufFile;
}

namespace slm::tok {

// Token attributes (bit flags), as llama.cpp derives them from tokenizer.ggml.token_type.
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 7,
  kAttrRstrip = 1u << 8,
};

enum class VocabType { kSpm, kBpe };

struct Vocab {
  VocabType type = VocabType::kSpm;
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre ("" when absent)

  // Token texts live in one arena; views index into it.
  std::string arena;
  std::vector<std::string_view> text;
  std::vector<float> score;
  std::vector<uint32_t> attr;
  std::unordered_map<std::string_view, int32_t> to_id;

  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, pad = -1;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  bool clean_spaces = false, ignore_merges = false;
  std::vector<int32_t> eog;              // sorted
  std::vector<int32_t> special_tokens;   // control/user-defined/unknown, longest text first
  std::array<int32_t, 256> byte_token{}; // SPM: <0xXX> (or the 1-char token), -1 if none

  // BPE merges over "piece ids": ids < n_vocab are tokens; larger ids are strings that appear in
  // merges but not in the vocabulary.
  std::vector<std::string> extra_pieces;
  std::unordered_map<std::string_view, int32_t> piece_id;  // token texts and extra pieces
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::unordered_map<uint64_t, Merge> merges;

  int32_t n_vocab() const { return static_cast<int32_t>(text.size()); }
  int32_t find(std::string_view s) const {
    auto it = to_id.find(s);
    return it == to_id.end() ? -1 : it->second;
  }
  int32_t find_piece(std::string_view s) const {
    auto it = piece_id.find(s);
    return it == piece_id.end() ? -1 : it->second;
  }
  const Merge* find_merge(int32_t left, int32_t right) const {
    auto it = merges.find((static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
                          static_cast<uint32_t>(right));
    return it == merges.end() ? nullptr : &it->second;
  }

  // Reads the vocabulary; `bpe_defaults` are the pre-tokenizer's settings (add_bos default,
  // clean_spaces, ignore_merges) for BPE models.
  static Expected<std::unique_ptr<Vocab>> load(const GgufFile& gguf);
};

}  // namespace slm::tok
