// The immutable vocabulary read from a GGUF file's tokenizer.* metadata: token texts, scores and
// attributes, the special-token ids and flags, and (for BPE) the merge table. Everything is copied
// out of the GGUF mapping, so a Vocab does not depend on the GgufFile staying open.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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

inline uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull ^ (s.size() * 0x9E3779B97F4A7C15ull);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    __builtin_memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < s.size(); ++i) h = (h ^ static_cast<uint8_t>(s[i])) * 0x100000001b3ull;
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  h ^= h >> 32;
  return h;
}

// Open-addressing map from strings (owned elsewhere, reached through `text_of`) to int32 ids:
// a flat table of (hash tag, id) slots, so a lookup touches one cache line and compares bytes once.
class StringIdMap {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Slot{0, -1});
    mask_ = cap - 1;
  }
  // Inserts (`s` -> id) unless `s` is already present; returns the id stored for `s`.
  template <typename TextOf>
  int32_t insert(std::string_view s, int32_t id, const TextOf& text_of) {
    if ((size_ + 1) * 2 > slots_.size()) grow(text_of);
    const uint64_t h = hash_bytes(s);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& sl = slots_[i];
      if (sl.id < 0) {
        sl = Slot{static_cast<uint32_t>(h >> 32), id};
        ++size_;
        return id;
      }
      if (sl.tag == static_cast<uint32_t>(h >> 32) && text_of(sl.id) == s) return sl.id;
    }
  }
  template <typename TextOf>
  int32_t find(std::string_view s, const TextOf& text_of) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash_bytes(s);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& sl = slots_[i];
      if (sl.id < 0) return -1;
      if (sl.tag == static_cast<uint32_t>(h >> 32) && text_of(sl.id) == s) return sl.id;
    }
  }

 private:
  struct Slot {
    uint32_t tag;
    int32_t id;
  };
  template <typename TextOf>
  void grow(const TextOf& text_of) {
    std::vector<Slot> old;
    old.swap(slots_);
    const size_t n = size_;
    reserve(std::max<size_t>(n + 1, old.size()));
    size_ = 0;
    for (const Slot& sl : old)
      if (sl.id >= 0) insert(text_of(sl.id), sl.id, text_of);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Open-addressing map from a (left, right) piece-id pair to a merge.
class MergeMap {
 public:
  struct Entry {
    uint64_t key;
    int32_t rank;
    int32_t result;
  };
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Entry{kEmpty, 0, 0});
    mask_ = cap - 1;
  }
  bool insert(uint64_t key, int32_t rank, int32_t result) {  // first insertion wins
    if ((size_ + 1) * 2 > slots_.size()) {
      std::vector<Entry> old;
      old.swap(slots_);
      reserve(std::max<size_t>(size_ + 1, old.size()));
      size_ = 0;
      for (const Entry& e : old)
        if (e.key != kEmpty) insert(e.key, e.rank, e.result);
    }
    for (size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return false;
      if (slots_[i].key == kEmpty) {
        slots_[i] = Entry{key, rank, result};
        ++size_;
        return true;
      }
    }
  }
  const Entry* find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i];
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  static uint64_t mix(uint64_t k) {
    k ^= k >> 31;
    k *= 0x7FB5D329728EA185ull;
    k ^= k >> 27;
    return k;
  }
  std::vector<Entry> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

struct Vocab {
  VocabType type = VocabType::kSpm;
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre ("" when absent)

  // Token texts live in one arena; views index into it.
  std::string arena;
  std::vector<std::string_view> text;
  std::vector<float> score;
  std::vector<uint32_t> attr;
  StringIdMap to_id;

  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, pad = -1;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  bool clean_spaces = false, ignore_merges = false;
  std::vector<int32_t> eog;              // sorted
  std::vector<int32_t> special_tokens;   // control/user-defined/unknown, longest text first
  std::array<int32_t, 256> byte_token{}; // SPM: <0xXX> (or the 1-char token), -1 if none

  // BPE merges over "piece ids": ids < n_vocab are tokens; larger ids are strings that appear in
  // merges but not in the vocabulary.
  std::vector<std::string> extra_pieces;
  StringIdMap piece_id;  // token texts and extra pieces
  using Merge = MergeMap::Entry;
  MergeMap merges;

  int32_t n_vocab() const { return static_cast<int32_t>(text.size()); }
  std::string_view piece_text(int32_t id) const {
    return id < n_vocab() ? text[id] : std::string_view(extra_pieces[id - n_vocab()]);
  }
  int32_t find(std::string_view s) const {
    return to_id.find(s, [this](int32_t id) { return text[id]; });
  }
  int32_t find_piece(std::string_view s) const {
    return piece_id.find(s, [this](int32_t id) { return piece_text(id); });
  }
  const Merge* find_merge(int32_t left, int32_t right) const {
    return merges.find((static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right));
  }

  // Reads the vocabulary; for BPE models the pre-tokenizer named by tokenizer.ggml.pre supplies
  // the add_bos default, clean_spaces and ignore_merges (llama.cpp's per-type settings).
  static Expected<std::unique_ptr<Vocab>> load(const GgufFile& gguf);
};

}  // namespace slm::tok
