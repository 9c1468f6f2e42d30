// Helpers of the CUDA tests: the skip marker, random tensors, bit-exact
// comparison, NaN-poisoned outputs and direct kernel calls on device memory.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/device.h"
#include "engine/errors.h"
#include "engine/random.h"
#include "engine/tensor.h"
#include "tests/support/compare.h"

namespace dae::cuda_test {

// A test that finds no GPU prints this marker and returns; CTest reports it
// as skipped (SKIP_REGULAR_EXPRESSION in tests/cuda/CMakeLists.txt).
constexpr const char* kNoDeviceMarker = "DAE_TEST_SKIPPED: no CUDA device";

#define DAE_REQUIRE_CUDA_DEVICE()                                                                  \
  do {                                                                                             \
    if (::dae::cuda_device_count() == 0) {                                                         \
      WARN(::dae::cuda_test::kNoDeviceMarker << " (this build has the CUDA backend, but no GPU is usable here)"); \
      return;                                                                                      \
    }                                                                                              \
  } while (0)

inline Device gpu() { return Device::cuda(0); }
inline const kernels::Exec& gpu_exec() { return DeviceContext::get(gpu()).exec(); }
inline const kernels::Exec& cpu_exec() { return DeviceContext::get(Device::cpu()).exec(); }

// Uniform values in [lo, hi) on `device`, a pure function of the seed.
inline Tensor random_tensor(const Shape& shape, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f,
                            Device device = Device::cpu()) {
  Generator gen(seed);
  return Tensor::uniform(shape, lo, hi, gen, device);
}

inline std::vector<float> random_values(std::int64_t n, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(static_cast<std::size_t>(n));
  Generator gen(seed);
  gen.uniform(v.data(), n, lo, hi);
  return v;
}

// A device tensor of NaNs: whatever a kernel leaves unwritten stays NaN.
inline Tensor poisoned(const Shape& shape) {
  return Tensor::full(shape, std::numeric_limits<float>::quiet_NaN(), gpu());
}

inline Tensor on_gpu(const std::vector<float>& values) {
  return Tensor::from_vector(Shape{std::int64_t(values.size())}, values, gpu());
}

// "" when a and b have the same bits; otherwise the first few differences.
inline std::string bit_differences(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return "sizes differ: " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  std::ostringstream out;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
      if (bad < 5) out << "  [" << i << "] " << a[i] << " vs " << b[i] << "\n";
      ++bad;
    }
  }
  if (bad == 0) return "";
  return std::to_string(bad) + " of " + std::to_string(a.size()) + " elements differ in their bits:\n" + out.str();
}

#define CHECK_SAME_BITS(a, b)                                          \
  do {                                                                 \
    const std::string dae_diff_ = ::dae::cuda_test::bit_differences((a), (b)); \
    INFO(dae_diff_);                                                   \
    CHECK(dae_diff_.empty());                                          \
  } while (0)

#define CHECK_CLOSE_TO(actual, expected, tol, what)                                       \
  do {                                                                                    \
    const auto dae_cmp_ = ::dae::test::compare((actual), (expected), (tol), (what));      \
    INFO(dae_cmp_.report);                                                                \
    CHECK(dae_cmp_.ok);                                                                   \
  } while (0)

// Number of NaNs in v (outputs that a kernel did not write, when its inputs are finite).
inline std::size_t count_nan(const std::vector<float>& v) {
  std::size_t n = 0;
  for (float x : v) n += std::isnan(x) ? 1 : 0;
  return n;
}

}  // namespace dae::cuda_test
