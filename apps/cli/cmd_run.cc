#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "slm/slm.h"

namespace slm::cli {

namespace {
struct RunOptions {
  std::string model;
  std::string prompt;
  int32_t n_predict = 128;
  int32_t n_ctx = 4096;
  int32_t n_batch = 512;
  int32_t n_threads = 0;
  SamplerParams sampling;
  std::vector<std::string> stop;
  bool quiet = false;
  bool no_special = false;
};
}  // namespace

Action add_run(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  o->sampling.seed = kRandomSeed;
  app.add_option("-m,--model", o->model, "a .gguf file or a known model name")->required();
  app.add_option("-p,--prompt", o->prompt, "the prompt")->required();
  app.add_option("-n,--n-predict", o->n_predict, "tokens to generate")->capture_default_str();
  add_sampling_options(app, o->sampling);
  app.add_option("--stop", o->stop, "stop before this string (repeatable)");
  app.add_option("-t,--threads", o->n_threads, "threads (default: physical cores)");
  app.add_option("-c,--ctx-size", o->n_ctx, "context size in tokens")->capture_default_str();
  app.add_option("-b,--batch-size", o->n_batch, "prompt tokens per forward pass")->capture_default_str();
  app.add_flag("--no-special", o->no_special, "treat special-token text in the prompt as plain text");
  app.add_flag("-q,--quiet", o->quiet, "print only the generated text");

  return [o]() -> int {
    const auto t0 = std::chrono::steady_clock::now();
    auto model = Model::load(o->model);
    if (!model) return fail(model.status());
    ContextParams cp;
    cp.n_ctx = o->n_ctx;
    cp.n_batch = o->n_batch;
    cp.n_threads = o->n_threads;
    auto session = Session::create(*model, cp);
    if (!session) return fail(session.status());
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!o->quiet)
      std::fprintf(stderr, "slm: loaded %s (%s) in %.0f ms, %d threads\n", (*model)->info().name.c_str(),
                   (*model)->info().arch.c_str(), load_s * 1e3, (*session)->n_threads());

    GenerateOptions g;
    g.max_tokens = o->n_predict;
    g.sampling = o->sampling;
    g.stop = o->stop;
    g.parse_special = !o->no_special;
    auto result = (*session)->generate(o->prompt, g, [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    if (!result) return fail(result.status());
    std::fputc('\n', stdout);
    if (!o->quiet) {
      const GenerateResult& r = *result;
      const double pp = r.prompt_seconds > 0 ? r.prompt_tokens / r.prompt_seconds : 0.0;
      const double tg = r.generation_seconds > 0 ? static_cast<double>(r.tokens.size()) / r.generation_seconds : 0.0;
      std::fprintf(stderr, "slm: prompt %d tokens in %.1f ms (%.1f t/s); generated %zu tokens in %.1f ms (%.1f t/s); "
                   "stop: %s; seed %llu\n", r.prompt_tokens, r.prompt_seconds * 1e3, pp, r.tokens.size(),
                   r.generation_seconds * 1e3, tg, to_string(r.stop_reason), static_cast<unsigned long long>(r.seed));
    }
    return 0;
  };
}

}  // namespace slm::cli
