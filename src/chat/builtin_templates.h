// Built-in chat templates: Jinja sources, written for slm, that reproduce the prompt format of the
// common model families, for models whose GGUF carries no tokenizer.chat_template (or when the
// user names a format). They render with slm::jinja::Template like any model template, and take
// the usual context: messages, add_generation_prompt, bos_token, eos_token.
//
//   chatml   <|im_start|>role\n...<|im_end|>\n                      (Qwen, SmolLM, Hermes, ...)
//   llama2   <s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nuser [/INST] answer </s>
//   llama3   <|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
//   gemma    <bos><start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n...; a system
//            message is folded into the next user turn (as Gemma 3 does)
//   phi3     <|user|>\n...<|end|>\n<|assistant|>\n...; eos when no generation prompt
//   zephyr   <|user|>\n...</s>\n<|assistant|>\n...
//   mistral  <s>[INST] user [/INST]answer</s>[INST] ...; a system message is folded into the
//            next user turn
//
// Unlike some official templates they never raise: roles need not alternate, a system message
// may appear anywhere (it applies to the next user turn where the family has no system role),
// roles other than system/assistant are rendered as user turns where the family has no such
// role, and a non-string content (null, as in an assistant tool-call message) renders as "".
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace slm {

// The Jinja source of a built-in template by name ("chatml", ...), or nullopt.
std::optional<std::string_view> builtin_chat_template(std::string_view name);

// All names, in a fixed order.
std::span<const std::string_view> builtin_chat_template_names();

}  // namespace slm
