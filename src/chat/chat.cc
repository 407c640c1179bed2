#include <algorithm>
#include <fstream>
#include <sstream>

#include "chat/builtin_templates.h"
#include "chat/jinja/template.h"
#include "runtime/model_impl.h"
#include "slm/chat.h"

namespace slm {

namespace {

using jinja::Json;

// Jinja context values of one message, as Hugging Face passes OpenAI-shaped messages.
Json message_json(const ChatMessage& m) {
  Json j = Json::object();
  j["role"] = m.role;
  j["content"] = m.content;
  if (!m.name.empty()) j["name"] = m.name;
  if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
  if (!m.tool_calls_json.empty()) j["tool_calls"] = Json::parse(m.tool_calls_json, nullptr, false);
  return j;
}

Expected<Json> parse_json(std::string_view text, const char* what) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::Error(std::string(what) + " is not valid JSON");
  return j;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

struct ChatTemplate::Impl {
  std::string source;
  std::string origin;
  std::unique_ptr<jinja::Template> tmpl;
  std::string bos, eos;
  // Templates that print tool-call arguments as a mapping (`| items`, `| tojson`) expect objects,
  // while OpenAI sends them as JSON strings: those get them parsed, as chat frontends do.
  bool wants_argument_objects = false;
};

ChatTemplate::ChatTemplate() : impl_(std::make_unique<Impl>()) {}
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

std::vector<std::string> ChatTemplate::builtin_names() {
  std::vector<std::string> names;
  for (std::string_view n : builtin_chat_template_names()) names.emplace_back(n);
  return names;
}

Expected<ChatTemplate> ChatTemplate::from_source(std::string source, std::string origin) {
  auto t = jinja::Template::parse(source);
  if (!t) return t.status().With("chat template (" + origin + ")");
  ChatTemplate ct;
  ct.impl_->wants_argument_objects = source.find("tool_call.arguments | items") != std::string::npos ||
                                     source.find("tool_call.arguments | tojson") != std::string::npos;
  ct.impl_->source = std::move(source);
  ct.impl_->origin = std::move(origin);
  ct.impl_->tmpl = std::make_unique<jinja::Template>(std::move(*t));
  return ct;
}

Expected<ChatTemplate> ChatTemplate::from_model(const Model& model) {
  const std::string_view src = model.chat_template();
  if (src.empty())
    return Status::Error("model '" + model.info().name + "' has no chat template; choose one with --chat-template NAME|FILE "
                         "(built-in: " + join(builtin_names()) + ")");
  auto ct = from_source(std::string(src), "the model's tokenizer.chat_template");
  if (!ct) return ct.status();
  ct->set_special_tokens_from(model);
  return ct;
}

Expected<ChatTemplate> ChatTemplate::from_name_or_file(const std::string& name_or_path) {
  if (auto builtin = builtin_chat_template(name_or_path))
    return from_source(std::string(*builtin), "built-in '" + name_or_path + "'");
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in)
    return Status::Error("chat template '" + name_or_path + "' is neither a built-in (" + join(builtin_names()) +
                         ") nor a readable file");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_source(ss.str(), "'" + name_or_path + "'");
}

void ChatTemplate::set_special_tokens(std::string bos, std::string eos) {
  impl_->bos = std::move(bos);
  impl_->eos = std::move(eos);
}

void ChatTemplate::set_special_tokens_from(const Model& model) {
  const Tokenizer& tok = *model.impl().tokenizer;
  set_special_tokens(tok.bos_id() >= 0 ? std::string(tok.token_text(tok.bos_id())) : "",
                     tok.eos_id() >= 0 ? std::string(tok.token_text(tok.eos_id())) : "");
}

const std::string& ChatTemplate::bos_token() const { return impl_->bos; }
const std::string& ChatTemplate::eos_token() const { return impl_->eos; }

const std::string& ChatTemplate::origin() const { return impl_->origin; }

Expected<std::string> ChatTemplate::render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                           std::string_view tools_json) const {
  Json arr = Json::array();
  for (const ChatMessage& m : messages) {
    if (!m.tool_calls_json.empty() && Json::parse(m.tool_calls_json, nullptr, false).is_discarded())
      return Status::Error("tool_calls of a " + m.role + " message is not valid JSON");
    arr.push_back(message_json(m));
  }
  return render_json(arr.dump(), add_generation_prompt, tools_json);
}

Expected<std::string> ChatTemplate::render_json(std::string_view messages_json, bool add_generation_prompt,
                                                std::string_view tools_json) const {
  auto messages = parse_json(messages_json, "the messages");
  if (!messages) return messages.status();
  if (!messages->is_array()) return Status::Error("the messages must be a JSON array of objects");
  for (const Json& m : *messages)
    if (!m.is_object() || !m.contains("role")) return Status::Error("every message must be an object with a \"role\"");
  if (impl_->wants_argument_objects) {
    for (Json& m : *messages) {
      if (!m.contains("tool_calls") || !m["tool_calls"].is_array()) continue;
      for (Json& call : m["tool_calls"]) {
        Json* args = call.contains("function") ? &call["function"]["arguments"] : nullptr;
        if (args && args->is_string()) {
          Json parsed = Json::parse(args->get<std::string>(), nullptr, false);
          if (!parsed.is_discarded()) *args = parsed;
        }
      }
    }
  }
  Json ctx = Json::object();
  ctx["messages"] = *messages;
  if (tools_json.empty()) {
    ctx["tools"] = nullptr;  // as Hugging Face passes it when no tools are given
  } else {
    auto tools = parse_json(tools_json, "the tools");
    if (!tools) return tools.status();
    ctx["tools"] = *tools;
  }
  ctx["add_generation_prompt"] = add_generation_prompt;
  ctx["bos_token"] = impl_->bos;
  ctx["eos_token"] = impl_->eos;
  auto text = impl_->tmpl->render(ctx);
  if (!text) return text.status().With("chat template (" + impl_->origin + ")");
  return text;
}

// ---- ChatSession ------------------------------------------------------------------------------

ChatSession::ChatSession(Session& session, ChatTemplate chat_template, GenerateOptions options, bool context_shift)
    : session_(session), template_(std::move(chat_template)), options_(std::move(options)), context_shift_(context_shift) {}

Expected<std::vector<int32_t>> ChatSession::render_tokens(bool add_generation_prompt) const {
  auto text = template_.render(messages_, add_generation_prompt);
  if (!text) return text.status();
  const Model& model = session_.model();
  // Templates that write the BOS text themselves get no second BOS from the tokenizer.
  const Tokenizer& tok = *model.impl().tokenizer;
  const std::string_view bos = tok.bos_id() >= 0 ? tok.token_text(tok.bos_id()) : std::string_view();
  const bool starts_with_bos = !bos.empty() && std::string_view(*text).substr(0, bos.size()) == bos;
  return model.tokenize(*text, !starts_with_bos, true);
}

Expected<ChatTurn> ChatSession::send(std::string_view user_text, const TextCallback& on_text) {
  ChatTurn turn;
  messages_.push_back(ChatMessage{"user", std::string(user_text), "", "", ""});
  auto tokens = render_tokens(true);
  // Drop the oldest turns (keeping a leading system message) until the prompt fits.
  while (tokens && static_cast<int64_t>(tokens->size()) >= session_.n_ctx() && context_shift_) {
    const size_t first = !messages_.empty() && messages_.front().role == "system" ? 1 : 0;
    // One turn: the first message after the system message and everything up to the next user message.
    size_t end = first + 1;
    while (end < messages_.size() && messages_[end].role != "user") ++end;
    if (end >= messages_.size()) break;  // only the new message is left: it cannot fit at all
    turn.dropped_messages += static_cast<int32_t>(end - first);
    messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(first), messages_.begin() + static_cast<std::ptrdiff_t>(end));
    tokens = render_tokens(true);
  }
  if (!tokens) {
    messages_.pop_back();
    return tokens.status();
  }
  if (static_cast<int64_t>(tokens->size()) >= session_.n_ctx()) {
    messages_.pop_back();
    return Status::Error("the conversation is " + std::to_string(tokens->size()) + " tokens and no longer fits the context of " +
                         std::to_string(session_.n_ctx()) + " tokens" +
                         (context_shift_ ? " even with only this message" : "; /reset it, or use --context-shift"));
  }
  auto result = session_.generate(*tokens, options_, on_text);
  if (!result) {
    messages_.pop_back();
    return result.status();
  }
  messages_.push_back(ChatMessage{"assistant", result->text, "", "", ""});
  turn.result = std::move(*result);
  turn.context_tokens = session_.n_past();
  return turn;
}

void ChatSession::set_system(std::string text) {
  if (!messages_.empty() && messages_.front().role == "system") messages_.front().content = std::move(text);
  else messages_.insert(messages_.begin(), ChatMessage{"system", std::move(text), "", "", ""});
}

void ChatSession::reset() {
  std::vector<ChatMessage> kept;
  if (!messages_.empty() && messages_.front().role == "system") kept.push_back(messages_.front());
  messages_ = std::move(kept);
}

std::string ChatSession::to_json() const {
  Json arr = Json::array();
  for (const ChatMessage& m : messages_) arr.push_back(message_json(m));
  return arr.dump(2);
}

Status ChatSession::from_json(std::string_view json) {
  auto j = parse_json(json, "the conversation");
  if (!j) return j.status();
  if (!j->is_array()) return Status::Error("the conversation must be a JSON array of messages");
  std::vector<ChatMessage> loaded;
  for (const Json& m : *j) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return Status::Error("every message must be an object with a string \"role\"");
    ChatMessage msg;
    msg.role = m["role"].get<std::string>();
    if (m.contains("content") && m["content"].is_string()) msg.content = m["content"].get<std::string>();
    if (m.contains("name") && m["name"].is_string()) msg.name = m["name"].get<std::string>();
    if (m.contains("tool_call_id") && m["tool_call_id"].is_string()) msg.tool_call_id = m["tool_call_id"].get<std::string>();
    if (m.contains("tool_calls")) msg.tool_calls_json = m["tool_calls"].dump();
    loaded.push_back(std::move(msg));
  }
  messages_ = std::move(loaded);
  return Status::Ok();
}

}  // namespace slm
