// Running one case of the op table on Tensors (float, any device): the
// forward pass, then autograd's backward pass from the case's upstream
// gradient. Used by the PyTorch check, the CUDA-vs-CPU test and timing.
#pragma once

#include <vector>

#include "engine/device.h"
#include "tests/ops/op_table.h"

namespace dae::ops_test {

struct CaseResult {
  std::vector<float> output;
  Arrays<float> grads;  // one per input; empty for inputs that are not differentiable
};

// Runs the case on `device` and copies the results to the host. Throws
// std::logic_error when the output's shape differs from the declared one,
// and lets the engine's errors (a CUDA kernel that is missing) through.
CaseResult run_case(const OpFamily& family, const OpCase& c, const CaseData& data, Device device);

struct CaseTiming {
  double forward_seconds = 0.0;   // medians over the repetitions
  double backward_seconds = 0.0;
};

// Times `repetitions` forward and backward passes after one warm-up,
// synchronising the device around each pass.
CaseTiming time_case(const OpFamily& family, const OpCase& c, const CaseData& data, Device device, int repetitions);

}  // namespace dae::ops_test
