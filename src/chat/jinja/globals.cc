// jinja2's builtin tests and the globals of Hugging Face's chat template environment.
#include <cmath>
#include <ctime>

#include "chat/jinja/interpreter.h"
#include "chat/jinja/strings.h"

namespace slm::jinja {

bool Interpreter::apply_test(const std::string& name, const Value& v, CallArgs& a, const ScopeP& s) {
  auto other = [&]() { return a.get(0, "b"); };
  const Kind k = v.kind;
  if (name == "defined") return k != Kind::Undefined;
  if (name == "undefined") return k == Kind::Undefined;
  if (name == "none") return k == Kind::None;
  if (name == "string") return k == Kind::String;
  if (name == "number") return k == Kind::Int || k == Kind::Float || k == Kind::Bool;
  if (name == "integer") return k == Kind::Int;
  if (name == "float") return k == Kind::Float;
  if (name == "boolean") return k == Kind::Bool;
  if (name == "true") return k == Kind::Bool && v.b;
  if (name == "false") return k == Kind::Bool && !v.b;
  if (name == "mapping") return k == Kind::Dict;
  if (name == "iterable") return k == Kind::String || k == Kind::List || k == Kind::Dict || k == Kind::Undefined;
  if (name == "sequence")
    return k == Kind::String || k == Kind::Dict || k == Kind::Undefined ||
           (k == Kind::List && (v.seq == Seq::List || v.seq == Seq::Range));
  if (name == "callable") return k == Kind::Callable;
  if (name == "escaped") return false;
  if (name == "lower") return py_is_case(to_str(v), false);
  if (name == "upper") return py_is_case(to_str(v), true);
  if (name == "eq" || name == "equalto" || name == "==") return equals(v, other());
  if (name == "ne" || name == "!=") return !equals(v, other());
  if (name == "lt" || name == "lessthan" || name == "<") return compare(v, other()) < 0;
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(v, other()) > 0;
  if (name == "le" || name == "<=") return compare(v, other()) <= 0;
  if (name == "ge" || name == ">=") return compare(v, other()) >= 0;
  if (name == "sameas") {
    Value o = other();
    if (v.kind != o.kind) return false;
    switch (k) {
      case Kind::List: return v.list == o.list;
      case Kind::Dict:
      case Kind::Namespace: return v.dict == o.dict;
      case Kind::Callable: return v.fn == o.fn;
      default: return equals(v, o);
    }
  }
  if (name == "in") {
    Value seq = a.get(0, "seq");
    if (seq.is_string()) return v.is_string() && seq.s.find(v.s) != std::string::npos;
    if (seq.is_mapping_like()) return seq.dict->find(v) != nullptr;
    for (auto& x : iterate(seq))
      if (equals(x, v)) return true;
    return false;
  }
  if (name == "divisibleby" || name == "even" || name == "odd") {
    if (v.kind == Kind::Undefined) fail(v.s.empty() ? "undefined value" : v.s);
    if (name == "divisibleby") {
      Value n = a.get(0, "num");
      if (n.kind == Kind::Float || v.kind == Kind::Float) {
        double d = n.as_double();
        if (d == 0) fail("float modulo");
        return std::fmod(v.as_double(), d) == 0;
      }
      int64_t d = n.as_int();
      if (d == 0) fail("integer division or modulo by zero");
      if (d == -1) return true;
      return v.as_int() % d == 0;
    }
    if (v.kind == Kind::Float) return (std::fmod(v.f, 2.0) == 0) == (name == "even");
    return ((v.as_int() % 2) == 0) == (name == "even");
  }
  if (name == "filter" || name == "test") return v.is_string();
  (void)s;
  fail("No test named '" + name + "'.");
}

namespace {

Value make_namespace(Interpreter& in, CallArgs& a) {
  Value ns = Value::new_namespace();
  for (auto& p : a.pos) {
    if (!p.is_mapping_like()) fail("namespace() positional argument must be a mapping");
    for (auto& kv : p.dict->items) ns.dict->set(kv.first, kv.second);
  }
  for (auto& kv : a.kw) ns.dict->set(Value::string(kv.first), kv.second);
  in.track_namespace(ns);
  return ns;
}

}  // namespace

Value Interpreter::global(const std::string& name) {
  if (name == "range") {
    return Value::function([](CallArgs& a) -> Value {
      if (a.pos.empty() || a.pos.size() > 3) fail("range expected 1 to 3 arguments");
      int64_t start = 0, stop, step = 1;
      if (a.pos.size() == 1) {
        stop = a.pos[0].as_int();
      } else {
        start = a.pos[0].as_int();
        stop = a.pos[1].as_int();
        if (a.pos.size() == 3) step = a.pos[2].as_int();
      }
      if (step == 0) fail("range() arg 3 must not be zero");
      std::vector<Value> out;
      for (int64_t x = start; step > 0 ? x < stop : x > stop; x += step) {
        if (out.size() >= 100000) fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        out.push_back(Value::integer(x));
        if ((step > 0 && x > INT64_MAX - step) || (step < 0 && x < INT64_MIN - step)) break;
      }
      return Value::new_seq(std::move(out), Seq::Range);
    });
  }
  if (name == "namespace") return Value::function([this](CallArgs& a) { return make_namespace(*this, a); });
  if (name == "dict") {
    return Value::function([](CallArgs& a) -> Value {
      Value d = Value::new_dict();
      for (auto& p : a.pos) {
        if (!p.is_mapping_like()) fail("dict() positional argument must be a mapping");
        for (auto& kv : p.dict->items) d.dict->set(kv.first, kv.second);
      }
      for (auto& kv : a.kw) d.dict->set(Value::string(kv.first), kv.second);
      return d;
    });
  }
  if (name == "raise_exception") {
    return Value::function([](CallArgs& a) -> Value {
      fail("raise_exception: " + to_str(a.get(0, "message")));
    });
  }
  if (name == "strftime_now") {
    int64_t now = opt_.now_epoch_seconds;
    return Value::function([now](CallArgs& a) -> Value {
      std::string fmt = to_str(a.get(0, "format"));
      std::time_t t = now >= 0 ? static_cast<std::time_t>(now) : std::time(nullptr);
      std::tm tm{};
      if (now >= 0) gmtime_r(&t, &tm);
      else localtime_r(&t, &tm);
      if (fmt.empty()) return Value::string("");
      std::string buf(fmt.size() * 8 + 64, '\0');
      size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
      buf.resize(n);
      return Value::string(buf);
    });
  }
  return Value::undefined();
}

}  // namespace slm::jinja
