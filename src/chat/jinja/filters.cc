// jinja2's builtin filters (3.1 semantics) plus Hugging Face's tojson.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chat/jinja/interpreter.h"
#include "chat/jinja/parser.h"
#include "chat/jinja/strings.h"

namespace slm::jinja {

namespace {

// environment.getattr chain for "a.b.0" style attribute arguments.
Value get_path(Interpreter& in, const Value& v, const Value& attr) {
  if (!attr.is_string()) return in.get_item(v, attr);
  Value cur = v;
  for (auto& part : py_split(attr.s, ".", -1, false)) {
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit))
      cur = in.get_item(cur, Value::integer(std::atoll(part.substr(0, 18).c_str())));
    else
      cur = in.get_item(cur, Value::string(part));
  }
  return cur;
}

Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(py_lower(v.s));
  return v;
}

void sort_values(std::vector<Value>& items, const std::function<Value(const Value&)>& key, bool reverse) {
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& it : items) keyed.emplace_back(key(it), it);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return reverse ? compare(b.first, a.first) < 0 : compare(a.first, b.first) < 0;
  });
  for (size_t k = 0; k < items.size(); ++k) items[k] = keyed[k].second;
}

std::string indent(const std::string& s0, const Value& width, bool first, bool blank) {
  std::string ind = width.is_string() ? width.s : std::string(static_cast<size_t>(std::clamp<int64_t>(width.as_int(), 0, 1 << 16)), ' ');
  std::string s = s0 + "\n";
  std::vector<std::string> lines = py_splitlines(s);
  std::string rv;
  if (blank) {
    for (size_t k = 0; k < lines.size(); ++k) rv += (k ? "\n" + ind : "") + lines[k];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t k = 1; k < lines.size(); ++k) rv += "\n" + (lines[k].empty() ? "" : ind + lines[k]);
  }
  return first ? ind + rv : rv;
}

Value to_int(const Value& v, const Value& dflt, int64_t base) {
  switch (v.kind) {
    case Kind::Int: return v;
    case Kind::Bool: return Value::integer(v.b);
    case Kind::Float:
      if (!std::isfinite(v.f) || std::fabs(v.f) >= 9.2e18) return dflt;
      return Value::integer(static_cast<int64_t>(v.f));
    case Kind::String: {
      std::string t = py_strip(v.s, true, true);
      std::string digits;
      for (char c : t)
        if (c != '_') digits += c;
      if (!digits.empty()) {
        char* end = nullptr;
        errno = 0;
        long long r = std::strtoll(digits.c_str(), &end, static_cast<int>(base));
        if (end && *end == 0 && errno == 0) return Value::integer(r);
        double d = std::strtod(t.c_str(), &end);
        if (end && *end == 0 && std::isfinite(d) && std::fabs(d) < 9.2e18)
          return Value::integer(static_cast<int64_t>(d));
      }
      return dflt;
    }
    default: return dflt;
  }
}

// Python's round(x, n): the exact binary value rounded half-to-even, as printf does.
double py_round(double x, int64_t prec) {
  if (!std::isfinite(x)) return x;
  if (prec < 0) {
    double m = std::pow(10.0, static_cast<double>(-prec));
    return std::nearbyint(x / m) * m;
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min<int64_t>(prec, 300)), x);
  return std::strtod(buf, nullptr);
}

}  // namespace

Value Interpreter::apply_filter(const std::string& name, const Value& v, CallArgs& a, const ScopeP& s) {
  auto arg = [&](size_t i, const char* n, Value d = Value::undefined()) { return a.get(i, n, std::move(d)); };
  auto barg = [&](size_t i, const char* n, bool d) { return truthy(a.get(i, n, Value::boolean(d))); };
  auto str_in = [&]() {
    if (v.is_undefined()) return std::string();
    return to_str(v);
  };
  auto seq_in = [&]() { return iterate(v); };

  if (name == "tojson") {
    JsonStyle st;
    Value ind = arg(1, "indent", Value::none());
    if (!ind.is_none()) {
      st.indent = 1;
      st.indent_str = ind.is_string() ? ind.s : std::string(static_cast<size_t>(std::clamp<int64_t>(ind.as_int(), 0, 1 << 10)), ' ');
      st.item_sep = ",";
    }
    Value sep = arg(2, "separators", Value::none());
    if (!sep.is_none()) {
      auto parts = iterate(sep);
      if (parts.size() != 2) fail("separators must be a pair");
      st.item_sep = to_str(parts[0]);
      st.key_sep = to_str(parts[1]);
    }
    st.sort_keys = barg(3, "sort_keys", false);
    st.ensure_ascii = barg(0, "ensure_ascii", false);
    return Value::string(dump_json(v, st));
  }
  if (name == "trim") {
    Value c = arg(0, "chars", Value::none());
    return Value::string(c.is_none() ? py_strip(str_in(), true, true) : py_strip_chars(str_in(), to_str(c), true, true));
  }
  if (name == "length" || name == "count") return Value::integer(length(v));
  if (name == "string") return Value::string(str_in());
  if (name == "safe" || name == "forceescape" || name == "escape" || name == "e") {
    Value r = Value::string(str_in());
    if (name != "safe" && !(v.markup && name != "forceescape")) r.s = html_escape(r.s);
    r.markup = opt_.markup_safe;
    return r;
  }
  if (name == "upper") return Value::string(py_upper(str_in()));
  if (name == "lower") return Value::string(py_lower(str_in()));
  if (name == "capitalize") return Value::string(py_capitalize(str_in()));
  if (name == "title") return Value::string(jinja_title(str_in()));
  if (name == "default" || name == "d") {
    bool use = barg(1, "boolean", false) ? !truthy(v) : v.is_undefined();
    return use ? arg(0, "default_value", Value::string("")) : v;
  }
  if (name == "items") {
    if (v.is_undefined()) return Value::new_seq({}, Seq::Generator);
    if (!v.is_mapping_like()) fail("Can only get item pairs from a mapping.");
    std::vector<Value> out;
    for (auto& kv : v.dict->items) out.push_back(Value::new_list({kv.first, kv.second}, true));
    return Value::new_seq(std::move(out), Seq::Generator);
  }
  if (name == "list") return Value::new_list(seq_in());
  if (name == "first" || name == "last") {
    if (name == "last" && v.seq == Seq::Generator && v.is_list()) fail("'generator' object is not reversible");
    auto items = seq_in();
    if (items.empty()) return Value::undefined("No first item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "join") {
    Value attr = arg(1, "attribute", Value::none());
    std::string sep = to_str(arg(0, "d", Value::string(""))), out;
    bool first = true;
    for (auto& it : seq_in()) {
      if (!first) out += sep;
      first = false;
      out += to_str(attr.is_none() ? it : get_path(*this, it, attr));
    }
    return Value::string(out);
  }
  if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
    bool by_attr = name == "selectattr" || name == "rejectattr";
    bool want = name == "selectattr" || name == "select";
    size_t ti = by_attr ? 1 : 0;
    std::vector<Value> out;
    if (!truthy(v)) return Value::new_seq({}, Seq::Generator);  // jinja2: `if value:` first
    for (auto& it : seq_in()) {
      Value x = by_attr ? get_path(*this, it, a.get(0, "attribute")) : it;
      bool r;
      if (a.pos.size() > ti) {
        CallArgs targs;
        targs.pos.assign(a.pos.begin() + static_cast<long>(ti) + 1, a.pos.end());
        r = apply_test(to_str(a.pos[ti]), x, targs, s);
      } else {
        r = truthy(x);
      }
      if (r == want) out.push_back(it);
    }
    return Value::new_seq(std::move(out), Seq::Generator);
  }
  if (name == "map") {
    std::vector<Value> out;
    bool by_attr = a.pos.empty() && a.has(99, "attribute");
    if (!truthy(v)) return Value::new_seq({}, Seq::Generator);  // jinja2: `if value:` first
    for (auto& it : seq_in()) {
      if (by_attr) {
        Value x = get_path(*this, it, a.get(99, "attribute"));
        if (x.is_undefined() && a.has(99, "default")) x = a.get(99, "default");
        out.push_back(x);
      } else {
        if (a.pos.empty()) fail("map requires a filter argument");
        CallArgs fargs;
        fargs.pos.assign(a.pos.begin() + 1, a.pos.end());
        fargs.kw = a.kw;
        out.push_back(apply_filter(to_str(a.pos[0]), it, fargs, s));
      }
    }
    return Value::new_seq(std::move(out), Seq::Generator);
  }
  if (name == "int") return to_int(v, arg(0, "default", Value::integer(0)), arg(1, "base", Value::integer(10)).as_int());
  if (name == "float") {
    Value d = arg(0, "default", Value::floating(0.0));
    if (v.is_number()) return Value::floating(v.as_double());
    if (v.is_string()) {
      std::string t = py_strip(v.s, true, true);
      char* end = nullptr;
      double x = std::strtod(t.c_str(), &end);
      if (!t.empty() && end && *end == 0) return Value::floating(x);
    }
    return d;
  }
  if (name == "indent")
    return Value::string(indent(str_in(), arg(0, "width", Value::integer(4)), barg(1, "first", false), barg(2, "blank", false)));
  if (name == "replace") {
    Value c = arg(2, "count", Value::none());
    return Value::string(py_replace(str_in(), to_str(arg(0, "old")), to_str(arg(1, "new")), c.is_none() ? -1 : c.as_int()));
  }
  if (name == "dictsort") {
    if (!v.is_mapping_like()) fail("dictsort requires a mapping");
    bool cs = barg(0, "case_sensitive", false);
    std::string by = to_str(arg(1, "by", Value::string("key")));
    if (by != "key" && by != "value") fail("You can only sort by either 'key' or 'value'");
    std::vector<Value> items;
    for (auto& kv : v.dict->items) items.push_back(Value::new_list({kv.first, kv.second}, true));
    int idx = by == "key" ? 0 : 1;
    sort_values(items, [&](const Value& x) { return sort_key(x.items()[static_cast<size_t>(idx)], cs); }, barg(2, "reverse", false));
    return Value::new_list(std::move(items));
  }
  if (name == "sort") {
    auto items = seq_in();
    bool cs = barg(1, "case_sensitive", false);
    Value attr = arg(2, "attribute", Value::none());
    sort_values(items, [&](const Value& x) { return sort_key(attr.is_none() ? x : get_path(*this, x, attr), cs); }, barg(0, "reverse", false));
    return Value::new_list(std::move(items));
  }
  if (name == "unique") {
    bool cs = barg(0, "case_sensitive", false);
    Value attr = arg(1, "attribute", Value::none());
    std::vector<Value> out, seen;
    for (auto& it : seq_in()) {
      Value k = sort_key(attr.is_none() ? it : get_path(*this, it, attr), cs);
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& x) { return equals(x, k); })) {
        seen.push_back(k);
        out.push_back(it);
      }
    }
    return Value::new_seq(std::move(out), Seq::Generator);
  }
  if (name == "min" || name == "max") {
    auto items = seq_in();
    if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
    bool cs = barg(0, "case_sensitive", false);
    Value attr = arg(1, "attribute", Value::none());
    auto key = [&](const Value& x) { return sort_key(attr.is_none() ? x : get_path(*this, x, attr), cs); };
    Value best = items[0];
    for (size_t k = 1; k < items.size(); ++k) {
      int c = compare(key(items[k]), key(best));
      if (name == "min" ? c < 0 : c > 0) best = items[k];
    }
    return best;
  }
  if (name == "sum") {
    Value attr = arg(0, "attribute", Value::none());
    Value acc = arg(1, "start", Value::integer(0));
    for (auto& it : seq_in()) {
      Value x = attr.is_none() ? it : get_path(*this, it, attr);
      if (!acc.is_number() || !x.is_number()) fail(std::string("unsupported operand type(s) for +: '") + kind_name(acc) + "' and '" + kind_name(x) + "'");
      if (acc.kind == Kind::Float || x.kind == Kind::Float) acc = Value::floating(acc.as_double() + x.as_double());
      else {
        int64_t r;
        if (__builtin_add_overflow(acc.as_int(), x.as_int(), &r)) fail("integer overflow");
        acc = Value::integer(r);
      }
    }
    return acc;
  }
  if (name == "round") {
    int64_t prec = arg(0, "precision", Value::integer(0)).as_int();
    std::string method = to_str(arg(1, "method", Value::string("common")));
    double x = v.as_double();
    if (method == "common") {
      if (v.kind == Kind::Int && prec >= 0) return v;
      return Value::floating(py_round(x, prec));
    }
    double m = std::pow(10.0, static_cast<double>(prec));
    if (method == "ceil") return Value::floating(std::ceil(x * m) / m);
    if (method == "floor") return Value::floating(std::floor(x * m) / m);
    fail("method must be common, ceil or floor");
  }
  if (name == "abs") {
    if (v.kind == Kind::Float) return Value::floating(std::fabs(v.f));
    int64_t x = v.as_int();
    if (x == INT64_MIN) fail("integer overflow");
    return Value::integer(x < 0 ? -x : x);
  }
  if (name == "reverse") {
    if (v.is_string()) {
      auto cs = utf8_chars(v.s);
      std::string o;
      for (size_t k = cs.size(); k-- > 0;) o += cs[k];
      return Value::string(o);
    }
    auto items = seq_in();
    std::reverse(items.begin(), items.end());
    return Value::new_seq(std::move(items), v.is_lazy() ? Seq::List : Seq::Iterator);
  }
  if (name == "center") {
    CallArgs ca;
    ca.pos.push_back(arg(0, "width", Value::integer(80)));
    return method(Value::string(str_in()), "center", ca);
  }
  if (name == "wordcount") return Value::integer(static_cast<int64_t>(py_split_ws(str_in(), -1, false).size()));
  if (name == "truncate") {
    std::string s0 = str_in();
    int64_t len = arg(0, "length", Value::integer(255)).as_int();
    bool killwords = barg(1, "killwords", false);
    std::string end = to_str(arg(2, "end", Value::string("...")));
    Value lw = arg(3, "leeway", Value::none());
    int64_t leeway = lw.is_none() ? 5 : lw.as_int();
    auto cs = utf8_chars(s0);
    int64_t n = static_cast<int64_t>(cs.size()), elen = static_cast<int64_t>(utf8_length(end));
    if (len < elen) fail("expected length >= " + std::to_string(elen) + ", got " + std::to_string(len));
    if (n <= len + leeway) return Value::string(s0);
    std::string head;
    for (int64_t k = 0; k < len - elen; ++k) head += cs[static_cast<size_t>(k)];
    if (killwords) return Value::string(head + end);
    size_t sp = head.rfind(' ');
    if (sp != std::string::npos) head = head.substr(0, sp);
    return Value::string(head + end);
  }
  if (name == "batch") {
    int64_t n = arg(0, "linecount").as_int();
    if (n <= 0) fail("batch size must be positive");
    Value fillv = arg(1, "fill_with", Value::none());
    std::vector<Value> out, cur;
    for (auto& it : seq_in()) {
      cur.push_back(it);
      if (static_cast<int64_t>(cur.size()) == n) {
        out.push_back(Value::new_list(std::move(cur)));
        cur.clear();
      }
    }
    if (!cur.empty()) {
      if (!fillv.is_none())
        while (static_cast<int64_t>(cur.size()) < n) cur.push_back(fillv);
      out.push_back(Value::new_list(std::move(cur)));
    }
    return Value::new_seq(std::move(out), Seq::Generator);
  }
  if (name == "attr") {  // getattr only: dict keys are not attributes
    std::string n = to_str(arg(0, "name"));
    if (v.is_undefined() || has_method(v, n) || v.kind == Kind::Namespace) return get_attr(v, n);
    return Value::undefined("no attribute '" + n + "'");
  }
  if (name == "format") {
    if (!a.kw.empty() && !a.pos.empty()) fail("can't handle positional and keyword arguments at the same time");
    return Value::string(py_percent(str_in(), a.pos));
  }
  if (is_jinja_filter(name)) fail("the filter '" + name + "' is not supported by slm's jinja engine");
  fail("No filter named '" + name + "' found.");
}

}  // namespace slm::jinja
