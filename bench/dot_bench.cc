// Every dot-product kernel of every kernel table this CPU can run, one thread: a rows x cols
// weight matrix against activation rows already converted to the type's vec_dot_type.
//
//   dot/<isa>/<type>/x1/<rows>x<cols>   one vec_dot per weight row (token generation)
//   dot/<isa>/<type>/x4/<rows>x<cols>   one vec_dot_x4 per weight row: four tokens per weight
//                                       read (prompt processing)
//
// bytes_per_second is weight bytes: every weight byte is read once per iteration in both forms,
// so x1 shows how close a kernel comes to the memory bandwidth a matvec is bound by, and x4 how
// much faster four tokens go than four x1 calls. Linked into kernels_bench (which has the main):
//
//   kernels_bench --benchmark_filter='dot/.*/q4_K/'
//
// Weights are random bytes with sane f16 scales written over each block's scale fields (speed
// does not depend on the values; every bit pattern is a valid block), or quantized random floats
// for the float types.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/fp16.h"
#include "kernels/kernels.h"
#include "kernels/types.h"

namespace slm {
namespace {

struct WeightType {
  TensorType type;
  std::vector<size_t> f16_scales;  // offsets of the f16 scale fields in a block
};

const std::vector<WeightType>& weight_types() {
  static const std::vector<WeightType> t = {
      {TensorType::F32, {}},
      {TensorType::F16, {}},
      {TensorType::BF16, {}},
      {TensorType::Q4_0, {offsetof(block_q4_0, d)}},
      {TensorType::Q4_1, {offsetof(block_q4_1, d), offsetof(block_q4_1, m)}},
      {TensorType::Q5_0, {offsetof(block_q5_0, d)}},
      {TensorType::Q5_1, {offsetof(block_q5_1, d), offsetof(block_q5_1, m)}},
      {TensorType::Q8_0, {offsetof(block_q8_0, d)}},
      {TensorType::Q2_K, {offsetof(block_q2_K, d), offsetof(block_q2_K, dmin)}},
      {TensorType::Q3_K, {offsetof(block_q3_K, d)}},
      {TensorType::Q4_K, {offsetof(block_q4_K, d), offsetof(block_q4_K, dmin)}},
      {TensorType::Q5_K, {offsetof(block_q5_K, d), offsetof(block_q5_K, dmin)}},
      {TensorType::Q6_K, {offsetof(block_q6_K, d)}},
  };
  return t;
}

struct Shape {
  int64_t rows, cols;
};
// SmolLM2-135M's FFN up projection (576 wide, 1536 rows) transposed to 576 rows of 1536 (its
// down projection), and a 2048 x 8192 matrix of a 1B-class model (larger than L2).
const Shape kShapes[] = {{576, 1536}, {2048, 8192}};

std::vector<float> random_floats(std::mt19937& rng, int64_t n) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

std::vector<uint8_t> make_weights(const KernelTable& k, const WeightType& wt, Shape s, std::mt19937& rng) {
  const size_t rs = row_size(wt.type, s.cols);
  std::vector<uint8_t> w(rs * static_cast<size_t>(s.rows));
  if (type_traits(wt.type).block_size == 1) {  // float types: real values
    for (int64_t r = 0; r < s.rows; ++r)
      k.of(wt.type).quantize_row(random_floats(rng, s.cols).data(), w.data() + r * rs, s.cols);
    return w;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : w) b = static_cast<uint8_t>(byte(rng));
  const uint16_t scale = fp32_to_fp16(0.01f);
  const size_t ts = type_traits(wt.type).type_size;
  for (size_t off = 0; off < w.size(); off += ts)
    for (size_t f : wt.f16_scales) std::memcpy(&w[off + f], &scale, sizeof scale);
  return w;
}

enum class Mode { kX1, kX4 };

void dot(benchmark::State& state, const KernelTable* k, WeightType wt, Shape s, Mode mode) {
  std::mt19937 rng(1);
  const TensorType at = type_traits(wt.type).vec_dot_type;
  const std::vector<uint8_t> w = make_weights(*k, wt, s, rng);
  const size_t rs = row_size(wt.type, s.cols), ars = row_size(at, s.cols);
  std::vector<uint8_t> a(4 * ars);
  for (int t = 0; t < 4; ++t) k->of(at).quantize_row(random_floats(rng, s.cols).data(), a.data() + t * ars, s.cols);
  std::vector<float> y(static_cast<size_t>(4 * s.rows));
  const VecDotFn dot1 = k->of(wt.type).vec_dot;
  const VecDotX4Fn dot4 = k->of(wt.type).vec_dot_x4;
  for (auto _ : state) {
    if (mode == Mode::kX4) {
      for (int64_t r = 0; r < s.rows; ++r) dot4(s.cols, w.data() + r * rs, a.data(), ars, &y[4 * r]);
    } else {
      for (int64_t r = 0; r < s.rows; ++r) y[r] = dot1(s.cols, w.data() + r * rs, a.data());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w.size()));
}

const bool registered = [] {
  for (const KernelTable* k : available_kernel_tables()) {
    for (const WeightType& wt : weight_types()) {
      const TypeKernels& tk = k->of(wt.type);
      if (tk.vec_dot == nullptr || k->of(type_traits(wt.type).vec_dot_type).quantize_row == nullptr) continue;
      for (Mode mode : {Mode::kX1, Mode::kX4}) {
        if (mode == Mode::kX4 && tk.vec_dot_x4 == nullptr) continue;
        const char* tag = mode == Mode::kX1 ? "/x1/" : "/x4/";
        for (Shape s : kShapes) {
          const std::string name = std::string("dot/") + k->isa + "/" + std::string(type_traits(wt.type).name) + tag +
                                   std::to_string(s.rows) + "x" + std::to_string(s.cols);
          benchmark::RegisterBenchmark(name.c_str(), dot, k, wt, s, mode)->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace slm
