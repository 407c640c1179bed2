#include "chat/jinja/strings.h"

#include "base/utf8.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace slm::jinja {

bool py_isspace(unsigned char c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

size_t space_at(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return py_isspace(c) ? 1 : 0;
  auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0)) return 2;
  if (c == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;
  if (c == 0xE2 && b(1) == 0x80 && ((b(2) >= 0x80 && b(2) <= 0x8A) || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF))
    return 3;
  if (c == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;
  if (c == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;
  return 0;
}

size_t space_before(std::string_view s, size_t end) {
  if (end == 0) return 0;
  if (static_cast<unsigned char>(s[end - 1]) < 0x80) return py_isspace(static_cast<unsigned char>(s[end - 1])) ? 1 : 0;
  for (size_t n = 2; n <= 3 && n <= end; ++n)
    if (space_at(s, end - n) == n) return n;
  return 0;
}

std::string py_strip(const std::string& s, bool left, bool right) {
  size_t b = 0, e = s.size();
  if (left)
    while (b < e) {
      size_t n = space_at(s, b);
      if (!n) break;
      b += n;
    }
  if (right)
    while (e > b) {
      size_t n = space_before(s, e);
      if (!n) break;
      e -= n;
    }
  return s.substr(b, e - b);
}

std::string py_strip_chars(const std::string& s, const std::string& chars, bool left, bool right) {
  auto cs = utf8_chars(s);
  auto set = utf8_chars(chars);
  auto has = [&](const std::string& c) { return std::find(set.begin(), set.end(), c) != set.end(); };
  size_t b = 0, e = cs.size();
  if (left)
    while (b < e && has(cs[b])) ++b;
  if (right)
    while (e > b && has(cs[e - 1])) --e;
  std::string out;
  for (size_t k = b; k < e; ++k) out += cs[k];
  return out;
}

std::vector<std::string> py_split_ws(const std::string& s, int64_t maxsplit, bool from_right) {
  std::vector<std::string> out;
  if (from_right) {
    size_t e = s.size();
    while (true) {
      while (size_t n = space_before(s, e)) e -= n;
      if (e == 0) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        out.push_back(s.substr(0, e));
        break;
      }
      size_t b = e;
      while (b > 0 && !space_before(s, b)) --b;
      out.push_back(s.substr(b, e - b));
      e = b;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  size_t p = 0;
  while (true) {
    while (size_t n = space_at(s, p)) p += n;
    if (p >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      out.push_back(py_strip(s.substr(p), false, true));
      break;
    }
    size_t q = p;
    while (q < s.size() && !space_at(s, q)) ++q;
    out.push_back(s.substr(p, q - p));
    p = q;
  }
  return out;
}

std::vector<std::string> py_split(const std::string& s, const std::string& sep, int64_t maxsplit,
                                  bool from_right) {
  if (sep.empty()) fail("empty separator");
  std::vector<std::string> out;
  if (from_right) {
    size_t e = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      if (e < sep.size()) break;
      size_t p = s.rfind(sep, e - sep.size());
      if (p == std::string::npos) break;
      out.push_back(s.substr(p + sep.size(), e - p - sep.size()));
      e = p;
    }
    out.push_back(s.substr(0, e));
    std::reverse(out.begin(), out.end());
    return out;
  }
  size_t b = 0;
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    size_t p = s.find(sep, b);
    if (p == std::string::npos) break;
    out.push_back(s.substr(b, p - b));
    b = p + sep.size();
  }
  out.push_back(s.substr(b));
  return out;
}

std::vector<std::string> py_splitlines(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    size_t n = 0;  // bytes of the line break at k
    if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) n = 1;
    else if (s.compare(k, 2, "\xC2\x85") == 0) n = 2;
    else if (s.compare(k, 3, "\xE2\x80\xA8") == 0 || s.compare(k, 3, "\xE2\x80\xA9") == 0) n = 3;
    if (!n) continue;
    out.push_back(s.substr(b, k - b));
    if (c == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++n;
    k += n - 1;
    b = k + 1;
  }
  if (b < s.size()) out.push_back(s.substr(b));
  return out;
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& repl,
                       int64_t count) {
  std::string out;
  if (old.empty()) {
    auto cs = utf8_chars(s);
    int64_t n = 0;
    for (size_t k = 0; k <= cs.size(); ++k) {
      if (count < 0 || n < count) {
        out += repl;
        ++n;
      }
      if (k < cs.size()) out += cs[k];
    }
    return out;
  }
  size_t b = 0;
  int64_t n = 0;
  while (count < 0 || n < count) {
    size_t p = s.find(old, b);
    if (p == std::string::npos) break;
    out += s.substr(b, p - b);
    out += repl;
    b = p + old.size();
    ++n;
  }
  out += s.substr(b);
  return out;
}

namespace {

// Simple case mapping for the scripts chat text mostly uses (ASCII, Latin-1, Latin Extended-A,
// Greek, Cyrillic, fullwidth Latin); other code points have no case here.
uint32_t cp_upper(uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c == 0xB5) return 0x39C;
  if (c == 0xFF) return 0x178;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0x131) return 'I';
  if (c == 0x17F) return 'S';
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
    return c & ~1u;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 0) ? c - 1 : c;
  if (c == 0x3C2) return 0x3A3;
  if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 37;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 63;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) return c & ~1u;
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 32;
  return c;
}
uint32_t cp_lower(uint32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c == 0x178) return 0xFF;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
    return c | 1u;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) return c | 1u;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
  return c;
}
bool cp_is_upper(uint32_t c) { return cp_lower(c) != c || c == 0x130; }
bool cp_is_lower(uint32_t c) { return cp_upper(c) != c || c == 0xDF; }
bool cp_cased(uint32_t c) { return cp_is_upper(c) || cp_is_lower(c); }

std::vector<uint32_t> decode(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[k]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (k + n > s.size()) n = 1;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t j = 1; j < n; ++j) cp = (cp << 6) | (static_cast<unsigned char>(s[k + j]) & 0x3Fu);
    out.push_back(cp);
    k += n;
  }
  return out;
}
void put_upper(uint32_t c, std::string& out) {
  if (c == 0xDF) {
    out += "SS";
    return;
  }
  append_utf8(out, cp_upper(c));
}
void put_lower(uint32_t c, std::string& out) {
  if (c == 0x130) {
    out += "i\xCC\x87";
    return;
  }
  append_utf8(out, cp_lower(c));
}

}  // namespace

std::string py_upper(const std::string& s) {
  std::string o;
  for (uint32_t c : decode(s)) put_upper(c, o);
  return o;
}
std::string py_lower(const std::string& s) {
  std::string o;
  for (uint32_t c : decode(s)) put_lower(c, o);
  return o;
}
std::string py_title(const std::string& s) {
  std::string o;
  bool prev_cased = false;
  for (uint32_t c : decode(s)) {
    if (prev_cased) put_lower(c, o);
    else if (c == 0xDF) o += "Ss";
    else put_upper(c, o);
    prev_cased = cp_cased(c);
  }
  return o;
}
std::string py_capitalize(const std::string& s) {
  std::string o;
  bool first = true;
  for (uint32_t c : decode(s)) {
    if (first && c == 0xDF) o += "Ss";
    else if (first) put_upper(c, o);
    else put_lower(c, o);
    first = false;
  }
  return o;
}
std::string py_swapcase(const std::string& s) {
  std::string o;
  for (uint32_t c : decode(s)) {
    if (cp_is_upper(c)) put_lower(c, o);
    else if (cp_is_lower(c)) put_upper(c, o);
    else append_utf8(o, c);
  }
  return o;
}
bool py_is_case(const std::string& s, bool upper) {
  bool any = false;
  for (uint32_t c : decode(s)) {
    if (upper ? cp_is_lower(c) : cp_is_upper(c)) return false;
    any |= upper ? cp_is_upper(c) : cp_is_lower(c);
  }
  return any;
}
std::string jinja_title(const std::string& s) {
  // jinja2's do_title: split at runs of [-\s({\[<], upper-case each piece's first char and
  // lower-case the rest.
  std::string o;
  bool start = true;
  auto cps = decode(s);
  for (size_t k = 0; k < cps.size(); ++k) {
    uint32_t c = cps[k];
    std::string enc;
    append_utf8(enc, c);
    bool boundary = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || space_at(enc, 0) == enc.size();
    if (boundary) {
      o += enc;
      start = true;
    } else {
      if (start) put_upper(c, o);
      else put_lower(c, o);
      start = false;
    }
  }
  return o;
}

namespace {
std::string apply_spec(const Value& v, const std::string& spec) {
  if (spec.empty()) return to_str(v);
  size_t p = 0;
  char fill = ' ', align = 0;
  if (spec.size() >= 2 && (spec[1] == '<' || spec[1] == '>' || spec[1] == '^')) {
    fill = spec[0];
    align = spec[1];
    p = 2;
  } else if (spec[0] == '<' || spec[0] == '>' || spec[0] == '^') {
    align = spec[0];
    p = 1;
  }
  size_t width = 0;
  while (p < spec.size() && std::isdigit(static_cast<unsigned char>(spec[p])))
    width = std::min<size_t>(width * 10 + static_cast<size_t>(spec[p++] - '0'), 1 << 16);
  int prec = -1;
  if (p < spec.size() && spec[p] == '.') {
    prec = 0;
    ++p;
    while (p < spec.size() && std::isdigit(static_cast<unsigned char>(spec[p])))
      prec = std::min(prec * 10 + (spec[p++] - '0'), 100);
  }
  char type = p < spec.size() ? spec[p++] : 0;
  if (p != spec.size()) fail("unsupported format spec '" + spec + "'");
  std::string body;
  if (type == 'f' || type == 'F' || type == 'e' || type == 'g' || type == '%') {
    double d = v.as_double();
    char buf[512];
    char f[16];
    std::snprintf(f, sizeof f, "%%.%d%c", prec < 0 ? 6 : prec, type == '%' ? 'f' : type);
    std::snprintf(buf, sizeof buf, f, type == '%' ? d * 100 : d);
    body = buf;
    if (type == '%') body += "%";
  } else if (type == 'd') {
    body = std::to_string(v.as_int());
  } else {
    body = to_str(v);
    if (prec >= 0) {
      auto cs = utf8_chars(body);
      if (cs.size() > static_cast<size_t>(prec)) {
        body.clear();
        for (int k = 0; k < prec; ++k) body += cs[static_cast<size_t>(k)];
      }
    }
  }
  size_t len = utf8_length(body);
  if (len >= width) return body;
  size_t pad = width - len;
  if (!align) align = v.is_number() ? '>' : '<';
  size_t left = align == '>' ? pad : align == '<' ? 0 : pad / 2;
  return std::string(left, fill) + body + std::string(pad - left, fill);
}
}  // namespace

std::string py_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_idx = 0;
  for (size_t k = 0; k < fmt.size(); ++k) {
    char c = fmt[k];
    if (c == '}') {
      if (k + 1 < fmt.size() && fmt[k + 1] == '}') {
        out += '}';
        ++k;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (k + 1 < fmt.size() && fmt[k + 1] == '{') {
      out += '{';
      ++k;
      continue;
    }
    size_t e = fmt.find('}', k);
    if (e == std::string::npos) fail("Single '{' encountered in format string");
    std::string field = fmt.substr(k + 1, e - k - 1);
    std::string spec;
    if (size_t colon = field.find(':'); colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    if (size_t bang = field.find('!'); bang != std::string::npos) field = field.substr(0, bang);
    Value v;
    if (field.empty()) {
      if (auto_idx >= args.pos.size()) fail("Replacement index " + std::to_string(auto_idx) + " out of range");
      v = args.pos[auto_idx++];
    } else if (std::all_of(field.begin(), field.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
      size_t i = static_cast<size_t>(std::stoul(field.substr(0, 9)));
      if (i >= args.pos.size()) fail("Replacement index " + field + " out of range");
      v = args.pos[i];
    } else {
      bool found = false;
      for (auto& kv : args.kw)
        if (kv.first == field) {
          v = kv.second;
          found = true;
        }
      if (!found) fail("KeyError: '" + field + "'");
    }
    out += apply_spec(v, spec);
    k = e;
  }
  return out;
}

std::string py_percent(const std::string& fmt, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (size_t k = 0; k < fmt.size(); ++k) {
    if (fmt[k] != '%') {
      out += fmt[k];
      continue;
    }
    if (++k >= fmt.size()) fail("incomplete format");
    if (fmt[k] == '%') {
      out += '%';
      continue;
    }
    std::string spec;
    while (k < fmt.size() && std::string_view("-+ #0123456789.").find(fmt[k]) != std::string_view::npos)
      spec += fmt[k++];
    if (k >= fmt.size()) fail("incomplete format");
    char conv = fmt[k];
    if (next >= args.size()) fail("not enough arguments for format string");
    const Value& v = args[next++];
    if (spec.size() > 8) fail("format spec too long");
    char buf[512];
    std::string f = "%" + spec;
    if (conv == 's' || conv == 'r') {
      std::string s = conv == 's' ? to_str(v) : repr(v);
      std::snprintf(buf, sizeof buf, (f + "s").c_str(), s.size() < 400 ? s.c_str() : "");
      out += s.size() < 400 ? std::string(buf) : s;
    } else if (conv == 'd' || conv == 'i') {
      std::snprintf(buf, sizeof buf, (f + "lld").c_str(),
                    static_cast<long long>(v.kind == Kind::Float ? static_cast<int64_t>(v.f) : v.as_int()));
      out += buf;
    } else if (conv == 'f' || conv == 'F' || conv == 'e' || conv == 'g') {
      std::snprintf(buf, sizeof buf, (f + conv).c_str(), v.as_double());
      out += buf;
    } else if (conv == 'x' || conv == 'X' || conv == 'o') {
      std::snprintf(buf, sizeof buf, (f + "ll" + conv).c_str(), static_cast<long long>(v.as_int()));
      out += buf;
    } else {
      fail(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (next < args.size()) fail("not all arguments converted during string formatting");
  return out;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&#34;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

}  // namespace slm::jinja
