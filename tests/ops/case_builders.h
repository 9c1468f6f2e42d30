// Helpers for declaring cases in the op table (op_table*.cpp): named inputs,
// the standard set of elementwise shapes, and the one-thread kernel context
// the double-precision checks run with.
#pragma once

#include <string>
#include <vector>

#include "kernels/common/exec.h"
#include "tests/ops/op_table.h"

namespace dae::ops_test {

// The double checks run on small problems: one thread, host heap scratch.
inline const kernels::Exec& serial_exec() {
  static const kernels::Exec exec{};
  return exec;
}

inline InputDecl input(const std::string& name, const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
  InputDecl d;
  d.name = name;
  d.shape = shape;
  d.lo = lo;
  d.hi = hi;
  return d;
}

// Shapes for elementwise ops and reductions: a single element, odd sizes,
// batch 1, and a few NCHW tensors up to a few thousand elements.
std::vector<Shape> elementwise_shapes();

// More elements than one elementwise launch grid of the CUDA backend covers
// (kernels/cuda/launch_config.h caps it at 4096 blocks of 256 threads), so
// the grid-stride loops must go round more than once. Odd on purpose.
Shape beyond_one_grid_shape();

struct PointwiseSpec {
  std::vector<std::string> inputs;  // names; every input has the shape of the case
  float lo = -1.0f;
  float hi = 1.0f;
  double flops_per_element = 1.0;           // forward
  double backward_flops_per_element = 1.0;  // all input gradients together
  bool reduces_to_scalar = false;           // output shape [] (sum, mean, losses)
  std::vector<std::string> masks;           // inputs drawn as 0/1 masks, never differentiated
};

// One case per elementwise shape, plus one cuda_only case of
// beyond_one_grid_shape().
std::vector<OpCase> pointwise_cases(const std::string& op, const PointwiseSpec& spec);

// Gives each case a "scalar" parameter, cycling through `scalars` (each
// rounded to float first, so the engine and PyTorch use the same number).
std::vector<OpCase> with_scalars(std::vector<OpCase> cases, const std::vector<double>& scalars);

// Gives every case the same parameters (and shows them in the labels).
std::vector<OpCase> with_params(std::vector<OpCase> cases, const std::vector<std::pair<std::string, double>>& params);

}  // namespace dae::ops_test
