// The syntax tree of a parsed template.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/lexer.h"
#include "chat/jinja/value.h"

namespace slm::jinja {

enum class EK {
  Const, Name, List, Tuple, Dict, Getattr, Getitem, Slice, Call, Filter, Test,
  Neg, Pos, Not, Binary, Compare, And, Or, CondExpr, Concat
};

struct Expr;
using ExprP = std::unique_ptr<Expr>;

struct Expr {
  EK k;
  int line = 0, column = 0;
  Value value;                // Const
  std::string name;           // Name, Getattr attribute, Filter/Test name, Binary operator
  ExprP a, b, c;              // operands; Filter/Test/Call/Getattr/Getitem/Slice: a = the object
  std::vector<ExprP> args;    // List/Tuple/Dict (key, value, ...)/Call/Filter/Test args; Slice: 3 (null = absent)
  std::vector<std::pair<std::string, ExprP>> kwargs;
  std::vector<std::string> ops;  // Compare: one per args element
  bool negate = false;           // Test: `is not`
  Expr(EK kind, const Token& at) : k(kind), line(at.line), column(at.column) {}
};

enum class SK { Text, Output, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, Break, Continue, Body, With };

struct Stmt;
using StmtP = std::unique_ptr<Stmt>;
using Body = std::vector<StmtP>;

struct Param {
  std::string name;
  ExprP dflt;  // may be null
};

struct Stmt {
  SK k;
  int line = 0, column = 0;
  std::string text;                              // Text; Set/SetBlock/Macro: name
  ExprP expr;                                    // Output, For iterable, Set value, CallBlock call
  ExprP target;                                  // For / Set target (Name, Tuple, Getattr)
  ExprP cond;                                    // For inline filter
  ExprP filter;                                  // SetBlock / FilterBlock: Filter chain (innermost a == null)
  std::vector<std::pair<ExprP, Body>> branches;  // If: (cond, body)...
  Body body, else_body;
  std::vector<Param> params;                     // Macro / CallBlock caller params
  bool catch_varargs = false, catch_kwargs = false;  // Macro / CallBlock: body reads them
  bool uses_loop = true;                             // For: the body reads `loop`
  std::vector<std::pair<ExprP, ExprP>> assigns;  // With: (target, value)
  Stmt(SK kind, const Token& at) : k(kind), line(at.line), column(at.column) {}
};

struct Program {
  Body body;
};

// Throws JinjaError with line/column.
std::unique_ptr<Program> parse_program(std::vector<Token> tokens);

}  // namespace slm::jinja
