#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "runtime/model_impl.h"
#include "runtime/resident_panels.h"

namespace slm {

namespace {

constexpr KnownModel kKnownModels[] = {
    {"smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf"},
    {"gemma3-270m", "gemma-3-270m-q4_k_m.gguf"},
};

std::string join_names(const std::vector<std::string_view>& names) {
  std::string s;
  for (std::string_view n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

ModelInfo describe(const std::string& path, const GgufFile& g, const ModelConfig& c, const Tokenizer& tok) {
  ModelInfo i;
  i.path = path;
  i.arch = c.arch;
  i.name = c.name;
  i.gguf_version = g.version();
  i.file_bytes = g.file_size();
  i.tensor_count = g.tensors().size();
  std::map<std::string, int> by_type;
  for (const GgufTensorInfo& t : g.tensors()) {
    i.weight_bytes += t.nbytes;
    ++by_type[std::string(type_name(static_cast<uint32_t>(t.type)))];
  }
  i.tensor_types.assign(by_type.begin(), by_type.end());
  i.n_vocab = c.n_vocab;
  i.n_embd = c.n_embd;
  i.n_layer = c.n_layer;
  i.n_head = c.n_head;
  i.n_head_kv = c.n_head_kv;
  i.head_dim = c.head_dim;
  i.n_ff = c.n_ff;
  i.n_ctx_train = c.n_ctx_train;
  i.sliding_window = c.sliding_window;
  i.n_rot = c.n_rot;
  i.norm_eps = c.norm_eps;
  i.features = c.features;
  i.tokenizer_model = std::string(tok.model_type());
  i.tokenizer_pre = std::string(tok.pre_type());
  const GgufTensorInfo* embd = g.find_tensor("token_embd.weight");
  i.bytes_per_token = i.weight_bytes - (c.tied_output || !embd ? 0 : embd->nbytes);
  i.has_chat_template = g.has("tokenizer.chat_template");
  i.kv_bytes_per_token = static_cast<size_t>(c.n_layer * c.n_head_kv * (c.head_dim + c.head_dim_v)) * sizeof(uint16_t);
  return i;
}

}  // namespace

std::span<const KnownModel> known_models() { return kKnownModels; }

std::string models_dir() {
  if (const char* e = std::getenv("SLM_MODELS_DIR"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/slm/models";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/slm/models";
}

Expected<std::string> resolve_model_path(const std::string& path_or_name) {
  for (const KnownModel& m : kKnownModels) {
    if (path_or_name != m.name) continue;
    const std::string path = models_dir() + "/" + std::string(m.file);
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      std::fclose(f);
      return path;
    }
    return Status::Error("model '" + path_or_name + "' is not in the cache (" + path +
                         "); fetch it with: python3 tools/fetch_models.py " + path_or_name);
  }
  if (std::FILE* f = std::fopen(path_or_name.c_str(), "rb")) {
    std::fclose(f);
    return path_or_name;
  }
  // Neither a readable file nor a known name: say both, so a typo in either is easy to see.
  std::string known;
  for (const KnownModel& m : kKnownModels) known += (known.empty() ? "" : ", ") + std::string(m.name);
  return Status::Error("cannot open model '" + path_or_name + "': " + std::strerror(errno) +
                       " (it is not a known model name either: " + known + ")");
}

Model::Model() : impl_(std::make_unique<Impl>()) {}
Model::~Model() = default;

Expected<std::shared_ptr<Model>> Model::load(const std::string& path_or_name) {
  auto path = resolve_model_path(path_or_name);
  if (!path) return path.status();
  auto gguf = GgufFile::open(*path);
  if (!gguf) return gguf.status();
  std::shared_ptr<Model> m(new Model());
  Impl& impl = *m->impl_;
  impl.gguf = std::move(*gguf);
  const GgufFile& g = *impl.gguf;
  const std::string where = "'" + *path + "'";

  auto arch_name = g.get_string("general.architecture");
  if (!arch_name) return arch_name.status().With(where);
  impl.arch = find_architecture(*arch_name);
  if (!impl.arch)
    return Status::Error(where + ": architecture '" + std::string(*arch_name) + "' is not supported (supported: " +
                         join_names(supported_architectures()) + ")");
  impl.config.arch = std::string(*arch_name);
  SLM_RETURN_IF_ERROR(impl.arch->load(g, &impl.config, &impl.weights).With(where));
  auto panels = pack_resident_panels(impl.weights, g);
  if (!panels) return panels.status().With(where);
  impl.panels = std::move(*panels);

  auto tok = Tokenizer::from_gguf(g);
  if (!tok) return tok.status().With(where);
  impl.tokenizer = std::move(*tok);
  if (impl.tokenizer->n_vocab() != impl.config.n_vocab)
    return Status::Error(where + ": tokenizer has " + std::to_string(impl.tokenizer->n_vocab()) +
                         " tokens but the model expects " + std::to_string(impl.config.n_vocab));
  if (auto tmpl = g.get_string("tokenizer.chat_template")) impl.chat_template = *tmpl;
  impl.info = describe(*path, g, impl.config, *impl.tokenizer);
  return m;
}

const ModelInfo& Model::info() const { return impl_->info; }
int32_t Model::n_vocab() const { return static_cast<int32_t>(impl_->config.n_vocab); }

std::vector<int32_t> Model::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  return impl_->tokenizer->encode(text, add_special, parse_special);
}

std::string Model::detokenize(std::span<const int32_t> ids, bool render_special) const {
  return impl_->tokenizer->decode(ids, render_special);
}

std::string Model::token_piece(int32_t id, bool render_special) const {
  return impl_->tokenizer->token_to_piece(id, render_special);
}

bool Model::is_end_of_generation(int32_t id) const { return impl_->tokenizer->is_eog(id); }
std::string_view Model::chat_template() const { return impl_->chat_template; }

}  // namespace slm
