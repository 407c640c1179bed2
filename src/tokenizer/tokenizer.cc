#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>

#include "formats/gguf.h"
#include "tokenizer/encoders.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

namespace slm {

using tok::Vocab;

// A byte trie over the special-token texts, to find every occurrence in one pass over the text.
struct Tokenizer::SpecialTrie {
  struct Node {
    int32_t order = -1;  // index into vocab.special_tokens when a token ends here
    std::vector<std::pair<uint8_t, int32_t>> kids;
  };
  std::vector<Node> nodes;
  std::array<int32_t, 256> root{};

  explicit SpecialTrie(const Vocab& v) {
    root.fill(-1);
    for (size_t k = 0; k < v.special_tokens.size(); ++k) {
      const std::string_view t = v.text[v.special_tokens[k]];
      int32_t node = -1;
      for (size_t i = 0; i < t.size(); ++i) {
        const uint8_t c = static_cast<uint8_t>(t[i]);
        int32_t next = -1;
        if (node < 0) {
          next = root[c];
        } else {
          for (auto& [b, child] : nodes[node].kids)
            if (b == c) next = child;
        }
        if (next < 0) {
          next = static_cast<int32_t>(nodes.size());
          nodes.emplace_back();
          if (node < 0) root[c] = next;
          else nodes[node].kids.emplace_back(c, next);
        }
        node = next;
      }
      if (node >= 0 && nodes[node].order < 0) nodes[node].order = static_cast<int32_t>(k);
    }
  }
};

namespace {

inline bool c_isspace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

struct Segment {
  uint32_t pos, len;
  int32_t token;  // -1 for text
};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos, std::string::npos);
  s.swap(out);
}

// llama.cpp's clean-up of tokenization spaces (Hugging Face's clean_up_tokenization_spaces).
void clean_spaces(std::string& s) {
  if (s.size() < 2) return;
  // " ?", " !", " .", " ,": drop the space.
  {
    std::string out;
    out.reserve(s.size());
    out.push_back(s[0]);
    for (size_t i = 1; i < s.size(); ++i) {
      const char x = s[i];
      if (s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) out.pop_back();
      out.push_back(x);
    }
    s.swap(out);
  }
  // " ' ": drop both spaces around a lone apostrophe.
  {
    std::string out;
    out.reserve(s.size());
    out.push_back(s[0]);
    for (size_t i = 1; i < s.size(); ++i) {
      const char x = s[i];
      if (x == '\'' && i + 1 < s.size() && s[i - 1] == ' ' && s[i + 1] == ' ') {
        out.pop_back();
        out.push_back(x);
        s[i + 1] = '\0';  // the following space is skipped (and no longer reads as a space)
        ++i;
        continue;
      }
      out.push_back(x);
    }
    s.swap(out);
  }
  // " 's", " 'm", " 're", " 've": drop the space before the contraction.
  {
    std::string out;
    out.reserve(s.size());
    out.push_back(s[0]);
    const size_t n = s.size();
    for (size_t i = 1; i < n; ++i) {
      const char x = s[i];
      if (s[i - 1] == ' ' && x == '\'' && i + 1 < n) {
        const char x1 = s[i + 1];
        if (x1 == 's' || x1 == 'm') {
          out.pop_back();
        } else if (i + 2 < n) {
          const char x2 = s[i + 2];
          if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) out.pop_back();
        }
      }
      out.push_back(x);
    }
    s.swap(out);
  }
}

}  // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

Expected<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const GgufFile& gguf) {
  auto vocab = Vocab::load(gguf);
  if (!vocab.ok()) return vocab.status();
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->vocab_ = std::move(*vocab);
  const Vocab& v = *t->vocab_;
  if (v.type == tok::VocabType::kBpe) {
    auto cfg = tok::pre_tokenizer_config(v.pre);
    if (!cfg.ok()) return cfg.status();
    auto sp = tok::RegexSplitter::create(cfg->regexes);
    if (!sp.ok()) return sp.status();
    t->splitter_ = std::move(*sp);
  }

  // Pieces (render_special = false) for every token.
  const auto& bu = tok::ByteUnicode::get();
  t->pieces_.resize(v.text.size());
  for (size_t id = 0; id < v.text.size(); ++id) {
    const uint32_t a = v.attr[id];
    const std::string_view text = v.text[id];
    std::string& p = t->pieces_[id];
    if (a & (tok::kAttrUnknown | tok::kAttrControl)) continue;
    if (a & tok::kAttrUserDefined) {
      p.assign(text);
    } else if (a & tok::kAttrNormal) {
      if (v.type == tok::VocabType::kSpm) {
        p.assign(text);
        replace_all(p, "\xE2\x96\x81", " ");
      } else {
        for (size_t i = 0; i < text.size();) {
          const size_t start = i;
          const uint32_t cpt = tok::decode_utf8_lenient(text, i);
          if (cpt < bu.cpt_to_byte.size() && bu.cpt_to_byte[cpt] >= 0) {
            p.push_back(static_cast<char>(bu.cpt_to_byte[cpt]));
          } else {
            p.append(text.substr(start, i - start));  // not a byte-mapped character: keep it
          }
        }
      }
    } else if (a & tok::kAttrByte) {
      if (text.size() == 6 && text.substr(0, 3) == "<0x") {
        p.push_back(static_cast<char>(std::stoi(std::string(text.substr(3, 2)), nullptr, 16)));
      } else {
        p.assign(text);  // a byte token that is the byte itself
      }
    }
  }
  t->trie_ = std::make_unique<SpecialTrie>(v);
  return t;
}

int32_t Tokenizer::n_vocab() const { return vocab_->n_vocab(); }
int32_t Tokenizer::bos_id() const { return vocab_->bos; }
int32_t Tokenizer::eos_id() const { return vocab_->eos; }
int32_t Tokenizer::eot_id() const { return vocab_->eot; }
bool Tokenizer::add_bos() const { return vocab_->add_bos; }
bool Tokenizer::add_eos() const { return vocab_->add_eos; }
bool Tokenizer::add_space_prefix() const { return vocab_->add_space_prefix; }
bool Tokenizer::is_eog(int32_t id) const {
  return id >= 0 && std::binary_search(vocab_->eog.begin(), vocab_->eog.end(), id);
}
bool Tokenizer::is_control(int32_t id) const {
  return id >= 0 && id < n_vocab() && (vocab_->attr[id] & (tok::kAttrControl | tok::kAttrUnknown));
}
std::span<const int32_t> Tokenizer::eog_ids() const { return vocab_->eog; }
std::string_view Tokenizer::token_text(int32_t id) const {
  return id >= 0 && id < n_vocab() ? vocab_->text[id] : std::string_view();
}
int32_t Tokenizer::find_token(std::string_view text) const { return vocab_->find(text); }
std::string_view Tokenizer::model_type() const { return vocab_->model; }
std::string_view Tokenizer::pre_type() const { return vocab_->pre; }

void Tokenizer::encode_text(std::string_view text, bool after_special, std::vector<int32_t>& out,
                            void* workspace) const {
  auto& ws = *static_cast<tok::Workspace*>(workspace);
  if (vocab_->type == tok::VocabType::kBpe) {
    tok::bpe_encode(*vocab_, *splitter_, text, out, ws);
    return;
  }
  std::string esc;
  esc.reserve(text.size() + text.size() / 4 + 3);
  if (vocab_->add_space_prefix && after_special) esc += "\xE2\x96\x81";
  for (char c : text) {
    if (c == ' ') esc += "\xE2\x96\x81";
    else esc.push_back(c);
  }
  tok::spm_encode(*vocab_, esc, out, ws);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  const Vocab& v = *vocab_;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special && v.add_bos) out.push_back(v.bos);

  // ---- split out special tokens (llama.cpp: longest text first, each over the remaining text) ----
  std::vector<Segment> segs;
  if (!text.empty()) {
    struct Match {
      int32_t order;
      uint32_t pos;
    };
    std::vector<Match> matches;
    const uint32_t eligible = parse_special ? (tok::kAttrControl | tok::kAttrUnknown | tok::kAttrUserDefined)
                                            : tok::kAttrUserDefined;
    const auto& nodes = trie_->nodes;
    for (uint32_t p = 0; p < text.size(); ++p) {
      int32_t node = trie_->root[static_cast<uint8_t>(text[p])];
      for (uint32_t q = p + 1; node >= 0; ++q) {
        const int32_t order = nodes[node].order;
        if (order >= 0) {
          const uint32_t a = v.attr[v.special_tokens[order]];
          // Control and unknown tokens are matched only with parse_special.
          if ((a & eligible) && (parse_special || !(a & (tok::kAttrControl | tok::kAttrUnknown))))
            matches.push_back({order, p});
        }
        if (q >= text.size()) break;
        const uint8_t c = static_cast<uint8_t>(text[q]);
        int32_t next = -1;
        for (const auto& [b, child] : nodes[node].kids)
          if (b == c) next = child;
        node = next;
      }
    }
    if (matches.empty()) {
      segs.push_back({0, static_cast<uint32_t>(text.size()), -1});
    } else {
      std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
        return a.order != b.order ? a.order < b.order : a.pos < b.pos;
      });
      std::vector<uint8_t> claimed(text.size(), 0);  // 1: a token, 2: stripped whitespace
      std::vector<Segment> toks;
      for (const Match& m : matches) {
        const int32_t id = v.special_tokens[m.order];
        const uint32_t len = static_cast<uint32_t>(v.text[id].size());
        bool free = true;
        for (uint32_t k = m.pos; k < m.pos + len && free; ++k) free = claimed[k] == 0;
        if (!free) continue;
        std::fill(claimed.begin() + m.pos, claimed.begin() + m.pos + len, 1);
        toks.push_back({m.pos, len, id});
        if (v.attr[id] & tok::kAttrLstrip)
          for (uint32_t k = m.pos; k > 0 && claimed[k - 1] == 0 && c_isspace(text[k - 1]); --k) claimed[k - 1] = 2;
        if (v.attr[id] & tok::kAttrRstrip)
          for (uint32_t k = m.pos + len; k < text.size() && claimed[k] == 0 && c_isspace(text[k]); ++k)
            claimed[k] = 2;
      }
      std::sort(toks.begin(), toks.end(), [](const Segment& a, const Segment& b) { return a.pos < b.pos; });
      uint32_t cur = 0;
      const auto add_text = [&](uint32_t from, uint32_t to) {
        while (from < to && claimed[from] == 2) ++from;
        while (to > from && claimed[to - 1] == 2) --to;
        if (to > from) segs.push_back({from, to - from, -1});
      };
      for (const Segment& t : toks) {
        add_text(cur, t.pos);
        segs.push_back(t);
        cur = t.pos + t.len;
      }
      add_text(cur, static_cast<uint32_t>(text.size()));
    }
  }

  tok::Workspace ws;
  bool prev_special = true;  // SPM: the first text piece, and any after a special token, get the prefix
  for (const Segment& s : segs) {
    if (s.token >= 0) {
      out.push_back(s.token);
      prev_special = true;
    } else {
      encode_text(text.substr(s.pos, s.len), prev_special, out, &ws);
      prev_special = false;
    }
  }
  if (add_special && v.add_eos) out.push_back(v.eos);
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
  if (id < 0 || id >= n_vocab()) return {};
  if (render_special && (vocab_->attr[id] & (tok::kAttrControl | tok::kAttrUnknown)))
    return std::string(vocab_->text[id]);
  return pieces_[id];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  bool strip = vocab_->add_space_prefix;
  size_t i = 0;  // index among valid ids, as StreamDecoder counts them
  for (const int32_t id : ids) {
    if (id < 0 || id >= n_vocab()) continue;
    const bool leading = i++ == 0;
    const std::string_view piece =
        render_special && (vocab_->attr[id] & (tok::kAttrControl | tok::kAttrUnknown))
            ? vocab_->text[id]
            : std::string_view(pieces_[id]);
    if (strip) {
      if (leading && id == vocab_->bos) {
        out.append(piece);
        continue;
      }
      strip = false;
      out.append(!piece.empty() && piece[0] == ' ' ? piece.substr(1) : piece);
      continue;
    }
    out.append(piece);
  }
  if (vocab_->clean_spaces) clean_spaces(out);
  return out;
}

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool render_special)
    : tok_(tokenizer), render_special_(render_special) {}

void StreamDecoder::reset() {
  first_ = true;
  index_ = 0;
  pending_.clear();
}

std::string StreamDecoder::push(int32_t id) {
  std::string piece = tok_.token_to_piece(id, render_special_);
  if (first_ && tok_.add_space_prefix() && id >= 0 && id < tok_.n_vocab()) {
    if (!(index_ == 0 && id == tok_.bos_id())) {
      first_ = false;
      if (!piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    }
  }
  if (id >= 0 && id < tok_.n_vocab()) ++index_;
  pending_ += piece;
  const size_t hold = tok::incomplete_utf8_tail(pending_);
  std::string ready = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return ready;
}

std::string StreamDecoder::finish() {
  std::string rest;
  rest.swap(pending_);
  first_ = true;
  index_ = 0;
  return rest;
}

}  // namespace slm
