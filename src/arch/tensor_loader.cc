#include "arch/tensor_loader.h"

#include <cstdint>

#include "kernels/kernels.h"

namespace slm {

const GgufTensorInfo* TensorLoader::find(const std::string& name, bool optional) {
  if (!status_.ok()) return nullptr;
  const GgufTensorInfo* t = gguf_.find_tensor(name);
  if (!t && !optional) fail("tensor '" + name + "' is missing");
  return t;
}

WeightMatrix TensorLoader::matrix(const std::string& name, int64_t n_in, int64_t n_out) {
  const GgufTensorInfo* t = find(name, false);
  if (!t) return {};
  if (t->dims.size() != 2 || t->dims[0] != n_in || t->dims[1] != n_out) {
    fail("tensor '" + name + "': expected shape [" + std::to_string(n_in) + ", " + std::to_string(n_out) +
         "], found " + t->shape_string());
    return {};
  }
  if (!ref_kernels().of(t->type).vec_dot || !ref_kernels().of(t->type).dequantize_row) {
    fail("tensor '" + name + "': type " + std::string(type_name(static_cast<uint32_t>(t->type))) +
         " cannot be used as a weight matrix");
    return {};
  }
  return WeightMatrix{t->data, t->type, n_in, n_out, row_size(t->type, n_in)};
}

const float* TensorLoader::vector(const std::string& name, int64_t n, bool optional) {
  const GgufTensorInfo* t = find(name, optional);
  if (!t) return nullptr;
  if (t->dims.size() != 1 || t->dims[0] != n) {
    fail("tensor '" + name + "': expected shape [" + std::to_string(n) + "], found " + t->shape_string());
    return nullptr;
  }
  return f32_data(name, *t);
}

const float* TensorLoader::table(const std::string& name, int64_t n0, int64_t n1, bool optional) {
  const GgufTensorInfo* t = find(name, optional);
  if (!t) return nullptr;
  if (t->dims.size() != 2 || t->dims[0] != n0 || t->dims[1] != n1) {
    fail("tensor '" + name + "': expected shape [" + std::to_string(n0) + ", " + std::to_string(n1) + "], found " +
         t->shape_string());
    return nullptr;
  }
  return f32_data(name, *t);
}

const float* TensorLoader::f32_data(const std::string& name, const GgufTensorInfo& t) {
  if (t.type != TensorType::F32) {
    fail("tensor '" + name + "': expected type f32, found " + std::string(type_name(static_cast<uint32_t>(t.type))));
    return nullptr;
  }
  if (reinterpret_cast<uintptr_t>(t.data) % alignof(float) != 0) {
    fail("tensor '" + name + "': data is not 4-byte aligned in the file");
    return nullptr;
  }
  return reinterpret_cast<const float*>(t.data);
}

}  // namespace slm
