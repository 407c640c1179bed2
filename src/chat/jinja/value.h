// Runtime values of the Jinja interpreter, with Python semantics (truthiness, str(), repr(),
// equality, ordering) and conversion from/to JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/template.h"

namespace slm::jinja {

// Thrown inside the engine and turned into a Status at the API boundary. line 0 = not yet known.
struct JinjaError : std::runtime_error {
  int line = 0, column = 0;
  explicit JinjaError(const std::string& m, int l = 0, int c = 0)
      : std::runtime_error(m), line(l), column(c) {}
};
[[noreturn]] inline void fail(const std::string& m) { throw JinjaError(m); }

enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Callable };
// What Python object a List stands for. jinja2's map/select/reject/selectattr/rejectattr/unique/
// batch/items filters return generators and |reverse an iterator: always true, no len(), not
// JSON serializable, not subscriptable. dict.items()/keys()/values() return views.
enum class Seq : uint8_t { List, Generator, Iterator, DictItems, DictKeys, DictValues, Range };

struct Value;
struct ListData;
struct DictData;
struct CallArgs;
using NativeFn = std::function<Value(CallArgs&)>;

struct Value {
  Kind kind = Kind::Undefined;
  bool b = false;
  bool tuple = false;  // a List that is a Python tuple (only changes how it prints)
  Seq seq = Seq::List;  // List only
  bool markup = false;  // String only: a markupsafe.Markup (see Options::markup_safe)
  int64_t i = 0;
  double f = 0;
  std::string s;  // String; for Undefined: the name that was missing (for messages)
  std::shared_ptr<ListData> list;
  std::shared_ptr<DictData> dict;  // Dict and Namespace
  std::shared_ptr<NativeFn> fn;

  Value() = default;
  static Value undefined(std::string hint = {}) {
    Value v;
    v.s = std::move(hint);
    return v;
  }
  static Value none() { return make(Kind::None); }
  static Value boolean(bool x) {
    Value v = make(Kind::Bool);
    v.b = x;
    return v;
  }
  static Value integer(int64_t x) {
    Value v = make(Kind::Int);
    v.i = x;
    return v;
  }
  static Value floating(double x) {
    Value v = make(Kind::Float);
    v.f = x;
    return v;
  }
  static Value string(std::string x) {
    Value v = make(Kind::String);
    v.s = std::move(x);
    return v;
  }
  static Value new_list(std::vector<Value> items = {}, bool is_tuple = false);
  static Value new_seq(std::vector<Value> items, Seq seq) {
    Value v = new_list(std::move(items));
    v.seq = seq;
    return v;
  }
  static Value new_dict();
  static Value new_namespace();
  static Value function(NativeFn f);
  static Value make(Kind k) {
    Value v;
    v.kind = k;
    return v;
  }

  bool is_undefined() const { return kind == Kind::Undefined; }
  bool is_none() const { return kind == Kind::None; }
  bool is_string() const { return kind == Kind::String; }
  bool is_list() const { return kind == Kind::List; }
  bool is_plain_list() const { return kind == Kind::List && seq == Seq::List; }  // list/tuple
  bool is_lazy() const { return kind == Kind::List && (seq == Seq::Generator || seq == Seq::Iterator); }
  bool is_dict() const { return kind == Kind::Dict; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
  bool is_mapping_like() const { return kind == Kind::Dict || kind == Kind::Namespace; }

  std::vector<Value>& items() const;  // List only
  double as_double() const;           // numbers
  int64_t as_int() const;             // Int/Bool
};

struct ListData {
  std::vector<Value> items;
};
struct DictData {
  std::vector<std::pair<Value, Value>> items;
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(const Value& key, Value v);
};
struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  // Python-style binding of parameter `index`/`name`; returns undefined when absent.
  Value get(size_t index, const char* name, Value dflt = Value::undefined()) const;
  bool has(size_t index, const char* name) const;
};

const char* kind_name(const Value& v);  // Python type name: 'str', 'int', 'dict', ...
bool truthy(const Value& v);
std::string to_str(const Value& v);   // Python str()
std::string repr(const Value& v);     // Python repr()
std::string format_float(double d);   // Python repr of a float
bool equals(const Value& a, const Value& b);
int compare(const Value& a, const Value& b);  // <0, 0, >0; throws when unorderable
Value from_json(const Json& j);
Json to_json(const Value& v);  // throws for undefined/callables
struct JsonStyle {
  int indent = -1;  // < 0: none
  std::string indent_str;
  std::string item_sep = ", ", key_sep = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;  // escape non-ASCII as \uXXXX (surrogate pairs above U+FFFF)
};
std::string dump_json(const Value& v, const JsonStyle& style);  // Python json.dumps(ensure_ascii=False)
// Iterates a value as Python would (strings by code point, dicts by key); undefined -> empty.
std::vector<Value> iterate(const Value& v);
int64_t length(const Value& v);

// UTF-8 helpers: strings are indexed by code point.
std::vector<std::string> utf8_chars(const std::string& s);
size_t utf8_length(const std::string& s);

}  // namespace slm::jinja
