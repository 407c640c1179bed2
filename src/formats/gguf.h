// GGUF v2/v3 reader over a read-only mmap. Model files are hostile: every length, count, offset
// and size is checked against the file before it is used, and each failure is one line naming the
// key or tensor, what was expected and what was found. Strings and tensor data are views into the
// mapping (never copied), so a GgufFile must outlive everything read from it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mapped_file.h"
#include "kernels/types.h"
#include "slm/status.h"

namespace slm {

enum class GgufType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
std::string_view gguf_type_name(GgufType t);

struct GgufValue {
  GgufType type = GgufType::UINT8;
  GgufType elem_type = GgufType::UINT8;  // for ARRAY
  uint64_t u = 0;                        // unsigned integers and bool
  int64_t i = 0;                         // signed integers
  double f = 0;                          // floats
  std::string_view str;                  // STRING (view into the mapping)
  std::vector<GgufValue> arr;            // ARRAY (may nest)

  bool is_integer() const;
  bool is_float() const { return type == GgufType::FLOAT32 || type == GgufType::FLOAT64; }
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // ne[0] is the contiguous (innermost) dimension, as in ggml
  TensorType type{};
  uint64_t offset = 0;        // relative to the start of the data section
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  int64_t n_elements() const;
  std::string shape_string() const;  // "[576, 49152]"
};

class GgufFile {
 public:
  // Maps and parses a file; the error names the path.
  static Expected<std::unique_ptr<GgufFile>> open(const std::string& path);
  // Parses bytes already in memory (tests, the fuzzer); `bytes` must outlive the result.
  static Expected<std::unique_ptr<GgufFile>> parse(std::span<const uint8_t> bytes);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  size_t file_size() const { return bytes_.size(); }
  // Drops the whole pages inside [p, p + n) of the mapping from resident memory (MappedFile::
  // release); nothing when parsing caller-owned bytes.
  void release(const uint8_t* p, size_t n) const {
    if (mapping_) mapping_->release(p, n);
  }
  size_t data_offset() const { return data_offset_; }

  // ---- metadata ----
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Typed getters: an error if the key is missing or of an incompatible type. Integers of any
  // width convert when the value fits; floats accept any float type.
  Expected<uint32_t> get_u32(std::string_view key) const;
  Expected<int64_t> get_i64(std::string_view key) const;
  Expected<float> get_f32(std::string_view key) const;
  Expected<bool> get_bool(std::string_view key) const;
  Expected<std::string_view> get_string(std::string_view key) const;
  Expected<const GgufValue*> get_array(std::string_view key, GgufType elem_type) const;
  // Optional variants: the default when missing, an error only on a wrong type.
  Expected<uint32_t> get_u32_or(std::string_view key, uint32_t dflt) const;
  Expected<float> get_f32_or(std::string_view key, float dflt) const;
  Expected<bool> get_bool_or(std::string_view key, bool dflt) const;

  // ---- tensors ----
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;

 private:
  GgufFile() = default;
  Status parse_all();

  std::unique_ptr<MappedFile> mapping_;  // null when parsing caller-owned bytes
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  size_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace slm
