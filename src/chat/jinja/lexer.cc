#include "chat/jinja/lexer.h"

#include "base/utf8.h"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "chat/jinja/strings.h"
#include "chat/jinja/value.h"

namespace slm::jinja {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= 0x1c && c <= 0x1f);
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

class Lexer {
 public:
  Lexer(std::string src, const Options& o) : s_(std::move(src)), opt_(o) {
    line_starts_.push_back(0);
    for (size_t k = 0; k < s_.size(); ++k)
      if (s_[k] == '\n') line_starts_.push_back(k + 1);
  }

  std::vector<Token> run() {
    while (pos_ < s_.size()) root_step();
    Token eof;
    eof.type = Tok::Eof;
    locate(s_.size(), eof);
    out_.push_back(eof);
    return std::move(out_);
  }

 private:
  void locate(size_t p, Token& t) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), p);
    size_t li = static_cast<size_t>(it - line_starts_.begin()) - 1;
    t.line = static_cast<int>(li + 1);
    t.column = static_cast<int>(p - line_starts_[li] + 1);
  }
  [[noreturn]] void error(size_t p, const std::string& m) const {
    Token t;
    locate(p, t);
    throw JinjaError(m, t.line, t.column);
  }
  void emit(Tok type, size_t p, std::string text = {}) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    locate(p, t);
    out_.push_back(std::move(t));
  }
  bool at(size_t p, std::string_view w) const { return s_.compare(p, w.size(), w) == 0; }

  // Applies '-' / lstrip_blocks to the text before a tag and emits it.
  void emit_text(size_t start, std::string text, char sign, bool is_var) {
    if (sign == '-') {
      text = py_strip(text, false, true);  // Python's str.rstrip()
    } else if (sign != '+' && opt_.lstrip_blocks && !is_var) {
      size_t nl = text.rfind('\n');
      size_t lpos = nl == std::string::npos ? 0 : nl + 1;
      if ((lpos > 0 || line_starting_) && lpos < text.size() &&
          py_strip(text.substr(lpos), true, false).empty())  // re `\s+` fullmatch
        text.resize(lpos);
    }
    if (!text.empty()) emit(Tok::Text, start, std::move(text));
  }

  // Matches "<marker>%}" style ends at p: returns the length consumed, or 0.
  size_t match_end(size_t p, std::string_view end, bool allow_plus, bool trim) const {
    if (allow_plus && s_[p] == '+' && at(p + 1, end)) return 1 + end.size();
    if (s_[p] == '-' && at(p + 1, end)) {
      size_t q = p + 1 + end.size();
      while (size_t n = space_at(s_, q)) q += n;
      return q - p;
    }
    if (at(p, end)) {
      size_t q = p + end.size();
      if (trim && opt_.trim_blocks && q < s_.size() && s_[q] == '\n') ++q;
      return q - p;
    }
    return 0;
  }

  void root_step() {
    size_t best = std::string::npos;
    for (const char* o : {"{{", "{%", "{#"}) best = std::min(best, s_.find(o, pos_));
    if (best == std::string::npos) {
      emit(Tok::Text, pos_, s_.substr(pos_));
      pos_ = s_.size();
      return;
    }
    std::string text = s_.substr(pos_, best - pos_);
    size_t text_start = pos_;
    char kind = s_[best + 1];
    size_t p = best + 2;
    char sign = 0;
    if (p < s_.size() && (s_[p] == '-' || s_[p] == '+')) sign = s_[p++];
    if (kind == '%') {
      size_t q = p;
      while (q < s_.size() && is_space(s_[q])) ++q;
      if (at(q, "raw") && !(q + 3 < s_.size() && is_name_char(s_[q + 3]))) {
        size_t r = q + 3;
        while (r < s_.size() && is_space(s_[r])) ++r;
        size_t n = 0;
        if (at(r, "-%}")) {
          n = 3;
          while (size_t w = space_at(s_, r + n)) n += w;
        } else if (at(r, "%}")) {
          n = 2;
        }
        if (n) {
          emit_text(text_start, std::move(text), sign, false);
          line_starting_ = s_[r + n - 1] == '\n';
          raw_body(r + n, best);
          return;
        }
      }
    }
    emit_text(text_start, std::move(text), sign, kind == '{');
    if (kind == '#') {
      size_t q = p;
      while (true) {
        q = s_.find("#}", q);
        if (q == std::string::npos) error(best, "Missing end of comment tag");
        size_t n = 0;
        if (q > p && (s_[q - 1] == '-' || s_[q - 1] == '+')) n = match_end(q - 1, "#}", true, true);
        if (!n) n = match_end(q, "#}", true, true);
        size_t endp = (q > p && (s_[q - 1] == '-' || s_[q - 1] == '+')) ? q - 1 : q;
        pos_ = endp + n;
        line_starting_ = s_[pos_ - 1] == '\n';
        return;
      }
    }
    emit(kind == '{' ? Tok::VarBegin : Tok::BlockBegin, best);
    pos_ = p;
    lex_tag(kind == '{');
  }

  void raw_body(size_t start, size_t open_pos) {
    size_t q = start;
    while (true) {
      q = s_.find("{%", q);
      if (q == std::string::npos) error(open_pos, "Missing end of raw directive");
      size_t r = q + 2;
      char sign = 0;
      if (r < s_.size() && (s_[r] == '-' || s_[r] == '+')) sign = s_[r++];
      while (r < s_.size() && is_space(s_[r])) ++r;
      if (!at(r, "endraw")) {
        q += 2;
        continue;
      }
      r += 6;
      while (r < s_.size() && is_space(s_[r])) ++r;
      size_t n = r < s_.size() ? match_end(r, "%}", true, true) : 0;
      if (!n) {
        q += 2;
        continue;
      }
      emit_text(start, s_.substr(start, q - start), sign, false);
      pos_ = r + n;
      line_starting_ = s_[pos_ - 1] == '\n';
      return;
    }
  }

  void lex_tag(bool is_var) {
    std::vector<char> balance;
    while (true) {
      if (pos_ >= s_.size()) error(pos_, "unexpected end of template, expected end of tag");
      if (balance.empty()) {
        size_t n = is_var ? match_end(pos_, "}}", false, false) : match_end(pos_, "%}", true, true);
        if (n) {
          emit(is_var ? Tok::VarEnd : Tok::BlockEnd, pos_);
          pos_ += n;
          line_starting_ = s_[pos_ - 1] == '\n';
          return;
        }
      }
      char c = s_[pos_];
      if (is_space(c)) {
        ++pos_;
        continue;
      }
      if (is_digit(c)) {
        lex_number();
        continue;
      }
      if (is_name_start(c)) {
        size_t e = pos_;
        while (e < s_.size() && is_name_char(s_[e])) ++e;
        emit(Tok::Name, pos_, s_.substr(pos_, e - pos_));
        pos_ = e;
        continue;
      }
      if (c == '\'' || c == '"') {
        lex_string();
        continue;
      }
      static const char* ops2[] = {"//", "**", "==", "!=", ">=", "<="};
      std::string op;
      for (const char* o : ops2)
        if (at(pos_, o)) op = o;
      if (op.empty()) {
        if (std::string_view("+-/*%~[](){}<>=.:|,;").find(c) == std::string_view::npos)
          error(pos_, std::string("unexpected char '") + c + "'");
        op = std::string(1, c);
      }
      if (op == "(" || op == "[" || op == "{") {
        balance.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
      } else if (op == ")" || op == "]" || op == "}") {
        if (balance.empty()) error(pos_, "unexpected '" + op + "'");
        if (balance.back() != op[0])
          error(pos_, "unexpected '" + op + "', expected '" + std::string(1, balance.back()) + "'");
        balance.pop_back();
      }
      emit(Tok::Op, pos_, op);
      pos_ += op.size();
    }
  }

  void lex_number() {
    size_t b = pos_, e = pos_;
    auto digits = [&](size_t& q) {
      size_t st = q;
      while (q < s_.size() && (is_digit(s_[q]) || (s_[q] == '_' && q > st && q + 1 < s_.size() &&
                                                    is_digit(s_[q + 1]))))
        ++q;
      return q > st;
    };
    if (s_[b] == '0' && b + 1 < s_.size() && (s_[b + 1] == 'x' || s_[b + 1] == 'X')) {
      e = b + 2;
      while (e < s_.size() && (std::isxdigit(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
      std::string h;
      for (size_t k = b + 2; k < e; ++k)
        if (s_[k] != '_') h += s_[k];
      Token t;
      t.type = Tok::Int;
      t.i = static_cast<int64_t>(std::strtoull(h.c_str(), nullptr, 16));
      locate(b, t);
      out_.push_back(t);
      pos_ = e;
      return;
    }
    digits(e);
    bool is_float = false;
    size_t q = e;
    if (q + 1 < s_.size() && s_[q] == '.' && is_digit(s_[q + 1])) {
      ++q;
      digits(q);
      is_float = true;
      e = q;
    }
    if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
      size_t r = e + 1;
      if (r < s_.size() && (s_[r] == '+' || s_[r] == '-')) ++r;
      if (r < s_.size() && is_digit(s_[r])) {
        digits(r);
        e = r;
        is_float = true;
      }
    }
    std::string num;
    for (size_t k = b; k < e; ++k)
      if (s_[k] != '_') num += s_[k];
    Token t;
    locate(b, t);
    if (is_float) {
      t.type = Tok::Float;
      t.f = std::strtod(num.c_str(), nullptr);
    } else {
      t.type = Tok::Int;
      errno = 0;
      long long v = std::strtoll(num.c_str(), nullptr, 10);
      if (errno == ERANGE) error(b, "integer literal too large");
      t.i = v;
    }
    out_.push_back(t);
    pos_ = e;
  }

  void lex_string() {
    char q = s_[pos_];
    size_t b = pos_;
    std::string v;
    size_t p = pos_ + 1;
    while (true) {
      if (p >= s_.size()) error(b, "unexpected end of string");
      char c = s_[p];
      if (c == q) break;
      if (c != '\\') {
        v += c;
        ++p;
        continue;
      }
      if (p + 1 >= s_.size()) error(b, "unexpected end of string");
      char e = s_[p + 1];
      p += 2;
      switch (e) {
        case 'n': v += '\n'; break;
        case 't': v += '\t'; break;
        case 'r': v += '\r'; break;
        case '\\': v += '\\'; break;
        case '\'': v += '\''; break;
        case '"': v += '"'; break;
        case 'a': v += '\a'; break;
        case 'b': v += '\b'; break;
        case 'f': v += '\f'; break;
        case 'v': v += '\v'; break;
        case '\n': break;
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (p + n > s_.size()) error(b, "truncated \\" + std::string(1, e) + " escape");
          std::string h = s_.substr(p, n);
          if (!std::all_of(h.begin(), h.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); }))
            error(b, "truncated \\" + std::string(1, e) + " escape");
          uint32_t cp = static_cast<uint32_t>(std::strtoul(h.c_str(), nullptr, 16));
          if (cp > 0x10FFFF) error(b, "illegal Unicode character");
          append_utf8(v, cp);
          p += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && p < s_.size() && s_[p] >= '0' && s_[p] <= '7'; ++k, ++p)
              cp = cp * 8 + static_cast<uint32_t>(s_[p] - '0');
            append_utf8(v, cp);
          } else {
            v += '\\';
            v += e;
          }
      }
    }
    emit(Tok::String, b, std::move(v));
    pos_ = p + 1;
  }

  std::string s_;
  const Options& opt_;
  std::vector<size_t> line_starts_;
  std::vector<Token> out_;
  size_t pos_ = 0;
  bool line_starting_ = true;
};

std::string normalize(std::string_view src) {
  std::string s;
  s.reserve(src.size());
  for (size_t k = 0; k < src.size(); ++k) {
    if (src[k] == '\r') {
      s += '\n';
      if (k + 1 < src.size() && src[k + 1] == '\n') ++k;
    } else {
      s += src[k];
    }
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

std::vector<Token> tokenize(std::string_view source, const Options& options) {
  return Lexer(normalize(source), options).run();
}

}  // namespace slm::jinja
