// The recursive-descent parser (private to the jinja folder): statements in parser.cc,
// expressions in parse_expr.cc, following jinja2's grammar and operator precedence.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "chat/jinja/ast.h"

namespace slm::jinja {

constexpr int kMaxNesting = 200;

// jinja2 rejects unknown filter and test names when it compiles a template.
bool is_jinja_filter(const std::string& name);
bool is_jinja_test(const std::string& name);
// Whether a name is read anywhere in a body (macros catch varargs/kwargs only when they do).
bool references_name(const Body& body, const std::string& name);

class Parser {
 public:
  explicit Parser(std::vector<Token> t) : t_(std::move(t)) {}

  std::unique_ptr<Program> run() {
    auto p = std::make_unique<Program>();
    p->body = subparse({});
    if (cur().type != Tok::Eof) error(cur(), "unexpected token");
    return p;
  }

 private:
  struct Guard {
    Parser& p;
    Guard(Parser& pp, const Token& at) : p(pp) {
      if (++p.depth_ > kMaxNesting) p.error(at, "template nested too deeply (more than 200 levels)");
    }
    ~Guard() { --p.depth_; }
  };

  const Token& cur() const { return t_[pos_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(pos_ + n, t_.size() - 1)]; }
  void next() {
    if (pos_ + 1 < t_.size()) ++pos_;
  }
  [[noreturn]] void error(const Token& at, const std::string& m) const {
    throw JinjaError(m, at.line, at.column);
  }
  bool is_op(const char* op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::Name && cur().text == n; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::Eof: return "end of template";
      case Tok::BlockEnd: return "end of statement block";
      case Tok::VarEnd: return "end of print statement";
      case Tok::Name: return "'" + t.text + "'";
      case Tok::Op: return "'" + t.text + "'";
      case Tok::String: return "string";
      default: return "token";
    }
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) error(cur(), std::string("expected '") + op + "', got " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != Tok::Name) error(cur(), "expected a name, got " + describe(cur()));
    std::string n = cur().text;
    next();
    return n;
  }
  void expect_block_end() {
    if (cur().type != Tok::BlockEnd)
      error(cur(), "expected end of statement block, got " + describe(cur()));
    next();
  }

  // ---- statements (parser.cc) ----
  Body subparse(std::initializer_list<const char*> ends);
  StmtP parse_statement();
  StmtP parse_if(const Token& at);
  StmtP parse_for(const Token& at);
  ExprP parse_assign_target(std::initializer_list<const char*> extra_end, bool with_ns = false);
  void check_target(const Expr& e);
  StmtP parse_set(const Token& at);
  void parse_signature(std::vector<Param>& params);
  StmtP parse_macro(const Token& at);
  StmtP parse_call_block(const Token& at);
  StmtP parse_with(const Token& at);

  // ---- expressions (parse_expr.cc) ----
  bool is_tuple_end(std::initializer_list<const char*> extra) const;
  ExprP parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<const char*> extra,
                    bool explicit_parens);
  ExprP parse_expression(bool with_condexpr);
  ExprP parse_condexpr();
  ExprP binary(EK k, ExprP l, ExprP r, const Token& at, std::string op = {}) {
    auto e = std::make_unique<Expr>(k, at);
    e->a = std::move(l);
    e->b = std::move(r);
    e->name = std::move(op);
    return e;
  }
  ExprP parse_or();
  ExprP parse_and();
  ExprP parse_not();
  ExprP parse_compare();
  ExprP parse_math1();
  ExprP parse_concat();
  ExprP parse_math2();
  ExprP parse_pow();
  ExprP parse_unary(bool with_filter);
  ExprP parse_primary();
  ExprP parse_postfix(ExprP node);
  ExprP parse_filter_expr(ExprP node);
  ExprP parse_subscript(ExprP node);
  ExprP parse_subscribed();
  void parse_call_args(Expr& e);
  ExprP parse_call(ExprP node);
  ExprP parse_filter(ExprP node, bool start_inline);
  ExprP parse_test(ExprP node);

  std::vector<Token> t_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace slm::jinja
