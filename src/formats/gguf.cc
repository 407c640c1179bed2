#include "formats/gguf.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace slm {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr int kMaxDims = 4;
constexpr int kMaxArrayDepth = 8;  // nested arrays deeper than this are refused, not recursed into

// Names of GGUF type ids that exist upstream but that slm does not run, for clear errors.
std::string_view unsupported_type_name(uint32_t id) {
  switch (id) {
    case 4: return "q4_2 (removed upstream)";
    case 5: return "q4_3 (removed upstream)";
    case 16: return "iq2_xxs";
    case 17: return "iq2_xs";
    case 18: return "iq3_xxs";
    case 19: return "iq1_s";
    case 20: return "iq4_nl";
    case 21: return "iq3_s";
    case 22: return "iq2_s";
    case 23: return "iq4_xs";
    case 24: return "i8";
    case 25: return "i16";
    case 26: return "i32";
    case 27: return "i64";
    case 28: return "f64";
    case 29: return "iq1_m";
    case 34: return "tq1_0";
    case 35: return "tq2_0";
    default: return "unknown";
  }
}

// Names from the file (keys, tensor names) go into one-line errors: control bytes are shown as
// \xNN so that a hostile name cannot break the line (or drive the terminal), and long names are cut.
std::string shown(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < 200; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

// A bounds-checked little-endian cursor over the file. Every read checks the remaining bytes;
// a failed read leaves an error naming what was being read and at which offset.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> b) : b_(b) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }

  template <typename T>
  Status read(T* out, const char* what) {
    if (remaining() < sizeof(T)) return truncated(what, sizeof(T));
    std::memcpy(out, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }
  Status read_string(std::string_view* out, const char* what) {
    uint64_t len = 0;
    SLM_RETURN_IF_ERROR(read(&len, what));
    if (len > remaining())
      return Status::Error(std::string(what) + ": string length " + std::to_string(len) + " at offset " +
                           std::to_string(pos_ - 8) + " runs past the end of the file (" +
                           std::to_string(remaining()) + " bytes left)");
    *out = std::string_view(reinterpret_cast<const char*>(b_.data() + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return Status::Ok();
  }

 private:
  Status truncated(const char* what, size_t need) const {
    return Status::Error(std::string("file is truncated: reading ") + what + " at offset " +
                         std::to_string(pos_) + " needs " + std::to_string(need) + " bytes, " +
                         std::to_string(remaining()) + " left");
  }
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

size_t min_encoded_size(GgufType t) {
  switch (t) {
    case GgufType::UINT8: case GgufType::INT8: case GgufType::BOOL: return 1;
    case GgufType::UINT16: case GgufType::INT16: return 2;
    case GgufType::UINT32: case GgufType::INT32: case GgufType::FLOAT32: return 4;
    case GgufType::UINT64: case GgufType::INT64: case GgufType::FLOAT64: return 8;
    case GgufType::STRING: return 8;   // the length prefix
    case GgufType::ARRAY: return 12;   // element type + count
  }
  return 1;
}

bool valid_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::FLOAT64); }

Status read_value(Cursor& c, GgufType type, GgufValue* v, const std::string& key, int depth) {
  v->type = type;
  const char* what = "metadata value";
  switch (type) {
    case GgufType::UINT8: { uint8_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->u = x; break; }
    case GgufType::INT8: { int8_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->i = x; break; }
    case GgufType::UINT16: { uint16_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->u = x; break; }
    case GgufType::INT16: { int16_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->i = x; break; }
    case GgufType::UINT32: { uint32_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->u = x; break; }
    case GgufType::INT32: { int32_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->i = x; break; }
    case GgufType::UINT64: { uint64_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->u = x; break; }
    case GgufType::INT64: { int64_t x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->i = x; break; }
    case GgufType::FLOAT32: { float x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->f = x; break; }
    case GgufType::FLOAT64: { double x = 0; SLM_RETURN_IF_ERROR(c.read(&x, what)); v->f = x; break; }
    case GgufType::BOOL: {
      uint8_t x = 0;
      SLM_RETURN_IF_ERROR(c.read(&x, what));
      if (x > 1) return Status::Error("key '" + key + "': bool value is " + std::to_string(x) + ", expected 0 or 1");
      v->u = x;
      break;
    }
    case GgufType::STRING: SLM_RETURN_IF_ERROR(c.read_string(&v->str, what)); break;
    case GgufType::ARRAY: {
      if (depth >= kMaxArrayDepth)
        return Status::Error("key '" + key + "': arrays nested deeper than " + std::to_string(kMaxArrayDepth));
      uint32_t et = 0;
      uint64_t n = 0;
      SLM_RETURN_IF_ERROR(c.read(&et, "array element type"));
      if (!valid_type(et))
        return Status::Error("key '" + key + "': array element type id " + std::to_string(et) + " is not a GGUF type");
      SLM_RETURN_IF_ERROR(c.read(&n, "array length"));
      v->elem_type = static_cast<GgufType>(et);
      // Refuse counts the remaining bytes cannot hold before allocating anything.
      if (n > c.remaining() / min_encoded_size(v->elem_type))
        return Status::Error("key '" + key + "': array of " + std::to_string(n) + " " +
                             std::string(gguf_type_name(v->elem_type)) + " values runs past the end of the file");
      v->arr.resize(static_cast<size_t>(n));
      for (GgufValue& e : v->arr) SLM_RETURN_IF_ERROR(read_value(c, v->elem_type, &e, key, depth + 1));
      break;
    }
  }
  return Status::Ok();
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

std::string_view gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::UINT8: return "uint8";
    case GgufType::INT8: return "int8";
    case GgufType::UINT16: return "uint16";
    case GgufType::INT16: return "int16";
    case GgufType::UINT32: return "uint32";
    case GgufType::INT32: return "int32";
    case GgufType::FLOAT32: return "float32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::UINT64: return "uint64";
    case GgufType::INT64: return "int64";
    case GgufType::FLOAT64: return "float64";
  }
  return "invalid";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::UINT8: case GgufType::INT8: case GgufType::UINT16: case GgufType::INT16:
    case GgufType::UINT32: case GgufType::INT32: case GgufType::UINT64: case GgufType::INT64:
      return true;
    default:
      return false;
  }
}

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string GgufTensorInfo::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

Expected<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.status();
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->mapping_ = std::move(*mapped);
  f->bytes_ = f->mapping_->bytes();
  Status st = f->parse_all();
  if (!st.ok()) return st.With("'" + path + "' is not a valid GGUF file");
  return f;
}

Expected<std::unique_ptr<GgufFile>> GgufFile::parse(std::span<const uint8_t> bytes) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->bytes_ = bytes;
  Status st = f->parse_all();
  if (!st.ok()) return st;
  return f;
}

Status GgufFile::parse_all() {
  Cursor c(bytes_);
  uint32_t magic = 0;
  SLM_RETURN_IF_ERROR(c.read(&magic, "magic"));
  if (magic != kMagic) return Status::Error("bad magic: the file does not start with 'GGUF'");
  SLM_RETURN_IF_ERROR(c.read(&version_, "version"));
  if (version_ == 1) return Status::Error("GGUF version 1 is not supported (only versions 2 and 3)");
  if (version_ != 2 && version_ != 3) {
    if ((version_ & 0xffff) == 0)
      return Status::Error("big-endian GGUF files are not supported");
    return Status::Error("GGUF version " + std::to_string(version_) + " is not supported (only versions 2 and 3)");
  }
  uint64_t n_tensors = 0, n_kv = 0;
  SLM_RETURN_IF_ERROR(c.read(&n_tensors, "tensor count"));
  SLM_RETURN_IF_ERROR(c.read(&n_kv, "metadata count"));
  // Each key-value pair takes at least 12 bytes and each tensor info at least 24.
  if (n_kv > c.remaining() / 12)
    return Status::Error("metadata count " + std::to_string(n_kv) + " cannot fit in the file");
  if (n_tensors > c.remaining() / 24)
    return Status::Error("tensor count " + std::to_string(n_tensors) + " cannot fit in the file");

  kv_.reserve(static_cast<size_t>(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string_view key;
    SLM_RETURN_IF_ERROR(c.read_string(&key, "metadata key"));
    uint32_t type = 0;
    SLM_RETURN_IF_ERROR(c.read(&type, "metadata value type"));
    const std::string k(key);
    if (!valid_type(type))
      return Status::Error("key '" + shown(k) + "': value type id " + std::to_string(type) + " is not a GGUF type");
    GgufValue v;
    SLM_RETURN_IF_ERROR(read_value(c, static_cast<GgufType>(type), &v, shown(k), 0));
    if (!kv_index_.emplace(k, kv_.size()).second) return Status::Error("key '" + shown(k) + "' appears twice");
    kv_.emplace_back(k, std::move(v));
  }

  if (const GgufValue* a = find("general.alignment")) {
    if (!a->is_integer() || a->type == GgufType::INT64 || a->type == GgufType::UINT64 ||
        (a->type != GgufType::UINT32 && a->type != GgufType::INT32 && a->type != GgufType::UINT16 &&
         a->type != GgufType::UINT8))
      return Status::Error("key 'general.alignment': expected uint32, found " + std::string(gguf_type_name(a->type)));
    const uint64_t al = a->type == GgufType::INT32 ? static_cast<uint64_t>(a->i) : a->u;
    if (al == 0 || (al & (al - 1)) != 0 || al > (1u << 20))
      return Status::Error("key 'general.alignment': " + std::to_string(al) + " is not a power of two up to 1 MiB");
    alignment_ = al;
  }

  tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    std::string_view name;
    SLM_RETURN_IF_ERROR(c.read_string(&name, "tensor name"));
    t.name = std::string(name);
    const std::string where = "tensor '" + shown(t.name) + "'";
    uint32_t n_dims = 0;
    SLM_RETURN_IF_ERROR(c.read(&n_dims, "tensor dimension count"));
    if (n_dims == 0 || n_dims > kMaxDims)
      return Status::Error(where + ": " + std::to_string(n_dims) + " dimensions, expected 1 to 4");
    uint64_t n_el = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      SLM_RETURN_IF_ERROR(c.read(&ne, "tensor dimension"));
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || mul_overflows(n_el, ne, &n_el) ||
          n_el > (uint64_t{1} << 48))
        return Status::Error(where + ": dimension " + std::to_string(d) + " = " + std::to_string(ne) + " is invalid");
      t.dims.push_back(static_cast<int64_t>(ne));
    }
    uint32_t type = 0;
    SLM_RETURN_IF_ERROR(c.read(&type, "tensor type"));
    if (!is_supported_type(type))
      return Status::Error(where + ": tensor type " + std::string(unsupported_type_name(type)) + " (id " +
                           std::to_string(type) + ") is not supported");
    t.type = static_cast<TensorType>(type);
    SLM_RETURN_IF_ERROR(c.read(&t.offset, "tensor offset"));
    const TypeTraits& tr = type_traits(type);
    if (t.dims[0] % tr.block_size != 0)
      return Status::Error(where + ": first dimension " + std::to_string(t.dims[0]) + " is not a multiple of the " +
                           std::string(tr.name) + " block size " + std::to_string(tr.block_size));
    t.nbytes = static_cast<size_t>(n_el / static_cast<uint64_t>(tr.block_size) * tr.type_size);
    if (!tensor_index_.emplace(t.name, tensors_.size()).second) return Status::Error(where + " appears twice");
    tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  const size_t pos = c.pos();
  data_offset_ = (pos + alignment_ - 1) / alignment_ * alignment_;
  if (!tensors_.empty() && data_offset_ > bytes_.size())
    return Status::Error("file is truncated: the tensor data section would start at offset " +
                         std::to_string(data_offset_) + ", past the end of the file (" +
                         std::to_string(bytes_.size()) + " bytes)");
  const uint64_t data_size = bytes_.size() - std::min<size_t>(data_offset_, bytes_.size());
  for (GgufTensorInfo& t : tensors_) {
    if (t.offset % alignment_ != 0)
      return Status::Error("tensor '" + shown(t.name) + "': data offset " + std::to_string(t.offset) +
                           " is not a multiple of the alignment " + std::to_string(alignment_));
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      return Status::Error("tensor '" + shown(t.name) + "': data [" + std::to_string(t.offset) + ", " +
                           std::to_string(t.offset + t.nbytes) + ") of the data section runs past the end of the file (" +
                           std::to_string(data_size) + " data bytes); the file is truncated or the offset is corrupt");
    t.data = bytes_.data() + data_offset_ + t.offset;
  }
  // Tensors must not overlap: a corrupt offset that aliases two tensors is refused.
  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(tensors_.size());
  for (const GgufTensorInfo& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo* prev = by_offset[i - 1];
    if (prev->offset + prev->nbytes > by_offset[i]->offset)
      return Status::Error("tensor '" + shown(by_offset[i]->name) + "': data at offset " + std::to_string(by_offset[i]->offset) +
                           " overlaps tensor '" + shown(prev->name) + "'");
  }
  return Status::Ok();
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
Status missing(std::string_view key) { return Status::Error("key '" + shown(key) + "' is missing"); }
Status wrong_type(std::string_view key, const char* expected, const GgufValue& v) {
  return Status::Error("key '" + shown(key) + "': expected " + expected + ", found " +
                       std::string(gguf_type_name(v.type)));
}
// Integer value as int64 if it is an integer type and fits.
bool as_i64(const GgufValue& v, int64_t* out) {
  if (!v.is_integer()) return false;
  switch (v.type) {
    case GgufType::INT8: case GgufType::INT16: case GgufType::INT32: case GgufType::INT64:
      *out = v.i;
      return true;
    default:
      if (v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(v.u);
      return true;
  }
}
}  // namespace

Expected<int64_t> GgufFile::get_i64(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  int64_t x = 0;
  if (!as_i64(*v, &x)) return wrong_type(key, "an integer", *v);
  return x;
}

Expected<uint32_t> GgufFile::get_u32(std::string_view key) const {
  auto x = get_i64(key);
  if (!x) return x.status();
  if (*x < 0 || *x > std::numeric_limits<uint32_t>::max())
    return Status::Error("key '" + shown(key) + "': value " + std::to_string(*x) + " does not fit uint32");
  return static_cast<uint32_t>(*x);
}

Expected<float> GgufFile::get_f32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (!v->is_float()) return wrong_type(key, "a float", *v);
  return static_cast<float>(v->f);
}

Expected<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::BOOL) return wrong_type(key, "bool", *v);
  return v->u != 0;
}

Expected<std::string_view> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::STRING) return wrong_type(key, "string", *v);
  return v->str;
}

Expected<const GgufValue*> GgufFile::get_array(std::string_view key, GgufType elem_type) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::ARRAY) return wrong_type(key, "array", *v);
  if (v->elem_type != elem_type)
    return Status::Error("key '" + shown(key) + "': expected an array of " + std::string(gguf_type_name(elem_type)) +
                         ", found an array of " + std::string(gguf_type_name(v->elem_type)));
  return v;
}

Expected<uint32_t> GgufFile::get_u32_or(std::string_view key, uint32_t dflt) const {
  return has(key) ? get_u32(key) : Expected<uint32_t>(dflt);
}
Expected<float> GgufFile::get_f32_or(std::string_view key, float dflt) const {
  return has(key) ? get_f32(key) : Expected<float>(dflt);
}
Expected<bool> GgufFile::get_bool_or(std::string_view key, bool dflt) const {
  return has(key) ? get_bool(key) : Expected<bool>(dflt);
}

}  // namespace slm
