#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.h"
#include "slm/slm.h"

namespace slm::cli {

namespace {
struct TokenizeOptions {
  std::string model;
  std::string text;
  bool no_bos = false;
  bool no_special = false;
  bool ids_only = false;
};

// Escapes control characters so each piece stays on its line.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (ch == '\n') out += "\\n";
    else if (ch == '\t') out += "\\t";
    else if (ch == '\r') out += "\\r";
    else if (ch < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    } else out += static_cast<char>(ch);
  }
  return out;
}
}  // namespace

Action add_tokenize(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  app.add_option("-m,--model", o->model, "a .gguf file or a known model name")->required();
  app.add_option("text", o->text, "text to tokenize")->required();
  app.add_flag("--no-bos", o->no_bos, "do not add BOS/EOS even if the model asks for them");
  app.add_flag("--no-special", o->no_special, "treat special-token text as plain text");
  app.add_flag("--ids", o->ids_only, "print only the ids, on one line");
  return [o]() -> int {
    auto model = Model::load(o->model);
    if (!model) return fail(model.status());
    const std::vector<int32_t> ids = (*model)->tokenize(o->text, !o->no_bos, !o->no_special);
    if (o->ids_only) {
      for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? " " : "", ids[i]);
      std::printf("\n");
      return 0;
    }
    for (int32_t id : ids) std::printf("%6d '%s'\n", id, printable((*model)->token_piece(id)).c_str());
    std::fprintf(stderr, "slm: %zu tokens\n", ids.size());
    return 0;
  };
}

Action add_detokenize(CLI::App& app) {
  auto model_arg = std::make_shared<std::string>();
  auto ids_arg = std::make_shared<std::vector<std::string>>();
  auto render_special = std::make_shared<bool>(false);
  app.add_option("-m,--model", *model_arg, "a .gguf file or a known model name")->required();
  app.add_option("ids", *ids_arg, "token ids, separated by spaces or commas")->required();
  app.add_flag("--special", *render_special, "render control tokens as their text");
  return [model_arg, ids_arg, render_special]() -> int {
    auto model = Model::load(*model_arg);
    if (!model) return fail(model.status());
    std::vector<int32_t> ids;
    for (std::string arg : *ids_arg) {
      for (char& ch : arg)
        if (ch == ',') ch = ' ';
      std::istringstream in(arg);
      std::string word;
      while (in >> word) {
        char* end = nullptr;
        const long v = std::strtol(word.c_str(), &end, 10);
        if (*end != '\0' || v < 0 || v >= (*model)->n_vocab())
          return fail("'" + word + "' is not a token id of this model (0 to " + std::to_string((*model)->n_vocab() - 1) + ")");
        ids.push_back(static_cast<int32_t>(v));
      }
    }
    const std::string text = (*model)->detokenize(ids, *render_special);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::printf("\n");
    return 0;
  };
}

}  // namespace slm::cli
