// Tests of the GGUF reader (src/formats/gguf.cc).
//
// The unit tests build their GGUF files byte by byte with the small GgufBuilder below, so they
// need no Python and no model: every metadata type (nested arrays too), versions 2 and 3,
// alignment, several tensor types, the typed getters' errors, and hostile files, each of which
// must give one specific line of error. Built with SLM_GGUF_MODEL_TESTS (gguf.cmake does that
// for the second executable, labelled "model"), the file instead checks the real model files
// from the cache and skips when they are absent.
#include "formats/gguf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "../test_util.h"

namespace slm {
namespace {

static_assert(std::endian::native == std::endian::little, "the byte builder writes host order");

#ifndef SLM_GGUF_MODEL_TESTS

::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// ---- a tiny GGUF writer ----------------------------------------------------------------------

// Little-endian bytes; the building block of keys, values and whole files.
struct Bytes {
  std::vector<uint8_t> v;

  template <typename T>
  Bytes& put(T x) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    v.insert(v.end(), b, b + sizeof(T));
    return *this;
  }
  Bytes& str(std::string_view s) {  // GGUF string: u64 length, then the bytes (no terminator)
    put<uint64_t>(s.size());
    v.insert(v.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(std::string_view s) {
    v.insert(v.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& add(const Bytes& o) {
    v.insert(v.end(), o.v.begin(), o.v.end());
    return *this;
  }
};

template <typename T>
Bytes scalar(T x) {
  return Bytes().put(x);
}
Bytes sval(std::string_view s) { return Bytes().str(s); }
// An array value: element type, count, then the elements as given (the count is not checked
// against them, so hostile counts can be written).
Bytes arr(GgufType elem, uint64_t count, const Bytes& elems = {}) {
  return Bytes().put<uint32_t>(static_cast<uint32_t>(elem)).put<uint64_t>(count).add(elems);
}

constexpr uint32_t kGgufMagic = 0x46554747;

uint8_t fill_byte(size_t tensor_index) { return static_cast<uint8_t>(0x11 * (tensor_index + 1)); }

// Writes a whole file: header, metadata, tensor infos, padding, tensor data. Tensor offsets are
// laid out one after the other (aligned) unless given; each tensor's data is filled with
// fill_byte(its index), and the file ends right after the last tensor's data.
class GgufBuilder {
 public:
  uint32_t magic = kGgufMagic;
  uint32_t version = 3;
  uint64_t alignment = 32;  // used for the layout; set_alignment also writes the key
  std::optional<uint64_t> n_tensors_field, n_kv_field;  // override the counts written

  GgufBuilder& kv(std::string_view key, GgufType type, const Bytes& value) {
    entries_.push_back(Bytes().str(key).put<uint32_t>(static_cast<uint32_t>(type)).add(value));
    return *this;
  }
  GgufBuilder& kv_raw(const Bytes& entry) {  // a whole key-value entry, hostile or not
    entries_.push_back(entry);
    return *this;
  }
  GgufBuilder& set_alignment(uint32_t a) {
    alignment = a;
    return kv("general.alignment", GgufType::UINT32, scalar<uint32_t>(a));
  }
  GgufBuilder& tensor(std::string name, std::vector<uint64_t> dims, uint32_t type,
                      std::optional<uint64_t> offset = std::nullopt) {
    tensors_.push_back({std::move(name), std::move(dims), type, offset});
    return *this;
  }
  GgufBuilder& tensor(std::string name, std::vector<uint64_t> dims, TensorType type,
                      std::optional<uint64_t> offset = std::nullopt) {
    return tensor(std::move(name), std::move(dims), static_cast<uint32_t>(type), offset);
  }

  // The byte size of a tensor's data (32 for types slm does not know, so a file can be laid out).
  static size_t nbytes_of(const std::vector<uint64_t>& dims, uint32_t type) {
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;
    if (!is_supported_type(type)) return 32;
    const TypeTraits& tr = type_traits(type);
    return static_cast<size_t>(n / static_cast<uint64_t>(tr.block_size) * tr.type_size);
  }

  std::vector<uint8_t> build() const {
    Bytes b;
    b.put<uint32_t>(magic).put<uint32_t>(version);
    b.put<uint64_t>(n_tensors_field.value_or(tensors_.size()));
    b.put<uint64_t>(n_kv_field.value_or(entries_.size()));
    for (const Bytes& e : entries_) b.add(e);
    // Hostile offsets or sizes (past 16 MiB) get no data written for them.
    constexpr uint64_t kSane = uint64_t{1} << 24;
    std::vector<uint64_t> offsets, sizes;
    uint64_t next = 0, end = 0;
    for (const TensorSpec& t : tensors_) {
      const uint64_t off = t.offset.value_or(next);
      const uint64_t nb = nbytes_of(t.dims, t.type);
      offsets.push_back(off);
      sizes.push_back(nb);
      if (off < kSane && nb < kSane) {
        next = (off + nb + alignment - 1) / alignment * alignment;
        end = std::max(end, off + nb);
      }
      b.str(t.name).put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
      for (uint64_t d : t.dims) b.put<uint64_t>(d);
      b.put<uint32_t>(t.type).put<uint64_t>(off);
    }
    if (!tensors_.empty()) {
      while (b.v.size() % alignment) b.v.push_back(0);
      const size_t data_start = b.v.size();
      b.v.resize(data_start + end, 0);
      for (size_t i = 0; i < tensors_.size(); ++i)
        if (offsets[i] < kSane && sizes[i] < kSane)
          std::memset(b.v.data() + data_start + offsets[i], fill_byte(i), sizes[i]);
    }
    return b.v;
  }

 private:
  struct TensorSpec {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type;
    std::optional<uint64_t> offset;
  };
  std::vector<Bytes> entries_;
  std::vector<TensorSpec> tensors_;
};

// A file with every metadata value type, nested arrays and a few tensors.
GgufBuilder all_types_file(uint32_t version) {
  GgufBuilder b;
  b.version = version;
  b.kv("t.u8", GgufType::UINT8, scalar<uint8_t>(200))
      .kv("t.i8", GgufType::INT8, scalar<int8_t>(-100))
      .kv("t.u16", GgufType::UINT16, scalar<uint16_t>(60000))
      .kv("t.i16", GgufType::INT16, scalar<int16_t>(-30000))
      .kv("t.u32", GgufType::UINT32, scalar<uint32_t>(4000000000u))
      .kv("t.i32", GgufType::INT32, scalar<int32_t>(-2000000000))
      .kv("t.f32", GgufType::FLOAT32, scalar<float>(0.5f))
      .kv("t.bool", GgufType::BOOL, scalar<uint8_t>(1))
      .kv("t.false", GgufType::BOOL, scalar<uint8_t>(0))
      .kv("t.str", GgufType::STRING, sval("llama"))
      .kv("t.empty_str", GgufType::STRING, sval(""))
      .kv("t.u64", GgufType::UINT64, scalar<uint64_t>((uint64_t{1} << 63) + 5))
      .kv("t.i64", GgufType::INT64, scalar<int64_t>(-(int64_t{1} << 40)))
      .kv("t.f64", GgufType::FLOAT64, scalar<double>(-2.25))
      .kv("t.arr_i32", GgufType::ARRAY,
          arr(GgufType::INT32, 3, Bytes().put<int32_t>(1).put<int32_t>(-2).put<int32_t>(3)))
      .kv("t.arr_str", GgufType::ARRAY, arr(GgufType::STRING, 3, Bytes().str("a").str("").str("<|im_end|>")))
      .kv("t.arr_f32", GgufType::ARRAY, arr(GgufType::FLOAT32, 2, Bytes().put<float>(1.5f).put<float>(-0.25f)))
      .kv("t.arr_bool", GgufType::ARRAY, arr(GgufType::BOOL, 2, Bytes().put<uint8_t>(0).put<uint8_t>(1)))
      .kv("t.arr_empty", GgufType::ARRAY, arr(GgufType::UINT64, 0))
      .kv("t.nested", GgufType::ARRAY,
          arr(GgufType::ARRAY, 3,
              Bytes()
                  .add(arr(GgufType::UINT8, 2, Bytes().put<uint8_t>(7).put<uint8_t>(8)))
                  .add(arr(GgufType::STRING, 1, Bytes().str("deep")))
                  .add(arr(GgufType::ARRAY, 1, arr(GgufType::INT16, 1, Bytes().put<int16_t>(-5))))))
      .tensor("f32.w", {3, 2}, TensorType::F32)
      .tensor("q8.w", {32, 2}, TensorType::Q8_0)
      .tensor("q4k.w", {256}, TensorType::Q4_K);
  return b;
}

std::unique_ptr<GgufFile> parse_ok(const std::vector<uint8_t>& bytes) {
  auto r = GgufFile::parse(bytes);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? std::move(r).value() : nullptr;
}
// The parsed file views the bytes, so they must outlive it: refuse temporaries.
std::unique_ptr<GgufFile> parse_ok(std::vector<uint8_t>&&) = delete;

// The parse error of a file that must not parse; checks that it is one non-empty line.
std::string parse_error(const std::vector<uint8_t>& bytes) {
  auto r = GgufFile::parse(bytes);
  if (r.ok()) {
    ADD_FAILURE() << "a hostile file parsed";
    return "<parsed>";
  }
  EXPECT_FALSE(r.error().empty());
  EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
  return r.error();
}

// ---- valid files -----------------------------------------------------------------------------

class GgufVersionTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GgufVersionTest, ReadsEveryMetadataType) {
  const std::vector<uint8_t> bytes = all_types_file(GetParam()).build();
  auto f = parse_ok(bytes);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), GetParam());
  EXPECT_EQ(f->metadata().size(), 20u);
  EXPECT_EQ(f->metadata()[0].first, "t.u8");  // file order is kept
  EXPECT_EQ(f->metadata()[19].first, "t.nested");

  auto check = [&](const char* key, GgufType type) -> const GgufValue& {
    const GgufValue* v = f->find(key);
    EXPECT_NE(v, nullptr) << key;
    static const GgufValue none;
    if (!v) return none;
    EXPECT_EQ(v->type, type) << key;
    return *v;
  };
  EXPECT_EQ(check("t.u8", GgufType::UINT8).u, 200u);
  EXPECT_EQ(check("t.i8", GgufType::INT8).i, -100);
  EXPECT_EQ(check("t.u16", GgufType::UINT16).u, 60000u);
  EXPECT_EQ(check("t.i16", GgufType::INT16).i, -30000);
  EXPECT_EQ(check("t.u32", GgufType::UINT32).u, 4000000000u);
  EXPECT_EQ(check("t.i32", GgufType::INT32).i, -2000000000);
  EXPECT_EQ(check("t.f32", GgufType::FLOAT32).f, 0.5);
  EXPECT_EQ(check("t.bool", GgufType::BOOL).u, 1u);
  EXPECT_EQ(check("t.false", GgufType::BOOL).u, 0u);
  EXPECT_EQ(check("t.str", GgufType::STRING).str, "llama");
  EXPECT_EQ(check("t.empty_str", GgufType::STRING).str, "");
  EXPECT_EQ(check("t.u64", GgufType::UINT64).u, (uint64_t{1} << 63) + 5);
  EXPECT_EQ(check("t.i64", GgufType::INT64).i, -(int64_t{1} << 40));
  EXPECT_EQ(check("t.f64", GgufType::FLOAT64).f, -2.25);
  EXPECT_TRUE(check("t.u8", GgufType::UINT8).is_integer());
  EXPECT_TRUE(check("t.f64", GgufType::FLOAT64).is_float());
  EXPECT_FALSE(check("t.str", GgufType::STRING).is_integer());

  const GgufValue& ai = check("t.arr_i32", GgufType::ARRAY);
  EXPECT_EQ(ai.elem_type, GgufType::INT32);
  ASSERT_EQ(ai.arr.size(), 3u);
  EXPECT_EQ(ai.arr[0].i, 1);
  EXPECT_EQ(ai.arr[1].i, -2);
  EXPECT_EQ(ai.arr[2].i, 3);

  const GgufValue& as = check("t.arr_str", GgufType::ARRAY);
  EXPECT_EQ(as.elem_type, GgufType::STRING);
  ASSERT_EQ(as.arr.size(), 3u);
  EXPECT_EQ(as.arr[0].str, "a");
  EXPECT_EQ(as.arr[1].str, "");
  EXPECT_EQ(as.arr[2].str, "<|im_end|>");

  const GgufValue& af = check("t.arr_f32", GgufType::ARRAY);
  ASSERT_EQ(af.arr.size(), 2u);
  EXPECT_EQ(af.arr[0].f, 1.5);
  EXPECT_EQ(af.arr[1].f, -0.25);

  const GgufValue& ab = check("t.arr_bool", GgufType::ARRAY);
  ASSERT_EQ(ab.arr.size(), 2u);
  EXPECT_EQ(ab.arr[0].u, 0u);
  EXPECT_EQ(ab.arr[1].u, 1u);

  const GgufValue& ae = check("t.arr_empty", GgufType::ARRAY);
  EXPECT_EQ(ae.elem_type, GgufType::UINT64);
  EXPECT_TRUE(ae.arr.empty());

  const GgufValue& n = check("t.nested", GgufType::ARRAY);
  EXPECT_EQ(n.elem_type, GgufType::ARRAY);
  ASSERT_EQ(n.arr.size(), 3u);
  EXPECT_EQ(n.arr[0].elem_type, GgufType::UINT8);
  ASSERT_EQ(n.arr[0].arr.size(), 2u);
  EXPECT_EQ(n.arr[0].arr[1].u, 8u);
  EXPECT_EQ(n.arr[1].elem_type, GgufType::STRING);
  ASSERT_EQ(n.arr[1].arr.size(), 1u);
  EXPECT_EQ(n.arr[1].arr[0].str, "deep");
  ASSERT_EQ(n.arr[2].arr.size(), 1u);
  ASSERT_EQ(n.arr[2].arr[0].arr.size(), 1u);
  EXPECT_EQ(n.arr[2].arr[0].elem_type, GgufType::INT16);
  EXPECT_EQ(n.arr[2].arr[0].arr[0].i, -5);

  // Strings are views into the caller's bytes, not copies.
  const std::string_view s = f->find("t.str")->str;
  EXPECT_GE(reinterpret_cast<const uint8_t*>(s.data()), bytes.data());
  EXPECT_LT(reinterpret_cast<const uint8_t*>(s.data()), bytes.data() + bytes.size());

  EXPECT_EQ(f->find("t.missing"), nullptr);
  EXPECT_TRUE(f->has("t.u8"));
  EXPECT_FALSE(f->has("t.missing"));
  EXPECT_EQ(f->alignment(), 32u);  // the default without general.alignment
  EXPECT_EQ(f->tensors().size(), 3u);
}

// Every proper prefix of a valid file must be refused with a one-line error, and never read
// out of bounds (each prefix is copied to a buffer of exactly its size, so the sanitizer build
// sees any overrun).
TEST_P(GgufVersionTest, EveryTruncationIsAnError) {
  const std::vector<uint8_t> full = all_types_file(GetParam()).build();
  ASSERT_TRUE(parse_ok(full));
  for (size_t n = 0; n < full.size(); ++n) {
    const std::vector<uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = GgufFile::parse(prefix);
    ASSERT_FALSE(r.ok()) << "a prefix of " << n << " of " << full.size() << " bytes parsed";
    const std::string& e = r.error();
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    EXPECT_TRUE(e.find("truncated") != std::string::npos || e.find("past the end") != std::string::npos ||
                e.find("cannot fit") != std::string::npos)
        << "prefix " << n << ": " << e;
  }
}

INSTANTIATE_TEST_SUITE_P(V2AndV3, GgufVersionTest, ::testing::Values(2u, 3u));

TEST(Gguf, TensorInfosAndData) {
  GgufBuilder b;
  b.kv("general.architecture", GgufType::STRING, sval("test"))
      .tensor("a.f32", {3, 2}, TensorType::F32)
      .tensor("b.f16", {8}, TensorType::F16)
      .tensor("c.q4_0", {64, 3}, TensorType::Q4_0)
      .tensor("d.q8_0", {32}, TensorType::Q8_0)
      .tensor("e.q4_K", {256, 2}, TensorType::Q4_K)
      .tensor("f.q6_K", {256}, TensorType::Q6_K)
      .tensor("g.bf16", {4, 1, 1, 2}, TensorType::BF16)
      .tensor("h.q4_1", {32, 5, 2}, TensorType::Q4_1);
  const std::vector<uint8_t> bytes = b.build();
  auto f = parse_ok(bytes);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->tensors().size(), 8u);
  EXPECT_EQ(f->data_offset() % 32, 0u);
  EXPECT_EQ(f->file_size(), bytes.size());

  struct Want {
    const char* name;
    TensorType type;
    std::vector<int64_t> dims;
    size_t nbytes;
    const char* shape;
  };
  const Want want[] = {
      {"a.f32", TensorType::F32, {3, 2}, 24, "[3, 2]"},
      {"b.f16", TensorType::F16, {8}, 16, "[8]"},
      {"c.q4_0", TensorType::Q4_0, {64, 3}, 6 * 18, "[64, 3]"},
      {"d.q8_0", TensorType::Q8_0, {32}, 34, "[32]"},
      {"e.q4_K", TensorType::Q4_K, {256, 2}, 2 * 144, "[256, 2]"},
      {"f.q6_K", TensorType::Q6_K, {256}, 210, "[256]"},
      {"g.bf16", TensorType::BF16, {4, 1, 1, 2}, 16, "[4, 1, 1, 2]"},
      {"h.q4_1", TensorType::Q4_1, {32, 5, 2}, 10 * 20, "[32, 5, 2]"},
  };
  for (size_t i = 0; i < f->tensors().size(); ++i) {
    const GgufTensorInfo& t = f->tensors()[i];
    SCOPED_TRACE(want[i].name);
    EXPECT_EQ(t.name, want[i].name);  // file order is kept
    EXPECT_EQ(t.type, want[i].type);
    EXPECT_EQ(t.dims, want[i].dims);
    EXPECT_EQ(t.nbytes, want[i].nbytes);
    EXPECT_EQ(t.shape_string(), want[i].shape);
    int64_t n = 1;
    for (int64_t d : want[i].dims) n *= d;
    EXPECT_EQ(t.n_elements(), n);
    EXPECT_EQ(t.offset % 32, 0u);
    EXPECT_EQ(t.data, bytes.data() + f->data_offset() + t.offset);
    EXPECT_EQ(t.data[0], fill_byte(i));
    EXPECT_EQ(t.data[t.nbytes - 1], fill_byte(i));
    EXPECT_EQ(f->find_tensor(want[i].name), &t);
  }
  EXPECT_EQ(f->find_tensor("nope"), nullptr);
}

TEST(Gguf, GeneralAlignment) {
  for (uint32_t a : {1u, 8u, 64u, 256u, 4096u}) {
    SCOPED_TRACE(a);
    GgufBuilder b;
    b.set_alignment(a).tensor("x", {5}, TensorType::F32).tensor("y", {3}, TensorType::F16).tensor("z", {32}, TensorType::Q8_0);
    const std::vector<uint8_t> bytes = b.build();
    auto f = parse_ok(bytes);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->alignment(), a);
    EXPECT_EQ(f->data_offset() % a, 0u);
    for (size_t i = 0; i < f->tensors().size(); ++i) {
      const GgufTensorInfo& t = f->tensors()[i];
      EXPECT_EQ(t.offset % a, 0u);
      EXPECT_EQ(t.data[0], fill_byte(i));
      EXPECT_EQ(t.data[t.nbytes - 1], fill_byte(i));
    }
  }
  // Smaller integer types are accepted for the alignment too.
  GgufBuilder b16;
  b16.alignment = 16;
  b16.kv("general.alignment", GgufType::UINT16, scalar<uint16_t>(16)).tensor("x", {5}, TensorType::F32);
  const std::vector<uint8_t> bytes16 = b16.build();
  auto f = parse_ok(bytes16);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->alignment(), 16u);
}

TEST(Gguf, NoTensors) {
  GgufBuilder b;
  b.kv("k", GgufType::UINT32, scalar<uint32_t>(1));
  const std::vector<uint8_t> bytes = b.build();
  auto f = parse_ok(bytes);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->tensors().empty());
  const std::vector<uint8_t> header = GgufBuilder().build();
  auto empty = parse_ok(header);  // header only: nothing at all
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->metadata().empty());
}

// ---- typed getters ---------------------------------------------------------------------------

TEST(Gguf, TypedGetters) {
  const std::vector<uint8_t> bytes = all_types_file(3).build();
  auto f = parse_ok(bytes);
  ASSERT_TRUE(f);
  // Values that fit convert across integer widths.
  EXPECT_EQ(*f->get_u32("t.u8"), 200u);
  EXPECT_EQ(*f->get_u32("t.u16"), 60000u);
  EXPECT_EQ(*f->get_u32("t.u32"), 4000000000u);
  EXPECT_EQ(*f->get_i64("t.i8"), -100);
  EXPECT_EQ(*f->get_i64("t.i64"), -(int64_t{1} << 40));
  EXPECT_EQ(*f->get_i64("t.u32"), 4000000000);
  EXPECT_EQ(*f->get_f32("t.f32"), 0.5f);
  EXPECT_EQ(*f->get_f32("t.f64"), -2.25f);
  EXPECT_TRUE(*f->get_bool("t.bool"));
  EXPECT_FALSE(*f->get_bool("t.false"));
  EXPECT_EQ(*f->get_string("t.str"), "llama");
  auto a = f->get_array("t.arr_str", GgufType::STRING);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ((*a)->arr.size(), 3u);
  EXPECT_EQ(*f->get_u32_or("t.missing", 7), 7u);
  EXPECT_EQ(*f->get_u32_or("t.u8", 7), 200u);
  EXPECT_EQ(*f->get_f32_or("t.missing", 1.25f), 1.25f);
  EXPECT_EQ(*f->get_f32_or("t.f32", 1.25f), 0.5f);
  EXPECT_TRUE(*f->get_bool_or("t.missing", true));
  EXPECT_FALSE(*f->get_bool_or("t.false", true));
}

TEST(Gguf, TypedGetterErrors) {
  const std::vector<uint8_t> bytes = all_types_file(3).build();
  auto f = parse_ok(bytes);
  ASSERT_TRUE(f);
  auto one_line = [](const std::string& e) {
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    return e;
  };
  // Missing keys.
  EXPECT_EQ(one_line(f->get_u32("llama.block_count").error()), "key 'llama.block_count' is missing");
  EXPECT_EQ(one_line(f->get_string("general.name").error()), "key 'general.name' is missing");
  EXPECT_EQ(one_line(f->get_f32("x").error()), "key 'x' is missing");
  EXPECT_EQ(one_line(f->get_bool("x").error()), "key 'x' is missing");
  EXPECT_EQ(one_line(f->get_i64("x").error()), "key 'x' is missing");
  EXPECT_EQ(one_line(f->get_array("x", GgufType::INT32).error()), "key 'x' is missing");
  // Wrong types: the message names the key, what was expected and what was found.
  EXPECT_EQ(one_line(f->get_string("t.u32").error()), "key 't.u32': expected string, found uint32");
  EXPECT_EQ(one_line(f->get_u32("t.str").error()), "key 't.str': expected an integer, found string");
  EXPECT_EQ(one_line(f->get_i64("t.f32").error()), "key 't.f32': expected an integer, found float32");
  EXPECT_EQ(one_line(f->get_f32("t.i32").error()), "key 't.i32': expected a float, found int32");
  EXPECT_EQ(one_line(f->get_bool("t.u8").error()), "key 't.u8': expected bool, found uint8");
  EXPECT_EQ(one_line(f->get_array("t.str", GgufType::STRING).error()), "key 't.str': expected array, found string");
  EXPECT_EQ(one_line(f->get_array("t.arr_i32", GgufType::FLOAT32).error()),
            "key 't.arr_i32': expected an array of float32, found an array of int32");
  // Out of range for the requested width.
  EXPECT_TRUE(Contains(one_line(f->get_u32("t.i32").error()), "key 't.i32': value -2000000000 does not fit uint32"));
  EXPECT_TRUE(Contains(one_line(f->get_u32("t.i64").error()), "does not fit uint32"));
  // The _or variants give the default only when the key is missing, not when its type is wrong.
  EXPECT_EQ(one_line(f->get_u32_or("t.str", 1).error()), "key 't.str': expected an integer, found string");
  EXPECT_EQ(one_line(f->get_f32_or("t.str", 1).error()), "key 't.str': expected a float, found string");
  EXPECT_EQ(one_line(f->get_bool_or("t.str", true).error()), "key 't.str': expected bool, found string");
}

// ---- hostile files ---------------------------------------------------------------------------

TEST(GgufHostile, BadMagic) {
  GgufBuilder b;
  b.magic = 0x46554748;  // "HGUF"
  EXPECT_TRUE(Contains(parse_error(b.build()), "bad magic"));
  EXPECT_TRUE(Contains(parse_error({'G', 'G'}), "file is truncated: reading magic"));
  EXPECT_TRUE(Contains(parse_error({}), "file is truncated"));
}

TEST(GgufHostile, UnsupportedVersions) {
  GgufBuilder b;
  b.version = 1;
  EXPECT_TRUE(Contains(parse_error(b.build()), "GGUF version 1 is not supported"));
  b.version = 4;
  EXPECT_TRUE(Contains(parse_error(b.build()), "GGUF version 4 is not supported"));
  b.version = 7;
  EXPECT_TRUE(Contains(parse_error(b.build()), "GGUF version 7 is not supported"));
  b.version = 0x03000000;  // version 3 written big-endian
  EXPECT_TRUE(Contains(parse_error(b.build()), "big-endian"));
}

TEST(GgufHostile, AbsurdCounts) {
  GgufBuilder b;
  b.kv("k", GgufType::UINT8, scalar<uint8_t>(1));
  b.n_kv_field = uint64_t{1} << 60;
  EXPECT_TRUE(Contains(parse_error(b.build()), "metadata count 1152921504606846976 cannot fit in the file"));
  GgufBuilder t;
  t.tensor("w", {4}, TensorType::F32);
  t.n_tensors_field = ~uint64_t{0};
  EXPECT_TRUE(Contains(parse_error(t.build()), "tensor count 18446744073709551615 cannot fit in the file"));
}

TEST(GgufHostile, StringLengthPastEnd) {
  // A key whose length runs past the end.
  GgufBuilder k;
  k.kv_raw(Bytes().put<uint64_t>(1000).raw("general.architecture").put<uint32_t>(8));
  std::string e = parse_error(k.build());
  EXPECT_TRUE(Contains(e, "metadata key: string length 1000 at offset 24 runs past the end of the file"));
  // A string value whose length runs past the end (and would overflow a naive pos + len).
  GgufBuilder v;
  v.kv("general.name", GgufType::STRING, Bytes().put<uint64_t>(~uint64_t{0} - 3).raw("abcdefghijklmnop"));
  e = parse_error(v.build());
  EXPECT_TRUE(Contains(e, "string length 18446744073709551612"));
  EXPECT_TRUE(Contains(e, "runs past the end of the file"));
  // A string inside an array.
  GgufBuilder a;
  a.kv("tokenizer.ggml.tokens", GgufType::ARRAY,
       arr(GgufType::STRING, 2, Bytes().str("ok").put<uint64_t>(1u << 30).raw("short")));
  EXPECT_TRUE(Contains(parse_error(a.build()), "string length 1073741824"));
}

TEST(GgufHostile, AbsurdArrayCount) {
  GgufBuilder b;
  b.kv("tokenizer.ggml.token_type", GgufType::ARRAY, arr(GgufType::INT32, uint64_t{1} << 62, Bytes().put<int32_t>(1)));
  EXPECT_TRUE(Contains(parse_error(b.build()),
                       "key 'tokenizer.ggml.token_type': array of 4611686018427387904 int32 values runs past the end "
                       "of the file"));
  GgufBuilder u;
  u.kv("a", GgufType::ARRAY, arr(GgufType::UINT8, ~uint64_t{0}));
  EXPECT_TRUE(Contains(parse_error(u.build()), "key 'a': array of 18446744073709551615 uint8 values"));
  // The count of a nested array is checked the same way.
  GgufBuilder n;
  n.kv("n", GgufType::ARRAY, arr(GgufType::ARRAY, 1, arr(GgufType::STRING, uint64_t{1} << 40)));
  EXPECT_TRUE(Contains(parse_error(n.build()), "key 'n': array of 1099511627776 string values runs past the end"));
}

TEST(GgufHostile, BadValueTypes) {
  GgufBuilder t;
  t.kv("k", static_cast<GgufType>(13), scalar<uint32_t>(0));
  EXPECT_TRUE(Contains(parse_error(t.build()), "key 'k': value type id 13 is not a GGUF type"));
  GgufBuilder e;
  e.kv("k", GgufType::ARRAY, Bytes().put<uint32_t>(99).put<uint64_t>(1).put<uint32_t>(0));
  EXPECT_TRUE(Contains(parse_error(e.build()), "key 'k': array element type id 99 is not a GGUF type"));
  GgufBuilder bo;
  bo.kv("flag", GgufType::BOOL, scalar<uint8_t>(2));
  EXPECT_TRUE(Contains(parse_error(bo.build()), "key 'flag': bool value is 2, expected 0 or 1"));
  // Arrays nested without end are refused at a fixed depth instead of being recursed into.
  Bytes deep = arr(GgufType::UINT8, 0);
  for (int i = 0; i < 20; ++i) deep = arr(GgufType::ARRAY, 1, deep);
  GgufBuilder d;
  d.kv("deep", GgufType::ARRAY, deep);
  EXPECT_TRUE(Contains(parse_error(d.build()), "key 'deep': arrays nested deeper than"));
}

TEST(GgufHostile, BadAlignment) {
  GgufBuilder b;
  b.set_alignment(48).tensor("w", {4}, TensorType::F32);
  EXPECT_TRUE(Contains(parse_error(b.build()), "key 'general.alignment': 48 is not a power of two"));
  GgufBuilder z;
  z.set_alignment(0);
  z.alignment = 32;
  EXPECT_TRUE(Contains(parse_error(z.build()), "key 'general.alignment': 0 is not a power of two"));
  GgufBuilder s;
  s.kv("general.alignment", GgufType::STRING, sval("32"));
  EXPECT_TRUE(Contains(parse_error(s.build()), "key 'general.alignment': expected uint32, found string"));
}

TEST(GgufHostile, DimensionCount) {
  GgufBuilder z;
  z.tensor("blk.0.attn_q.weight", {}, TensorType::F32);
  EXPECT_TRUE(Contains(parse_error(z.build()), "tensor 'blk.0.attn_q.weight': 0 dimensions, expected 1 to 4"));
  GgufBuilder f;
  f.tensor("w", {1, 1, 1, 1, 32}, TensorType::F32);
  EXPECT_TRUE(Contains(parse_error(f.build()), "tensor 'w': 5 dimensions, expected 1 to 4"));
}

TEST(GgufHostile, BadDimensions) {
  GgufBuilder z;
  z.tensor("w", {32, 0}, TensorType::F32);
  EXPECT_TRUE(Contains(parse_error(z.build()), "tensor 'w': dimension 1 = 0 is invalid"));
  GgufBuilder o;  // the element count overflows 64 bits
  o.tensor("w", {uint64_t{1} << 32, uint64_t{1} << 32, 16}, TensorType::F32);
  EXPECT_TRUE(Contains(parse_error(o.build()), "tensor 'w': dimension"));
  GgufBuilder n;  // does not fit int64
  n.tensor("w", {~uint64_t{0}}, TensorType::F32);
  EXPECT_TRUE(Contains(parse_error(n.build()), "tensor 'w': dimension 0 = 18446744073709551615 is invalid"));
}

TEST(GgufHostile, UnsupportedTensorType) {
  GgufBuilder b;
  b.tensor("token_embd.weight", {256, 4}, 16);
  EXPECT_TRUE(Contains(parse_error(b.build()),
                       "tensor 'token_embd.weight': tensor type iq2_xxs (id 16) is not supported"));
  GgufBuilder u;
  u.tensor("w", {32}, 99);
  EXPECT_TRUE(Contains(parse_error(u.build()), "tensor 'w': tensor type unknown (id 99) is not supported"));
}

TEST(GgufHostile, FirstDimNotMultipleOfBlock) {
  GgufBuilder b;
  b.tensor("w", {48, 2}, TensorType::Q4_0);
  EXPECT_TRUE(Contains(parse_error(b.build()), "tensor 'w': first dimension 48 is not a multiple of the q4_0 block size 32"));
  GgufBuilder k;
  k.tensor("w", {128}, TensorType::Q4_K);
  EXPECT_TRUE(Contains(parse_error(k.build()), "tensor 'w': first dimension 128 is not a multiple of the q4_K block size 256"));
}

TEST(GgufHostile, UnalignedOffset) {
  GgufBuilder b;
  b.tensor("a", {8}, TensorType::F32).tensor("b", {4}, TensorType::F32, 40);
  EXPECT_TRUE(Contains(parse_error(b.build()), "tensor 'b': data offset 40 is not a multiple of the alignment 32"));
}

TEST(GgufHostile, TensorDataPastEnd) {
  GgufBuilder b;
  b.tensor("a", {8}, TensorType::F32).tensor("output.weight", {32, 4}, TensorType::Q8_0);
  std::vector<uint8_t> bytes = b.build();
  bytes.pop_back();  // one byte short
  std::string e = parse_error(bytes);
  EXPECT_TRUE(Contains(e, "tensor 'output.weight': data [32, 168) of the data section runs past the end of the file"));
  EXPECT_TRUE(Contains(e, "truncated"));
  // An offset far past the end (aligned, so only the bounds check can catch it).
  GgufBuilder h;
  h.tensor("a", {8}, TensorType::F32).tensor("b", {8}, TensorType::F32, uint64_t{1} << 60);
  e = parse_error(h.build());
  EXPECT_TRUE(Contains(e, "tensor 'b': data [1152921504606846976, "));
  EXPECT_TRUE(Contains(e, "runs past the end of the file"));
  // An offset so large that offset + size wraps around 64 bits.
  GgufBuilder w;
  w.tensor("w", {8}, TensorType::F32, ~uint64_t{31});
  EXPECT_TRUE(Contains(parse_error(w.build()), "tensor 'w': data ["));
  // The header ends, but the data section it announces does not exist at all.
  GgufBuilder n;
  n.tensor("w", {8}, TensorType::F32);
  std::vector<uint8_t> header_only = n.build();
  header_only.resize(header_only.size() - 32 - 1);
  EXPECT_TRUE(Contains(parse_error(header_only), "file is truncated"));
}

TEST(GgufHostile, OverlappingTensors) {
  GgufBuilder b;
  b.tensor("a", {32}, TensorType::F32, 0).tensor("b", {32}, TensorType::F32, 64);
  EXPECT_TRUE(Contains(parse_error(b.build()), "tensor 'b': data at offset 64 overlaps tensor 'a'"));
  GgufBuilder s;  // the same offset twice, listed in reverse order
  s.tensor("x", {8}, TensorType::F32, 32).tensor("y", {8}, TensorType::F32, 32).tensor("z", {8}, TensorType::F32, 0);
  EXPECT_TRUE(Contains(parse_error(s.build()), "overlaps tensor"));
}

TEST(GgufHostile, DuplicateKey) {
  GgufBuilder b;
  b.kv("general.architecture", GgufType::STRING, sval("llama"))
      .kv("llama.block_count", GgufType::UINT32, scalar<uint32_t>(30))
      .kv("general.architecture", GgufType::STRING, sval("gemma3"));
  EXPECT_TRUE(Contains(parse_error(b.build()), "key 'general.architecture' appears twice"));
}

TEST(GgufHostile, DuplicateTensorName) {
  GgufBuilder b;
  b.tensor("blk.0.ffn_up.weight", {32}, TensorType::F32).tensor("blk.0.ffn_up.weight", {32}, TensorType::F32);
  EXPECT_TRUE(Contains(parse_error(b.build()), "tensor 'blk.0.ffn_up.weight' appears twice"));
}

// Keys and tensor names come from the file: one holding a newline or a terminal escape must not
// break the one-line error (found by the fuzzer).
TEST(GgufHostile, NamesInErrorsStayOnOneLine) {
  auto clean = [](const std::string& e) {
    for (char c : e)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
  };
  GgufBuilder k;
  k.kv("bad\nkey", GgufType::UINT8, scalar<uint8_t>(1)).kv("bad\nkey", GgufType::UINT8, scalar<uint8_t>(1));
  std::string e = parse_error(k.build());
  EXPECT_TRUE(Contains(e, "appears twice"));
  EXPECT_TRUE(clean(e)) << e;
  GgufBuilder v;
  v.kv("evil\r\n\x1b[31m", GgufType::BOOL, scalar<uint8_t>(9));
  e = parse_error(v.build());
  EXPECT_TRUE(Contains(e, "bool value is 9"));
  EXPECT_TRUE(clean(e)) << e;
  GgufBuilder t;
  t.tensor("w\n", {32}, 16);
  e = parse_error(t.build());
  EXPECT_TRUE(Contains(e, "iq2_xxs"));
  EXPECT_TRUE(clean(e)) << e;
  GgufBuilder o;
  o.tensor("a\n", {32}, TensorType::F32, 0).tensor("b\n", {32}, TensorType::F32, 64);
  e = parse_error(o.build());
  EXPECT_TRUE(Contains(e, "overlaps tensor"));
  EXPECT_TRUE(clean(e)) << e;
  // The typed getters name the key they were asked for, which may be built from file values.
  const std::vector<uint8_t> bytes = GgufBuilder().build();
  auto f = parse_ok(bytes);
  ASSERT_TRUE(f);
  EXPECT_TRUE(clean(f->get_u32("lla\nma.block_count").error()));
}

// ---- GgufFile::open --------------------------------------------------------------------------

class GgufOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("slm_gguf_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string p = (dir_ / name).string();
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(GgufOpenTest, OpensAFile) {
  const std::string p = write("ok.gguf", all_types_file(3).build());
  auto f = GgufFile::open(p);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(*(*f)->get_string("t.str"), "llama");
  ASSERT_EQ((*f)->tensors().size(), 3u);
  const GgufTensorInfo& t = (*f)->tensors()[2];
  EXPECT_EQ(t.data[0], fill_byte(2));
  EXPECT_EQ(t.data[t.nbytes - 1], fill_byte(2));
}

TEST_F(GgufOpenTest, ErrorsNameThePath) {
  std::vector<uint8_t> bytes = all_types_file(3).build();
  bytes.resize(bytes.size() / 2);
  const std::string p = write("half.gguf", bytes);
  auto f = GgufFile::open(p);
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(Contains(f.error(), "'" + p + "' is not a valid GGUF file: "));
  EXPECT_EQ(f.error().find('\n'), std::string::npos) << f.error();

  const std::string missing = (dir_ / "does-not-exist.gguf").string();
  auto m = GgufFile::open(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.error(), missing));
  EXPECT_EQ(m.error().find('\n'), std::string::npos) << m.error();

  const std::string empty = write("empty.gguf", {});
  auto e = GgufFile::open(empty);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(Contains(e.error(), empty));
}

#else  // SLM_GGUF_MODEL_TESTS

// ---- the real model files (label "model") ----------------------------------------------------

TEST(GgufModel, SmolLM2) {
  SLM_REQUIRE_MODEL("SmolLM2-135M-Instruct.Q4_1.gguf");
  auto r = GgufFile::open(test::models_dir() + "/SmolLM2-135M-Instruct.Q4_1.gguf");
  ASSERT_TRUE(r.ok()) << r.error();
  const GgufFile& f = **r;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(*f.get_string("general.architecture"), "llama");
  EXPECT_EQ(*f.get_u32("llama.embedding_length"), 576u);
  EXPECT_EQ(*f.get_u32("llama.block_count"), 30u);
  EXPECT_EQ(*f.get_u32("llama.attention.head_count_kv"), 3u);
  EXPECT_FLOAT_EQ(*f.get_f32("llama.rope.freq_base"), 100000.0f);
  EXPECT_EQ(*f.get_string("tokenizer.ggml.model"), "gpt2");
  auto tokens = f.get_array("tokenizer.ggml.tokens", GgufType::STRING);
  ASSERT_TRUE(tokens.ok()) << tokens.error();
  EXPECT_EQ((*tokens)->arr.size(), 49152u);
  ASSERT_EQ(f.tensors().size(), 272u);
  const GgufTensorInfo* emb = f.find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, TensorType::Q8_0);
  EXPECT_EQ(emb->dims, (std::vector<int64_t>{576, 49152}));
  EXPECT_EQ(emb->shape_string(), "[576, 49152]");
  EXPECT_EQ(emb->nbytes, size_t{576} / 32 * 34 * 49152);
  EXPECT_EQ(f.data_offset(), 1785664u);
  for (const GgufTensorInfo& t : f.tensors()) {
    EXPECT_LE(f.data_offset() + t.offset + t.nbytes, f.file_size()) << t.name;
    EXPECT_EQ(t.offset % f.alignment(), 0u) << t.name;
  }
}

TEST(GgufModel, Gemma3) {
  SLM_REQUIRE_MODEL("gemma-3-270m-q4_k_m.gguf");
  auto r = GgufFile::open(test::models_dir() + "/gemma-3-270m-q4_k_m.gguf");
  ASSERT_TRUE(r.ok()) << r.error();
  const GgufFile& f = **r;
  EXPECT_EQ(*f.get_string("general.architecture"), "gemma3");
  EXPECT_EQ(*f.get_u32("gemma3.embedding_length"), 640u);
  EXPECT_EQ(*f.get_u32("gemma3.attention.sliding_window"), 512u);
  EXPECT_EQ(f.tensors().size(), 236u);
  auto tokens = f.get_array("tokenizer.ggml.tokens", GgufType::STRING);
  ASSERT_TRUE(tokens.ok()) << tokens.error();
  EXPECT_EQ((*tokens)->arr.size(), 262144u);
}

#endif  // SLM_GGUF_MODEL_TESTS

}  // namespace
}  // namespace slm
