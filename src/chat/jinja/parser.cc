// Statement parsing (if/for/set/macro/call/filter/generation/break/continue) and the entry point.
#include "chat/jinja/parser.h"

namespace slm::jinja {

Body Parser::subparse(std::initializer_list<const char*> ends) {
  Guard g(*this, cur());
  Body body;
  while (cur().type != Tok::Eof) {
    const Token& t = cur();
    if (t.type == Tok::Text) {
      auto s = std::make_unique<Stmt>(SK::Text, t);
      s->text = t.text;
      body.push_back(std::move(s));
      next();
    } else if (t.type == Tok::VarBegin) {
      next();
      auto s = std::make_unique<Stmt>(SK::Output, t);
      s->expr = parse_tuple(false, true, {}, false);
      if (cur().type != Tok::VarEnd) error(cur(), "expected end of print statement, got " + describe(cur()));
      next();
      body.push_back(std::move(s));
    } else if (t.type == Tok::BlockBegin) {
      const Token& n = peek();
      if (n.type == Tok::Name)
        for (const char* e : ends)
          if (n.text == e) {
            next();
            return body;
          }
      next();
      body.push_back(parse_statement());
    } else {
      error(t, "unexpected token");
    }
  }
  if (ends.size() != 0) {
    std::string want;
    for (const char* e : ends) want += (want.empty() ? "'" : " or '") + std::string(e) + "'";
    error(cur(), "unexpected end of template, expected " + want);
  }
  return body;
}

StmtP Parser::parse_statement() {
  const Token& t = cur();
  if (t.type != Tok::Name) error(t, "tag name expected");
  std::string n = t.text;
  Token at = t;
  next();
  if (n == "if") return parse_if(at);
  if (n == "for") return parse_for(at);
  if (n == "set") return parse_set(at);
  if (n == "macro") return parse_macro(at);
  if (n == "call") return parse_call_block(at);
  if (n == "filter") {
    auto s = std::make_unique<Stmt>(SK::FilterBlock, at);
    s->filter = parse_filter(nullptr, true);
    expect_block_end();
    s->body = subparse({"endfilter"});
    next();
    expect_block_end();
    return s;
  }
  if (n == "break" || n == "continue") {
    if (loop_depth_ == 0) error(at, "'" + n + "' outside of a loop");
    expect_block_end();
    return std::make_unique<Stmt>(n == "break" ? SK::Break : SK::Continue, at);
  }
  if (n == "with") return parse_with(at);
  if (n == "generation") {
    auto s = std::make_unique<Stmt>(SK::Body, at);
    expect_block_end();
    s->body = subparse({"endgeneration"});
    next();
    expect_block_end();
    return s;
  }
  error(at, "Encountered unknown tag '" + n + "'.");
}

StmtP Parser::parse_if(const Token& at) {
  auto s = std::make_unique<Stmt>(SK::If, at);
  while (true) {
    ExprP c = parse_tuple(false, true, {}, false);
    expect_block_end();
    Body b = subparse({"elif", "else", "endif"});
    s->branches.emplace_back(std::move(c), std::move(b));
    std::string which = cur().text;
    next();
    if (which == "elif") continue;
    if (which == "else") {
      expect_block_end();
      s->else_body = subparse({"endif"});
      next();
    }
    break;
  }
  expect_block_end();
  return s;
}

StmtP Parser::parse_for(const Token& at) {
  auto s = std::make_unique<Stmt>(SK::For, at);
  s->target = parse_assign_target({"in"});
  if (!skip_name("in")) error(cur(), "expected 'in', got " + describe(cur()));
  s->expr = parse_tuple(false, false, {"recursive"}, false);
  if (skip_name("if")) s->cond = parse_expression(true);
  if (is_name("recursive")) error(cur(), "recursive loops are not supported");
  expect_block_end();
  ++loop_depth_;
  s->body = subparse({"endfor", "else"});
  --loop_depth_;
  s->uses_loop = references_name(s->body, "loop");
  if (cur().text == "else") {
    next();
    expect_block_end();
    s->else_body = subparse({"endfor"});
  }
  next();
  expect_block_end();
  return s;
}

ExprP Parser::parse_assign_target(std::initializer_list<const char*> extra_end, bool with_ns) {
  if (with_ns && cur().type == Tok::Name && peek().type == Tok::Op && peek().text == ".") {
    auto e = std::make_unique<Expr>(EK::Getattr, cur());
    auto base = std::make_unique<Expr>(EK::Name, cur());
    base->name = cur().text;
    next();
    next();
    e->a = std::move(base);
    e->name = expect_name();
    return e;
  }
  ExprP t = parse_tuple(true, true, extra_end, false);
  check_target(*t);
  return t;
}

void Parser::check_target(const Expr& e) {
  if (e.k == EK::Name) return;
  if (e.k == EK::Tuple) {
    for (auto& x : e.args) check_target(*x);
    return;
  }
  error(cur(), "can't assign to this expression");
}

StmtP Parser::parse_set(const Token& at) {
  ExprP target = parse_assign_target({}, true);
  if (skip_op("=")) {
    auto s = std::make_unique<Stmt>(SK::Set, at);
    s->target = std::move(target);
    s->expr = parse_tuple(false, true, {}, false);
    expect_block_end();
    return s;
  }
  if (target->k != EK::Name) error(at, "block set needs a single name");
  auto s = std::make_unique<Stmt>(SK::SetBlock, at);
  s->target = std::move(target);
  if (is_op("|")) s->filter = parse_filter(nullptr, false);
  expect_block_end();
  s->body = subparse({"endset"});
  next();
  expect_block_end();
  return s;
}

void Parser::parse_signature(std::vector<Param>& params) {
  expect_op("(");
  while (!is_op(")")) {
    if (!params.empty()) expect_op(",");
    if (is_op(")")) break;
    Param p;
    p.name = expect_name();
    if (skip_op("=")) p.dflt = parse_expression(true);
    params.push_back(std::move(p));
  }
  next();
}

StmtP Parser::parse_macro(const Token& at) {
  auto s = std::make_unique<Stmt>(SK::Macro, at);
  s->text = expect_name();
  parse_signature(s->params);
  expect_block_end();
  int saved = loop_depth_;
  loop_depth_ = 0;
  s->body = subparse({"endmacro"});
  loop_depth_ = saved;
  s->catch_varargs = references_name(s->body, "varargs");
  s->catch_kwargs = references_name(s->body, "kwargs");
  next();
  if (cur().type == Tok::Name && cur().text == s->text) next();
  expect_block_end();
  return s;
}

StmtP Parser::parse_with(const Token& at) {
  auto s = std::make_unique<Stmt>(SK::With, at);
  while (cur().type != Tok::BlockEnd) {
    if (!s->assigns.empty()) expect_op(",");
    ExprP target = parse_assign_target({});
    expect_op("=");
    s->assigns.emplace_back(std::move(target), parse_expression(true));
  }
  expect_block_end();
  s->body = subparse({"endwith"});
  next();
  expect_block_end();
  return s;
}

StmtP Parser::parse_call_block(const Token& at) {
  auto s = std::make_unique<Stmt>(SK::CallBlock, at);
  if (is_op("(")) parse_signature(s->params);
  s->expr = parse_expression(true);
  if (s->expr->k != EK::Call) error(at, "expected call");
  expect_block_end();
  s->body = subparse({"endcall"});
  s->catch_varargs = references_name(s->body, "varargs");
  s->catch_kwargs = references_name(s->body, "kwargs");
  next();
  expect_block_end();
  return s;
}

namespace {
bool expr_refs(const Expr* e, const std::string& n) {
  if (!e) return false;
  if (e->k == EK::Name && e->name == n) return true;
  if (expr_refs(e->a.get(), n) || expr_refs(e->b.get(), n) || expr_refs(e->c.get(), n)) return true;
  for (auto& x : e->args)
    if (expr_refs(x.get(), n)) return true;
  for (auto& kv : e->kwargs)
    if (expr_refs(kv.second.get(), n)) return true;
  return false;
}
}  // namespace

bool references_name(const Body& body, const std::string& n) {
  for (auto& st : body) {
    if (expr_refs(st->expr.get(), n) || expr_refs(st->cond.get(), n) || expr_refs(st->filter.get(), n) ||
        references_name(st->body, n) || references_name(st->else_body, n))
      return true;
    for (auto& br : st->branches)
      if (expr_refs(br.first.get(), n) || references_name(br.second, n)) return true;
    for (auto& p : st->params)
      if (expr_refs(p.dflt.get(), n)) return true;
    for (auto& a : st->assigns)
      if (expr_refs(a.second.get(), n)) return true;
  }
  return false;
}

bool is_jinja_filter(const std::string& n) {
  static const char* const kNames[] = {
      "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e",
      "escape", "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent",
      "int", "join", "last", "length", "list", "lower", "items", "map", "min", "max", "pprint",
      "random", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
      "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "trim", "truncate",
      "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr", "tojson"};
  for (const char* k : kNames)
    if (n == k) return true;
  return false;
}

bool is_jinja_test(const std::string& n) {
  static const char* const kNames[] = {
      "odd", "even", "divisibleby", "defined", "undefined", "filter", "test", "none", "boolean",
      "false", "true", "integer", "float", "mapping", "number", "sequence", "string", "iterable",
      "callable", "sameas", "escaped", "in", "lower", "upper", "==", "eq", "equalto", "!=", "ne",
      ">", "gt", "greaterthan", ">=", "ge", "<", "lt", "lessthan", "<=", "le"};
  for (const char* k : kNames)
    if (n == k) return true;
  return false;
}

namespace {
// jinja2 fails at compile time on unknown filters/tests, except inside if-statements and inline
// if-expressions ("soft" frames), where the error is raised only when the filter runs. Loops,
// macros, call/filter/set blocks and with open a new, non-soft frame.
void check_expr(const Expr* e, bool soft) {
  if (!e) return;
  if (e->k == EK::CondExpr) soft = true;
  if (!soft && e->k == EK::Filter && !is_jinja_filter(e->name))
    throw JinjaError("No filter named '" + e->name + "'.", e->line, e->column);
  if (!soft && e->k == EK::Test && !is_jinja_test(e->name))
    throw JinjaError("No test named '" + e->name + "'.", e->line, e->column);
  check_expr(e->a.get(), soft);
  check_expr(e->b.get(), soft);
  check_expr(e->c.get(), soft);
  for (auto& x : e->args) check_expr(x.get(), soft);
  for (auto& kv : e->kwargs) check_expr(kv.second.get(), soft);
}

void check_body(const Body& body, bool soft) {
  for (auto& st : body) {
    switch (st->k) {
      case SK::If:
        for (auto& br : st->branches) {
          check_expr(br.first.get(), true);
          check_body(br.second, true);
        }
        check_body(st->else_body, true);
        break;
      case SK::For:
        check_expr(st->expr.get(), soft);
        check_expr(st->cond.get(), false);
        check_body(st->body, false);
        check_body(st->else_body, false);
        break;
      case SK::Macro:
      case SK::CallBlock:
        check_expr(st->expr.get(), soft);
        for (auto& p : st->params) check_expr(p.dflt.get(), false);
        check_body(st->body, false);
        break;
      case SK::FilterBlock:
        check_expr(st->filter.get(), soft);
        check_body(st->body, false);
        break;
      case SK::SetBlock:
        check_expr(st->filter.get(), false);
        check_body(st->body, false);
        break;
      case SK::With:
        for (auto& a : st->assigns) check_expr(a.second.get(), soft);
        check_body(st->body, false);
        break;
      default:
        check_expr(st->expr.get(), soft);
        check_body(st->body, soft);
    }
  }
}
}  // namespace

std::unique_ptr<Program> parse_program(std::vector<Token> tokens) {
  auto program = Parser(std::move(tokens)).run();
  check_body(program->body, false);
  return program;
}

}  // namespace slm::jinja
