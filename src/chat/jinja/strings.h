// Python str semantics used by filters and methods (ASCII case mapping; whitespace as Python's
// str.split()/strip() see it for ASCII; other code points are kept as they are).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/value.h"

namespace slm::jinja {

bool py_isspace(unsigned char c);  // ASCII part of Python's str.isspace()
// Byte length of the Python whitespace code point (str.isspace(), incl. U+00A0, U+3000, ...)
// starting at s[i] / ending just before s[end]; 0 when there is none.
size_t space_at(std::string_view s, size_t i);
size_t space_before(std::string_view s, size_t end);
std::string py_strip(const std::string& s, bool left, bool right);
std::string py_strip_chars(const std::string& s, const std::string& chars, bool left, bool right);
std::vector<std::string> py_split_ws(const std::string& s, int64_t maxsplit, bool from_right);
std::vector<std::string> py_split(const std::string& s, const std::string& sep, int64_t maxsplit,
                                  bool from_right);
std::vector<std::string> py_splitlines(const std::string& s);
std::string py_replace(const std::string& s, const std::string& old, const std::string& repl,
                       int64_t count);
std::string py_upper(const std::string& s);
std::string py_lower(const std::string& s);
std::string py_title(const std::string& s);       // str.title()
std::string py_capitalize(const std::string& s);  // str.capitalize()
std::string py_swapcase(const std::string& s);
bool py_is_case(const std::string& s, bool upper);  // str.isupper() / str.islower()
std::string jinja_title(const std::string& s);      // the |title filter
std::string py_format(const std::string& fmt, const CallArgs& args);  // str.format()
std::string html_escape(const std::string& s);
std::string py_percent(const std::string& fmt, const std::vector<Value>& args);  // fmt % args

}  // namespace slm::jinja
