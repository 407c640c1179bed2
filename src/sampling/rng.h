// The sampler's random numbers: xoshiro256** seeded through splitmix64, and our own conversion
// from bits to a uniform float, so that a seed gives the same stream on every platform and
// standard library (std::uniform_real_distribution does not).
#pragma once

#include <cstdint>

namespace slm::sampling {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { seed_with(seed); }

  void seed_with(uint64_t seed) {
    uint64_t x = seed;
    for (auto& w : s_) w = splitmix64(x);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 24 random bits: exact in a float, never 1.
  float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }

  // The splitmix64 step: advances `state` and returns a well-mixed 64-bit value.
  static uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace slm::sampling
