// Chat on top of the public API: chat templates (the model's own Jinja template, a built-in one,
// or a file) rendered exactly like Hugging Face, and a multi-turn ChatSession that keeps the KV
// cache across turns so each turn runs only its new tokens. The CLI's `slm chat` and
// `slm template`, and the server, are clients of this header.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/slm.h"

namespace slm {

// One message in OpenAI's shape.
struct ChatMessage {
  std::string role;             // "system", "user", "assistant", "tool"
  std::string content;
  std::string name;             // optional
  std::string tool_call_id;     // role "tool": the call this result answers
  std::string tool_calls_json;  // role "assistant": a JSON array of tool calls, or ""
};

class ChatTemplate {
 public:
  // The template inside the model file; an error naming the built-ins when it has none.
  static Expected<ChatTemplate> from_model(const Model& model);
  // A built-in name (chatml, llama2, llama3, gemma, phi3, zephyr, mistral) or a file of Jinja.
  static Expected<ChatTemplate> from_name_or_file(const std::string& name_or_path);
  static Expected<ChatTemplate> from_source(std::string source, std::string origin = "template");
  static std::vector<std::string> builtin_names();

  // Renders messages (and tools, a JSON array in OpenAI's shape, or "") as the template does.
  Expected<std::string> render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                               std::string_view tools_json = {}) const;
  // The same from a JSON array of messages, passed to the template exactly as given.
  Expected<std::string> render_json(std::string_view messages_json, bool add_generation_prompt,
                                    std::string_view tools_json = {}) const;

  void set_special_tokens(std::string bos, std::string eos);  // bos_token / eos_token
  void set_special_tokens_from(const Model& model);          // the model's BOS/EOS texts
  const std::string& bos_token() const;
  const std::string& eos_token() const;
  const std::string& origin() const;  // where the template came from, for messages

  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;
  ~ChatTemplate();

 private:
  ChatTemplate();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ChatTurn {
  GenerateResult result;     // the reply and its timings
  int32_t context_tokens = 0;  // tokens in the context after the turn
  int32_t dropped_messages = 0;  // messages dropped by context shift before this turn
};

class ChatSession {
 public:
  // `context_shift`: when the conversation no longer fits, drop the oldest turns (never the
  // system message) instead of failing.
  ChatSession(Session& session, ChatTemplate chat_template, GenerateOptions options, bool context_shift = false);

  // Adds a user message, renders the conversation, runs only what the cache does not hold yet,
  // streams the reply and adds it as an assistant message (also when on_text stopped it early).
  Expected<ChatTurn> send(std::string_view user_text, const TextCallback& on_text = {});

  void set_system(std::string text);  // replaces (or adds, first) the system message
  void reset();                       // forgets the conversation (keeps the system message)
  const std::vector<ChatMessage>& messages() const { return messages_; }
  GenerateOptions& options() { return options_; }

  // The conversation as a JSON array of messages (OpenAI shape), and back.
  std::string to_json() const;
  Status from_json(std::string_view json);

 private:
  Expected<std::vector<int32_t>> render_tokens(bool add_generation_prompt) const;

  Session& session_;
  ChatTemplate template_;
  GenerateOptions options_;
  bool context_shift_;
  std::vector<ChatMessage> messages_;
};

}  // namespace slm
