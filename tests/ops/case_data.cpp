// The values of a case: seeded from its label, so a case gets the same
// numbers in every run, on every machine and in every check.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/random.h"
#include "tests/ops/op_table.h"

namespace dae::ops_test {

namespace {

// Uniform in [lo, hi), redrawing any value within kMinMagnitude of zero.
std::vector<float> uniform_values(Generator& gen, std::int64_t n, float lo, float hi) {
  if (std::max(std::fabs(lo), std::fabs(hi)) < 4 * kMinMagnitude)
    throw std::logic_error("op table: the value range [lo, hi) lies too close to zero to draw from");
  std::vector<float> v(static_cast<std::size_t>(n));
  gen.uniform(v.data(), n, lo, hi);
  for (float& x : v)
    while (std::fabs(x) < kMinMagnitude) gen.uniform(&x, 1, lo, hi);
  return v;
}

// n evenly spaced values in [lo, hi), shuffled. The offset of a quarter step
// keeps every value off zero for the symmetric ranges the table uses.
std::vector<float> distinct_values(Generator& gen, std::int64_t n, float lo, float hi) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[std::size_t(i)] = float(lo + (hi - lo) * (double(i) + 0.25) / double(n));
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(v[std::size_t(i)], v[gen.below(std::uint64_t(i) + 1)]);
  return v;
}

std::vector<float> mask_values(Generator& gen, std::int64_t n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = float(gen.below(2));
  return v;
}

}  // namespace

// FNV-1a: a stable hash of the label (std::hash may differ between libraries).
std::uint64_t label_seed(const std::string& label) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : label) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

CaseData make_case_data(const OpCase& c) {
  Generator gen(label_seed(c.label));
  CaseData data;
  for (const InputDecl& in : c.inputs) {
    const std::int64_t n = in.shape.numel();
    switch (in.values) {
      case Values::kUniform: data.inputs.push_back(uniform_values(gen, n, in.lo, in.hi)); break;
      case Values::kDistinct: data.inputs.push_back(distinct_values(gen, n, in.lo, in.hi)); break;
      case Values::kMask: data.inputs.push_back(mask_values(gen, n)); break;
    }
  }
  data.grad_output = uniform_values(gen, c.output.numel(), -1.0f, 1.0f);
  return data;
}

test::Tolerance tolerance_for(const ToleranceSpec& spec, const std::vector<float>& expected) {
  float magnitude = 0.0f;
  for (float e : expected) magnitude = std::max(magnitude, std::fabs(e));
  return test::Tolerance{spec.rtol, spec.atol_share * double(magnitude)};
}

}  // namespace dae::ops_test
