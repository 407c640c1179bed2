// Evaluates a parsed template. Filters, tests, methods and globals live in their own files.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/ast.h"

namespace slm::jinja {

struct Scope {
  std::vector<std::pair<std::string, Value>> vars;
  std::shared_ptr<Scope> parent;
  const Value* find(const std::string& n) const {
    for (const Scope* s = this; s; s = s->parent.get())
      for (auto& kv : s->vars)
        if (kv.first == n) return &kv.second;
    return nullptr;
  }
  void set(const std::string& n, Value v) {
    for (auto& kv : vars)
      if (kv.first == n) {
        kv.second = std::move(v);
        return;
      }
    vars.emplace_back(n, std::move(v));
  }
};
using ScopeP = std::shared_ptr<Scope>;

class Interpreter {
 public:
  explicit Interpreter(const Options& o) : opt_(o) {}
  ~Interpreter();
  std::string render(const Program& p, const Value& context);

  Value eval(const Expr& e, const ScopeP& s);
  // Defined in filters.cc, tests.cc, methods.cc and globals.cc.
  Value apply_filter(const std::string& name, const Value& input, CallArgs& args, const ScopeP& s);
  bool apply_test(const std::string& name, const Value& v, CallArgs& args, const ScopeP& s);
  Value get_attr(const Value& obj, const std::string& name);  // obj.name
  Value get_item(const Value& obj, const Value& key);         // obj[key]
  Value method(const Value& obj, const std::string& name, CallArgs& args);
  bool has_method(const Value& obj, const std::string& name) const;
  Value global(const std::string& name);
  Value call(const Value& fn, CallArgs& args);

 private:
  enum class Flow { Normal, Break, Continue };
  Flow exec(const Body& b, const ScopeP& s);
  Flow exec_stmt(const Stmt& st, const ScopeP& s);
  Flow exec_for(const Stmt& st, const ScopeP& s);
  void assign(const Expr& target, const Value& v, const ScopeP& s);
  Value make_macro(const Stmt& st, const ScopeP& s, const Body& body,
                   const std::vector<Param>& params, const std::string& name);
  Value eval_binary(const std::string& op, const Value& l, const Value& r);
  Value eval_slice(const Expr& e, const ScopeP& s);
  void eval_args(const Expr& e, const ScopeP& s, CallArgs& out);
  std::string capture(const Body& b, const ScopeP& s);

  const Options& opt_;
  std::string* out_ = nullptr;
  int depth_ = 0;
  int64_t steps_ = 0;
  std::vector<Value> namespaces_;  // cleared after rendering to break reference cycles

 public:
  struct DepthGuard {
    Interpreter& in;
    explicit DepthGuard(Interpreter& i);
    ~DepthGuard() { --in.depth_; }
  };
  void track_namespace(const Value& ns) { namespaces_.push_back(ns); }
  const Options& options() const { return opt_; }
};

}  // namespace slm::jinja
