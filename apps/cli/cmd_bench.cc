// `slm bench`: prompt processing (pp) and generation (tg) speed, measured like llama-bench:
// pp = one batch of N random tokens from an empty context; tg = N tokens one at a time from an
// empty context. Each test runs once to warm up, then `reps` times; we print median, min, max.
// --json also gives each row's load time (model load + session creation, seconds) and, for pp,
// whether the last position's logits are finite and their top-5 ids (a cross-engine check).
//
// For tg it also prints how close the run comes to the memory ceiling: a probe measures this
// machine's read bandwidth with the row's thread count (base/bandwidth_probe.h; --no-probe skips
// it), the row's bytes per token are the weights plus the average KV read, and the ceiling is
// bandwidth / bytes per token. Last, it times what generation does per token outside the model
// (sampling with the default chain on the run's last logits, then streaming the token's text) as
// microseconds and as a share of the tg time per token.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "base/bandwidth_probe.h"
#include "commands.h"
#include "runtime/model_impl.h"
#include "sampling/sampler.h"
#include "slm/slm.h"
#include "tokenizer/tokenizer.h"

namespace slm::cli {

namespace {
struct BenchOptions {
  std::vector<std::string> models;
  int32_t n_prompt = 512;
  int32_t n_gen = 128;
  std::vector<int32_t> threads;
  int32_t reps = 5;
  int32_t n_batch = 512;
  int32_t n_ctx = 0;  // 0: just what the tests need
  bool json = false;
  bool no_probe = false;
};

struct Row {
  std::string model, test;
  int threads = 0;
  double median = 0, min = 0, max = 0;  // tokens per second
  double gbps = 0;                      // weight bytes read per second (tg only)
  double load_s = 0;                    // Model::load + Session::create
  std::string logits;                   // pp only: JSON of the last position's logits check
  // tg only:
  TgRoofline roof;         // weights + KV bytes per token and GB/s; ceiling fields 0 without the probe
  double probe_gbps = 0;   // read bandwidth at this thread count (0: --no-probe)
  double sample_us = 0;    // sampling + detokenization per token, median microseconds
  double sample_pct = 0;   // sample_us as a percentage of the tg time per token
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// {"finite": true, "top5": [ids]}: random weights must still give finite logits, and two engines
// given the same file and tokens should agree on the top ids.
std::string logits_check(std::span<const float> l) {
  const bool finite = std::all_of(l.begin(), l.end(), [](float x) { return std::isfinite(x); });
  std::vector<int32_t> ids(l.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  const size_t k = std::min<size_t>(5, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(),
                    [&](int32_t a, int32_t b) { return l[static_cast<size_t>(a)] > l[static_cast<size_t>(b)]; });
  std::string s = std::string("{\"finite\": ") + (finite ? "true" : "false") + ", \"top5\": [";
  for (size_t i = 0; i < k; ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]}";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<int32_t> random_tokens(int32_t n, int32_t n_vocab) {
  std::mt19937 rng(1234);  // fixed: every run measures the same tokens
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int32_t& x : t) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
  return t;
}

Row make_row(const std::string& model, const std::string& test, int threads, const std::vector<double>& tps,
             double load_s) {
  Row r;
  r.model = model;
  r.test = test;
  r.threads = threads;
  r.median = median(tps);
  r.min = *std::min_element(tps.begin(), tps.end());
  r.max = *std::max_element(tps.begin(), tps.end());
  r.load_s = load_s;
  return r;
}

// Median microseconds of one generation step outside the model, as Session::generate does it:
// sample with the default chain (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8), record the
// token, and stream its text.
double sample_detok_us(const Model& model, std::span<const float> logits) {
  Sampler sampler(SamplerParams{}, model.n_vocab());
  StreamDecoder decoder(*model.impl().tokenizer);
  std::vector<double> us;
  for (int i = 0; i < 201; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const int32_t tok = sampler.sample(logits);
    sampler.accept(tok);
    decoder.push(tok);
    us.push_back(1e6 * seconds_since(t0));
  }
  return median(us);
}

// "-" for a figure that was not measured, else the value with `decimals` digits.
std::string cell(double v, int decimals) {
  if (v <= 0) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

// Runs `once` reps+1 times (the first is a warm-up) and returns tokens/s of each measured run.
template <typename F>
Expected<std::vector<double>> measure(int reps, int32_t n_tokens, F&& once) {
  std::vector<double> tps;
  for (int r = 0; r <= reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    Status st = once();
    if (!st.ok()) return st;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) tps.push_back(n_tokens / s);
  }
  return tps;
}
}  // namespace

Action add_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  app.add_option("-m,--model", o->models, "one or more .gguf files or known model names")->required();
  app.add_option("-p,--n-prompt", o->n_prompt, "prompt tokens for the pp test (0: skip)")->capture_default_str();
  app.add_option("-n,--n-gen", o->n_gen, "generated tokens for the tg test (0: skip)")->capture_default_str();
  app.add_option("-t,--threads", o->threads, "thread counts to test (e.g. -t 1,2)")->delimiter(',');
  app.add_option("-r,--repetitions", o->reps, "measured repetitions per test")->capture_default_str();
  app.add_option("-b,--batch-size", o->n_batch, "prompt tokens per forward pass")->capture_default_str();
  app.add_option("-c,--ctx-size", o->n_ctx, "context size (default: what -p/-n need)")->capture_default_str();
  app.add_flag("--json", o->json, "print JSON instead of a markdown table");
  app.add_flag("--no-probe", o->no_probe, "skip the memory bandwidth probe (no ceiling figures)");
  return [o]() -> int {
    if (o->reps < 1) return fail("--repetitions must be at least 1");
    if (o->n_prompt < 0 || o->n_gen < 0) return fail("-p and -n must be >= 0");
    if (o->n_ctx != 0 && o->n_ctx <= std::max(o->n_prompt, o->n_gen))
      return fail("--ctx-size must be larger than -p and -n");
    if (o->threads.empty()) o->threads.push_back(0);
    std::vector<Row> rows;
    std::map<int, double> probe_gbps;  // thread count -> GB/s, probed once per count
    for (const std::string& name : o->models) {
      const auto t_load = std::chrono::steady_clock::now();
      auto model = Model::load(name);
      if (!model) return fail(model.status());
      const double model_s = seconds_since(t_load);
      const ModelInfo& info = (*model)->info();
      const std::vector<int32_t> prompt = random_tokens(std::max(o->n_prompt, o->n_gen), (*model)->n_vocab());
      for (int32_t threads : o->threads) {
        ContextParams cp;
        cp.n_ctx = o->n_ctx > 0 ? o->n_ctx : std::max(o->n_prompt, o->n_gen) + 1;
        cp.n_batch = o->n_batch;
        cp.n_threads = threads;
        const auto t_session = std::chrono::steady_clock::now();
        auto session = Session::create(*model, cp);
        if (!session) return fail(session.status());
        const double load_s = model_s + seconds_since(t_session);
        Session& s = **session;
        const std::string label = info.name.empty() ? info.path : info.name;
        if (o->n_prompt > 0) {
          auto tps = measure(o->reps, o->n_prompt, [&] {
            s.reset();
            return s.eval(std::span<const int32_t>(prompt.data(), static_cast<size_t>(o->n_prompt)));
          });
          if (!tps) return fail(tps.status());
          Row r = make_row(label, "pp" + std::to_string(o->n_prompt), s.n_threads(), *tps, load_s);
          r.logits = logits_check(s.last_logits());
          rows.push_back(r);
        }
        if (o->n_gen > 0) {
          auto tps = measure(o->reps, o->n_gen, [&] {
            s.reset();
            for (int32_t i = 0; i < o->n_gen; ++i) {
              Status st = s.eval(std::span<const int32_t>(&prompt[static_cast<size_t>(i)], 1));
              if (!st.ok()) return st;
            }
            return Status::Ok();
          });
          if (!tps) return fail(tps.status());
          Row r = make_row(label, "tg" + std::to_string(o->n_gen), s.n_threads(), *tps, load_s);
          const double med = r.median;
          r.gbps = med * static_cast<double>(info.bytes_per_token) / 1e9;
          if (!o->no_probe && !probe_gbps.count(r.threads)) {
            auto gbps = measure_read_bandwidth(r.threads);
            if (!gbps) return fail(gbps.status());
            probe_gbps[r.threads] = *gbps;
          }
          r.probe_gbps = o->no_probe ? 0.0 : probe_gbps[r.threads];
          r.roof = tg_roofline(info.bytes_per_token, info.kv_bytes_per_token, o->n_gen, med, r.probe_gbps);
          r.sample_us = sample_detok_us(**model, s.last_logits());
          r.sample_pct = 100.0 * r.sample_us * 1e-6 * med;
          rows.push_back(r);
        }
      }
    }
    if (o->json) {
      std::printf("[\n");
      for (size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        std::string tg;  // tg rows: roofline and sampling fields (ceiling fields only with the probe)
        if (r.test[0] == 't') {
          char b[512];
          std::snprintf(b, sizeof b, ", \"bytes_per_token\": %.0f, \"gb_per_second\": %.2f, \"sample_detok_us\": %.1f, "
                        "\"sample_detok_percent\": %.3f", r.roof.bytes_per_token, r.roof.achieved_gbps, r.sample_us, r.sample_pct);
          tg = b;
          if (r.probe_gbps > 0) {
            std::snprintf(b, sizeof b, ", \"probe_gb_per_second\": %.2f, \"ceiling_tokens_per_second\": %.2f, "
                          "\"percent_of_ceiling\": %.1f", r.probe_gbps, r.roof.ceiling_tps, 100.0 * r.roof.fraction);
            tg += b;
          }
        }
        std::printf("  {\"model\": \"%s\", \"test\": \"%s\", \"threads\": %d, \"tokens_per_second\": {\"median\": %.2f, "
                    "\"min\": %.2f, \"max\": %.2f}, \"weight_gb_per_second\": %.2f, \"repetitions\": %d, "
                    "\"load_seconds\": %.3f%s%s%s}%s\n",
                    r.model.c_str(), r.test.c_str(), r.threads, r.median, r.min, r.max, r.gbps, o->reps, r.load_s,
                    r.logits.empty() ? "" : ", \"last_logits\": ", r.logits.c_str(), tg.c_str(),
                    i + 1 < rows.size() ? "," : "");
      }
      std::printf("]\n");
    } else {
      if (!probe_gbps.empty()) {
        std::printf("memory read bandwidth (probe: %zu MiB, median of %d reads):", kDefaultProbeBytes >> 20,
                    kDefaultProbePasses);
        for (const auto& [threads, gbps] : probe_gbps) std::printf(" %d thread%s %.1f GB/s;", threads, threads > 1 ? "s" : "", gbps);
        std::printf("\nGB/s = t/s x (weights + average KV bytes per token); ceiling t/s = probe GB/s / those bytes\n\n");
      }
      std::printf("| model | test | threads | t/s (median) | min | max | GB/s | ceiling t/s | %% of ceiling "
                  "| sample+detok us | sample+detok %% |\n");
      std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (const Row& r : rows)
        std::printf("| %s | %s | %d | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s |\n", r.model.c_str(), r.test.c_str(),
                    r.threads, r.median, r.min, r.max, cell(r.roof.achieved_gbps, 2).c_str(),
                    cell(r.roof.ceiling_tps, 1).c_str(), cell(100.0 * r.roof.fraction, 1).c_str(),
                    cell(r.sample_us, 1).c_str(), cell(r.sample_pct, 2).c_str());
    }
    return 0;
  };
}

}  // namespace slm::cli
