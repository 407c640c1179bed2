#include <cstdio>
#include <memory>

#include "commands.h"
#include "slm/slm.h"

namespace slm::cli {

Action add_info(CLI::App& app) {
  auto model_arg = std::make_shared<std::string>();
  auto n_ctx = std::make_shared<int32_t>(4096);
  app.add_option("-m,--model", *model_arg, "a .gguf file or a known model name")->required();
  app.add_option("-c,--ctx-size", *n_ctx, "context size used for the memory estimate")->capture_default_str();
  return [model_arg, n_ctx]() -> int {
    auto model = Model::load(*model_arg);
    if (!model) return fail(model.status());
    const ModelInfo& i = (*model)->info();
    const double mib = 1024.0 * 1024.0;
    std::printf("file:          %s (GGUF v%u, %.1f MiB)\n", i.path.c_str(), i.gguf_version, i.file_bytes / mib);
    std::printf("name:          %s\n", i.name.c_str());
    std::printf("architecture:  %s\n", i.arch.c_str());
    std::printf("layers:        %lld\n", static_cast<long long>(i.n_layer));
    std::printf("embedding:     %lld\n", static_cast<long long>(i.n_embd));
    std::printf("ffn:           %lld\n", static_cast<long long>(i.n_ff));
    std::printf("heads:         %lld query, %lld key/value, head size %lld, rotary dims %d\n",
                static_cast<long long>(i.n_head), static_cast<long long>(i.n_head_kv),
                static_cast<long long>(i.head_dim), i.n_rot);
    std::printf("vocabulary:    %lld (%s, pre-tokenizer '%s')\n", static_cast<long long>(i.n_vocab),
                i.tokenizer_model == "gpt2" ? "byte-level BPE" : "SentencePiece", i.tokenizer_pre.c_str());
    std::printf("context:       %lld trained\n", static_cast<long long>(i.n_ctx_train));
    std::printf("norm eps:      %g\n", static_cast<double>(i.norm_eps));
    std::printf("features:      ");
    for (size_t k = 0; k < i.features.size(); ++k) std::printf("%s%s", k ? "; " : "", i.features[k].c_str());
    std::printf("\ntensors:       %zu (", i.tensor_count);
    for (size_t k = 0; k < i.tensor_types.size(); ++k)
      std::printf("%s%s: %d", k ? ", " : "", i.tensor_types[k].first.c_str(), i.tensor_types[k].second);
    std::printf(")\n");
    const double kv = static_cast<double>(i.kv_bytes_per_token) * *n_ctx;
    std::printf("memory:        weights %.1f MiB (mapped) + KV cache %.1f MiB at %d tokens (f16)\n",
                i.weight_bytes / mib, kv / mib, *n_ctx);
    std::printf("chat template: %s\n", i.has_chat_template ? "yes" : "no");
    return 0;
  };
}

}  // namespace slm::cli
