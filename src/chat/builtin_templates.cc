#include "chat/builtin_templates.h"

#include <array>
#include <utility>

namespace slm {
namespace {

// Each source is a raw string literal R"slm(...)slm"; tools/make_template_goldens.py reads them
// from this file by that delimiter, so keep each entry as a name string, a comma and the literal.
// Whitespace: every tag trims around itself ({%- -%}, {{- -}}), so only the strings in {{ }}
// reach the output.
constexpr std::pair<std::string_view, std::string_view> kTemplates[] = {
    {"chatml", R"slm(
{%- for message in messages -%}
  {%- set content = message['content'] if message['content'] is string else '' -%}
  {{- '<|im_start|>' + message['role'] + '\n' + content + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|im_start|>assistant\n' -}}
{%- endif -%}
)slm"},

    {"llama2", R"slm(
{%- set ns = namespace(system='', has_system=false) -%}
{%- for message in messages -%}
  {%- set content = message['content'] if message['content'] is string else '' -%}
  {%- if message['role'] == 'system' -%}
    {%- set ns.system = (ns.system + '\n\n' + content) if ns.has_system else content -%}
    {%- set ns.has_system = true -%}
  {%- elif message['role'] == 'assistant' -%}
    {{- ' ' + content | trim + ' ' + eos_token -}}
  {%- else -%}
    {%- if ns.has_system -%}
      {%- set content = '<<SYS>>\n' + ns.system + '\n<</SYS>>\n\n' + content -%}
      {%- set ns.system = '' -%}
      {%- set ns.has_system = false -%}
    {%- endif -%}
    {{- bos_token + '[INST] ' + content | trim + ' [/INST]' -}}
  {%- endif -%}
{%- endfor -%}
)slm"},

    {"llama3", R"slm(
{%- for message in messages -%}
  {%- if loop.first -%}
    {{- bos_token -}}
  {%- endif -%}
  {%- set content = message['content'] if message['content'] is string else '' -%}
  {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + content | trim + '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
{%- endif -%}
)slm"},

    {"gemma", R"slm(
{{- bos_token -}}
{%- set ns = namespace(prefix='') -%}
{%- for message in messages -%}
  {%- set content = message['content'] if message['content'] is string else '' -%}
  {%- if message['role'] == 'system' -%}
    {%- set ns.prefix = ns.prefix + content + '\n\n' -%}
  {%- elif message['role'] == 'assistant' -%}
    {{- '<start_of_turn>model\n' + content | trim + '<end_of_turn>\n' -}}
  {%- else -%}
    {{- '<start_of_turn>user\n' + ns.prefix + content | trim + '<end_of_turn>\n' -}}
    {%- set ns.prefix = '' -%}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<start_of_turn>model\n' -}}
{%- endif -%}
)slm"},

    {"phi3", R"slm(
{%- for message in messages -%}
  {%- set content = message['content'] if message['content'] is string else '' -%}
  {%- if message['role'] == 'system' -%}
    {%- if content -%}
      {{- '<|system|>\n' + content + '<|end|>\n' -}}
    {%- endif -%}
  {%- elif message['role'] == 'assistant' -%}
    {{- '<|assistant|>\n' + content + '<|end|>\n' -}}
  {%- else -%}
    {{- '<|user|>\n' + content + '<|end|>\n' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|assistant|>\n' -}}
{%- else -%}
  {{- eos_token -}}
{%- endif -%}
)slm"},

    {"zephyr", R"slm(
{%- for message in messages -%}
  {%- set content = message['content'] if message['content'] is string else '' -%}
  {%- if message['role'] == 'system' -%}
    {{- '<|system|>\n' + content + eos_token + '\n' -}}
  {%- elif message['role'] == 'assistant' -%}
    {{- '<|assistant|>\n' + content + eos_token + '\n' -}}
  {%- else -%}
    {{- '<|user|>\n' + content + eos_token + '\n' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|assistant|>\n' -}}
{%- endif -%}
)slm"},

    {"mistral", R"slm(
{{- bos_token -}}
{%- set ns = namespace(system='', has_system=false) -%}
{%- for message in messages -%}
  {%- set content = message['content'] if message['content'] is string else '' -%}
  {%- if message['role'] == 'system' -%}
    {%- set ns.system = (ns.system + '\n\n' + content) if ns.has_system else content -%}
    {%- set ns.has_system = true -%}
  {%- elif message['role'] == 'assistant' -%}
    {{- content + eos_token -}}
  {%- else -%}
    {%- if ns.has_system -%}
      {%- set content = ns.system + '\n\n' + content -%}
      {%- set ns.system = '' -%}
      {%- set ns.has_system = false -%}
    {%- endif -%}
    {{- '[INST] ' + content + ' [/INST]' -}}
  {%- endif -%}
{%- endfor -%}
)slm"},
};

constexpr auto kNames = [] {
  std::array<std::string_view, std::size(kTemplates)> names{};
  for (size_t i = 0; i < std::size(kTemplates); ++i) names[i] = kTemplates[i].first;
  return names;
}();

}  // namespace

std::optional<std::string_view> builtin_chat_template(std::string_view name) {
  for (const auto& [n, src] : kTemplates)
    if (n == name) return src;
  return std::nullopt;
}

std::span<const std::string_view> builtin_chat_template_names() { return kNames; }

}  // namespace slm
