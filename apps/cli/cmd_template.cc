// `slm template`: renders a conversation with a chat template and prints exactly the text, for
// debugging prompts (and for the tests).
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "slm/chat.h"

namespace slm::cli {

namespace {
struct TemplateOptions {
  std::string model;
  std::string chat_template;
  std::string messages_file;
  std::string tools_file;
  bool add_generation_prompt = false;
  std::string bos, eos;
};

Expected<std::string> read_text(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(std::string("cannot read the ") + what + " file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

Action add_template(CLI::App& app) {
  auto o = std::make_shared<TemplateOptions>();
  auto* m = app.add_option("-m,--model", o->model, "take the chat template (and BOS/EOS) from this model");
  app.add_option("--chat-template", o->chat_template, "a built-in template name or a Jinja file")->excludes(m);
  app.add_option("--messages", o->messages_file, "JSON file: an array of messages (OpenAI shape)")->required();
  app.add_option("--tools", o->tools_file, "JSON file: an array of tools (OpenAI shape)");
  app.add_flag("--add-generation-prompt", o->add_generation_prompt, "end with the assistant turn's opening");
  app.add_option("--bos", o->bos, "bos_token text (default: the model's)");
  app.add_option("--eos", o->eos, "eos_token text (default: the model's)");
  return [o, &app]() -> int {
    if (o->model.empty() == o->chat_template.empty()) return fail("give exactly one of -m MODEL and --chat-template NAME|FILE");
    Expected<ChatTemplate> tmpl = Status::Error("unset");
    if (!o->model.empty()) {
      auto model = Model::load(o->model);
      if (!model) return fail(model.status());
      tmpl = ChatTemplate::from_model(**model);
    } else {
      tmpl = ChatTemplate::from_name_or_file(o->chat_template);
    }
    if (!tmpl) return fail(tmpl.status());
    // --bos / --eos override the model's texts one by one; without a model they default to "".
    tmpl->set_special_tokens(app.count("--bos") ? o->bos : tmpl->bos_token(),
                             app.count("--eos") ? o->eos : tmpl->eos_token());
    auto messages = read_text(o->messages_file, "messages");
    if (!messages) return fail(messages.status());
    std::string tools;
    if (!o->tools_file.empty()) {
      auto t = read_text(o->tools_file, "tools");
      if (!t) return fail(t.status());
      tools = *t;
    }
    auto text = tmpl->render_json(*messages, o->add_generation_prompt, tools);
    if (!text) return fail(text.status());
    std::fwrite(text->data(), 1, text->size(), stdout);
    return 0;
  };
}

}  // namespace slm::cli
