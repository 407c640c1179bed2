// Looks tensors up by name and checks type and shape before handing out views: the expected shape
// is stated by the architecture, and a mismatch names the tensor, the expected and the found shape.
// The first error is kept and reported by status(); later calls after an error return empty views,
// so architecture code reads as a plain list of tensors.
#pragma once

#include <string>

#include "arch/model.h"
#include "formats/gguf.h"

namespace slm {

class TensorLoader {
 public:
  explicit TensorLoader(const GgufFile& gguf) : gguf_(gguf) {}

  // A weight matrix of n_out rows of n_in (ggml shape [n_in, n_out]) in any type with a dot kernel.
  WeightMatrix matrix(const std::string& name, int64_t n_in, int64_t n_out);
  // An f32 vector of n values; nullptr without error when optional and absent.
  const float* vector(const std::string& name, int64_t n, bool optional = false);
  // An f32 table of ggml shape [n0, n1] (n1 rows of n0, e.g. per-head norm weights [D, H]);
  // nullptr without error when optional and absent.
  const float* table(const std::string& name, int64_t n0, int64_t n1, bool optional = false);
  bool has(const std::string& name) const { return gguf_.find_tensor(name) != nullptr; }

  Status status() const { return status_; }

 private:
  const GgufTensorInfo* find(const std::string& name, bool optional);
  const float* f32_data(const std::string& name, const GgufTensorInfo& t);
  void fail(const std::string& message) {
    if (status_.ok()) status_ = Status::Error(message);
  }
  const GgufFile& gguf_;
  Status status_;
};

}  // namespace slm
