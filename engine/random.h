// Host-side Philox generator for tensor factories (initialisation, data
// order). It is counter-based: draw k of a generator with seed s is a pure
// function of (s, k), so the same seed gives the same tensors on any machine.
#pragma once

#include <cstdint>

namespace dae {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0, std::uint32_t stream = 1) : seed_(seed), stream_(stream) {}

  std::uint64_t seed() const { return seed_; }
  // Number of 4x32-bit Philox blocks consumed so far (the generator's state).
  std::uint64_t offset() const { return offset_; }
  void set_offset(std::uint64_t offset) { offset_ = offset; }

  // Fills out[0..n) with uniform floats in [lo, hi).
  void uniform(float* out, std::int64_t n, float lo, float hi);
  // Fills out[0..n) with normal floats (Box-Muller on pairs of uniforms).
  void normal(float* out, std::int64_t n, float mean, float stddev);
  // A uniform integer in [0, bound) (bound > 0), for shuffles and choices.
  std::uint64_t below(std::uint64_t bound);

 private:
  std::uint64_t seed_;
  std::uint32_t stream_;
  std::uint64_t offset_ = 0;
};

}  // namespace dae
