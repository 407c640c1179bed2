#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "formats/gguf.h"
#include "tokenizer/pretokenizer.h"

namespace slm::tok {
namespace {

// Texts llama.cpp treats as end-of-turn / end-of-generation markers when the metadata is silent.
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"};
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~["};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                                             "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};

template <size_t N>
bool in(std::string_view s, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

Expected<int32_t> optional_id(const GgufFile& g, std::string_view key, int32_t dflt, int32_t n_vocab) {
  if (dflt >= n_vocab) dflt = -1;  // a default outside the vocabulary is disabled
  const GgufValue* v = g.find(key);
  if (!v) return dflt;
  if (!v->is_integer())
    return Status::Error(std::string(key) + ": expected an integer token id, found " +
                         std::string(gguf_type_name(v->type)));
  const int64_t id = v->type == GgufType::INT8 || v->type == GgufType::INT16 ||
                             v->type == GgufType::INT32 || v->type == GgufType::INT64
                         ? v->i
                         : static_cast<int64_t>(v->u);
  if (id < 0 || id >= n_vocab) return dflt;  // llama.cpp keeps the default for a bad id
  return static_cast<int32_t>(id);
}

}  // namespace

Expected<std::unique_ptr<Vocab>> Vocab::load(const GgufFile& g) {
  auto v = std::make_unique<Vocab>();

  auto model = g.get_string("tokenizer.ggml.model");
  if (!model.ok()) return Status::Error("tokenizer: " + model.error());
  v->model = std::string(*model);
  if (const GgufValue* pre = g.find("tokenizer.ggml.pre"); pre && pre->type == GgufType::STRING)
    v->pre = std::string(pre->str);

  PreTokenizerConfig pre_cfg;
  if (v->model == "llama") {
    v->type = VocabType::kSpm;
    v->add_bos = true;
    v->add_space_prefix = true;
  } else if (v->model == "gpt2") {
    v->type = VocabType::kBpe;
    auto cfg = pre_tokenizer_config(v->pre);
    if (!cfg.ok()) return cfg.status();
    pre_cfg = std::move(*cfg);
    v->add_bos = pre_cfg.add_bos;
    v->clean_spaces = pre_cfg.clean_spaces;
    v->ignore_merges = pre_cfg.ignore_merges;
  } else {
    return Status::Error("unsupported tokenizer.ggml.model '" + v->model +
                         "' (supported: 'llama' (SentencePiece BPE), 'gpt2' (byte-level BPE))");
  }

  // ---- tokens, scores, types ----
  auto tokens = g.get_array("tokenizer.ggml.tokens", GgufType::STRING);
  if (!tokens.ok()) return Status::Error("tokenizer: " + tokens.error());
  const auto& toks = (*tokens)->arr;
  const size_t n = toks.size();
  if (n == 0) return Status::Error("tokenizer.ggml.tokens: the vocabulary is empty");
  if (n > (1u << 30)) return Status::Error("tokenizer.ggml.tokens: too many tokens (" + std::to_string(n) + ")");

  const GgufValue* scores = g.find("tokenizer.ggml.scores");
  if (scores) {
    if (scores->type != GgufType::ARRAY ||
        (scores->elem_type != GgufType::FLOAT32 && scores->elem_type != GgufType::INT32))
      return Status::Error("tokenizer.ggml.scores: expected an array of float32 or int32");
    if (scores->arr.size() < n)
      return Status::Error("tokenizer.ggml.scores: " + std::to_string(scores->arr.size()) +
                           " scores for " + std::to_string(n) + " tokens");
  }
  const GgufValue* types = g.find("tokenizer.ggml.token_type");
  if (types) {
    if (types->type != GgufType::ARRAY || !(types->elem_type == GgufType::INT32 || types->elem_type == GgufType::UINT32))
      return Status::Error("tokenizer.ggml.token_type: expected an array of int32");
    if (types->arr.size() < n)
      return Status::Error("tokenizer.ggml.token_type: " + std::to_string(types->arr.size()) +
                           " types for " + std::to_string(n) + " tokens");
  }

  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += toks[i].str.empty() ? 24 : toks[i].str.size();
  v->arena.reserve(total);
  std::vector<std::pair<size_t, size_t>> spans(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t off = v->arena.size();
    if (toks[i].str.empty()) v->arena += "[EMPTY_" + std::to_string(i) + "]";
    else v->arena.append(toks[i].str);
    spans[i] = {off, v->arena.size() - off};
  }
  v->text.resize(n);
  v->score.assign(n, 0.0f);
  v->attr.assign(n, kAttrNormal);
  v->to_id.reserve(n);
  const auto text_of = [&v](int32_t id) { return v->text[id]; };
  for (size_t i = 0; i < n; ++i) {
    v->text[i] = std::string_view(v->arena).substr(spans[i].first, spans[i].second);
    const int32_t have = v->to_id.insert(v->text[i], static_cast<int32_t>(i), text_of);
    if (have != static_cast<int32_t>(i))
      return Status::Error("tokenizer.ggml.tokens: duplicate token '" + std::string(v->text[i]) +
                           "' at ids " + std::to_string(have) + " and " + std::to_string(i));
    if (scores) {
      const GgufValue& s = scores->arr[i];
      v->score[i] = scores->elem_type == GgufType::FLOAT32 ? static_cast<float>(s.f) : static_cast<float>(s.i);
    }
    if (types) {
      const GgufValue& t = types->arr[i];
      const int64_t tt = t.type == GgufType::INT32 ? t.i : static_cast<int64_t>(t.u);
      switch (tt) {
        case 1: v->attr[i] = kAttrNormal; break;
        case 2: v->attr[i] = kAttrUnknown; break;
        case 3: v->attr[i] = kAttrControl; break;
        case 4: v->attr[i] = kAttrUserDefined; break;
        case 5: v->attr[i] = kAttrUnused; break;
        case 6: v->attr[i] = kAttrByte; break;
        default: v->attr[i] = kAttrUndefined; break;
      }
    }
  }
  const int32_t nv = static_cast<int32_t>(n);

  // ---- flags ----
  auto add_prefix = g.get_bool_or("tokenizer.ggml.add_space_prefix", v->add_space_prefix);
  if (!add_prefix.ok()) return add_prefix.status();
  v->add_space_prefix = *add_prefix;

  // ---- special ids (llama.cpp's per-model defaults, then the metadata) ----
  const bool spm = v->type == VocabType::kSpm;
  struct {
    const char* key;
    int32_t* id;
    int32_t dflt;
  } ids[] = {
      {"tokenizer.ggml.bos_token_id", &v->bos, spm ? 1 : -1},
      {"tokenizer.ggml.eos_token_id", &v->eos, spm ? 2 : -1},
      {"tokenizer.ggml.eot_token_id", &v->eot, -1},
      {"tokenizer.ggml.eom_token_id", &v->eom, -1},
      {"tokenizer.ggml.unknown_token_id", &v->unk, spm ? 0 : -1},
      {"tokenizer.ggml.padding_token_id", &v->pad, -1},
  };
  for (auto& e : ids) {
    auto id = optional_id(g, e.key, e.dflt, nv);
    if (!id.ok()) return id.status();
    *e.id = *id;
  }
  int32_t fim_pad = -1, fim_rep = -1, fim_sep = -1;
  {
    auto a = optional_id(g, "tokenizer.ggml.fim_pad_token_id", -1, nv);
    auto b = optional_id(g, "tokenizer.ggml.fim_rep_token_id", -1, nv);
    auto c = optional_id(g, "tokenizer.ggml.fim_sep_token_id", -1, nv);
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    if (!c.ok()) return c.status();
    fim_pad = *a, fim_rep = *b, fim_sep = *c;
  }

  auto add_bos = g.get_bool_or("tokenizer.ggml.add_bos_token", v->add_bos);
  if (!add_bos.ok()) return add_bos.status();
  auto add_eos = g.get_bool_or("tokenizer.ggml.add_eos_token", v->add_eos);
  if (!add_eos.ok()) return add_eos.status();
  v->add_bos = *add_bos && v->bos >= 0;
  v->add_eos = *add_eos && v->eos >= 0;

  // ---- text-based detection of end-of-turn and FIM tokens (marks them control) ----
  // Iterated in id order; llama.cpp walks a hash map, which only matters when several candidate
  // texts are present and the metadata names none of them.
  for (int32_t id = 0; id < nv; ++id) {
    const std::string_view t = v->text[id];
    uint32_t& a = v->attr[id];
    if (v->eot < 0 && in(t, kEotTexts)) v->eot = id, a |= kAttrControl;
    if (v->eom < 0 && t == "<|eom_id|>") v->eom = id, a |= kAttrControl;
    if (fim_pad < 0 && in(t, kFimPadTexts)) fim_pad = id, a |= kAttrControl;
    if (fim_rep < 0 && in(t, kFimRepTexts)) fim_rep = id, a |= kAttrControl;
    if (fim_sep < 0 && in(t, kFimSepTexts)) fim_sep = id, a |= kAttrControl;
  }
  for (int32_t id = 0; id < nv; ++id)
    if ((v->attr[id] & kAttrControl) && v->text[id].find("unused") != std::string_view::npos)
      v->attr[id] |= kAttrUnused;

  std::vector<int32_t> eog;
  for (int32_t id : {fim_pad, fim_rep, fim_sep})
    if (id >= 0) eog.push_back(id);
  for (int32_t id = 0; id < nv; ++id)
    if (in(v->text[id], kEogTexts)) eog.push_back(id), v->attr[id] |= kAttrControl;
  for (int32_t id = 0; id < nv; ++id)
    if (v->text[id] == "<|channel|>" || v->text[id] == "<|message|>" || v->text[id] == "<|start|>" ||
        v->text[id] == "<|constrain|>")
      v->attr[id] = kAttrUserDefined;
  for (int32_t id : {v->eos, v->eot, v->eom})
    if (id >= 0) eog.push_back(id);
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  {
    // gpt-oss / solar-open: "<|end|>" is not end of generation when these are present.
    const auto has = [&](std::string_view s) {
      return std::any_of(eog.begin(), eog.end(), [&](int32_t id) { return v->text[id] == s; });
    };
    if ((has("<|return|>") && has("<|call|>") && has("<|end|>")) ||
        (has("<|calls|>") && has("<|flush|>") && has("<|end|>"))) {
      const int32_t end = v->find("<|end|>");
      eog.erase(std::remove(eog.begin(), eog.end(), end), eog.end());
      v->attr[end] = kAttrUserDefined;
    }
    if (has("<|tool_response>") && has("</s>")) {
      const int32_t s = v->find("</s>");
      eog.erase(std::remove(eog.begin(), eog.end(), s), eog.end());
      v->attr[s] = kAttrNormal;
    }
  }
  v->eog = std::move(eog);

  // ---- special tokens matched in text, longest first ----
  for (int32_t id = 0; id < nv; ++id)
    if (v->attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) v->special_tokens.push_back(id);
  std::stable_sort(v->special_tokens.begin(), v->special_tokens.end(), [&](int32_t a, int32_t b) {
    return v->text[a].size() > v->text[b].size();
  });

  // Phi-3: special tokens swallow the whitespace after them (as llama.cpp sets by model name).
  if (const GgufValue* name = g.find("general.name"); name && name->type == GgufType::STRING) {
    std::string lower(name->str);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("phi-3") != std::string::npos || lower.find("phi3") != std::string::npos) {
      for (int32_t id : v->special_tokens) v->attr[id] |= kAttrRstrip;
      if (int32_t id = v->find("</s>"); id >= 0) v->attr[id] |= kAttrRstrip;
      for (const char* t : {"<unk>", "<s>", "<|endoftext|>"})
        if (int32_t id = v->find(t); id >= 0) v->attr[id] &= ~kAttrRstrip;
    }
  }

  // ---- byte tokens (SPM byte fallback) ----
  v->byte_token.fill(-1);
  if (spm) {
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
      const char buf[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
      int32_t id = v->find(std::string_view(buf, 6));
      if (id < 0) id = v->find(std::string_view(reinterpret_cast<const char*>(&b), 1));
      v->byte_token[b] = id;
    }
  }

  // ---- BPE merges ----
  if (!spm) {
    auto merges = g.get_array("tokenizer.ggml.merges", GgufType::STRING);
    if (!merges.ok()) return Status::Error("tokenizer: byte-level BPE needs merges: " + merges.error());
    const auto& ms = (*merges)->arr;
    v->piece_id = v->to_id;
    const auto piece_text = [&v](int32_t id) { return v->piece_text(id); };
    auto piece = [&](std::string_view s) -> int32_t {
      const int32_t found = v->find_piece(s);
      if (found >= 0) return found;
      v->extra_pieces.emplace_back(s);
      const int32_t id = nv + static_cast<int32_t>(v->extra_pieces.size()) - 1;
      v->piece_id.insert(v->extra_pieces.back(), id, piece_text);
      return id;
    };
    v->merges.reserve(ms.size());
    std::string joined;
    for (size_t i = 0; i < ms.size(); ++i) {
      const std::string_view m = ms[i].str;
      const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
      if (sp == std::string_view::npos) continue;  // malformed entry: llama.cpp keeps an unusable pair
      const std::string_view l = m.substr(0, sp), r = m.substr(sp + 1);
      joined.assign(l).append(r);
      const int32_t pl = piece(l), pr = piece(r), res = piece(joined);
      const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(pl)) << 32) | static_cast<uint32_t>(pr);
      v->merges.insert(key, static_cast<int32_t>(i), res);
    }
  }
  return v;
}

}  // namespace slm::tok
