// Splits a template into text and tag tokens the way jinja2's lexer does, including whitespace
// control (-/+ markers, trim_blocks, lstrip_blocks), comments, raw blocks, and the removal of a
// single trailing newline (keep_trailing_newline=False).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/template.h"

namespace slm::jinja {

enum class Tok { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };

struct Token {
  Tok type = Tok::Eof;
  std::string text;  // Text / Name / String (unescaped) / Op
  int64_t i = 0;
  double f = 0;
  int line = 1, column = 1;
};

// Throws JinjaError (with line/column) on malformed input.
std::vector<Token> tokenize(std::string_view source, const Options& options);

}  // namespace slm::jinja
