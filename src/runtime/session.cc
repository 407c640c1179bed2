#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "base/cpu_features.h"
#include "runtime/model_impl.h"
#include "runtime/stop_strings.h"
#include "sampling/sampler.h"

namespace slm {

namespace {
// Logit rows kept per forward pass when the caller wants every position's logits: bounded in
// bytes so that a 262k vocabulary does not need half a gigabyte for a 512-token batch.
constexpr size_t kLogitsBufferBytes = 64u << 20;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::kMaxTokens: return "max_tokens";
    case StopReason::kEndOfGeneration: return "end_of_generation";
    case StopReason::kStopString: return "stop_string";
    case StopReason::kCallback: return "callback";
    case StopReason::kContextFull: return "context_full";
  }
  return "unknown";
}

struct Session::Impl {
  std::shared_ptr<const Model> model;
  const Model::Impl* m = nullptr;
  ContextParams params;
  std::unique_ptr<ThreadPool> pool;
  KvCache kv;
  Workspace ws;
  int64_t logit_rows = 1;       // rows of `logits`
  // [logit_rows][V], left uninitialized: every row is written before it is read, and pages the
  // session never writes (most of the 64 MiB when only last tokens' logits are asked for) are
  // never touched, so they cost no resident memory.
  std::unique_ptr<float[]> logits;
  size_t logits_size = 0;
  std::vector<float> last;      // [V] logits after the last evaluated token
  std::vector<int32_t> tokens;  // [n_past] the tokens whose keys and values are in the cache
};

Session::Session() : impl_(std::make_unique<Impl>()) {}
Session::~Session() = default;

Expected<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model, const ContextParams& p) {
  if (!model) return Status::Error("no model given");
  if (p.n_ctx < 1) return Status::Error("context size must be at least 1, got " + std::to_string(p.n_ctx));
  if (p.n_batch < 1) return Status::Error("batch size must be at least 1, got " + std::to_string(p.n_batch));
  if (p.n_threads < 0 || p.n_threads > 1024)
    return Status::Error("thread count must be 0 (auto) to 1024, got " + std::to_string(p.n_threads));
  std::unique_ptr<Session> s(new Session());
  Impl& im = *s->impl_;
  im.model = std::move(model);
  im.m = &im.model->impl();
  im.params = p;
  im.params.n_batch = std::min(p.n_batch, p.n_ctx);
  const int threads = p.n_threads > 0 ? p.n_threads : physical_core_count();
  im.params.n_threads = threads;
  const ModelConfig& c = im.m->config;
  im.pool = std::make_unique<ThreadPool>(threads);
  if (Status st = im.kv.allocate(c, p.n_ctx); !st.ok()) return st;
  im.ws.allocate(c, im.m->weights, im.params.n_batch, p.n_ctx, threads);
  const size_t row_bytes = static_cast<size_t>(c.n_vocab) * sizeof(float);
  im.logit_rows = std::clamp<int64_t>(static_cast<int64_t>(kLogitsBufferBytes / row_bytes), 1, im.params.n_batch);
  im.logits_size = static_cast<size_t>(im.logit_rows * c.n_vocab);
  im.logits.reset(new float[im.logits_size]);
  im.last.assign(static_cast<size_t>(c.n_vocab), 0.0f);
  im.tokens.reserve(static_cast<size_t>(p.n_ctx));
  return s;
}

Status Session::eval(std::span<const int32_t> tokens, const LogitsCallback& on_logits) {
  Impl& im = *impl_;
  const ModelConfig& c = im.m->config;
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t n_past = static_cast<int64_t>(im.tokens.size());
  if (n == 0) return Status::Ok();
  if (n_past + n > im.kv.n_ctx)
    return Status::Error("context overflow: " + std::to_string(n_past) + " tokens in the context + " +
                         std::to_string(n) + " new > context size " + std::to_string(im.kv.n_ctx));
  for (int64_t i = 0; i < n; ++i)
    if (tokens[static_cast<size_t>(i)] < 0 || tokens[static_cast<size_t>(i)] >= c.n_vocab)
      return Status::Error("token id " + std::to_string(tokens[static_cast<size_t>(i)]) + " at index " +
                           std::to_string(i) + " is outside the vocabulary [0, " + std::to_string(c.n_vocab) + ")");
  const int64_t batch = on_logits ? std::min<int64_t>(im.params.n_batch, im.logit_rows) : im.params.n_batch;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t T = std::min(batch, n - start);
    const bool final_batch = start + T == n;
    const int64_t first_logit = on_logits ? 0 : (final_batch ? T - 1 : T);
    ForwardPass fp{c,           im.m->weights, im.kv, im.ws, *im.pool, tokens.data() + start, T,
                   static_cast<int64_t>(im.tokens.size()), first_logit, im.logits.get()};
    im.m->arch->forward(fp);
    im.tokens.insert(im.tokens.end(), tokens.begin() + start, tokens.begin() + start + T);
    if (on_logits)
      for (int64_t r = 0; r < T; ++r)
        on_logits(start + r, std::span<const float>(im.logits.get() + r * c.n_vocab, static_cast<size_t>(c.n_vocab)));
    if (final_batch)
      std::memcpy(im.last.data(), im.logits.get() + (T - 1 - first_logit) * c.n_vocab, im.last.size() * sizeof(float));
  }
  return Status::Ok();
}

std::span<const float> Session::last_logits() const { return impl_->last; }

Expected<GenerateResult> Session::generate(std::string_view prompt, const GenerateOptions& options,
                                           const TextCallback& on_text) {
  const std::vector<int32_t> tokens = impl_->model->tokenize(prompt, options.add_special, options.parse_special);
  return generate(std::span<const int32_t>(tokens), options, on_text);
}

Expected<GenerateResult> Session::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                           const TextCallback& on_text) {
  Impl& im = *impl_;
  SLM_RETURN_IF_ERROR(validate(options.sampling));
  if (options.max_tokens < 0) return Status::Error("max_tokens must be >= 0, got " + std::to_string(options.max_tokens));
  if (prompt.empty()) return Status::Error("the prompt is empty (no tokens to start from)");
  if (static_cast<int64_t>(prompt.size()) >= im.kv.n_ctx)
    return Status::Error("the prompt has " + std::to_string(prompt.size()) + " tokens but the context holds " +
                         std::to_string(im.kv.n_ctx) + " (leave room for at least one new token; raise the context size)");
  for (const std::string& s : options.stop)
    if (s.empty()) return Status::Error("stop strings must not be empty");

  // Reuse the cached prefix: keys and values of a position depend only on the tokens up to it
  // (and logits are identical however tokens are batched), so only the rest needs running. The
  // last prompt token always runs again, for its logits.
  const size_t same = static_cast<size_t>(
      std::mismatch(im.tokens.begin(), im.tokens.end(), prompt.begin(), prompt.end()).first - im.tokens.begin());
  const size_t keep = std::min(same, prompt.size() - 1);
  truncate(static_cast<int32_t>(keep));
  GenerateResult r;
  r.prompt_tokens = static_cast<int32_t>(prompt.size());
  r.prompt_tokens_cached = static_cast<int32_t>(keep);
  Sampler sampler(options.sampling, static_cast<int32_t>(im.m->config.n_vocab));
  r.seed = sampler.seed();
  for (int32_t t : prompt) sampler.accept(t);

  const auto t0 = std::chrono::steady_clock::now();
  SLM_RETURN_IF_ERROR(eval(prompt.subspan(keep)));
  r.prompt_seconds = seconds_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  StreamDecoder decoder(*im.m->tokenizer);
  StopStringFilter filter(options.stop);
  bool stopped_by_callback = false;
  auto emit = [&](std::string_view text) {
    if (text.empty() || stopped_by_callback) return;
    r.text.append(text);
    if (on_text && !on_text(text)) stopped_by_callback = true;
  };
  r.stop_reason = StopReason::kMaxTokens;
  for (int32_t i = 0; i < options.max_tokens; ++i) {
    const int32_t tok = sampler.sample(im.last);
    sampler.accept(tok);
    if (im.m->tokenizer->is_eog(tok)) {
      r.stop_reason = StopReason::kEndOfGeneration;
      break;
    }
    r.tokens.push_back(tok);
    const StopStringFilter::Step step = filter.push(decoder.push(tok));
    emit(step.text);
    if (step.matched) {
      r.stop_reason = StopReason::kStopString;
      break;
    }
    if (stopped_by_callback) {
      r.stop_reason = StopReason::kCallback;
      break;
    }
    if (i + 1 == options.max_tokens) break;  // no need to run the last token through the model
    if (static_cast<int64_t>(im.tokens.size()) >= im.kv.n_ctx) {
      r.stop_reason = StopReason::kContextFull;
      break;
    }
    SLM_RETURN_IF_ERROR(eval(std::span<const int32_t>(&tok, 1)));
  }
  if (r.stop_reason != StopReason::kStopString) {
    const StopStringFilter::Step tail = filter.push(decoder.finish());
    emit(tail.text);
    if (tail.matched) r.stop_reason = StopReason::kStopString;
    else emit(filter.finish());
  }
  r.generation_seconds = seconds_since(t1);
  return r;
}

int32_t Session::n_past() const { return static_cast<int32_t>(impl_->tokens.size()); }
std::span<const int32_t> Session::tokens() const { return impl_->tokens; }
int32_t Session::n_ctx() const { return static_cast<int32_t>(impl_->kv.n_ctx); }
int32_t Session::n_threads() const { return impl_->params.n_threads; }
void Session::reset() { impl_->tokens.clear(); }
void Session::truncate(int32_t n_keep) {
  impl_->tokens.resize(static_cast<size_t>(std::clamp<int64_t>(n_keep, 0, static_cast<int64_t>(impl_->tokens.size()))));
}
size_t Session::memory_bytes() const {
  return impl_->kv.bytes() + impl_->ws.bytes() + (impl_->logits_size + impl_->last.size()) * sizeof(float);
}
const Model& Session::model() const { return *impl_->model; }

}  // namespace slm
