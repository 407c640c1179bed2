// A Jinja2 template engine for chat templates, rendering exactly as Hugging Face transformers
// does (jinja2 with trim_blocks, lstrip_blocks, the loopcontrols extension, HF's tojson, and the
// globals raise_exception and strftime_now). Values are JSON (nlohmann::ordered_json keeps dict
// insertion order, as Python dicts do).
//
//   auto t = slm::jinja::Template::parse(source);           // syntax errors: "line L, column C: ..."
//   auto text = t->render({{"messages", msgs}, {"add_generation_prompt", true},
//                          {"bos_token", "<s>"}, {"eos_token", "</s>"}});
//
// Errors (syntax, type errors, raise_exception) come back as Status with the template's message
// and its line/column; nothing falls back to another template.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "slm/status.h"

namespace slm::jinja {

using Json = nlohmann::ordered_json;

struct Options {
  bool trim_blocks = true;    // HF: remove the first newline after a block tag
  bool lstrip_blocks = true;  // HF: strip whitespace before a block tag at the start of a line
  // strftime_now() uses this time (seconds since the epoch, UTC) when set; the current time when
  // negative. Tests fix it so renderings are reproducible.
  int64_t now_epoch_seconds = -1;
  // HF (real jinja2): |safe and |escape return markupsafe.Markup, and Markup + str HTML-escapes
  // the str ("'"|safe + x escapes quotes in x). false makes |safe the identity, as minja's goldens
  // were rendered.
  bool markup_safe = true;
  // Bounds the work of one render (statements + expressions evaluated) so that a hostile
  // template cannot loop for hours; real chat templates take a few thousand steps.
  int64_t max_steps = 100'000'000;
};

class Template {
 public:
  static Expected<Template> parse(std::string_view source, const Options& options = {});
  Expected<std::string> render(const Json& context) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

  struct Impl;

 private:
  Template();
  std::unique_ptr<Impl> impl_;
};

}  // namespace slm::jinja
