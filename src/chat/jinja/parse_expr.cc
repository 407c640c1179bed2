// Expression parsing: jinja2's precedence from conditional expressions down to primaries,
// postfix subscripts/calls, filters and tests.
#include "chat/jinja/parser.h"

namespace slm::jinja {

bool Parser::is_tuple_end(std::initializer_list<const char*> extra) const {
  auto ty = cur().type;
  if (ty == Tok::VarEnd || ty == Tok::BlockEnd || ty == Tok::Eof) return true;
  if (ty == Tok::Op && cur().text == ")") return true;
  if (ty == Tok::Name)
    for (const char* e : extra)
      if (cur().text == e) return true;
  return false;
}

ExprP Parser::parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<const char*> extra, bool explicit_parens) {
  Token at = cur();
  std::vector<ExprP> args;
  bool is_tuple = false;
  while (true) {
    if (!args.empty()) expect_op(",");
    if (is_tuple_end(extra)) break;
    if (simplified) args.push_back(parse_primary());
    else args.push_back(parse_expression(with_condexpr));
    if (is_op(",")) is_tuple = true;
    else break;
  }
  if (!is_tuple) {
    if (!args.empty()) return std::move(args[0]);
    if (!explicit_parens) error(cur(), "Expected an expression, got " + describe(cur()));
  }
  auto e = std::make_unique<Expr>(EK::Tuple, at);
  e->args = std::move(args);
  return e;
}

ExprP Parser::parse_expression(bool with_condexpr) {
  Guard g(*this, cur());
  return with_condexpr ? parse_condexpr() : parse_or();
}

ExprP Parser::parse_condexpr() {
  ExprP e1 = parse_or();
  while (is_name("if")) {
    Token at = cur();
    next();
    ExprP cond = parse_or();
    ExprP other;
    if (skip_name("else")) other = parse_condexpr();
    auto e = std::make_unique<Expr>(EK::CondExpr, at);
    e->a = std::move(cond);
    e->b = std::move(e1);
    e->c = std::move(other);
    e1 = std::move(e);
  }
  return e1;
}

ExprP Parser::parse_or() {
  ExprP l = parse_and();
  while (is_name("or")) {
    Token at = cur();
    next();
    l = binary(EK::Or, std::move(l), parse_and(), at);
  }
  return l;
}

ExprP Parser::parse_and() {
  ExprP l = parse_not();
  while (is_name("and")) {
    Token at = cur();
    next();
    l = binary(EK::And, std::move(l), parse_not(), at);
  }
  return l;
}

ExprP Parser::parse_not() {
  if (is_name("not")) {
    Guard g(*this, cur());
    Token at = cur();
    next();
    auto e = std::make_unique<Expr>(EK::Not, at);
    e->a = parse_not();
    return e;
  }
  return parse_compare();
}

ExprP Parser::parse_compare() {
  Token at = cur();
  ExprP first = parse_math1();
  std::vector<std::string> ops;
  std::vector<ExprP> rest;
  while (true) {
    std::string op;
    if (cur().type == Tok::Op &&
        (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == ">" ||
         cur().text == "<=" || cur().text == ">=")) {
      op = cur().text;
      next();
    } else if (is_name("in")) {
      op = "in";
      next();
    } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
      op = "notin";
      next();
      next();
    } else {
      break;
    }
    ops.push_back(op);
    rest.push_back(parse_math1());
  }
  if (ops.empty()) return first;
  auto e = std::make_unique<Expr>(EK::Compare, at);
  e->a = std::move(first);
  e->args = std::move(rest);
  e->ops = std::move(ops);
  return e;
}

ExprP Parser::parse_math1() {
  ExprP l = parse_concat();
  while (is_op("+") || is_op("-")) {
    Token at = cur();
    next();
    l = binary(EK::Binary, std::move(l), parse_concat(), at, at.text);
  }
  return l;
}

ExprP Parser::parse_concat() {
  Token at = cur();
  std::vector<ExprP> parts;
  parts.push_back(parse_math2());
  while (skip_op("~")) parts.push_back(parse_math2());
  if (parts.size() == 1) return std::move(parts[0]);
  auto e = std::make_unique<Expr>(EK::Concat, at);
  e->args = std::move(parts);
  return e;
}

ExprP Parser::parse_math2() {
  ExprP l = parse_pow();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    Token at = cur();
    next();
    l = binary(EK::Binary, std::move(l), parse_pow(), at, at.text);
  }
  return l;
}

ExprP Parser::parse_pow() {
  ExprP l = parse_unary(true);
  while (is_op("**")) {
    Token at = cur();
    next();
    l = binary(EK::Binary, std::move(l), parse_unary(true), at, "**");
  }
  return l;
}

ExprP Parser::parse_unary(bool with_filter) {
  Guard g(*this, cur());
  Token at = cur();
  ExprP node;
  if (is_op("-") || is_op("+")) {
    next();
    node = std::make_unique<Expr>(at.text == "-" ? EK::Neg : EK::Pos, at);
    node->a = parse_unary(false);
  } else {
    node = parse_primary();
  }
  node = parse_postfix(std::move(node));
  if (with_filter) node = parse_filter_expr(std::move(node));
  return node;
}

ExprP Parser::parse_primary() {
  Guard g(*this, cur());
  const Token at = cur();
  if (at.type == Tok::Name) {
    next();
    auto e = std::make_unique<Expr>(EK::Const, at);
    if (at.text == "true" || at.text == "True") e->value = Value::boolean(true);
    else if (at.text == "false" || at.text == "False") e->value = Value::boolean(false);
    else if (at.text == "none" || at.text == "None") e->value = Value::none();
    else {
      e->k = EK::Name;
      e->name = at.text;
    }
    return e;
  }
  if (at.type == Tok::String) {
    std::string s;
    while (cur().type == Tok::String) {
      s += cur().text;
      next();
    }
    auto e = std::make_unique<Expr>(EK::Const, at);
    e->value = Value::string(std::move(s));
    return e;
  }
  if (at.type == Tok::Int || at.type == Tok::Float) {
    next();
    auto e = std::make_unique<Expr>(EK::Const, at);
    e->value = at.type == Tok::Int ? Value::integer(at.i) : Value::floating(at.f);
    return e;
  }
  if (skip_op("(")) {
    ExprP e = parse_tuple(false, true, {}, true);
    expect_op(")");
    return e;
  }
  if (skip_op("[")) {
    auto e = std::make_unique<Expr>(EK::List, at);
    while (!is_op("]")) {
      if (!e->args.empty()) expect_op(",");
      if (is_op("]")) break;
      e->args.push_back(parse_expression(true));
    }
    next();
    return e;
  }
  if (skip_op("{")) {
    auto e = std::make_unique<Expr>(EK::Dict, at);
    while (!is_op("}")) {
      if (!e->args.empty()) expect_op(",");
      if (is_op("}")) break;
      e->args.push_back(parse_expression(true));
      expect_op(":");
      e->args.push_back(parse_expression(true));
    }
    next();
    return e;
  }
  error(at, "unexpected " + describe(at));
}

ExprP Parser::parse_postfix(ExprP node) {
  while (true) {
    if (is_op(".") || is_op("[")) node = parse_subscript(std::move(node));
    else if (is_op("(")) node = parse_call(std::move(node));
    else return node;
  }
}

ExprP Parser::parse_filter_expr(ExprP node) {
  while (true) {
    if (is_op("|")) node = parse_filter(std::move(node), false);
    else if (is_name("is")) node = parse_test(std::move(node));
    else if (is_op("(")) node = parse_call(std::move(node));
    else return node;
  }
}

ExprP Parser::parse_subscript(ExprP node) {
  Token at = cur();
  if (skip_op(".")) {
    if (cur().type == Tok::Name) {
      auto e = std::make_unique<Expr>(EK::Getattr, at);
      e->a = std::move(node);
      e->name = cur().text;
      next();
      return e;
    }
    if (cur().type != Tok::Int) error(cur(), "expected name or number");
    auto e = std::make_unique<Expr>(EK::Getitem, at);
    e->a = std::move(node);
    e->b = std::make_unique<Expr>(EK::Const, cur());
    e->b->value = Value::integer(cur().i);
    next();
    return e;
  }
  next();  // [
  std::vector<ExprP> items;
  while (!is_op("]")) {
    if (!items.empty()) {
      expect_op(",");
      if (is_op("]")) break;
    }
    items.push_back(parse_subscribed());
  }
  expect_op("]");
  ExprP key;
  if (items.size() == 1) {
    key = std::move(items[0]);
  } else {
    for (auto& it : items)
      if (it->k == EK::Slice) error(at, "slices inside a tuple subscript are not supported");
    key = std::make_unique<Expr>(EK::Tuple, at);
    key->args = std::move(items);
  }
  if (key->k == EK::Slice) {
    key->a = std::move(node);
    return key;
  }
  auto e = std::make_unique<Expr>(EK::Getitem, at);
  e->a = std::move(node);
  e->b = std::move(key);
  return e;
}

ExprP Parser::parse_subscribed() {
  Token at = cur();
  ExprP start;
  if (!is_op(":")) {
    start = parse_expression(true);
    if (!is_op(":")) return start;
  }
  next();  // :
  auto e = std::make_unique<Expr>(EK::Slice, at);
  ExprP stop, step;
  if (!is_op("]") && !is_op(",") && !is_op(":")) stop = parse_expression(true);
  if (skip_op(":"))
    if (!is_op("]") && !is_op(",")) step = parse_expression(true);
  e->args.push_back(std::move(start));
  e->args.push_back(std::move(stop));
  e->args.push_back(std::move(step));
  return e;
}

void Parser::parse_call_args(Expr& e) {
  expect_op("(");
  bool first = true;
  while (!is_op(")")) {
    if (!first) {
      expect_op(",");
      if (is_op(")")) break;
    }
    first = false;
    if (is_op("*") || is_op("**")) error(cur(), "*args / **kwargs in calls are not supported");
    if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
      std::string k = cur().text;
      next();
      next();
      e.kwargs.emplace_back(k, parse_expression(true));
    } else {
      if (!e.kwargs.empty()) error(cur(), "positional argument after keyword argument");
      e.args.push_back(parse_expression(true));
    }
  }
  next();
}

ExprP Parser::parse_call(ExprP node) {
  auto e = std::make_unique<Expr>(EK::Call, cur());
  e->a = std::move(node);
  parse_call_args(*e);
  return e;
}

ExprP Parser::parse_filter(ExprP node, bool start_inline) {
  while (is_op("|") || start_inline) {
    if (!start_inline) next();
    start_inline = false;
    Token at = cur();
    auto e = std::make_unique<Expr>(EK::Filter, at);
    e->name = expect_name();
    while (is_op(".") && peek().type == Tok::Name) {
      next();
      e->name += "." + cur().text;
      next();
    }
    e->a = std::move(node);
    if (is_op("(")) parse_call_args(*e);
    node = std::move(e);
  }
  return node;
}

ExprP Parser::parse_test(ExprP node) {
  Token at = cur();
  next();  // is
  bool negate = skip_name("not");
  auto e = std::make_unique<Expr>(EK::Test, at);
  e->name = expect_name();
  while (is_op(".") && peek().type == Tok::Name) {
    next();
    e->name += "." + cur().text;
    next();
  }
  e->a = std::move(node);
  e->negate = negate;
  const Token& c = cur();
  if (is_op("(")) {
    parse_call_args(*e);
  } else if ((c.type == Tok::Name || c.type == Tok::String || c.type == Tok::Int ||
              c.type == Tok::Float || is_op("[") || is_op("{")) &&
             !(c.type == Tok::Name && (c.text == "else" || c.text == "or" || c.text == "and"))) {
    if (is_name("is")) error(c, "You cannot chain multiple tests with is");
    e->args.push_back(parse_postfix(parse_primary()));
  }
  return e;
}

}  // namespace slm::jinja
