#include "chat/jinja/template.h"

#include "chat/jinja/ast.h"
#include "chat/jinja/interpreter.h"

namespace slm::jinja {

struct Template::Impl {
  Options options;
  std::unique_ptr<Program> program;
};

Template::Template() : impl_(std::make_unique<Impl>()) {}
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

namespace {
Status to_status(const JinjaError& e) {
  if (e.line > 0)
    return Status::Error("line " + std::to_string(e.line) + ", column " + std::to_string(e.column) +
                         ": " + e.what());
  return Status::Error(e.what());
}
}  // namespace

Expected<Template> Template::parse(std::string_view source, const Options& options) {
  Template t;
  t.impl_->options = options;
  try {
    t.impl_->program = parse_program(tokenize(source, options));
  } catch (const JinjaError& e) {
    return to_status(e);
  } catch (const std::exception& e) {
    return Status::Error(std::string("parsing the template: ") + e.what());
  }
  return t;
}

Expected<std::string> Template::render(const Json& context) const {
  try {
    Value ctx = from_json(context);
    Interpreter in(impl_->options);
    return in.render(*impl_->program, ctx);
  } catch (const JinjaError& e) {
    return to_status(e);
  } catch (const std::bad_alloc&) {
    return Status::Error("out of memory while rendering the template");
  } catch (const std::exception& e) {
    return Status::Error(std::string("rendering the template: ") + e.what());
  }
}

}  // namespace slm::jinja
