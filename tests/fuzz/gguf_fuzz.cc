// libFuzzer target for the GGUF reader: GgufFile::parse on arbitrary bytes must either fail with
// a one-line error or give a file whose every view (keys, strings, arrays, tensor names, tensor
// data) lies inside the input. The target touches all of them, so that an out-of-bounds view is
// caught by AddressSanitizer here rather than later by the engine.
//
// Build: tools/fuzz_smoke.sh (clang, -DSLM_FUZZ=ON). Seeds: tests/fuzz/corpus/ (tools/make_fuzz_corpus.py).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "formats/gguf.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "gguf_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

struct Toucher {
  const uint8_t* begin;
  const uint8_t* end;
  unsigned sum = 0;

  void view(const void* p, size_t n, const char* what) {
    if (n == 0) return;
    const auto* b = static_cast<const uint8_t*>(p);
    if (b < begin || b > end || n > static_cast<size_t>(end - b)) fail("view outside the input:", what);
    sum += b[0] + b[n - 1];  // the first and last byte: ASan reports a bad view here
  }
  void str(std::string_view s, const char* what) { view(s.data(), s.size(), what); }

  void value(const slm::GgufValue& v, int depth) {
    if (depth > 64) fail("arrays nested too deep");
    (void)slm::gguf_type_name(v.type);
    switch (v.type) {
      case slm::GgufType::STRING: str(v.str, "string value"); break;
      case slm::GgufType::ARRAY:
        for (const slm::GgufValue& e : v.arr) {
          if (e.type != v.elem_type) fail("array element of the wrong type");
          value(e, depth + 1);
        }
        break;
      case slm::GgufType::BOOL:
        if (v.u > 1) fail("bool value other than 0 or 1");
        break;
      default:
        sum += static_cast<unsigned>(v.u + static_cast<uint64_t>(v.i)) + (v.f > 0);
    }
  }
};

void check_error(const std::string& e) {
  if (e.empty()) fail("empty error message");
  if (e.find('\n') != std::string::npos) fail("error message of more than one line:", e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = slm::GgufFile::parse(std::span<const uint8_t>(data, size));
  if (!parsed) {
    check_error(parsed.error());
    return 0;
  }
  const slm::GgufFile& f = **parsed;
  Toucher t{data, data + size};

  for (const auto& [key, v] : f.metadata()) {
    t.value(v, 0);
    if (f.find(key) != &v) fail("find() does not return the entry for key", key);
    // Typed getters on every key: each either succeeds or gives a one-line error.
    if (auto r = f.get_u32(key); !r) check_error(r.error());
    if (auto r = f.get_i64(key); !r) check_error(r.error());
    if (auto r = f.get_f32(key); !r) check_error(r.error());
    if (auto r = f.get_bool(key); !r) check_error(r.error());
    if (auto r = f.get_string(key); r) t.str(*r, "get_string"); else check_error(r.error());
    if (auto r = f.get_array(key, v.elem_type); !r) check_error(r.error());
  }
  if (auto r = f.get_string("general.architecture"); !r) check_error(r.error());

  const uint64_t al = f.alignment();
  if (al == 0 || (al & (al - 1)) != 0) fail("alignment is not a power of two");
  if (f.data_offset() % al != 0) fail("data offset is not aligned");
  for (const slm::GgufTensorInfo& ti : f.tensors()) {
    if (ti.dims.empty() || ti.dims.size() > 4) fail("tensor with a bad dimension count:", ti.name);
    if (ti.n_elements() <= 0) fail("tensor with no elements:", ti.name);
    if (ti.offset % al != 0) fail("unaligned tensor offset:", ti.name);
    if (f.find_tensor(ti.name) != &ti) fail("find_tensor() does not return tensor", ti.name);
    if (ti.nbytes == 0) fail("tensor with no data:", ti.name);
    t.view(ti.data, ti.nbytes, "tensor data");
    if (ti.nbytes != slm::row_size(ti.type, ti.dims[0]) * static_cast<size_t>(ti.n_elements() / ti.dims[0]))
      fail("tensor size does not match its shape:", ti.name);
    (void)ti.shape_string();
  }
  // Keep the sums alive so the reads are not optimised away.
  volatile unsigned sink = t.sum;
  (void)sink;
  return 0;
}
