#include "chat/jinja/interpreter.h"

#include <cmath>
#include <limits>

#include "chat/jinja/strings.h"

namespace slm::jinja {

namespace {
constexpr int kMaxRuntimeDepth = 600;
constexpr size_t kMaxStringBytes = 64u << 20;

[[noreturn]] void type_error(const char* op, const Value& l, const Value& r) {
  fail(std::string("unsupported operand type(s) for ") + op + ": '" + kind_name(l) + "' and '" +
       kind_name(r) + "'");
}
void check_undefined(const Value& v) {
  if (v.is_undefined()) fail(v.s.empty() ? "undefined value" : v.s);
}
int64_t add_i(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) fail("integer overflow");
  return r;
}
int64_t sub_i(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) fail("integer overflow");
  return r;
}
int64_t mul_i(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) fail("integer overflow");
  return r;
}
}  // namespace

Interpreter::DepthGuard::DepthGuard(Interpreter& i) : in(i) {
  if (++in.steps_ > in.opt_.max_steps) {
    fail("template evaluation exceeded " + std::to_string(in.opt_.max_steps) + " steps (Options::max_steps)");
  }
  if (++in.depth_ > kMaxRuntimeDepth) {
    --in.depth_;
    fail("maximum recursion depth exceeded");
  }
}

Interpreter::~Interpreter() {
  for (auto& ns : namespaces_) ns.dict->items.clear();
}

std::string Interpreter::render(const Program& p, const Value& context) {
  auto root = std::make_shared<Scope>();
  if (context.is_dict())
    for (auto& kv : context.dict->items) root->set(to_str(kv.first), kv.second);
  std::string out;
  out_ = &out;
  exec(p.body, root);
  out_ = nullptr;
  return out;
}

std::string Interpreter::capture(const Body& b, const ScopeP& s) {
  std::string buf;
  std::string* saved = out_;
  out_ = &buf;
  try {
    exec(b, s);
  } catch (...) {
    out_ = saved;
    throw;
  }
  out_ = saved;
  return buf;
}

Interpreter::Flow Interpreter::exec(const Body& b, const ScopeP& s) {
  for (auto& st : b) {
    Flow f = exec_stmt(*st, s);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

namespace {
Value apply_chain(Interpreter& in, const Expr& f, Value input, const ScopeP& s, auto& eval_args) {
  if (f.a) input = apply_chain(in, *f.a, std::move(input), s, eval_args);
  CallArgs args;
  eval_args(f, args);
  return in.apply_filter(f.name, input, args, s);
}
}  // namespace

Interpreter::Flow Interpreter::exec_stmt(const Stmt& st, const ScopeP& s) {
  DepthGuard g(*this);
  try {
    switch (st.k) {
      case SK::Text:
        *out_ += st.text;
        if (out_->size() > kMaxStringBytes) fail("output too large");
        break;
      case SK::Output: {
        Value v = eval(*st.expr, s);
        *out_ += to_str(v);
        if (out_->size() > kMaxStringBytes) fail("output too large");
        break;
      }
      case SK::If:
        for (auto& br : st.branches)
          if (truthy(eval(*br.first, s))) return exec(br.second, s);
        return exec(st.else_body, s);
      case SK::For: return exec_for(st, s);
      case SK::Set: assign(*st.target, eval(*st.expr, s), s); break;
      case SK::SetBlock: {
        Value v = Value::string(capture(st.body, s));
        if (st.filter) {
          auto ea = [&](const Expr& e, CallArgs& a) { eval_args(e, s, a); };
          v = apply_chain(*this, *st.filter, v, s, ea);
        }
        assign(*st.target, v, s);
        break;
      }
      case SK::Macro: s->set(st.text, make_macro(st, s, st.body, st.params, st.text)); break;
      case SK::CallBlock: {
        const Expr& c = *st.expr;
        CallArgs args;
        eval_args(c, s, args);
        args.kw.emplace_back("caller", make_macro(st, s, st.body, st.params, "caller"));
        Value fn;
        if (c.a->k == EK::Getattr) {
          Value obj = eval(*c.a->a, s);
          fn = get_attr(obj, c.a->name);
        } else {
          fn = eval(*c.a, s);
        }
        *out_ += to_str(call(fn, args));
        break;
      }
      case SK::FilterBlock: {
        Value v = Value::string(capture(st.body, s));
        auto ea = [&](const Expr& e, CallArgs& a) { eval_args(e, s, a); };
        *out_ += to_str(apply_chain(*this, *st.filter, v, s, ea));
        break;
      }
      case SK::Break: return Flow::Break;
      case SK::Continue: return Flow::Continue;
      case SK::Body: return exec(st.body, s);
      case SK::With: {
        auto inner = std::make_shared<Scope>();
        inner->parent = s;
        for (auto& as : st.assigns) assign(*as.first, eval(*as.second, s), inner);
        return exec(st.body, inner);
      }
    }
  } catch (JinjaError& e) {
    if (e.line == 0) {
      e.line = st.line;
      e.column = st.column;
    }
    throw;
  }
  return Flow::Normal;
}

void Interpreter::assign(const Expr& target, const Value& v, const ScopeP& s) {
  if (target.k == EK::Name) {
    s->set(target.name, v);
  } else if (target.k == EK::Tuple) {
    std::vector<Value> items = iterate(v);
    if (items.size() != target.args.size())
      fail(items.size() > target.args.size()
               ? "too many values to unpack (expected " + std::to_string(target.args.size()) + ")"
               : "not enough values to unpack (expected " + std::to_string(target.args.size()) +
                     ", got " + std::to_string(items.size()) + ")");
    for (size_t k = 0; k < items.size(); ++k) assign(*target.args[k], items[k], s);
  } else if (target.k == EK::Getattr) {
    const Value* ns = s->find(target.a->name);
    if (!ns || ns->kind != Kind::Namespace) fail("cannot assign attribute on non-namespace object");
    ns->dict->set(Value::string(target.name), v);
  } else {
    fail("can't assign to this expression");
  }
}

Interpreter::Flow Interpreter::exec_for(const Stmt& st, const ScopeP& s) {
  Value seq = eval(*st.expr, s);
  std::vector<Value> items;
  if (seq.is_dict()) {
    for (auto& kv : seq.dict->items) items.push_back(kv.first);
  } else {
    items = iterate(seq);
  }
  if (st.cond) {
    std::vector<Value> kept;
    for (auto& it : items) {
      auto tmp = std::make_shared<Scope>();
      tmp->parent = s;
      assign(*st.target, it, tmp);
      if (truthy(eval(*st.cond, tmp))) kept.push_back(it);
    }
    items = std::move(kept);
  }
  if (items.empty()) return exec(st.else_body, s);
  const int64_t n = static_cast<int64_t>(items.size());
  auto last_changed = std::make_shared<std::vector<Value>>();  // loop.changed() state
  auto changed_called = std::make_shared<bool>(false);
  for (int64_t k = 0; k < n; ++k) {
    auto scope = std::make_shared<Scope>();
    scope->parent = s;
    assign(*st.target, items[k], scope);
    if (!st.uses_loop) {
      if (exec(st.body, scope) == Flow::Break) break;
      continue;
    }
    Value loop = Value::new_dict();
    auto& d = *loop.dict;
    auto put = [&](const char* key, Value v) { d.items.emplace_back(Value::string(key), std::move(v)); };
    put("index", Value::integer(k + 1));
    put("index0", Value::integer(k));
    put("revindex", Value::integer(n - k));
    put("revindex0", Value::integer(n - k - 1));
    put("first", Value::boolean(k == 0));
    put("last", Value::boolean(k == n - 1));
    put("length", Value::integer(n));
    put("depth", Value::integer(1));
    put("depth0", Value::integer(0));
    put("previtem", k > 0 ? items[k - 1] : Value::undefined("'loop.previtem' is undefined"));
    put("nextitem", k + 1 < n ? items[k + 1] : Value::undefined("'loop.nextitem' is undefined"));
    put("cycle", Value::function([k](CallArgs& a) -> Value {
          if (a.pos.empty()) fail("no items for cycling given");
          return a.pos[static_cast<size_t>(k) % a.pos.size()];
        }));
    put("changed", Value::function([last_changed, changed_called](CallArgs& a) -> Value {
          Value now = Value::new_list(a.pos);
          if (*changed_called && equals(Value::new_list(*last_changed), now)) return Value::boolean(false);
          *changed_called = true;
          *last_changed = a.pos;
          return Value::boolean(true);
        }));
    scope->set("loop", loop);
    Flow f = exec(st.body, scope);
    if (f == Flow::Break) break;
  }
  return Flow::Normal;
}

Value Interpreter::make_macro(const Stmt& st, const ScopeP& s, const Body& body,
                              const std::vector<Param>& params, const std::string& name) {
  std::weak_ptr<Scope> weak = s;
  const Body* bp = &body;
  const std::vector<Param>* pp = &params;
  const bool catch_varargs = st.catch_varargs, catch_kwargs = st.catch_kwargs;
  return Value::function([this, weak, bp, pp, name, catch_varargs, catch_kwargs](CallArgs& a) -> Value {
    ScopeP def = weak.lock();
    if (!def) fail("macro '" + name + "' called outside of its scope");
    DepthGuard g(*this);
    auto scope = std::make_shared<Scope>();
    scope->parent = def;
    const auto& ps = *pp;
    if (!catch_varargs && a.pos.size() > ps.size())
      fail("macro '" + name + "' takes not more than " + std::to_string(ps.size()) + " argument(s)");
    Value varargs = Value::new_list({}, true);
    for (size_t k = 0; k < a.pos.size(); ++k) {
      if (k < ps.size()) scope->set(ps[k].name, a.pos[k]);
      else varargs.items().push_back(a.pos[k]);
    }
    Value kwargs = Value::new_dict();
    for (auto& kv : a.kw) {
      bool is_param = false;
      for (size_t k = 0; k < ps.size(); ++k)
        if (ps[k].name == kv.first) {
          if (k < a.pos.size()) fail("macro '" + name + "' got multiple values for argument '" + kv.first + "'");
          is_param = true;
        }
      if (is_param || kv.first == "caller") scope->set(kv.first, kv.second);
      else if (catch_kwargs) kwargs.dict->set(Value::string(kv.first), kv.second);
      else fail("macro '" + name + "' takes no keyword argument '" + kv.first + "'");
    }
    for (size_t k = a.pos.size(); k < ps.size(); ++k) {
      bool given = false;
      for (auto& kv : scope->vars)
        if (kv.first == ps[k].name) given = true;
      if (!given)
        scope->set(ps[k].name, ps[k].dflt ? eval(*ps[k].dflt, scope)
                                          : Value::undefined("'" + ps[k].name + "' is undefined"));
    }
    scope->set("varargs", varargs);
    scope->set("kwargs", kwargs);
    return Value::string(capture(*bp, scope));
  });
}

Value Interpreter::call(const Value& fn, CallArgs& args) {
  if (fn.kind != Kind::Callable) {
    check_undefined(fn);
    fail(std::string("'") + kind_name(fn) + "' object is not callable");
  }
  return (*fn.fn)(args);
}

void Interpreter::eval_args(const Expr& e, const ScopeP& s, CallArgs& out) {
  for (auto& a : e.args) out.pos.push_back(eval(*a, s));
  for (auto& kv : e.kwargs) out.kw.emplace_back(kv.first, eval(*kv.second, s));
}

namespace {
bool contains(const Value& container, const Value& item) {
  switch (container.kind) {
    case Kind::String:
      if (!item.is_string())
        fail(std::string("'in <string>' requires string as left operand, not ") + kind_name(item));
      return container.s.find(item.s) != std::string::npos;
    case Kind::List:
      for (auto& x : container.items())
        if (equals(x, item)) return true;
      return false;
    case Kind::Dict:
    case Kind::Namespace: return container.dict->find(item) != nullptr;
    case Kind::Undefined: return false;
    default: fail(std::string("argument of type '") + kind_name(container) + "' is not iterable");
  }
}
}  // namespace

Value Interpreter::eval(const Expr& e, const ScopeP& s) {
  DepthGuard g(*this);
  try {
    switch (e.k) {
      case EK::Const: return e.value;
      case EK::Name: {
        if (const Value* v = s->find(e.name)) return *v;
        Value gv = global(e.name);
        if (!gv.is_undefined()) return gv;
        return Value::undefined("'" + e.name + "' is undefined");
      }
      case EK::List:
      case EK::Tuple: {
        std::vector<Value> items;
        for (auto& a : e.args) items.push_back(eval(*a, s));
        return Value::new_list(std::move(items), e.k == EK::Tuple);
      }
      case EK::Dict: {
        Value d = Value::new_dict();
        for (size_t k = 0; k + 1 < e.args.size(); k += 2)
          d.dict->set(eval(*e.args[k], s), eval(*e.args[k + 1], s));
        return d;
      }
      case EK::Getattr: return get_attr(eval(*e.a, s), e.name);
      case EK::Getitem: return get_item(eval(*e.a, s), eval(*e.b, s));
      case EK::Slice: return eval_slice(e, s);
      case EK::Call: {
        CallArgs args;
        if (e.a->k == EK::Getattr) {
          Value obj = eval(*e.a->a, s);
          eval_args(e, s, args);
          if (!obj.is_undefined() && has_method(obj, e.a->name)) return method(obj, e.a->name, args);
          return call(get_attr(obj, e.a->name), args);
        }
        Value fn = eval(*e.a, s);
        eval_args(e, s, args);
        return call(fn, args);
      }
      case EK::Filter: {
        if (!e.a) fail("filter without input");
        Value in = eval(*e.a, s);
        CallArgs args;
        eval_args(e, s, args);
        return apply_filter(e.name, in, args, s);
      }
      case EK::Test: {
        Value in = eval(*e.a, s);
        CallArgs args;
        eval_args(e, s, args);
        bool r = apply_test(e.name, in, args, s);
        return Value::boolean(e.negate ? !r : r);
      }
      case EK::Neg:
      case EK::Pos: {
        Value v = eval(*e.a, s);
        check_undefined(v);
        if (v.kind == Kind::Float) return Value::floating(e.k == EK::Neg ? -v.f : v.f);
        if (v.kind == Kind::Int || v.kind == Kind::Bool) {
          int64_t x = v.as_int();
          if (e.k == EK::Pos) return Value::integer(x);
          if (x == std::numeric_limits<int64_t>::min()) fail("integer overflow");
          return Value::integer(-x);
        }
        fail(std::string("bad operand type for unary ") + (e.k == EK::Neg ? "-" : "+") + ": '" +
             kind_name(v) + "'");
      }
      case EK::Not: return Value::boolean(!truthy(eval(*e.a, s)));
      case EK::And: {
        Value l = eval(*e.a, s);
        return truthy(l) ? eval(*e.b, s) : l;
      }
      case EK::Or: {
        Value l = eval(*e.a, s);
        return truthy(l) ? l : eval(*e.b, s);
      }
      case EK::CondExpr:
        if (truthy(eval(*e.a, s))) return eval(*e.b, s);
        return e.c ? eval(*e.c, s) : Value::undefined("the inline if-expression evaluated to false and no else section was defined");
      case EK::Concat: {
        std::string out;
        for (auto& a : e.args) {
          out += to_str(eval(*a, s));
          if (out.size() > kMaxStringBytes) fail("string too large");
        }
        return Value::string(std::move(out));
      }
      case EK::Binary: return eval_binary(e.name, eval(*e.a, s), eval(*e.b, s));
      case EK::Compare: {
        Value l = eval(*e.a, s);
        for (size_t k = 0; k < e.args.size(); ++k) {
          Value r = eval(*e.args[k], s);
          const std::string& op = e.ops[k];
          bool ok;
          if (op == "==") ok = equals(l, r);
          else if (op == "!=") ok = !equals(l, r);
          else if (op == "in") ok = contains(r, l);
          else if (op == "notin") ok = !contains(r, l);
          else {
            check_undefined(l);
            check_undefined(r);
            int c = compare(l, r);
            ok = op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0;
          }
          if (!ok) return Value::boolean(false);
          l = std::move(r);
        }
        return Value::boolean(true);
      }
    }
  } catch (JinjaError& err) {
    if (err.line == 0) {
      err.line = e.line;
      err.column = e.column;
    }
    throw;
  }
  return Value::undefined();
}

Value Interpreter::eval_binary(const std::string& op, const Value& l, const Value& r) {
  check_undefined(l);
  check_undefined(r);
  const bool nums = l.is_number() && r.is_number();
  const bool ints = nums && l.kind != Kind::Float && r.kind != Kind::Float;
  if (op == "+") {
    if (ints) return Value::integer(add_i(l.as_int(), r.as_int()));
    if (nums) return Value::floating(l.as_double() + r.as_double());
    if (l.is_string() && r.is_string()) {
      if (l.s.size() + r.s.size() > kMaxStringBytes) fail("string too large");
      if (l.markup != r.markup) {  // Markup + str escapes the str
        Value out = Value::string(l.markup ? l.s + html_escape(r.s) : html_escape(l.s) + r.s);
        out.markup = true;
        return out;
      }
      Value out = Value::string(l.s + r.s);
      out.markup = l.markup;
      return out;
    }
    if (l.is_plain_list() && r.is_plain_list() && l.tuple == r.tuple) {
      std::vector<Value> items = l.items();
      items.insert(items.end(), r.items().begin(), r.items().end());
      return Value::new_list(std::move(items), l.tuple);
    }
    type_error("+", l, r);
  }
  if (op == "-") {
    if (ints) return Value::integer(sub_i(l.as_int(), r.as_int()));
    if (nums) return Value::floating(l.as_double() - r.as_double());
    type_error("-", l, r);
  }
  if (op == "*") {
    if (ints) return Value::integer(mul_i(l.as_int(), r.as_int()));
    if (nums) return Value::floating(l.as_double() * r.as_double());
    const Value* seq = (l.is_string() || l.is_plain_list()) ? &l : (r.is_string() || r.is_plain_list()) ? &r : nullptr;
    const Value* cnt = seq == &l ? &r : &l;
    if (seq && (cnt->kind == Kind::Int || cnt->kind == Kind::Bool)) {
      int64_t n = std::max<int64_t>(0, cnt->as_int());
      size_t unit = seq->is_string() ? seq->s.size() : seq->items().size() * 64;
      if (n > 0 && unit > 0 && static_cast<uint64_t>(n) > kMaxStringBytes / unit) fail("result too large");
      if (seq->is_string()) {
        std::string out;
        for (int64_t k = 0; k < n; ++k) out += seq->s;
        Value r = Value::string(std::move(out));
        r.markup = seq->markup;
        return r;
      }
      std::vector<Value> out;
      for (int64_t k = 0; k < n; ++k) out.insert(out.end(), seq->items().begin(), seq->items().end());
      return Value::new_list(std::move(out), seq->tuple);
    }
    type_error("*", l, r);
  }
  if (op == "/") {
    if (!nums) type_error("/", l, r);
    if (r.as_double() == 0) fail("division by zero");
    return Value::floating(l.as_double() / r.as_double());
  }
  if (op == "//" || op == "%") {
    if (!nums) {
      if (op == "%" && l.is_string())
        return Value::string(py_percent(l.s, r.is_plain_list() && r.tuple ? r.items() : std::vector<Value>{r}));
      type_error(op.c_str(), l, r);
    }
    if (ints) {
      int64_t a = l.as_int(), b = r.as_int();
      if (b == 0) fail(op == "%" ? "integer modulo by zero" : "integer division or modulo by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) {
        if (op == "%") return Value::integer(0);
        fail("integer overflow");
      }
      int64_t q = a / b, m = a % b;
      if (m != 0 && ((m < 0) != (b < 0))) {
        --q;
        m += b;
      }
      return Value::integer(op == "//" ? q : m);
    }
    double a = l.as_double(), b = r.as_double();
    if (b == 0) fail("float division by zero");
    double m = std::fmod(a, b);
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    if (op == "%") return Value::floating(m);
    return Value::floating(std::floor(a / b));
  }
  if (op == "**") {
    if (!nums) type_error("** or pow()", l, r);
    if (ints && r.as_int() >= 0) {
      int64_t base = l.as_int(), e = r.as_int(), acc = 1;
      while (e > 0) {
        if (e & 1) acc = mul_i(acc, base);
        e >>= 1;
        if (e > 0) base = mul_i(base, base);
      }
      return Value::integer(acc);
    }
    if (l.as_double() == 0 && r.as_double() < 0) fail("0.0 cannot be raised to a negative power");
    return Value::floating(std::pow(l.as_double(), r.as_double()));
  }
  fail("unknown operator " + op);
}

Value Interpreter::eval_slice(const Expr& e, const ScopeP& s) {
  Value obj = eval(*e.a, s);
  check_undefined(obj);
  auto opt = [&](size_t k, bool& has) -> int64_t {
    has = false;
    if (!e.args[k]) return 0;
    Value v = eval(*e.args[k], s);
    if (v.is_none()) return 0;
    if (v.kind != Kind::Int && v.kind != Kind::Bool)
      fail("slice indices must be integers or None");
    has = true;
    return v.as_int();
  };
  bool hs, he, hp;
  int64_t start = opt(0, hs), stop = opt(1, he), step = opt(2, hp);
  if (!hp) step = 1;
  if (step == 0) fail("slice step cannot be zero");
  std::vector<Value> seq;
  bool is_str = obj.is_string();
  std::vector<std::string> chars;
  int64_t n;
  if (is_str) {
    chars = utf8_chars(obj.s);
    n = static_cast<int64_t>(chars.size());
  } else if (obj.is_plain_list() || (obj.is_list() && obj.seq == Seq::Range)) {
    n = static_cast<int64_t>(obj.items().size());
  } else {
    fail(std::string("'") + kind_name(obj) + "' object is not subscriptable");
  }
  auto norm = [&](int64_t v, bool has, int64_t dflt) {
    if (!has) return dflt;
    if (v < 0) v += n;
    if (step > 0) return std::clamp<int64_t>(v, 0, n);
    return std::clamp<int64_t>(v, -1, n - 1);
  };
  int64_t b = norm(start, hs, step > 0 ? 0 : n - 1);
  int64_t en = norm(stop, he, step > 0 ? n : -1);
  std::string out_s;
  std::vector<Value> out_l;
  for (int64_t k = b; step > 0 ? k < en : k > en; k += step) {
    if (is_str) out_s += chars[static_cast<size_t>(k)];
    else out_l.push_back(obj.items()[static_cast<size_t>(k)]);
  }
  if (is_str) return Value::string(std::move(out_s));
  return Value::new_list(std::move(out_l), obj.tuple);
}

}  // namespace slm::jinja
