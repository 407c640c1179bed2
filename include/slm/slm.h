// slm's public C++ API: load a model (Model), open a context on it (Session), generate.
//
//   auto model = slm::Model::load("smollm2-135m-instruct");   // a .gguf path or a known name
//   auto session = slm::Session::create(*model, {});
//   slm::GenerateOptions opt;  opt.max_tokens = 64;
//   auto result = (*session)->generate("The capital of France is", opt,
//                                       [](std::string_view text) { fputs(...); return true; });
//
// Errors follow include/slm/status.h: every fallible call returns Status or Expected<T> whose
// message names what is wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slm/sampler_params.h"
#include "slm/status.h"

namespace slm {

struct ModelInfo {
  std::string path;
  std::string arch;            // general.architecture
  std::string name;            // general.name
  uint32_t gguf_version = 0;
  size_t file_bytes = 0;
  size_t weight_bytes = 0;     // bytes of all tensors
  size_t bytes_per_token = 0;  // weight bytes one generated token reads (all but the unused embedding rows)
  size_t tensor_count = 0;
  std::vector<std::pair<std::string, int>> tensor_types;  // type name -> tensor count
  int64_t n_vocab = 0, n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0;
  int64_t head_dim = 0, n_ff = 0, n_ctx_train = 0, sliding_window = 0;
  int n_rot = 0;
  float norm_eps = 0.0f;
  std::vector<std::string> features;  // GQA ratio, sliding window, RoPE kind, ...
  std::string tokenizer_model;        // "gpt2" (byte-level BPE) / "llama" (SentencePiece)
  std::string tokenizer_pre;
  bool has_chat_template = false;
  size_t kv_bytes_per_token = 0;      // binary16 K and V over all layers
};

class Model {
 public:
  // `path_or_name` is a .gguf path, or a known model name resolved in the model cache
  // (smollm2-135m-instruct, gemma3-270m); an uncached known model gives the command that fetches it.
  static Expected<std::shared_ptr<Model>> load(const std::string& path_or_name);
  ~Model();

  const ModelInfo& info() const;
  int32_t n_vocab() const;
  // add_special: BOS/EOS as the model's metadata says; parse_special: special-token text becomes
  // those tokens.
  std::vector<int32_t> tokenize(std::string_view text, bool add_special = true, bool parse_special = true) const;
  std::string detokenize(std::span<const int32_t> ids, bool render_special = false) const;
  std::string token_piece(int32_t id, bool render_special = true) const;
  bool is_end_of_generation(int32_t id) const;
  std::string_view chat_template() const;  // "" when the file has none

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  Model();
  std::unique_ptr<Impl> impl_;
};

struct ContextParams {
  int32_t n_ctx = 4096;    // tokens the session can hold (capped by nothing but memory)
  int32_t n_batch = 512;   // tokens per forward pass while processing a prompt
  int32_t n_threads = 0;   // 0: the number of physical cores
};

enum class StopReason { kMaxTokens, kEndOfGeneration, kStopString, kCallback, kContextFull };
const char* to_string(StopReason r);

struct GenerateOptions {
  int32_t max_tokens = 128;
  SamplerParams sampling;
  std::vector<std::string> stop;  // generation ends before the first occurrence of any of these
  bool add_special = true;        // BOS as the model says
  bool parse_special = true;      // special-token text in the prompt becomes those tokens
};

struct GenerateResult {
  std::string text;              // the continuation (without a matched stop string)
  std::vector<int32_t> tokens;   // generated token ids
  StopReason stop_reason = StopReason::kMaxTokens;
  int32_t prompt_tokens = 0;         // tokens in the prompt
  int32_t prompt_tokens_cached = 0;  // of which already in the cache from before (not run again)
  double prompt_seconds = 0.0;       // time to run the other prompt tokens
  double generation_seconds = 0.0;  // from the first sampled token to the end
  uint64_t seed = 0;                // the seed the sampler used
};

// Receives text as it is generated (whole UTF-8 characters only); return false to stop.
using TextCallback = std::function<bool(std::string_view text)>;
// Receives the next-token logits after each evaluated token (index into the evaluated span).
using LogitsCallback = std::function<void(int64_t index, std::span<const float> logits)>;

class Session {
 public:
  static Expected<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model, const ContextParams& params);
  ~Session();

  // Appends tokens at position n_past() and runs them through the model in batches. Afterwards
  // last_logits() holds the logits after the final token; on_logits, when given, also receives
  // every token's logits. A context overflow or an out-of-range id is an error, nothing is run.
  Status eval(std::span<const int32_t> tokens, const LogitsCallback& on_logits = {});
  std::span<const float> last_logits() const;

  // Evaluates the prompt and samples up to max_tokens tokens. The part of the prompt that is
  // already in the context (the longest common prefix with tokens()) is reused, not run again;
  // the rest of the context is dropped first. Results are the same as from an empty context.
  Expected<GenerateResult> generate(std::string_view prompt, const GenerateOptions& options,
                                    const TextCallback& on_text = {});
  // The same from prompt tokens (no tokenization).
  Expected<GenerateResult> generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                    const TextCallback& on_text = {});

  int32_t n_past() const;
  std::span<const int32_t> tokens() const;  // the n_past() tokens in the context
  int32_t n_ctx() const;
  int32_t n_threads() const;
  void reset();                   // forget everything in the context
  void truncate(int32_t n_keep);  // keep the first n_keep positions (n_keep <= n_past)
  size_t memory_bytes() const;    // KV cache + activation buffers
  const Model& model() const;

 private:
  Session();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Known model names and the cache directory they resolve in.
struct KnownModel {
  std::string_view name;
  std::string_view file;
};
std::span<const KnownModel> known_models();
std::string models_dir();  // $SLM_MODELS_DIR, else $XDG_CACHE_HOME/slm/models, else ~/.cache/slm/models
// A .gguf path as given, or the cached file of a known name; an error says how to fetch it.
Expected<std::string> resolve_model_path(const std::string& path_or_name);

}  // namespace slm
