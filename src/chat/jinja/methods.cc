// Attribute/item access and the Python methods of str, list and dict that templates call
// (under jinja2's ImmutableSandboxedEnvironment: methods that mutate lists/dicts are unsafe).
#include <algorithm>

#include "chat/jinja/interpreter.h"
#include "chat/jinja/strings.h"

namespace slm::jinja {

namespace {

const char* const kStrMethods[] = {
    "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "replace", "upper",
    "lower", "title", "capitalize", "format", "find", "rfind", "index", "count", "join",
    "splitlines", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "swapcase",
    "center", "ljust", "rjust", "zfill", "removeprefix", "removesuffix", "casefold"};
const char* const kListMethods[] = {"index", "count", "copy"};
const char* const kListUnsafe[] = {"append", "extend", "insert", "pop", "remove", "reverse",
                                   "sort", "clear"};
const char* const kDictMethods[] = {"items", "keys", "values", "get", "copy"};
const char* const kDictUnsafe[] = {"clear", "pop", "popitem", "setdefault", "update"};

template <size_t N>
bool in(const char* const (&arr)[N], const std::string& n) {
  for (const char* a : arr)
    if (n == a) return true;
  return false;
}

std::string str_arg(const Value& v, const char* what) {
  if (!v.is_string()) fail(std::string(what) + " must be str, not " + kind_name(v));
  return v.s;
}

Value str_method(const Value& obj, const std::string& name, CallArgs& a) {
  const std::string& s = obj.s;
  auto chars_arg = [&](size_t i) -> const Value { return a.get(i, "chars", Value::none()); };
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    Value c = chars_arg(0);
    bool l = name != "rstrip", r = name != "lstrip";
    return Value::string(c.is_none() ? py_strip(s, l, r) : py_strip_chars(s, str_arg(c, "chars"), l, r));
  }
  if (name == "split" || name == "rsplit") {
    Value sep = a.get(0, "sep", Value::none());
    int64_t maxsplit = a.get(1, "maxsplit", Value::integer(-1)).as_int();
    std::vector<std::string> parts = sep.is_none() ? py_split_ws(s, maxsplit, name == "rsplit")
                                                    : py_split(s, str_arg(sep, "sep"), maxsplit, name == "rsplit");
    std::vector<Value> out;
    for (auto& p : parts) out.push_back(Value::string(p));
    return Value::new_list(std::move(out));
  }
  if (name == "startswith" || name == "endswith") {
    Value p = a.get(0, "prefix");
    std::vector<Value> opts = p.is_list() ? p.items() : std::vector<Value>{p};
    for (auto& o : opts) {
      std::string x = str_arg(o, name.c_str());
      bool hit = name == "startswith" ? s.compare(0, x.size(), x) == 0
                                      : s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
      if (hit) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  if (name == "replace") {
    int64_t count = a.get(2, "count", Value::integer(-1)).as_int();
    return Value::string(py_replace(s, str_arg(a.get(0, "old"), "old"), str_arg(a.get(1, "new"), "new"), count));
  }
  if (name == "upper") return Value::string(py_upper(s));
  if (name == "lower" || name == "casefold") return Value::string(py_lower(s));
  if (name == "title") return Value::string(py_title(s));
  if (name == "capitalize") return Value::string(py_capitalize(s));
  if (name == "swapcase") return Value::string(py_swapcase(s));
  if (name == "isupper" || name == "islower") return Value::boolean(py_is_case(s, name == "isupper"));
  if (name == "format") return Value::string(py_format(s, a));
  if (name == "find" || name == "rfind" || name == "index") {
    std::string sub = str_arg(a.get(0, "sub"), "sub");
    size_t p = name == "rfind" ? s.rfind(sub) : s.find(sub);
    if (p == std::string::npos) {
      if (name == "index") fail("substring not found");
      return Value::integer(-1);
    }
    return Value::integer(static_cast<int64_t>(utf8_length(s.substr(0, p))));
  }
  if (name == "count") {
    std::string sub = str_arg(a.get(0, "sub"), "sub");
    if (sub.empty()) return Value::integer(static_cast<int64_t>(utf8_length(s)) + 1);
    int64_t n = 0;
    for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
    return Value::integer(n);
  }
  if (name == "join") {
    std::string out;
    bool first = true;
    for (auto& v : iterate(a.get(0, "iterable"))) {
      if (!first) out += s;
      first = false;
      out += str_arg(v, "sequence item");
    }
    return Value::string(out);
  }
  if (name == "splitlines") {
    std::vector<Value> out;
    for (auto& l : py_splitlines(s)) out.push_back(Value::string(l));
    return Value::new_list(std::move(out));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    std::string x = str_arg(a.get(0, "prefix"), name.c_str());
    if (name == "removeprefix" && s.compare(0, x.size(), x) == 0) return Value::string(s.substr(x.size()));
    if (name == "removesuffix" && !x.empty() && s.size() >= x.size() &&
        s.compare(s.size() - x.size(), x.size(), x) == 0)
      return Value::string(s.substr(0, s.size() - x.size()));
    return obj;
  }
  if (name.rfind("is", 0) == 0) {
    if (s.empty()) return Value::boolean(false);
    bool ok = true;
    for (unsigned char c : s) {
      if (name == "isdigit") ok &= std::isdigit(c) != 0;
      else if (name == "isalpha") ok &= std::isalpha(c) != 0 || c >= 0x80;
      else if (name == "isalnum") ok &= std::isalnum(c) != 0 || c >= 0x80;
      else if (name == "isspace") ok &= std::isspace(c) != 0;
    }
    return Value::boolean(ok);
  }
  if (name == "center" || name == "ljust" || name == "rjust" || name == "zfill") {
    int64_t width = a.get(0, "width").as_int();
    std::string fill = name == "zfill" ? "0" : a.get(1, "fillchar", Value::string(" ")).s;
    int64_t len = static_cast<int64_t>(utf8_length(s));
    if (width <= len) return obj;
    int64_t pad = std::min<int64_t>(width - len, 1 << 20);
    int64_t left = name == "rjust" || name == "zfill" ? pad : name == "ljust" ? 0 : pad / 2 + (pad & width & 1);
    std::string out;
    for (int64_t k = 0; k < left; ++k) out += fill;
    out += s;
    for (int64_t k = 0; k < pad - left; ++k) out += fill;
    return Value::string(out);
  }
  fail("'str' object has no attribute '" + name + "'");
}

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
std::string no_attribute(const Value& obj, const std::string& name) {
  std::string m = "'";
  m += obj.kind == Kind::Dict ? "dict object" : kind_name(obj);
  m += "' has no attribute '";
  m += name;
  m += "'";
  return m;
}

}  // namespace

bool Interpreter::has_method(const Value& obj, const std::string& name) const {
  switch (obj.kind) {
    case Kind::String: return in(kStrMethods, name);
    case Kind::List:
      return obj.is_plain_list() && (in(kListMethods, name) || in(kListUnsafe, name));
    case Kind::Dict: return in(kDictMethods, name) || in(kDictUnsafe, name);
    default: return false;
  }
}

Value Interpreter::method(const Value& obj, const std::string& name, CallArgs& a) {
  if (obj.is_string()) return str_method(obj, name, a);
  if (obj.is_list()) {
    if (in(kListUnsafe, name))
      fail("access to attribute '" + name + "' of '" + kind_name(obj) + "' object is unsafe.");
    if (name == "copy") return Value::new_list(obj.items(), obj.tuple);
    Value x = a.get(0, "value");
    int64_t n = 0;
    for (size_t k = 0; k < obj.items().size(); ++k) {
      if (equals(obj.items()[k], x)) {
        if (name == "index") return Value::integer(static_cast<int64_t>(k));
        ++n;
      }
    }
    if (name == "index") fail(repr(x) + " is not in list");
    return Value::integer(n);
  }
  if (obj.is_dict()) {
    if (in(kDictUnsafe, name)) fail("access to attribute '" + name + "' of 'dict' object is unsafe.");
    auto& items = obj.dict->items;
    if (name == "get") {
      const Value* v = obj.dict->find(a.get(0, "key"));
      return v ? *v : a.get(1, "default", Value::none());
    }
    if (name == "copy") {
      Value d = Value::new_dict();
      d.dict->items = items;
      return d;
    }
    std::vector<Value> out;
    for (auto& kv : items) {
      if (name == "items") out.push_back(Value::new_list({kv.first, kv.second}, true));
      else out.push_back(name == "keys" ? kv.first : kv.second);
    }
    return Value::new_seq(std::move(out), name == "items" ? Seq::DictItems : name == "keys" ? Seq::DictKeys : Seq::DictValues);
  }
  fail(std::string("'") + kind_name(obj) + "' object has no attribute '" + name + "'");
}

Value Interpreter::get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail(obj.s.empty() ? "undefined value has no attribute '" + name + "'" : obj.s);
  if (has_method(obj, name)) {
    Value self = obj;
    return Value::function([this, self, name](CallArgs& a) { return method(self, name, a); });
  }
  if (obj.is_mapping_like())
    if (const Value* v = obj.dict->find(name)) return *v;
  return Value::undefined(no_attribute(obj, name));
}

Value Interpreter::get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail(obj.s.empty() ? "undefined value is not subscriptable" : obj.s);
  if (obj.is_mapping_like()) {
    if (const Value* v = obj.dict->find(key)) return *v;
  } else if ((obj.is_plain_list() || (obj.is_list() && obj.seq == Seq::Range) || obj.is_string()) &&
             (key.kind == Kind::Int || key.kind == Kind::Bool)) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      int64_t n = static_cast<int64_t>(obj.items().size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return obj.items()[static_cast<size_t>(i)];
    } else {
      auto chars = utf8_chars(obj.s);
      int64_t n = static_cast<int64_t>(chars.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return Value::string(chars[static_cast<size_t>(i)]);
    }
  }
  if (key.is_string() && !obj.is_mapping_like()) return get_attr(obj, key.s);
  if (key.is_string() && has_method(obj, key.s)) return get_attr(obj, key.s);
  return Value::undefined(no_attribute(obj, to_str(key)));
}

}  // namespace slm::jinja
