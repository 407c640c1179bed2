// `slm chat`: an interactive multi-turn chat that keeps the KV cache across turns. With a
// terminal it shows a prompt and handles Ctrl-C (stops the reply, keeps the session); with piped
// input each line is one user message and each reply is one block on stdout.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "slm/chat.h"

namespace slm::cli {

namespace {

std::atomic<bool> g_interrupted{false};
void on_sigint(int) { g_interrupted.store(true); }

struct ChatOptions {
  std::string model;
  std::string system;
  std::string chat_template;
  int32_t n_predict = 1024;
  int32_t n_ctx = 4096;
  int32_t n_threads = 0;
  bool context_shift = false;
  bool quiet = false;
  SamplerParams sampling;
};

const char* kHelp =
    "commands:\n"
    "  /reset          forget the conversation (keeps the system message)\n"
    "  /system TEXT    set the system message\n"
    "  /save FILE      write the conversation as JSON\n"
    "  /load FILE      read a conversation written by /save\n"
    "  /help           this list\n"
    "  /quit           leave (Ctrl-D too)\n"
    "Ctrl-C stops the current reply; at the prompt it leaves.\n";

// Handles a /command; returns false to leave the chat.
bool run_command(const std::string& line, ChatSession& chat) {
  const size_t sp = line.find(' ');
  const std::string cmd = line.substr(0, sp);
  const std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
  if (cmd == "/quit" || cmd == "/exit") return false;
  if (cmd == "/help") {
    std::fputs(kHelp, stderr);
  } else if (cmd == "/reset") {
    chat.reset();
    std::fputs("(conversation cleared)\n", stderr);
  } else if (cmd == "/system") {
    chat.set_system(arg);
    std::fputs("(system message set)\n", stderr);
  } else if (cmd == "/save") {
    std::ofstream out(arg, std::ios::binary);
    out << chat.to_json() << "\n";
    if (arg.empty() || !out) fail("cannot write '" + arg + "'");
    else std::fprintf(stderr, "(saved %zu messages to %s)\n", chat.messages().size(), arg.c_str());
  } else if (cmd == "/load") {
    std::ifstream in(arg, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Status st = in ? chat.from_json(ss.str()) : Status::Error("cannot read '" + arg + "'");
    if (!st.ok()) fail(st);
    else std::fprintf(stderr, "(loaded %zu messages from %s)\n", chat.messages().size(), arg.c_str());
  } else {
    std::fprintf(stderr, "unknown command %s\n%s", cmd.c_str(), kHelp);
  }
  return true;
}

}  // namespace

Action add_chat(CLI::App& app) {
  auto o = std::make_shared<ChatOptions>();
  o->sampling.seed = kRandomSeed;
  app.add_option("-m,--model", o->model, "a .gguf file or a known model name")->required();
  app.add_option("--system", o->system, "system message");
  app.add_option("--chat-template", o->chat_template, "built-in template name or Jinja file (default: the model's)");
  app.add_option("-n,--n-predict", o->n_predict, "most tokens per reply")->capture_default_str();
  app.add_option("-c,--ctx-size", o->n_ctx, "context size in tokens")->capture_default_str();
  app.add_option("-t,--threads", o->n_threads, "threads (default: physical cores)");
  app.add_flag("--context-shift", o->context_shift, "drop the oldest turns when the context is full");
  app.add_flag("-q,--quiet", o->quiet, "no statistics");
  add_sampling_options(app, o->sampling);
  return [o]() -> int {
    auto model = Model::load(o->model);
    if (!model) return fail(model.status());
    auto tmpl = o->chat_template.empty() ? ChatTemplate::from_model(**model) : ChatTemplate::from_name_or_file(o->chat_template);
    if (!tmpl) return fail(tmpl.status());
    tmpl->set_special_tokens_from(**model);
    ContextParams cp;
    cp.n_ctx = o->n_ctx;
    cp.n_threads = o->n_threads;
    auto session = Session::create(*model, cp);
    if (!session) return fail(session.status());
    GenerateOptions g;
    g.max_tokens = o->n_predict;
    g.sampling = o->sampling;
    ChatSession chat(**session, std::move(*tmpl), g, o->context_shift);
    if (!o->system.empty()) chat.set_system(o->system);

    const bool tty = isatty(STDIN_FILENO);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);  // no SA_RESTART: Ctrl-C at the prompt ends the read
    if (tty) std::fprintf(stderr, "slm chat with %s: /help for commands, Ctrl-D to leave\n", (*model)->info().name.c_str());

    std::string line;
    for (;;) {
      if (tty) std::fputs("\n> ", stderr);
      g_interrupted.store(false);
      if (!std::getline(std::cin, line)) break;  // EOF, or Ctrl-C at the prompt
      if (line.empty()) continue;
      if (line[0] == '/') {
        if (!run_command(line, chat)) break;
        continue;
      }
      g_interrupted.store(false);
      auto turn = chat.send(line, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return !g_interrupted.load();
      });
      std::fputc('\n', stdout);
      std::fflush(stdout);
      if (!turn) {
        fail(turn.status());
        if (!tty) return 1;
        continue;
      }
      const GenerateResult& r = turn->result;
      if (r.stop_reason == StopReason::kCallback) std::fputs("(reply stopped)\n", stderr);
      if (r.stop_reason == StopReason::kContextFull)
        std::fprintf(stderr, "(the context of %d tokens is full: /reset, /save and start again, or use --context-shift)\n",
                     (*session)->n_ctx());
      if (turn->dropped_messages > 0) std::fprintf(stderr, "(context shift: dropped the %d oldest messages)\n", turn->dropped_messages);
      if (!o->quiet) {
        const int processed = r.prompt_tokens - r.prompt_tokens_cached;
        std::fprintf(stderr, "[prompt: %d new tokens, %d reused, %.0f ms; reply: %zu tokens, %.1f t/s; context %d/%d]\n",
                     processed, r.prompt_tokens_cached, r.prompt_seconds * 1e3, r.tokens.size(),
                     r.generation_seconds > 0 ? r.tokens.size() / r.generation_seconds : 0.0, turn->context_tokens,
                     (*session)->n_ctx());
      }
    }
    return 0;
  };
}

}  // namespace slm::cli
