#include "chat/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace slm::jinja {

namespace {
constexpr int kMaxDepth = 256;
void check_depth(int depth) {
  if (depth > kMaxDepth) fail("value nested too deeply (more than 256 levels)");
}
}  // namespace

Value Value::new_list(std::vector<Value> items, bool is_tuple) {
  Value v = make(Kind::List);
  v.list = std::make_shared<ListData>();
  v.list->items = std::move(items);
  v.tuple = is_tuple;
  return v;
}
Value Value::new_dict() {
  Value v = make(Kind::Dict);
  v.dict = std::make_shared<DictData>();
  return v;
}
Value Value::new_namespace() {
  Value v = make(Kind::Namespace);
  v.dict = std::make_shared<DictData>();
  return v;
}
Value Value::function(NativeFn f) {
  Value v = make(Kind::Callable);
  v.fn = std::make_shared<NativeFn>(std::move(f));
  return v;
}
std::vector<Value>& Value::items() const { return list->items; }
double Value::as_double() const {
  if (kind == Kind::Float) return f;
  if (kind == Kind::Int) return static_cast<double>(i);
  if (kind == Kind::Bool) return b ? 1.0 : 0.0;
  fail(std::string("expected a number, got ") + kind_name(*this));
}
int64_t Value::as_int() const {
  if (kind == Kind::Int) return i;
  if (kind == Kind::Bool) return b ? 1 : 0;
  fail(std::string("expected an integer, got ") + kind_name(*this));
}

const Value* DictData::find(const Value& key) const {
  for (auto& kv : items)
    if (equals(kv.first, key)) return &kv.second;
  return nullptr;
}
const Value* DictData::find(const std::string& key) const {
  for (auto& kv : items)
    if (kv.first.kind == Kind::String && kv.first.s == key) return &kv.second;
  return nullptr;
}
void DictData::set(const Value& key, Value v) {
  for (auto& kv : items)
    if (equals(kv.first, key)) {
      kv.second = std::move(v);
      return;
    }
  items.emplace_back(key, std::move(v));
}

Value CallArgs::get(size_t index, const char* name, Value dflt) const {
  if (index < pos.size()) return pos[index];
  for (auto& kv : kw)
    if (kv.first == name) return kv.second;
  return dflt;
}
bool CallArgs::has(size_t index, const char* name) const {
  if (index < pos.size()) return true;
  for (auto& kv : kw)
    if (kv.first == name) return true;
  return false;
}

const char* kind_name(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List:
      switch (v.seq) {
        case Seq::Generator: return "generator";
        case Seq::Iterator: return "list_reverseiterator";
        case Seq::DictItems: return "dict_items";
        case Seq::DictKeys: return "dict_keys";
        case Seq::DictValues: return "dict_values";
        case Seq::Range: return "range";
        default: return v.tuple ? "tuple" : "list";
      }
    case Kind::Dict: return "dict";
    case Kind::Namespace: return "Namespace";
    case Kind::Callable: return "function";
  }
  return "?";
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool: return v.b;
    case Kind::Int: return v.i != 0;
    case Kind::Float: return v.f != 0.0;
    case Kind::String: return !v.s.empty();
    case Kind::List: return v.is_lazy() || !v.list->items.empty();
    case Kind::Dict: return !v.dict->items.empty();
    default: return true;
  }
}

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  // sci = [-]D[.DDD]e[+-]XX
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t epos = sci.find('e');
  std::string mant = sci.substr(0, epos);
  int exp = std::atoi(sci.c_str() + epos + 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      if (static_cast<int>(digits.size()) <= exp + 1) {
        out = digits + std::string(exp + 1 - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
      }
    } else {
      out = "0." + std::string(-exp - 1, '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  }
  return neg ? "-" + out : out;
}

namespace {
std::string repr_string(const std::string& s) {
  char q = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == q || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += q;
  return out;
}

std::string repr_rec(const Value& v, int depth) {
  check_depth(depth);
  switch (v.kind) {
    case Kind::String: return repr_string(v.s);
    case Kind::List: {
      if (v.is_lazy()) return std::string("<") + kind_name(v) + " object>";
      if (v.seq == Seq::DictItems || v.seq == Seq::DictKeys || v.seq == Seq::DictValues) {
        Value plain = v;
        plain.seq = Seq::List;
        return std::string(kind_name(v)) + "(" + repr_rec(plain, depth + 1) + ")";
      }
      std::string out = v.tuple ? "(" : "[";
      auto& it = v.list->items;
      for (size_t k = 0; k < it.size(); ++k) {
        if (k) out += ", ";
        out += repr_rec(it[k], depth + 1);
      }
      if (v.tuple && it.size() == 1) out += ",";
      return out + (v.tuple ? ")" : "]");
    }
    case Kind::Dict: {
      std::string out = "{";
      bool firstk = true;
      for (auto& kv : v.dict->items) {
        if (!firstk) out += ", ";
        firstk = false;
        out += repr_rec(kv.first, depth + 1) + ": " + repr_rec(kv.second, depth + 1);
      }
      return out + "}";
    }
    case Kind::Namespace: return "<Namespace>";
    case Kind::Callable: return "<function>";
    case Kind::Undefined: return "";
    default: return to_str(v);
  }
}
}  // namespace

std::string repr(const Value& v) { return repr_rec(v, 0); }

std::string to_str(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined: return "";
    case Kind::None: return "None";
    case Kind::Bool: return v.b ? "True" : "False";
    case Kind::Int: return std::to_string(v.i);
    case Kind::Float: return format_float(v.f);
    case Kind::String: return v.s;
    default: return repr(v);
  }
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::Float || b.kind == Kind::Float) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Undefined:
    case Kind::None: return true;
    case Kind::String: return a.s == b.s;
    case Kind::List: {
      if (a.tuple != b.tuple || a.seq != b.seq) return false;
      if (a.is_lazy()) return a.list == b.list;
      auto &x = a.list->items, &y = b.list->items;
      if (x.size() != y.size()) return false;
      for (size_t k = 0; k < x.size(); ++k)
        if (!equals(x[k], y[k])) return false;
      return true;
    }
    case Kind::Dict: {
      if (a.dict->items.size() != b.dict->items.size()) return false;
      for (auto& kv : a.dict->items) {
        const Value* o = b.dict->find(kv.first);
        if (!o || !equals(kv.second, *o)) return false;
      }
      return true;
    }
    case Kind::Namespace: return a.dict == b.dict;
    case Kind::Callable: return a.fn == b.fn;
    default: return false;
  }
}

int compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::Float || b.kind == Kind::Float) {
      double x = a.as_double(), y = b.as_double();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    int64_t x = a.as_int(), y = b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.kind == Kind::String && b.kind == Kind::String) {
    int c = a.s.compare(b.s);  // UTF-8 byte order == code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_plain_list() && b.is_plain_list() && a.tuple == b.tuple) {
    auto &x = a.list->items, &y = b.list->items;
    for (size_t k = 0; k < x.size() && k < y.size(); ++k) {
      if (equals(x[k], y[k])) continue;
      return compare(x[k], y[k]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  fail(std::string("'<' not supported between instances of '") + kind_name(a) + "' and '" +
       kind_name(b) + "'");
}

namespace {
Value from_json_rec(const Json& j, int depth) {
  check_depth(depth);
  switch (j.type()) {
    case Json::value_t::null: return Value::none();
    case Json::value_t::boolean: return Value::boolean(j.get<bool>());
    case Json::value_t::number_integer: return Value::integer(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::floating(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float: return Value::floating(j.get<double>());
    case Json::value_t::string: return Value::string(j.get<std::string>());
    case Json::value_t::array: {
      Value v = Value::new_list();
      for (auto& e : j) v.list->items.push_back(from_json_rec(e, depth + 1));
      return v;
    }
    case Json::value_t::object: {
      Value v = Value::new_dict();
      for (auto it = j.begin(); it != j.end(); ++it)
        v.dict->items.emplace_back(Value::string(it.key()), from_json_rec(it.value(), depth + 1));
      return v;
    }
    default: return Value::none();
  }
}
Json to_json_rec(const Value& v, int depth) {
  check_depth(depth);
  switch (v.kind) {
    case Kind::None: return nullptr;
    case Kind::Bool: return v.b;
    case Kind::Int: return v.i;
    case Kind::Float: return v.f;
    case Kind::String: return v.s;
    case Kind::List: {
      if (v.seq != Seq::List) fail(std::string("Object of type ") + kind_name(v) + " is not JSON serializable");
      Json a = Json::array();
      for (auto& e : v.list->items) a.push_back(to_json_rec(e, depth + 1));
      return a;
    }
    case Kind::Dict: {
      Json o = Json::object();
      for (auto& kv : v.dict->items) o[to_str(kv.first)] = to_json_rec(kv.second, depth + 1);
      return o;
    }
    default: fail(std::string("Object of type ") + kind_name(v) + " is not JSON serializable");
  }
}

void json_string(const std::string& s, std::string& out, bool ensure_ascii) {
  out += '"';
  for (size_t k = 0; k < s.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(s[k]);
    if (ensure_ascii && c >= 0x80) {
      size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
      uint32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : n == 4 ? (c & 0x07) : c;
      for (size_t j = 1; j < n && k + j < s.size(); ++j) cp = (cp << 6) | (static_cast<unsigned char>(s[k + j]) & 0x3F);
      k += n - 1;
      char b[16];
      if (cp >= 0x10000) {
        cp -= 0x10000;
        std::snprintf(b, sizeof b, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
      } else {
        std::snprintf(b, sizeof b, "\\u%04x", cp);
      }
      out += b;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string json_key(const Value& k) {
  switch (k.kind) {
    case Kind::String: return k.s;
    case Kind::None: return "null";
    case Kind::Bool: return k.b ? "true" : "false";
    case Kind::Int: return std::to_string(k.i);
    case Kind::Float: return format_float(k.f);
    default: fail(std::string("keys must be str, int, float, bool or None, not ") + kind_name(k));
  }
}

void dump_rec(const Value& v, const JsonStyle& st, int level, std::string& out) {
  check_depth(level);
  auto newline = [&](int lvl) {
    out += '\n';
    for (int k = 0; k < lvl; ++k) out += st.indent_str;
  };
  switch (v.kind) {
    case Kind::None: out += "null"; return;
    case Kind::Bool: out += v.b ? "true" : "false"; return;
    case Kind::Int: out += std::to_string(v.i); return;
    case Kind::Float:
      if (std::isnan(v.f)) out += "NaN";
      else if (std::isinf(v.f)) out += v.f > 0 ? "Infinity" : "-Infinity";
      else out += format_float(v.f);
      return;
    case Kind::String: json_string(v.s, out, st.ensure_ascii); return;
    case Kind::List: {
      if (v.seq != Seq::List) fail(std::string("Object of type ") + kind_name(v) + " is not JSON serializable");
      auto& it = v.list->items;
      if (it.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t k = 0; k < it.size(); ++k) {
        if (k) out += st.item_sep;
        if (st.indent >= 0) newline(level + 1);
        dump_rec(it[k], st, level + 1, out);
      }
      if (st.indent >= 0) newline(level);
      out += ']';
      return;
    }
    case Kind::Dict: {
      std::vector<std::pair<std::string, const Value*>> kvs;
      for (auto& kv : v.dict->items) kvs.emplace_back(json_key(kv.first), &kv.second);
      if (kvs.empty()) {
        out += "{}";
        return;
      }
      if (st.sort_keys)
        std::stable_sort(kvs.begin(), kvs.end(),
                         [](auto& a, auto& b) { return a.first < b.first; });
      out += '{';
      for (size_t k = 0; k < kvs.size(); ++k) {
        if (k) out += st.item_sep;
        if (st.indent >= 0) newline(level + 1);
        json_string(kvs[k].first, out, st.ensure_ascii);
        out += st.key_sep;
        dump_rec(*kvs[k].second, st, level + 1, out);
      }
      if (st.indent >= 0) newline(level);
      out += '}';
      return;
    }
    default: fail(std::string("Object of type ") + kind_name(v) + " is not JSON serializable");
  }
}
}  // namespace

Value from_json(const Json& j) { return from_json_rec(j, 0); }
Json to_json(const Value& v) { return to_json_rec(v, 0); }
std::string dump_json(const Value& v, const JsonStyle& style) {
  std::string out;
  dump_rec(v, style, 0, out);
  return out;
}

std::vector<std::string> utf8_chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t k = 0; k < s.size();) {
    unsigned char c = s[k];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (k + n > s.size()) n = s.size() - k;
    out.push_back(s.substr(k, n));
    k += n;
  }
  return out;
}
size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined: return {};
    case Kind::String: {
      std::vector<Value> out;
      for (auto& c : utf8_chars(v.s)) out.push_back(Value::string(c));
      return out;
    }
    case Kind::List: return v.list->items;
    case Kind::Dict: {
      std::vector<Value> out;
      for (auto& kv : v.dict->items) out.push_back(kv.first);
      return out;
    }
    default: fail(std::string("'") + kind_name(v) + "' object is not iterable");
  }
}

int64_t length(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined: return 0;
    case Kind::String: return static_cast<int64_t>(utf8_length(v.s));
    case Kind::List:
      if (v.is_lazy()) fail(std::string("object of type '") + kind_name(v) + "' has no len()");
      return static_cast<int64_t>(v.list->items.size());
    case Kind::Dict: return static_cast<int64_t>(v.dict->items.size());
    default: fail(std::string("object of type '") + kind_name(v) + "' has no len()");
  }
}

}  // namespace slm::jinja
