// Pre-tokenizers for byte-level BPE vocabularies: the text is split into words by a sequence of
// regular expressions (PCRE2, UTF + UCP), each applied to the pieces the previous one produced.
// As in llama.cpp (and Hugging Face's Split pre-tokenizer with "isolated" behaviour), both the
// matches and the unmatched stretches between them become pieces.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slm/status.h"

namespace slm::tok {

// What a tokenizer.ggml.pre name implies besides its regexes (llama.cpp's per-type settings).
struct PreTokenizerConfig {
  std::vector<std::string> regexes;
  bool ignore_merges = false;  // a word that is itself a token skips the merges (llama3 family)
  bool clean_spaces = true;    // llama.cpp's clean_up_tokenization_spaces for decode
  bool add_bos = false;        // default for add_bos when the metadata does not say
};

// The configuration for a tokenizer.ggml.pre value; an error naming it when unknown.
Expected<PreTokenizerConfig> pre_tokenizer_config(std::string_view pre);

class RegexSplitter {
 public:
  static Expected<std::unique_ptr<RegexSplitter>> create(const std::vector<std::string>& regexes);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  // Splits `text` (valid UTF-8) into pieces, written as (offset, length) byte ranges into `out`
  // (cleared first). `scratch` is reused between calls to avoid allocation.
  void split(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>>& out,
             std::vector<std::pair<uint32_t, uint32_t>>& scratch) const;

 private:
  RegexSplitter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slm::tok
