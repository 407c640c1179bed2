#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenizer.h"

#include <pcre2.h>


namespace slm::tok {
namespace {

// The GPT-2 pattern as llama.cpp writes it (the trailing "|\s+" of the original is covered by
// keeping unmatched stretches as pieces).
constexpr const char* kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
constexpr const char* kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kTekken =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kGpt4o =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kDeepseekLlmLetters =
    "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+";

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (s == n) return true;
  return false;
}

}  // namespace

Expected<PreTokenizerConfig> pre_tokenizer_config(std::string_view pre) {
  PreTokenizerConfig c;
  if (pre.empty() || pre == "default") {
    c.regexes = {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"};
  } else if (is_one_of(pre, {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
                             "midm-2.0", "lfm2", "dbrx", "smaug-bpe"})) {
    c.regexes = {kLlama3};
    c.ignore_merges = !is_one_of(pre, {"dbrx", "smaug-bpe"});
    c.add_bos = c.ignore_merges;
  } else if (pre == "deepseek-llm") {
    c.regexes = {"[\r\n]", kDeepseekLlmLetters, "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+", "\\s+$",
                 "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}+"};
    c.clean_spaces = false;
  } else if (pre == "deepseek-coder") {
    c.regexes = {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}"};
    c.clean_spaces = false;
  } else if (pre == "deepseek-v3") {
    c.regexes = {"\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
                 "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?"
                 "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"};
    c.clean_spaces = false;
  } else if (pre == "falcon") {
    c.regexes = {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"};
  } else if (is_one_of(pre, {"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
                             "minerva-7b"})) {
    c.regexes = {"\\p{N}", kGpt2};
    c.clean_spaces = !is_one_of(pre, {"command-r", "smollm"});
  } else if (is_one_of(pre, {"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es",
                             "jina-v2-de", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt",
                             "olmo", "gpt-neox", "jais", "exaone4", "trillion"})) {
    c.regexes = {kGpt2};
    c.clean_spaces = !is_one_of(pre, {"trillion"});
  } else if (is_one_of(pre, {"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan"})) {
    c.regexes = {kQwen2};
    c.clean_spaces = is_one_of(pre, {"stablelm2", "megrez"});
  } else if (is_one_of(pre, {"poro-chat", "bloom", "gpt3-finnish"})) {
    c.regexes = {" ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+"};
    c.clean_spaces = pre != "poro-chat";
  } else if (is_one_of(pre, {"chatglm-bpe", "glm4"})) {
    c.regexes = {kLlama3};
  } else if (pre == "viking") {
    c.regexes = {" ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+", "\\p{N}"};
    c.clean_spaces = false;
  } else if (pre == "tekken") {
    c.regexes = {kTekken};
    c.clean_spaces = false;
    c.ignore_merges = true;
    c.add_bos = true;
  } else if (is_one_of(pre, {"gpt-4o", "llama4"})) {
    c.regexes = {kGpt4o};
    c.clean_spaces = false;
  } else if (pre == "chameleon") {
    c.regexes = {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
                 "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", kGpt2};
    c.clean_spaces = false;
    c.add_bos = true;
  } else {
    return Status::Error("unsupported tokenizer.ggml.pre '" + std::string(pre) +
                         "' (no pre-tokenizer for it)");
  }
  return c;
}

struct RegexSplitter::Impl {
  std::vector<pcre2_code*> codes;
  ~Impl() {
    for (auto* c : codes) pcre2_code_free(c);
  }
};

RegexSplitter::~RegexSplitter() = default;

Expected<std::unique_ptr<RegexSplitter>> RegexSplitter::create(const std::vector<std::string>& regexes) {
  std::unique_ptr<RegexSplitter> s(new RegexSplitter());
  s->impl_ = std::make_unique<Impl>();
  for (const auto& re : regexes) {
    int err = 0;
    PCRE2_SIZE erroff = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(re.data()), re.size(),
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                                     &err, &erroff, nullptr);
    if (!code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      return Status::Error("pre-tokenizer regex '" + re + "' does not compile at offset " +
                           std::to_string(erroff) + ": " + reinterpret_cast<const char*>(msg));
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when unavailable
    s->impl_->codes.push_back(code);
  }
  return s;
}

void RegexSplitter::split(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>>& out,
                          std::vector<std::pair<uint32_t, uint32_t>>& scratch) const {
  out.clear();
  if (text.empty()) return;
  out.emplace_back(0, static_cast<uint32_t>(text.size()));
  if (impl_->codes.empty()) return;

  // One match block and JIT stack per call: the compiled patterns are shared between threads.
  pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
  pcre2_match_context* mctx = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* jstack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
  pcre2_jit_stack_assign(mctx, nullptr, jstack);

  const auto* base = reinterpret_cast<PCRE2_SPTR>(text.data());
  for (pcre2_code* code : impl_->codes) {
    scratch.clear();
    for (const auto& [off, len] : out) {
      PCRE2_SPTR subj = base + off;
      size_t pos = 0, prev_end = 0;
      while (pos < len) {
        const int rc = pcre2_match(code, subj, len, pos, 0, md, mctx);
        if (rc < 0) break;  // no more matches (or a matching error: keep the rest whole)
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        size_t ms = ov[0], me = ov[1];
        if (me == ms) {  // empty match: no piece; step over one character
          pos = ms + 1;
          while (pos < len && (subj[pos] & 0xC0) == 0x80) ++pos;
          continue;
        }
        if (ms > prev_end) scratch.emplace_back(off + prev_end, static_cast<uint32_t>(ms - prev_end));
        scratch.emplace_back(off + ms, static_cast<uint32_t>(me - ms));
        prev_end = pos = me;
      }
      if (prev_end < len) scratch.emplace_back(off + prev_end, static_cast<uint32_t>(len - prev_end));
    }
    out.swap(scratch);
  }

  pcre2_jit_stack_free(jstack);
  pcre2_match_context_free(mctx);
  pcre2_match_data_free(md);
}

}  // namespace slm::tok
