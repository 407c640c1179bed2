// Tokenizers built from a GGUF file's vocabulary, token-for-token the same as llama.cpp's:
//  - "gpt2": byte-level BPE with the pre-tokenizer named by tokenizer.ggml.pre;
//  - "llama": SentencePiece-style BPE over scores, with byte fallback.
// Special tokens: user-defined tokens are always matched in the text; control (and unknown)
// tokens only when parse_special is set. Matching is longest-token-first, as llama.cpp does.
//
// Decoding: control/unknown tokens render as "" unless render_special; user-defined tokens render
// as their text; byte tokens as the raw byte. When the vocabulary adds a space prefix (SPM with
// add_space_prefix), decode() and StreamDecoder drop one leading space from the first token's
// text, skipping over a leading BOS, so decode(encode(text)) == text with or without add_special.
// (llama.cpp's llama_detokenize drops it only when the first token is not a BOS it keeps.)
// Byte-level BPE vocabularies that llama.cpp marks clean_spaces (GPT-2 style) get its
// clean-up of " ." " ," " 's" ... in decode(); StreamDecoder does not apply that clean-up.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/status.h"

namespace slm {

class GgufFile;
namespace tok {
struct Vocab;
class RegexSplitter;
}  // namespace tok

class Tokenizer {
 public:
  // Errors name the missing or unsupported tokenizer.ggml.model / tokenizer.ggml.pre.
  static Expected<std::unique_ptr<Tokenizer>> from_gguf(const GgufFile& gguf);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  int32_t n_vocab() const;

  // add_special: BOS first / EOS last as tokenizer.ggml.add_bos_token / add_eos_token say (with
  // llama.cpp's per-model defaults when absent). parse_special: control-token strings in the
  // text become those tokens. Thread-safe (const; no shared mutable state).
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for ("" for control tokens unless render_special; "" for ids out
  // of range).
  std::string token_to_piece(int32_t id, bool render_special = false) const;
  std::string decode(std::span<const int32_t> ids, bool render_special = false) const;

  int32_t bos_id() const;  // -1 when absent
  int32_t eos_id() const;  // -1 when absent
  int32_t eot_id() const;  // -1 when absent
  bool add_bos() const;
  bool add_eos() const;
  bool add_space_prefix() const;
  bool is_eog(int32_t id) const;      // eos, eot, <|im_end|>, <end_of_turn>, ... (llama.cpp's set)
  bool is_control(int32_t id) const;  // control or unknown type: not rendered by default
  std::span<const int32_t> eog_ids() const;
  std::string_view token_text(int32_t id) const;  // the vocabulary's raw text ("" out of range)
  int32_t find_token(std::string_view text) const;  // -1 if no token has exactly this text
  std::string_view model_type() const;  // tokenizer.ggml.model: "llama" (spm) / "gpt2" (bpe)
  std::string_view pre_type() const;    // tokenizer.ggml.pre ("" when absent)

 private:
  friend class StreamDecoder;
  Tokenizer();
  void encode_text(std::string_view text, bool after_special, std::vector<int32_t>& out,
                   void* workspace) const;

  std::unique_ptr<tok::Vocab> vocab_;
  std::unique_ptr<tok::RegexSplitter> splitter_;  // BPE only
  std::vector<std::string> pieces_;               // token_to_piece(id, false) for every id
  struct SpecialTrie;
  std::unique_ptr<SpecialTrie> trie_;
};

// Streams text as tokens arrive; never emits half a UTF-8 character (an incomplete sequence is
// held back until it completes, or until finish()). Concatenating push()es and finish() gives
// decode() of the same ids (without the clean_spaces pass, see above).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = false);
  std::string push(int32_t id);
  std::string finish();  // flushes whatever is held (possibly an incomplete sequence)
  void reset();

 private:
  const Tokenizer& tok_;
  bool render_special_;
  bool first_ = true;
  size_t index_ = 0;
  std::string pending_;
};

}  // namespace slm
