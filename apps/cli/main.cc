// slm: run, inspect and measure small language models from GGUF files.
#include <cstdio>
#include <vector>

#include "commands.h"

namespace slm::cli {

int fail(const std::string& message) {
  // One line, whatever the message holds, so scripts can read it.
  std::string line = message;
  for (char& ch : line)
    if (ch == '\n' || ch == '\r') ch = ' ';
  std::fprintf(stderr, "slm: error: %s\n", line.c_str());
  return 1;
}

void add_sampling_options(CLI::App& app, SamplerParams& p) {
  app.add_option("--temp", p.temperature, "temperature (<= 0: greedy)")->capture_default_str();
  app.add_option("--top-k", p.top_k, "top-k (<= 0: off)")->capture_default_str();
  app.add_option("--top-p", p.top_p, "top-p (1: off)")->capture_default_str();
  app.add_option("--min-p", p.min_p, "min-p (0: off)")->capture_default_str();
  app.add_option("--repeat-penalty", p.repeat_penalty, "repeat penalty (1: off)")->capture_default_str();
  app.add_option("--repeat-last-n", p.repeat_last_n, "tokens the penalties look back on")->capture_default_str();
  app.add_option("--frequency-penalty", p.frequency_penalty, "frequency penalty")->capture_default_str();
  app.add_option("--presence-penalty", p.presence_penalty, "presence penalty")->capture_default_str();
  app.add_option("--seed", p.seed, "sampling seed (default: random, printed with the stats)");
}

}  // namespace slm::cli

int main(int argc, char** argv) {
  CLI::App app{"slm: run, inspect and measure small language models from GGUF files"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, slm::cli::Action>> commands;
  auto add = [&](const char* name, const char* help, slm::cli::Action (*fn)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    commands.emplace_back(sub, fn(*sub));
  };
  add("run", "generate a continuation of a prompt", slm::cli::add_run);
  add("info", "show a model's architecture, hyperparameters and tensors", slm::cli::add_info);
  add("tokenize", "print the token ids and pieces of a text", slm::cli::add_tokenize);
  add("detokenize", "print the text of token ids", slm::cli::add_detokenize);
  add("bench", "measure prompt processing and generation speed", slm::cli::add_bench);
  add("chat", "an interactive multi-turn chat (or one message per line from a pipe)", slm::cli::add_chat);
  add("template", "print a conversation rendered with a chat template", slm::cli::add_template);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return slm::cli::fail(e.what());
  }
  for (auto& [sub, action] : commands)
    if (sub->parsed()) return action();
  return 1;
}
