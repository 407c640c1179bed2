#include "kernels/types.h"

#include <array>

namespace slm {
namespace {

constexpr std::array<TypeTraits, kTensorTypeIdLimit> make_traits() {
  std::array<TypeTraits, kTensorTypeIdLimit> t{};
  auto set = [&](TensorType id, std::string_view name, int64_t bs, size_t ts, TensorType dot) {
    t[static_cast<size_t>(id)] = TypeTraits{name, bs, ts, dot};
  };
  set(TensorType::F32, "f32", 1, 4, TensorType::F32);
  set(TensorType::F16, "f16", 1, 2, TensorType::F16);
  set(TensorType::BF16, "bf16", 1, 2, TensorType::BF16);
  set(TensorType::Q4_0, "q4_0", QK, sizeof(block_q4_0), TensorType::Q8_0);
  set(TensorType::Q4_1, "q4_1", QK, sizeof(block_q4_1), TensorType::Q8_1);
  set(TensorType::Q5_0, "q5_0", QK, sizeof(block_q5_0), TensorType::Q8_0);
  set(TensorType::Q5_1, "q5_1", QK, sizeof(block_q5_1), TensorType::Q8_1);
  set(TensorType::Q8_0, "q8_0", QK, sizeof(block_q8_0), TensorType::Q8_0);
  set(TensorType::Q8_1, "q8_1", QK, sizeof(block_q8_1), TensorType::Q8_1);
  set(TensorType::Q2_K, "q2_K", QK_K, sizeof(block_q2_K), TensorType::Q8_K);
  set(TensorType::Q3_K, "q3_K", QK_K, sizeof(block_q3_K), TensorType::Q8_K);
  set(TensorType::Q4_K, "q4_K", QK_K, sizeof(block_q4_K), TensorType::Q8_K);
  set(TensorType::Q5_K, "q5_K", QK_K, sizeof(block_q5_K), TensorType::Q8_K);
  set(TensorType::Q6_K, "q6_K", QK_K, sizeof(block_q6_K), TensorType::Q8_K);
  set(TensorType::Q8_K, "q8_K", QK_K, sizeof(block_q8_K), TensorType::Q8_K);
  return t;
}

constexpr std::array<TypeTraits, kTensorTypeIdLimit> kTraits = make_traits();
const TypeTraits kUnknown{};

}  // namespace

const TypeTraits& type_traits(uint32_t type_id) {
  return type_id < kTraits.size() ? kTraits[type_id] : kUnknown;
}

bool is_supported_type(uint32_t type_id) { return type_traits(type_id).block_size != 0; }

std::string_view type_name(uint32_t type_id) { return type_traits(type_id).name; }

}  // namespace slm
